"""Point-in-time feature definitions, one Ibis query per family of features.

Every feature of an index event with prediction time ``T`` sees a source row only when

* its *availability* time is at or before ``T``: the row's ``recorded_time`` (when the fact
  reached the source system) for ``time_basis: recorded`` (the default), its clinical time
  (effective, onset, start) for ``time_basis: clinical``, which is the classic leak: a
  diagnosis coded two days after discharge has an onset inside the stay;
* its clinical time is at or before ``T`` and, with ``window_days``, no earlier than ``T``
  minus the window.

``lookahead_days`` moves ``T`` forward for one feature: it is leakage on purpose, there so
that the audit can be shown to catch it.

Besides its value, every time-varying feature returns ``<name>__src``: the latest
``recorded_time`` (falling back to the clinical time when none was recorded) among the rows
it used. :func:`wardwatch.features.audit_features` compares it with ``T``.

Families share one join each (all labs in one pass over observations, all utilization
counts in one pass over encounters), with per-feature conditions as filtered aggregates, so
adding a feature adds a column, not a query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import pyarrow as pa

from wardwatch.features._cohort import interval_days
from wardwatch.features._comorbidity import CHARLSON, ELIXHAUSER, HIERARCHY, categories_of
from wardwatch.features._spec import FeatureSpec
from wardwatch.terminology import lab_unit_conversion

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["SRC", "Family", "Lookup", "families", "src_column", "stay_columns"]

SRC = "__src"
_ABNORMAL_FLAGS = ("H", "HH", "HU", "L", "LL", "LU", "A", "AA")
_INDEX_KEYS = ("index_id", "patient_id", "encounter_id", "index_time")


def src_column(name: str) -> str:
    """The column holding the latest source time a feature used."""
    return f"{name}{SRC}"


@dataclass(frozen=True)
class Family:
    """A family's query (``index_id`` + value and ``__src`` columns) and its fill values."""

    table: ir.Table
    fills: dict[str, Any]


Memtable = Callable[[pa.Table], "ir.Table"]
Distinct = Callable[["ir.Table"], pa.Table]
Lookup = Callable[["ir.Table", Callable[[pa.Table], pa.Table]], "ir.Table"]
"""Runs a small query, turns its rows into a table in Python and gives that back as an engine
table (by default ``memtable(transform(distinct(query)))``)."""


def _window_ok(
    f: FeatureSpec, t_clin: ir.TimestampValue, t_rec: ir.TimestampValue, at: ir.TimestampValue
) -> ir.BooleanValue:
    horizon = at + interval_days(f.lookahead_days) if f.lookahead_days else at
    avail = t_rec if f.time_basis == "recorded" else t_clin
    cond = (avail <= horizon) & (t_clin <= horizon)
    if f.window_days is not None:
        cond = cond & (t_clin >= at - interval_days(f.window_days))
    return cond


def _prefilter(
    feats: list[FeatureSpec], t_clin: ir.TimestampValue, at: ir.TimestampValue
) -> list[ir.BooleanValue]:
    """The loosest time bounds of a family, applied in the join (features narrow them)."""
    ahead = max(f.lookahead_days for f in feats)
    preds = [t_clin <= (at + interval_days(ahead) if ahead else at)]
    if all(f.window_days is not None for f in feats):
        widest = max(f.window_days or 0.0 for f in feats)
        preds.append(t_clin >= at - interval_days(widest))
    return preds


def _join(idx: ir.Table, events: ir.Table, t_clin: str, feats: list[FeatureSpec]) -> ir.Table:
    keys = idx.select(*_INDEX_KEYS)
    return keys.inner_join(
        events,
        [keys.patient_id == events.e_patient, *_prefilter(feats, events[t_clin], keys.index_time)],
    )


def _utilization(idx: ir.Table, tables: dict[str, ir.Table], feats: list[FeatureSpec]) -> Family:
    enc = tables["encounters"].filter(lambda t: t.start_time.notnull())
    events = enc.select(
        e_patient=enc.patient_id,
        e_id=enc.encounter_id,
        e_class=enc.class_code,
        t_clin=enc.start_time,
        t_rec=enc.recorded_time.fill_null(enc.end_time).fill_null(enc.start_time),
    )
    j = _join(idx, events, "t_clin", feats)
    j = j.filter(j.e_id != j.encounter_id)
    aggs: dict[str, Any] = {}
    for f in feats:
        cond = _window_ok(f, j.t_clin, j.t_rec, j.index_time) & j.e_class.isin(f.classes)
        aggs[f.name] = j.e_id.nunique(where=cond).cast("float64")
        aggs[src_column(f.name)] = j.t_rec.max(where=cond)
    return Family(j.group_by("index_id").aggregate(**aggs), {f.name: 0.0 for f in feats})


def _unit_pairs(tables: dict[str, ir.Table], codes: list[str]) -> ir.Table:
    obs = tables["observations"]
    return (
        obs.filter(obs.code.isin(codes), obs.value_num.notnull())
        .select("code", "value_unit")
        .distinct()
    )


def _conversions(pairs: pa.Table) -> pa.Table:
    rows: dict[str, list[Any]] = {"c_code": [], "c_unit": [], "c_scale": [], "c_offset": []}
    for code, unit in zip(pairs["code"].to_pylist(), pairs["value_unit"].to_pylist(), strict=True):
        conv = lab_unit_conversion(code, unit)
        if conv is None:
            continue  # a unit this lab cannot be in: the value is not used
        rows["c_code"].append(code)
        rows["c_unit"].append(unit)
        rows["c_scale"].append(conv.scale)
        rows["c_offset"].append(conv.offset)
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("c_code", pa.string()),
                ("c_unit", pa.string()),
                ("c_scale", pa.float64()),
                ("c_offset", pa.float64()),
            ]
        ),
    )


def _obs_events(tables: dict[str, ir.Table], codes: list[str]) -> ir.Table:
    obs = tables["observations"]
    obs = obs.filter(
        obs.code.isin(codes),
        obs.value_num.notnull(),
        obs.effective_time.notnull(),
        obs.status.isnull() | ~obs.status.isin(["entered-in-error", "cancelled"]),
    )
    return obs.select(
        e_patient=obs.patient_id,
        e_code=obs.code,
        e_unit=obs.value_unit,
        value=obs.value_num,
        low=obs.reference_low,
        high=obs.reference_high,
        interp=obs.interpretation,
        t_clin=obs.effective_time,
        t_rec=obs.recorded_time.fill_null(obs.effective_time),
    )


def _labs(
    idx: ir.Table,
    tables: dict[str, ir.Table],
    feats: list[FeatureSpec],
    lookup: Lookup,
) -> Family:
    codes = sorted({c for f in feats for c in [f.code or "", *f.codes] if c})
    conv = lookup(_unit_pairs(tables, codes), _conversions)
    ev = _obs_events(tables, codes)
    ev = ev.inner_join(conv, [ev.e_code == conv.c_code, ev.e_unit == conv.c_unit])
    ev = ev.mutate(value=ev.value * ev.c_scale + ev.c_offset)
    j = _join(idx, ev, "t_clin", feats)
    aggs: dict[str, Any] = {}
    for f in feats:
        cond = _window_ok(f, j.t_clin, j.t_rec, j.index_time) & j.e_code.isin(
            [f.code or "", *f.codes]
        )
        last = j.value.argmax(j.t_clin, where=cond)
        value = {
            "last": last,
            "mean": j.value.mean(where=cond),
            "min": j.value.min(where=cond),
            "max": j.value.max(where=cond),
            "count": j.value.count(where=cond).cast("float64"),
            "delta": last - j.value.argmin(j.t_clin, where=cond),
        }[f.stat]
        aggs[f.name] = value.cast("float64")
        aggs[src_column(f.name)] = j.t_rec.max(where=cond)
    fills = {f.name: 0.0 for f in feats if f.stat == "count"}
    return Family(j.group_by("index_id").aggregate(**aggs), fills)


def _abnormal(idx: ir.Table, tables: dict[str, ir.Table], f: FeatureSpec) -> Family:
    """Count of the listed labs whose last value in the window is outside its own range."""
    ev = _obs_events(tables, f.codes)
    j = _join(idx, ev, "t_clin", [f])
    j = j.filter(_window_ok(f, j.t_clin, j.t_rec, j.index_time))
    out_of_range = (
        (j.low.notnull() & (j.value < j.low))
        | (j.high.notnull() & (j.value > j.high))
        | (j.low.isnull() & j.high.isnull() & j.interp.isin(_ABNORMAL_FLAGS))
    ).fill_null(False)
    per_lab = j.group_by(["index_id", "e_code"]).aggregate(
        flag=out_of_range.cast("int64").argmax(j.t_clin), src=j.t_rec.max()
    )
    out = per_lab.group_by("index_id").aggregate(
        **{f.name: per_lab.flag.sum().cast("float64"), src_column(f.name): per_lab.src.max()}
    )
    return Family(out, {f.name: 0.0})


def _medications(idx: ir.Table, tables: dict[str, ir.Table], f: FeatureSpec) -> Family:
    med = tables["medications"]
    med = med.filter(
        med.recorded_time.notnull(),
        med.status.isnull() | ~med.status.isin(["entered-in-error", "cancelled"]),
    )
    ev = med.select(
        e_patient=med.patient_id, e_code=med.code, t_clin=med.recorded_time, t_rec=med.recorded_time
    )
    j = _join(idx, ev, "t_clin", [f])
    cond = _window_ok(f, j.t_clin, j.t_rec, j.index_time)
    out = j.group_by("index_id").aggregate(
        **{
            f.name: j.e_code.nunique(where=cond).cast("float64"),
            src_column(f.name): j.t_rec.max(where=cond),
        }
    )
    return Family(out, {f.name: 0.0})


def _condition_codes(tables: dict[str, ir.Table]) -> ir.Table:
    cond = tables["conditions"]
    return cond.filter(cond.code.notnull()).select("code").distinct()


def _code_map(codes: pa.Table) -> pa.Table:
    rows: dict[str, list[str]] = {"m_code": [], "m_index": [], "m_key": []}
    for code in codes["code"].to_pylist():
        for index, key in categories_of(code):
            rows["m_code"].append(code)
            rows["m_index"].append(index)
            rows["m_key"].append(key)
    return pa.table(rows, schema=pa.schema([(k, pa.string()) for k in rows]))


def _comorbidity(
    idx: ir.Table,
    tables: dict[str, ir.Table],
    f: FeatureSpec,
    code_map: ir.Table,
) -> Family:
    index = f.field or "charlson"
    cats = CHARLSON if index == "charlson" else ELIXHAUSER
    cond = tables["conditions"]
    cond = cond.filter(
        cond.code_system.contains("icd-10"),
        cond.verification_status.isnull()
        | ~cond.verification_status.isin(["entered-in-error", "refuted"]),
    )
    m = code_map.filter(code_map.m_index == index)
    ev = cond.inner_join(m, cond.code == m.m_code)
    t_rec = ev.recorded_time.fill_null(ev.onset_time)
    ev = ev.select(
        e_patient=ev.patient_id,
        e_key=ev.m_key,
        t_clin=ev.onset_time.fill_null(ev.recorded_time),
        t_rec=t_rec,
    ).filter(lambda t: t.t_clin.notnull())
    j = _join(idx, ev, "t_clin", [f])
    j = j.filter(_window_ok(f, j.t_clin, j.t_rec, j.index_time))
    flags = j.group_by("index_id").aggregate(
        **{f"has_{c.key}": (j.e_key == c.key).any() for c in cats}, src=j.t_rec.max()
    )
    present = {c.key: flags[f"has_{c.key}"].cast("int64") for c in cats}
    for kept, dropped in HIERARCHY[index]:
        present[dropped] = ibis.ifelse(present[kept] == 1, 0, present[dropped])
    weight = {c.key: (c.weight if index == "charlson" else 1) for c in cats}
    score = sum((present[k] * weight[k] for k in present), ibis.literal(0))
    out = flags.select("index_id", **{f.name: score.cast("float64"), src_column(f.name): flags.src})
    return Family(out, {f.name: 0.0})


def families(
    idx: ir.Table,
    tables: dict[str, ir.Table],
    feats: list[FeatureSpec],
    *,
    memtable: Memtable,
    distinct: Distinct,
    lookup: Lookup | None = None,
) -> list[Family]:
    """The queries of every time-varying feature (stay and demographic ones live on ``idx``).

    The lookup tables (unit conversions, comorbidity categories) are made in Python from the
    codes present, through ``lookup`` (default: ``memtable`` of the rows of ``distinct``).
    """

    def default(query: ir.Table, transform: Callable[[pa.Table], pa.Table]) -> ir.Table:
        return memtable(transform(distinct(query)))

    look = lookup or default
    out: list[Family] = []
    util = [f for f in feats if f.kind == "utilization"]
    if util:
        out.append(_utilization(idx, tables, util))
    labs = [f for f in feats if f.kind == "lab"]
    if labs:
        out.append(_labs(idx, tables, labs, look))
    comorbid = [f for f in feats if f.kind == "comorbidity"]
    if comorbid:
        code_map = look(_condition_codes(tables), _code_map)
        out.extend(_comorbidity(idx, tables, f, code_map) for f in comorbid)
    out.extend(_abnormal(idx, tables, f) for f in feats if f.kind == "abnormal_labs")
    out.extend(_medications(idx, tables, f) for f in feats if f.kind == "medications")
    return out


def stay_columns(idx: ir.Table, feats: list[FeatureSpec]) -> dict[str, Any]:
    """Demographic and stay features, computed on the index table itself.

    Demographics are static attributes (no source time). The stay's length and disposition
    are known when the stay is recorded (at discharge); its admit source and diagnosis group
    from admission on.
    """
    cols: dict[str, Any] = {}
    null_ts = ibis.null().cast("timestamp('UTC')")
    for f in feats:
        if f.kind == "demographic":
            cols[f.name] = idx.age.cast("float64") if f.field == "age" else idx[f.field or "sex"]
            cols[src_column(f.name)] = null_ts
        elif f.kind == "stay":
            if f.field == "los_days":
                secs = idx.discharge_time.epoch_seconds() - idx.admit_time.epoch_seconds()
                cols[f.name] = (secs / 86400.0).cast("float64")
            elif f.field == "disposition":
                cols[f.name] = idx.disposition
            elif f.field == "admit_source":
                cols[f.name] = idx.admit_source
            else:  # diagnosis_group: the ICD-10 category (3 characters) of the stay's reason
                cols[f.name] = idx.reason_code.substr(0, 3)
            known_at_admission = f.field in ("admit_source", "diagnosis_group")
            cols[src_column(f.name)] = (
                idx.admit_time
                if known_at_admission
                else idx.stay_recorded.fill_null(idx.discharge_time)
            )
    return cols
