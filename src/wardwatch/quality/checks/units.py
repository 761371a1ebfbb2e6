"""Units and values of LOINC-coded labs and vitals: physiologic plausibility and unit switches.

``plausibility`` compares each value of a code listed in :data:`wardwatch.terminology.LABS`
with the code's physiologic limits, in the row's own unit (a value in an accepted alternative
unit is converted first), and names units that are no unit of that measurement at all.

``unit-switch`` finds a feed that changed units without changing the unit field (glucose sent in
mmol/L but still labelled mg/dL) from the values alone. Rows are grouped into *segments* (code,
stated unit, site, calendar month of the effective time, UTC); a row's site is its encounter's,
else its patient's. The baseline of a (code, unit) is the row-weighted median of its segments'
centres (mean of ln value). Each row is put on the nearest *level* in log space: the baseline,
or the baseline times one of the ratios a switch to another unit of that lab would produce
(from :meth:`LabSpec.switch_factors`). A *series* is one site's rows of one stated unit for a
family of codes that share their units (glucose in serum and in blood...), since a feed switches
an analyte for all its codes at once. A month of a series where most rows sit on a switched level
is a *core* month; consecutive core months form a run, which is a unit switch when it holds at
least ``min_segment_rows`` such rows, their centre is within ``tolerance`` of the switched level,
and far more of its patients sit on that level than the rest of the series would explain (a
binomial test on patient-months, so that one anaemic patient's daily haemoglobins never make a
"switch"). The months just before and after a run are searched too, so a feed that switched on
the 15th has its first half-month left alone and the rest flagged. Rows are then flagged one by
one: a row of a run is a finding when it is more likely to come from the switched level than
from the baseline (split-normal likelihoods fitted on the series, with the month's share of
switched rows as prior). Each run is listed in the result's ``metrics["segments"]``.

A value implausible in its unit but plausible in another unit of the lab is a
``plausibility`` finding whose ``expected`` says so, not a ``unit-switch`` one: a lone value
cannot tell a unit switch from a typo.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa
from pydantic import Field

from wardwatch.core.schemas import table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity
from wardwatch.quality._registry import NoParams, Params, register
from wardwatch.quality._rules import RowRule, evaluate, field_path
from wardwatch.terminology import LABS, LabSpec

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["UnitSwitchParams"]

_SEP = "\x1f"
_NO_UNIT = "(no unit)"
# A level of a series whose ratio to the baseline is within this (log) distance of 1 is no level
# at all (two names of one unit); levels closer than _MERGE are one level with two names.
_MIN_LOG_RATIO = math.log(1.25)
_MERGE = 0.1
_FALLBACK_SIGMA = 0.25
_MIN_SIGMA = 0.02
_INF = 1e300


# --------------------------------------------------------------------------- plausibility


@register(
    "plausibility",
    "Values of LOINC-coded labs and vitals lie within physiologic limits (in the row's unit, "
    "converted when it is an accepted alternative) and carry a unit of that measurement.",
    tables=("observations",),
    params=NoParams,
)
def plausibility(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    """Findings ``implausible-value`` and ``unexpected-unit`` over the codes of ``LABS``."""
    t = ctx.table(table)
    cand = t.filter(t.code.isin(list(LABS)) & t.value_num.notnull())
    unit_key = cand.value_unit.fill_null("")
    pairs = ctx.engine.to_arrow(cand.select(code=cand.code, unit=unit_key).distinct()).to_pylist()
    rows: list[dict[str, Any]] = []
    for pair in pairs:
        spec = LABS[pair["code"]]
        conv = spec.conversion(pair["unit"] or None)
        rows.append(
            {
                "ww_code": pair["code"],
                "ww_unit": pair["unit"],
                "ww_ok": conv is not None,
                "ww_scale": conv.scale if conv else 1.0,
                "ww_offset": conv.offset if conv else 0.0,
                "ww_low": float(spec.plausible[0]),
                "ww_high": float(spec.plausible[1]),
            }
        )
    if not rows:
        return _empty("plausibility", table, "physiologic plausibility")
    limits = ctx.engine.memtable(pa.Table.from_pylist(rows, schema=_LIMITS_SCHEMA))
    rel = cand.inner_join(
        limits, [cand.code == limits.ww_code, cand.value_unit.fill_null("") == limits.ww_unit]
    )
    canonical = rel.value_num * rel.ww_scale + rel.ww_offset
    # A hair of slack so that a limit converted through a factor is not missed by rounding.
    slack = (rel.ww_high - rel.ww_low).abs() * 1e-9
    tag = rel.code + _SEP + rel.value_num.cast("string") + _SEP + rel.value_unit.fill_null("")
    rules = [
        RowRule(
            "implausible-value",
            field_path(table, "value_num"),
            rel.ww_ok & ((canonical < rel.ww_low - slack) | (canonical > rel.ww_high + slack)),
            tag,
            "a value within the physiologic limits of the code",
        ),
        RowRule(
            "unexpected-unit",
            field_path(table, "value_unit"),
            ~rel.ww_ok,
            tag,
            "a unit of the code's measurement",
        ),
    ]
    result = evaluate(
        ctx,
        check="plausibility",
        table=table,
        description="physiologic plausibility",
        relation=rel,
        rules=rules,
    )
    result.findings = [_explain_plausibility(f) for f in result.findings]
    return result


_LIMITS_SCHEMA = pa.schema(
    [
        ("ww_code", pa.string()),
        ("ww_unit", pa.string()),
        ("ww_ok", pa.bool_()),
        ("ww_scale", pa.float64()),
        ("ww_offset", pa.float64()),
        ("ww_low", pa.float64()),
        ("ww_high", pa.float64()),
    ]
)


def _explain_plausibility(f: Finding) -> Finding:
    """Rewrite the tagged ``found`` into the value and unit, and name the limits in the unit."""
    if f.found is None or f.found.count(_SEP) != 2:
        return f
    code, raw, unit = f.found.split(_SEP)
    spec = LABS[code]
    value = _num(raw)
    shown_unit = unit or _NO_UNIT
    found = f"{_fmt(value)} {shown_unit}" if value is not None else f"{raw} {shown_unit}"
    name = f"{spec.display} ({code})"
    if f.reason == "unexpected-unit":
        return replace(f, found=found, expected=f"{name} in {' or '.join(spec.units)}")
    conv = spec.conversion(unit)
    if conv is None:
        return replace(f, found=found)
    low, high = (conv.inverse().apply(x) for x in spec.plausible)
    expected = f"{name} between {_fmt(low)} and {_fmt(high)} {unit}"
    if value is not None and conv.offset == 0.0:
        # Say so when the value would be plausible in another unit of the lab: a unit switch.
        for other, scale in _pure_units(spec).items():
            if other != unit and spec.plausible[0] <= value * scale <= spec.plausible[1]:
                expected += f"; plausible if it were {other} (a unit switch?)"
                break
    return replace(f, found=found, expected=expected)


# --------------------------------------------------------------------------- unit switch


class UnitSwitchParams(Params):
    """Parameters of ``unit-switch``."""

    min_segment_rows: int = Field(5, ge=1)
    """Rows on the switched level a run must hold to count as a switch."""
    tolerance: float = Field(0.5, gt=0.0)
    """How far (relative) the run's centre may be from baseline x ratio (0.5: within x1.5)."""
    min_share: float = Field(0.5, gt=0.0, le=1.0)
    """Share of a month's rows on the switched level that makes it a core month of a run."""
    max_p_value: float = Field(1e-6, gt=0.0, lt=1.0)
    """How unlikely the run's patients on the switched level must be under the series' own rate
    of such values (binomial tail on patient-months)."""


@dataclass(frozen=True)
class _Level:
    """A level of a (code, unit) series: the baseline times ``ratio`` (a unit switch)."""

    id: int
    ratio: float
    like: str
    """The unit(s) whose values would sit on this level."""
    factor: float
    """The LABS factor between the two units, as people quote it (>= 1)."""


@register(
    "unit-switch",
    "A feed that switched units without updating the unit field (glucose in mmol/L labelled "
    "mg/dL), found from the value distribution per site and month.",
    tables=("observations",),
    params=UnitSwitchParams,
)
def unit_switch(ctx: CheckContext, table: str, params: UnitSwitchParams) -> CheckResult:
    """Findings ``unit-switch``: rows of a switched run that sit on the switched level."""
    description = "unit switches"
    t = ctx.table(table)
    time = ibis.coalesce(t.effective_time, t.recorded_time)
    base = t.filter(
        t.code.isin(list(_FAMILY)) & (t.value_num > 0) & (t.value_num < _INF) & time.notnull()
    )
    # Passes 1 and 2 read the candidate rows with their site: that lookup (a join of every row
    # to its encounter and patient) runs once, and the engine keeps what the passes read of its
    # rows (few, short columns). Pass 3 goes back to the table, for the rows of flagged codes.
    with ctx.engine.held(_with_site(ctx, base, ("patient_id", "code"))) as rel:
        seg, baseline, runs = _segments(ctx, rel, params)
    checked = sum(int(s["n"]) for s in seg)
    result = _empty("unit-switch", table, description, checked)
    result.metrics["segments"] = [r.to_metric() for r in runs]
    if not runs:
        return result

    # Pass 3: the rows of the runs that sit on the switched level, one finding each.
    flags = ctx.engine.memtable(
        pa.Table.from_pylist([f for r in runs for f in r.flags], schema=_FLAGS_SCHEMA)
    )
    codes = sorted({code for run in runs for code in run.codes})
    kept = (table_spec(table).key, "patient_id", "code", "value_num", "value_unit",
            "source_file", "source_line", "resource_type")  # fmt: skip
    rows = _with_site(ctx, base.filter(base.code.isin(codes)), kept)
    hit = rows.inner_join(
        flags,
        [
            rows.code == flags.ww_f_code,
            rows.ww_unit == flags.ww_f_unit,
            rows.ww_site == flags.ww_f_site,
            rows.ww_month == flags.ww_f_month,
            rows.ww_lv >= flags.ww_f_lo,
            rows.ww_lv < flags.ww_f_hi,
        ],
    )
    with ctx.engine.held(hit) as hit:
        found = hit.value_num.cast("string") + " " + hit.value_unit.fill_null(_NO_UNIT)
        rules: dict[tuple[str, str, int], RowRule] = {}
        for run in runs:
            for code in run.codes:
                key = (code, run.unit, run.level.id)
                if key in rules or (code, run.unit) not in baseline:
                    continue
                spec = LABS[code]
                rules[key] = RowRule(
                    "unit-switch",
                    field_path(table, "value_num"),
                    (hit.code == code)
                    & (hit.ww_unit == run.unit)
                    & (hit.ww_f_level == run.level.id),
                    found,
                    f"{spec.display} ({code}) in {run.unit or _NO_UNIT} (values like "
                    f"{_fmt(math.exp(baseline[(code, run.unit)]))}); this looks like "
                    f"{run.level.like} (factor {_fmt(run.level.factor)})",
                )
        flagged = evaluate(
            ctx,
            check="unit-switch",
            table=table,
            description=description,
            relation=hit,
            rules=list(rules.values()),
            checked=checked,
        )
    flagged.metrics = result.metrics
    return flagged


def _segments(
    ctx: CheckContext, rel: ir.Table, params: UnitSwitchParams
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], float], list[_Run]]:
    """Passes 1 and 2 over the candidate rows with their site: the segments, the baseline of
    each (code, unit) and the switched runs."""
    groups = ["code", "ww_unit", "ww_site", "ww_month"]

    # Pass 1: segment sizes and centres -> baseline per (code, unit).
    seg = ctx.engine.to_arrow(
        rel.group_by(groups).aggregate(
            n=rel.count(), sl=rel.ww_lv.sum(), np=rel.patient_id.nunique()
        )
    ).to_pylist()
    baseline = _baselines(seg)
    levels = {key: _levels(LABS[key[0]], key[1]) for key in baseline}
    levels = {key: lv for key, lv in levels.items() if lv}
    if not levels:
        return seg, baseline, []

    # Pass 2: rows per level (the nearest in log space) and the spread around the baseline.
    band = ctx.engine.memtable(pa.Table.from_pylist(_bands(baseline, levels), schema=_BANDS_SCHEMA))
    on = rel.inner_join(
        band,
        [
            rel.code == band.ww_b_code,
            rel.ww_unit == band.ww_b_unit,
            rel.ww_lv >= band.ww_lo,
            rel.ww_lv < band.ww_hi,
        ],
    )
    dev = on.ww_lv - on.ww_centre
    agg = ctx.engine.to_arrow(
        on.group_by([*groups, "ww_level"]).aggregate(
            c=on.count(),
            sd=dev.sum(),
            np=on.patient_id.nunique(),
            n_lo=on.count(where=dev < 0),
            d2_lo=(dev * dev).sum(where=dev < 0),
            d2_hi=(dev * dev).sum(where=dev >= 0),
        )
    ).to_pylist()
    return seg, baseline, _find_runs(seg, agg, baseline, levels, params)


def _with_site(ctx: CheckContext, obs: ir.Table, kept: Sequence[str]) -> ir.Table:
    """The columns ``kept`` of ``obs`` (those it has) with ``ww_site`` (the encounter's site,
    else the patient's), ``ww_unit``, ``ww_month`` (yyyymm of the effective time, UTC) and
    ``ww_lv`` (ln value)."""
    enc = ctx.full_table("encounters")
    enc = enc.group_by(ww_enc_id=enc.encounter_id).aggregate(ww_enc_site=enc.site_id.max())
    pat = ctx.full_table("patients")
    pat = pat.group_by(ww_pat_id=pat.patient_id).aggregate(ww_pat_site=pat.site_id.max())
    joined = obs.left_join(enc, obs.encounter_id == enc.ww_enc_id).left_join(
        pat, obs.patient_id == pat.ww_pat_id
    )
    time = ibis.coalesce(joined.effective_time, joined.recorded_time)
    return joined.select(
        *(c for c in kept if c in obs.columns),
        ww_site=ibis.coalesce(joined.ww_enc_site, joined.ww_pat_site, ibis.literal("")),
        ww_unit=joined.value_unit.fill_null(""),
        ww_month=(time.year() * 100 + time.month()).cast("int64"),
        ww_lv=joined.value_num.ln(),
    ).view()  # a relation of its own: later joins must not extend this join chain


def _baselines(seg: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """Weighted (by rows) median of segment centres per (code, unit): the usual ln value."""
    by: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for s in seg:
        n = int(s["n"])
        if n and s["sl"] is not None and math.isfinite(s["sl"]):
            by[(s["code"], s["ww_unit"])].append((s["sl"] / n, n))
    out: dict[tuple[str, str], float] = {}
    for key, items in by.items():
        items.sort()
        half = sum(n for _, n in items) / 2
        acc = 0
        for centre, n in items:
            acc += n
            if acc >= half:
                out[key] = centre
                break
    return out


def _families() -> dict[str, str]:
    """Code -> its family: the LABS codes that share their units and conversion factors
    (glucose in serum and in blood, the cholesterols...), named by their codes."""
    by: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    for code, spec in LABS.items():
        factors = spec.switch_factors()
        if factors:
            by[(spec.unit, tuple(sorted(factors.items())))].append(code)
    return {code: "+".join(sorted(group)) for group in by.values() for code in group}


def _pure_units(spec: LabSpec) -> dict[str, float]:
    """Units of a lab with a pure-scale conversion to the canonical one: unit -> scale."""
    return {spec.unit: 1.0, **spec.switch_factors()}


def _levels(spec: LabSpec, unit: str) -> list[_Level]:
    """The switched levels of a series in ``unit``: the ratios a switch to another unit of the
    lab (keeping the label) would put the values at, relative to the right ones."""
    conv = spec.conversion(unit or None)
    if conv is None or conv.offset != 0.0 or conv.scale <= 0:
        return []
    found: list[tuple[float, str, float]] = []
    for other, scale in _pure_units(spec).items():
        if other == unit:
            continue
        ratio = conv.scale / scale  # a value sent in `other` / the value in `unit`
        if abs(math.log(ratio)) < _MIN_LOG_RATIO:
            continue
        factor = max(ratio, 1 / ratio)
        for i, (r, like, f) in enumerate(found):
            if abs(math.log(r) - math.log(ratio)) < _MERGE:
                found[i] = (r, f"{like} or {other}", f)
                break
        else:
            found.append((ratio, other, factor))
    found.sort()
    return [_Level(i + 1, r, like, f) for i, (r, like, f) in enumerate(found)]


_BANDS_SCHEMA = pa.schema(
    [
        ("ww_b_code", pa.string()),
        ("ww_b_unit", pa.string()),
        ("ww_level", pa.int64()),
        ("ww_centre", pa.float64()),
        ("ww_lo", pa.float64()),
        ("ww_hi", pa.float64()),
    ]
)


def _bands(
    baseline: dict[tuple[str, str], float], levels: dict[tuple[str, str], list[_Level]]
) -> list[dict[str, Any]]:
    """Log-value intervals of each level (level 0 = the baseline), split at the midpoints."""
    out = []
    for key, lv in levels.items():
        b = baseline[key]
        points = sorted([(0.0, 0), *((math.log(x.ratio), x.id) for x in lv)])
        for i, (shift, level) in enumerate(points):
            lo = -_INF if i == 0 else b + (points[i - 1][0] + shift) / 2
            hi = _INF if i == len(points) - 1 else b + (points[i + 1][0] + shift) / 2
            out.append(
                {
                    "ww_b_code": key[0],
                    "ww_b_unit": key[1],
                    "ww_level": level,
                    "ww_centre": b,
                    "ww_lo": lo,
                    "ww_hi": hi,
                }
            )
    return out


_FLAGS_SCHEMA = pa.schema(
    [
        ("ww_f_code", pa.string()),
        ("ww_f_unit", pa.string()),
        ("ww_f_site", pa.string()),
        ("ww_f_month", pa.int64()),
        ("ww_f_level", pa.int64()),
        ("ww_f_lo", pa.float64()),
        ("ww_f_hi", pa.float64()),
    ]
)


@dataclass
class _Run:
    """A switched stretch of one series: its months and the ln-value band flagged in each."""

    family: str
    codes: tuple[str, ...]
    unit: str
    site: str
    level: _Level
    months: list[int]
    rows: int
    p_value: float
    flags: list[dict[str, Any]]

    def to_metric(self) -> dict[str, Any]:
        return {
            "codes": list(self.codes),
            "unit": self.unit,
            "site": self.site,
            "from_month": _month(self.months[0]),
            "to_month": _month(self.months[-1]),
            "rows": self.rows,
            "looks_like": self.level.like,
            "factor": round(self.level.factor, 6),
            "p_value": self.p_value,
        }


@dataclass
class _Month:
    n: int = 0
    patients: int = 0
    c: int = 0
    sd: float = 0.0
    np: int = 0


_Series = tuple[str, str, str]  # (family, unit, site)


def _find_runs(
    seg: list[dict[str, Any]],
    agg: list[dict[str, Any]],
    baseline: dict[tuple[str, str], float],
    levels: dict[tuple[str, str], list[_Level]],
    params: UnitSwitchParams,
) -> list[_Run]:
    """Switched runs of every series (see the module docstring).

    A series pools the codes of one family (glucose in serum and in blood...: the codes that
    share their units) at one site, in one stated unit: a feed switches an analyte's unit for all
    its codes at once, and the smaller code of a family is too sparse to stand alone. Levels and
    deviations are taken against each code's own baseline, so pooling does not mix centres.
    """
    codes: dict[tuple[str, str], set[str]] = defaultdict(set)
    lv_of: dict[tuple[str, str], list[_Level]] = {}
    for (code, unit), lv in levels.items():
        codes[(_FAMILY[code], unit)].add(code)
        lv_of[(_FAMILY[code], unit)] = lv
    months: dict[_Series, dict[int, _Month]] = defaultdict(lambda: defaultdict(_Month))
    for s in seg:
        if (s["code"], s["ww_unit"]) not in levels:
            continue
        seg_month = months[(_FAMILY[s["code"]], s["ww_unit"], s["ww_site"])][int(s["ww_month"])]
        seg_month.n += int(s["n"])
        seg_month.patients += int(s["np"])
    # Spread of ln values around the baselines, below and above (a split normal).
    spread: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    hits: dict[tuple[_Series, int], dict[int, _Month]] = defaultdict(lambda: defaultdict(_Month))
    for a in agg:
        fam = _FAMILY[a["code"]]
        if a["ww_level"] == 0:
            sp = spread[(fam, a["ww_unit"])]
            sp[0] += int(a["n_lo"] or 0)
            sp[1] += float(a["d2_lo"] or 0.0)
            sp[2] += int(a["c"]) - int(a["n_lo"] or 0)
            sp[3] += float(a["d2_hi"] or 0.0)
            continue
        hit = hits[((fam, a["ww_unit"], a["ww_site"]), int(a["ww_level"]))][int(a["ww_month"])]
        hit.c += int(a["c"])
        hit.sd += float(a["sd"] or 0.0)
        hit.np += int(a["np"])

    runs: list[_Run] = []
    for (fam, unit), lvls in lv_of.items():
        sig_lo, sig_hi = _sigmas(spread[(fam, unit)])
        members = tuple(sorted(codes[(fam, unit)]))
        sites = [k for k in months if k[:2] == (fam, unit)]
        for level in lvls:
            shift = math.log(level.ratio)
            # The family's own rate of such values over patient-months: each stretch is tested
            # against the rest of the series.
            all_x = sum(h.np for k in sites for h in hits[(k, level.id)].values())
            all_n = sum(m.patients for k in sites for m in months[k].values())
            for key in sites:
                m, h = months[key], hits[(key, level.id)]
                ordered = sorted(m)
                core = [h[mo].c >= params.min_share * m[mo].n for mo in ordered]
                for stretch in _stretches(ordered, core):
                    x = sum(h[mo].np for mo in stretch)
                    n = sum(m[mo].patients for mo in stretch)
                    c = sum(h[mo].c for mo in stretch)
                    centre = sum(h[mo].sd for mo in stretch) / c
                    first, last = ordered.index(stretch[0]), ordered.index(stretch[-1])
                    edges = [ordered[i] for i in (first - 1, last + 1) if 0 <= i < len(ordered)]
                    edges = [mo for mo in edges if h[mo].c]
                    rows = c + sum(h[mo].c for mo in edges)
                    p_value = _binom_sf(x, n, (all_x - x + 0.5) / (all_n - n + 1.0))
                    if (
                        rows < params.min_segment_rows
                        or abs(centre - shift) > math.log1p(params.tolerance)
                        or p_value > params.max_p_value
                    ):
                        continue
                    flagged = sorted([*stretch, *edges])
                    flags = [
                        {
                            "ww_f_code": code,
                            "ww_f_unit": unit,
                            "ww_f_site": key[2],
                            "ww_f_month": mo,
                            "ww_f_level": level.id,
                            "ww_f_lo": band[0],
                            "ww_f_hi": band[1],
                        }
                        for mo in flagged
                        for code in members
                        for band in [
                            _flag_band(
                                baseline[(code, unit)],
                                shift,
                                lvls,
                                level,
                                h[mo].c / m[mo].n,
                                sig_lo,
                                sig_hi,
                            )
                        ]
                    ]
                    runs.append(
                        _Run(fam, members, unit, key[2], level, flagged, rows, p_value, flags)
                    )
    runs.sort(key=lambda r: (r.family, r.unit, r.site, r.months[0]))
    return runs


def _stretches(ordered: list[int], flags: list[bool]) -> list[list[int]]:
    """Maximal runs of consecutive flagged months (consecutive among months with data)."""
    out: list[list[int]] = []
    current: list[int] = []
    for mo, flag in zip(ordered, flags, strict=True):
        if flag:
            current.append(mo)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _sigmas(s: list[float]) -> tuple[float, float]:
    """Spread below and above the baseline (RMS deviation on each side)."""
    lo = math.sqrt(s[1] / s[0]) if s[0] >= 2 else _FALLBACK_SIGMA
    hi = math.sqrt(s[3] / s[2]) if s[2] >= 2 else _FALLBACK_SIGMA
    return max(lo, _MIN_SIGMA), max(hi, _MIN_SIGMA)


def _flag_band(
    b: float,
    shift: float,
    levels: list[_Level],
    level: _Level,
    share: float,
    sig_lo: float,
    sig_hi: float,
) -> tuple[float, float]:
    """The ln-value band of a month of a run whose rows are flagged.

    Towards the baseline the band ends where a row becomes more likely to be a right value than
    a switched one (split-normal likelihoods, the month's switched share as prior, the boundary
    kept within the middle half between the two levels); away from it, at the midpoint to the
    next switched level, if any.
    """
    prior = math.log(min(max(share, 0.05), 0.95) / (1 - min(max(share, 0.05), 0.95)))

    def log_odds(x: float) -> float:
        d_a, d_b = x - b, x - b - shift
        la = -d_a * d_a / (2 * (sig_lo if d_a < 0 else sig_hi) ** 2)
        lb = -d_b * d_b / (2 * (sig_lo if d_b < 0 else sig_hi) ** 2)
        return prior + lb - la

    near, far = b + 0.25 * shift, b + 0.75 * shift  # the middle half between the two levels
    if log_odds(near) > 0:
        edge = near
    elif log_odds(far) < 0:
        edge = far
    else:
        lo_x, hi_x = far, near
        for _ in range(60):
            mid = (lo_x + hi_x) / 2
            if log_odds(mid) > 0:
                lo_x = mid
            else:
                hi_x = mid
        edge = (lo_x + hi_x) / 2
    others = [math.log(x.ratio) for x in levels if x.id != level.id]
    beyond = [o for o in others if (o - shift) * shift > 0]
    outer = b + (shift + min(beyond, key=abs)) / 2 if beyond else (-_INF if shift < 0 else _INF)
    return (outer, edge) if shift < 0 else (edge, outer)


def _binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    p = min(max(p, 1e-12), 1 - 1e-12)
    terms = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
        for i in range(k, n + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(x - top) for x in terms))


_FAMILY = _families()

# --------------------------------------------------------------------------- helpers


def _empty(check: str, table: str, description: str, checked: int = 0) -> CheckResult:
    return CheckResult(check, table, Severity.ERROR, description, checked=checked)


def _month(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _fmt(x: float) -> str:
    """A number as people write it (up to 4 significant digits, no trailing zeros)."""
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return f"{x:.4g}"
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:.0f}"
