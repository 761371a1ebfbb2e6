"""Table profiles, and schema and missingness drift against a saved reference profile.

A *profile* describes the canonical tables as the engine sees them: per table its row count and,
per column, its type, the fraction missing (null, NaN or blank text or empty list), an
approximate distinct count, numeric summaries (min, max, mean, sample standard deviation) for
numbers and the range of times; plus the missing fractions per source file and per site
(patients and encounters by their ``site_id``, observations by their encounter's site, else their
patient's). It is plain JSON (:func:`save_reference` / :func:`load_reference`), so a profile
taken on data a model was trained on can be kept as the reference of later gate runs.

``profile`` (info) reports a table's profile in the check's metrics. ``profile-drift`` (warn)
compares it with the reference: columns that appeared (``column-new``), disappeared
(``column-vanished``) or changed type (``type-changed``), and missing fractions that rose by more
than ``max_missing_increase`` (``missingness-jump``) for the whole table and for each source file
and site present in both profiles with at least ``min_rows`` rows: a feed that stops sending a
field shows there first.
"""

from __future__ import annotations

import copy
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import orjson
from pydantic import Field

from wardwatch.core.schemas import TABLES
from wardwatch.errors import ConfigError
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity
from wardwatch.quality._registry import NoParams, Params, register
from wardwatch.quality._rules import blank, field_path, resource_type

if TYPE_CHECKING:
    import ibis.expr.datatypes as dt
    import ibis.expr.types as ir

__all__ = [
    "PROFILE_VERSION",
    "DriftParams",
    "compute_profile",
    "load_reference",
    "profile_table",
    "profile_tables",
    "save_reference",
]

#: Version of the profile layout; :func:`load_reference` refuses newer ones.
PROFILE_VERSION = 1
_NO_SITE = "(none)"


def profile_tables(ctx: CheckContext) -> dict[str, Any]:
    """The profile of every canonical table (JSON-serialisable).

    ``{"version", "created_at", "engine", "tables": {table: profile_table(...)}}``.
    """
    return {
        "version": PROFILE_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "engine": ctx.engine.name,
        "tables": {name: profile_table(ctx, name) for name in TABLES},
    }


def profile_table(ctx: CheckContext, table: str) -> dict[str, Any]:
    """The profile of one table (computed once per context: ``profile`` and ``profile-drift``
    of one gate run share it; see :func:`compute_profile`)."""
    cache: dict[str, dict[str, Any]] = ctx.cache.setdefault("profiles", {})
    if table not in cache:
        cache[table] = compute_profile(ctx, table)
    return copy.deepcopy(cache[table])


def compute_profile(ctx: CheckContext, table: str) -> dict[str, Any]:
    """The profile of one table.

    ``{"rows", "columns": {name: {"type", "missing", "missing_count", "distinct", and for
    numbers "min", "max", "mean", "std", for times "min", "max"}}, "by_source": {file: {"rows",
    "missing": {column: fraction}}}, "by_site": {...}}``. Fractions are of the rows (None for
    an empty table); ``std`` is the sample standard deviation (None under two values).
    """
    t = ctx.table(table)
    schema = t.schema()
    aggs: dict[str, Any] = {"ww_rows": t.count()}
    for i, (name, dtype) in enumerate(schema.items()):
        col = t[name]
        aggs[f"m{i}"] = _missing(col, dtype).cast("int64").sum()
        if not dtype.is_array():
            aggs[f"d{i}"] = col.approx_nunique()
        if _is_number(dtype):
            num = col.cast("float64")
            if dtype.is_floating():  # NaN counts as missing, not as a number
                num = col.isnan().ifelse(ibis.null("float64"), num)
            aggs[f"lo{i}"] = num.min()
            aggs[f"hi{i}"] = num.max()
            aggs[f"mean{i}"] = num.mean()
            aggs[f"std{i}"] = num.std()
        elif dtype.is_temporal():
            aggs[f"lo{i}"] = col.min()
            aggs[f"hi{i}"] = col.max()
    row = ctx.engine.to_arrow(t.aggregate(**aggs)).to_pylist()[0]
    rows = int(row["ww_rows"] or 0)
    columns: dict[str, dict[str, Any]] = {}
    for i, (name, dtype) in enumerate(schema.items()):
        missing = int(row[f"m{i}"] or 0)
        info: dict[str, Any] = {
            "type": type_name(dtype),
            "missing": missing / rows if rows else None,
            "missing_count": missing,
            "distinct": int(row[f"d{i}"]) if row.get(f"d{i}") is not None else None,
        }
        if _is_number(dtype):
            for key in ("min", "max", "mean", "std"):
                src = {"min": "lo", "max": "hi"}.get(key, key)
                info[key] = _json_number(row[f"{src}{i}"])
        elif dtype.is_temporal():
            info["min"] = _json_time(row[f"lo{i}"])
            info["max"] = _json_time(row[f"hi{i}"])
        columns[name] = info
    out: dict[str, Any] = {"rows": rows, "columns": columns}
    by_site = _with_site(ctx, table, t)
    if "source_file" in schema and by_site is not None and rows:
        # Per source and per site from one pass: counts per (source, site), summed both ways.
        keyed = by_site.mutate(ww_src=by_site.source_file.fill_null("(unknown)"))
        out["by_source"], out["by_site"] = _missing_by_pair(ctx, keyed, schema)
        return out
    if "source_file" in schema:
        keyed = t.mutate(ww_key=t.source_file.fill_null("(unknown)"))
        out["by_source"] = _missing_by(ctx, keyed, schema) if rows else {}
    if by_site is not None:
        out["by_site"] = _missing_by(ctx, by_site, schema) if rows else {}
    return out


def type_name(dtype: dt.DataType) -> str:
    """A column type as profiles name it: Ibis's name without nullability, and ``timestamp``
    for every timestamp (engines differ in precision and in how they show the zone of the
    lake's UTC instants without the data differing)."""
    if dtype.is_timestamp():
        return "timestamp"
    return str(dtype.copy(nullable=True))


def _is_number(dtype: dt.DataType) -> bool:
    return bool(dtype.is_integer() or dtype.is_floating() or dtype.is_decimal())


def _missing(col: ir.Value, dtype: dt.DataType) -> ir.BooleanValue:
    """True where a value is missing: null, NaN, blank text or an empty list."""
    missing = col.isnull()
    if dtype.is_string():
        missing = missing | blank(col)
    elif dtype.is_floating():
        missing = missing | col.isnan()
    elif dtype.is_array():
        missing = missing | (col.length() == 0)
    return missing.fill_null(True)


def _missing_by(ctx: CheckContext, keyed: ir.Table, schema: Any) -> dict[str, dict[str, Any]]:
    """Rows and missing fraction per column for each value of ``keyed.ww_key`` (a source, a
    site)."""
    names = list(schema.items())
    aggs: dict[str, Any] = {"ww_rows": keyed.count()}
    for i, (name, dtype) in enumerate(names):
        aggs[f"m{i}"] = _missing(keyed[name], dtype).cast("int64").sum()
    out: dict[str, dict[str, Any]] = {}
    for row in ctx.engine.to_arrow(keyed.group_by("ww_key").aggregate(**aggs)).to_pylist():
        n = int(row["ww_rows"])
        out[str(row["ww_key"])] = {
            "rows": n,
            "missing": {
                name: int(row[f"m{i}"] or 0) / n if n else None for i, (name, _) in enumerate(names)
            },
        }
    return dict(sorted(out.items()))


def _missing_by_pair(
    ctx: CheckContext, keyed: ir.Table, schema: Any
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """:func:`_missing_by` for ``keyed.ww_src`` and for ``keyed.ww_key`` at once: the rows and
    missing counts of each (source, site) pair, added up per source and per site."""
    names = list(schema.items())
    aggs: dict[str, Any] = {"ww_rows": keyed.count()}
    for i, (name, dtype) in enumerate(names):
        aggs[f"m{i}"] = _missing(keyed[name], dtype).cast("int64").sum()
    sums: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
    pairs = keyed.group_by(["ww_src", "ww_key"]).aggregate(**aggs)
    for row in ctx.engine.to_arrow(pairs).to_pylist():
        counts = [int(row["ww_rows"]), *(int(row[f"m{i}"] or 0) for i in range(len(names)))]
        for out, key in zip(sums, (row["ww_src"], row["ww_key"]), strict=True):
            acc = out.setdefault(str(key), [0] * len(counts))
            for j, c in enumerate(counts):
                acc[j] += c
    by_source, by_site = (
        {
            key: {
                "rows": acc[0],
                "missing": {
                    name: acc[i + 1] / acc[0] if acc[0] else None
                    for i, (name, _) in enumerate(names)
                },
            }
            for key, acc in sorted(out.items())
        }
        for out in sums
    )
    return by_source, by_site


def _with_site(ctx: CheckContext, table: str, t: ir.Table) -> ir.Table | None:
    """``t`` with ``ww_key``, each row's site, for the tables that have one; else None.

    Patients and encounters have ``site_id``; observations take their encounter's site, else
    their patient's.
    """
    if table in ("patients", "encounters"):
        return t.mutate(ww_key=t.site_id.fill_null(_NO_SITE)) if "site_id" in t.columns else None
    if table != "observations" or not {"encounter_id", "patient_id"} <= set(t.columns):
        return None
    enc = ctx.full_table("encounters")
    pat = ctx.full_table("patients")
    if "site_id" not in enc.columns or "site_id" not in pat.columns:
        return None
    enc = enc.group_by(ww_enc_id=enc.encounter_id).aggregate(ww_enc_site=enc.site_id.max())
    pat = pat.group_by(ww_pat_id=pat.patient_id).aggregate(ww_pat_site=pat.site_id.max())
    joined = t.left_join(enc, t.encounter_id == enc.ww_enc_id).left_join(
        pat, t.patient_id == pat.ww_pat_id
    )
    site = ibis.coalesce(joined.ww_enc_site, joined.ww_pat_site, ibis.literal(_NO_SITE))
    return joined.select(*t.columns, ww_key=site).view()


def _json_number(value: Any) -> float | int | str | None:
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else str(x)


def _json_time(value: Any) -> str | None:
    if isinstance(value, datetime):
        # Engines run in UTC; Spark hands back naive datetimes of the same instants.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)


# --------------------------------------------------------------------------- checks


@register(
    "profile",
    "A profile of the table (missing fractions, distinct counts, numeric summaries, per source "
    "and site) in the check's metrics; never fails.",
    tables=tuple(TABLES),
    params=NoParams,
    severity=Severity.INFO,
)
def profile(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    """The table's profile (see :func:`profile_table`) as ``metrics``; no findings."""
    prof = profile_table(ctx, table)
    return CheckResult(
        "profile", table, Severity.INFO, "table profile", checked=prof["rows"], metrics=prof
    )


class DriftParams(Params):
    """Parameters of ``profile-drift``."""

    max_missing_increase: float = Field(0.10, ge=0.0, le=1.0)
    """A missing fraction may rise by this much (absolute) before it is a finding."""
    min_rows: int = Field(20, ge=1)
    """Sources and sites with fewer rows (in either profile) are not compared."""


@register(
    "profile-drift",
    "Columns that appeared, disappeared or changed type, and missing fractions that jumped "
    "(per table, source file and site), against the saved reference profile.",
    tables=tuple(TABLES),
    params=DriftParams,
    severity=Severity.WARN,
)
def profile_drift(ctx: CheckContext, table: str, params: DriftParams) -> CheckResult:
    """Findings ``column-new``, ``column-vanished``, ``type-changed`` and ``missingness-jump``."""
    result = CheckResult("profile-drift", table, Severity.WARN, "drift from the reference profile")
    if ctx.reference is None:
        result.metrics = {"skipped": "no reference profile"}
        return result
    tables = ctx.reference.get("tables")
    if not isinstance(tables, dict):
        result.error = "the reference profile has no tables (not a wardwatch profile)"
        return result
    ref = tables.get(table)
    if not isinstance(ref, dict) or not isinstance(ref.get("columns"), dict):
        result.metrics = {"skipped": "table not in the reference profile"}
        return result
    cur = profile_table(ctx, table)
    add = _Adder(result, table)
    ref_cols: dict[str, Any] = ref["columns"]
    cur_cols: dict[str, Any] = cur["columns"]
    for name, info in cur_cols.items():
        if name not in ref_cols:
            add("column-new", name, "(no such column in the reference)", info["type"])
        elif ref_cols[name].get("type") != info["type"]:
            add("type-changed", name, str(ref_cols[name].get("type")), info["type"])
    for name, info in ref_cols.items():
        if name not in cur_cols:
            add("column-vanished", name, str(info.get("type")), "(missing)")
    common = [n for n in cur_cols if n in ref_cols]
    result.checked = len(cur_cols.keys() | ref_cols.keys())
    for name in common:
        result.checked += 1
        add.jump(name, ref_cols[name].get("missing"), cur_cols[name]["missing"], params, None)
    for group in ("by_source", "by_site"):
        ref_groups = ref.get(group) or {}
        for key, now in (cur.get(group) or {}).items():
            then = ref_groups.get(key)
            if not isinstance(then, dict):
                continue
            if min(int(then.get("rows") or 0), int(now["rows"])) < params.min_rows:
                continue
            for name in common:
                result.checked += 1
                add.jump(
                    name,
                    (then.get("missing") or {}).get(name),
                    now["missing"].get(name),
                    params,
                    (group, key),
                )
    result.metrics = {
        "reference_created_at": ctx.reference.get("created_at"),
        "rows": {"reference": ref.get("rows"), "current": cur["rows"]},
    }
    return result


class _Adder:
    """Adds drift findings to a result."""

    def __init__(self, result: CheckResult, table: str) -> None:
        self.result = result
        self.table = table

    def __call__(
        self,
        reason: str,
        column: str,
        expected: str,
        found: str,
        *,
        source: str | None = None,
        message: str | None = None,
    ) -> None:
        r = self.result
        r.failed += 1
        r.by_reason[reason] = r.by_reason.get(reason, 0) + 1
        if source is not None:
            r.by_source[source] = r.by_source.get(source, 0) + 1
        r.findings.append(
            Finding(
                check="profile-drift",
                reason=reason,
                severity=r.severity,
                table=self.table,
                record_id=None,
                field=field_path(self.table, column),
                expected=expected,
                found=found,
                resource_type=resource_type(self.table),
                source=source,
                message=message,
            )
        )

    def jump(
        self,
        column: str,
        then: Any,
        now: Any,
        params: DriftParams,
        group: tuple[str, str] | None,
    ) -> None:
        """A ``missingness-jump`` finding when ``now`` exceeds ``then`` by the allowed rise."""
        if not isinstance(then, int | float) or not isinstance(now, int | float):
            return
        if now - then <= params.max_missing_increase + 1e-12:
            return
        where = ""
        source = None
        if group is not None:
            kind, key = group
            if kind == "by_source":
                source, where = key, f" in source {key}"
            else:
                where = f" at site {key}"
        self(
            "missingness-jump",
            column,
            f"missing {then:.1%}",
            f"missing {now:.1%}",
            source=source,
            message=f"{field_path(self.table, column)} missing {then:.1%} -> {now:.1%}{where}",
        )


# --------------------------------------------------------------------------- files


def save_reference(profile: dict[str, Any], path: Path | str) -> Path:
    """Write ``profile`` as JSON to ``path`` (folders created); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(orjson.dumps(profile, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return p


def load_reference(path: Path | str) -> dict[str, Any]:
    """Read a profile saved by :func:`save_reference`; ConfigError (one line) when it is not one."""
    p = Path(path)
    hint = "save one with save_reference(profile_tables(ctx), path)"
    try:
        data = orjson.loads(p.read_bytes())
    except OSError as exc:
        raise ConfigError(
            "cannot read reference profile",
            record=str(p),
            found=exc.strerror or str(exc),
            hint=hint,
        ) from None
    except orjson.JSONDecodeError as exc:
        raise ConfigError(
            "reference profile is not valid JSON",
            record=str(p),
            found=str(exc).splitlines()[0],
            hint=hint,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise ConfigError(
            "not a wardwatch profile",
            record=str(p),
            expected="an object with tables",
            found=type(data).__name__ if not isinstance(data, dict) else "no tables",
            hint=hint,
        )
    version = data.get("version")
    if not isinstance(version, int) or version > PROFILE_VERSION:
        raise ConfigError(
            "unsupported profile version",
            record=str(p),
            field="version",
            expected=f"1..{PROFILE_VERSION}",
            found=repr(version),
        )
    return data
