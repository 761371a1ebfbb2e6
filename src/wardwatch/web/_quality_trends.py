"""The data-quality page's views across runs: schema drift and missingness trends.

Both read the runs' per-check results (see :mod:`wardwatch.web._quality_data`): the column
differences the ``schema`` and ``profile-drift`` checks report, the column types and missing
fractions the ``profile`` check records. Runs without results (old or hand-written reports)
and unreadable ones are left out; only the newest ``MAX_TREND_RUNS`` runs are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from wardwatch.web._quality_data import EPOCH, CheckRow, Run, number

__all__ = [
    "MAX_TREND_RUNS",
    "MissingSeries",
    "Missingness",
    "SchemaChange",
    "SchemaRun",
    "missingness",
    "schema_drift",
]

MAX_TREND_RUNS = 12
"""Runs shown in the schema and missingness trends (the newest ones)."""
_SCHEMA_REASONS = frozenset(
    {"column-missing", "column-extra", "type-changed", "column-new", "column-vanished"}
)


def _trend_runs(runs: list[Run]) -> list[Run]:
    return [r for r in runs if r.problem is None and r.results][-MAX_TREND_RUNS:]


@dataclass(frozen=True)
class SchemaRun:
    """The schema check in one run: tables it compared with the canonical schema, tables
    whose columns differ, and the differences it found."""

    run: Run
    tables: int
    failing: int
    differences: int


@dataclass(frozen=True)
class SchemaChange:
    """One column difference, as a check reported it: ``schema`` against the canonical
    schema (column-missing, column-extra, type-changed), ``profile-drift`` against the saved
    reference profile (column-new, column-vanished, type-changed), or ``profile`` between a
    run and the previous run that profiled the table (column-added, column-removed,
    type-changed)."""

    run: Run
    check: str
    table: str
    column: str
    change: str
    expected: str | None
    found: str | None


def _column_types(run: Run) -> dict[str, dict[str, str]]:
    """Column types per table from the run's ``profile`` results."""
    out: dict[str, dict[str, str]] = {}
    for r in run.results:
        metrics = r.get("metrics")
        if r["check"] != "profile" or not isinstance(metrics, dict):
            continue
        cols = metrics.get("columns")
        if isinstance(cols, dict):
            out[r["table"]] = {str(c): str(i.get("type")) for c, i in cols.items()
                               if isinstance(i, dict)}  # fmt: skip
    return out


def schema_drift(runs: list[Run]) -> tuple[list[SchemaRun], list[SchemaChange]]:
    """The schema check's outcome per run (newest first) and every column difference the
    checks reported or the runs' profiles show, newest run first."""
    summaries: list[SchemaRun] = []
    changes: list[SchemaChange] = []
    previous: dict[str, dict[str, str]] = {}
    for run in _trend_runs(runs):
        schema = [r for r in run.results if r["check"] == "schema"]
        if schema:
            rows = [CheckRow.of(r) for r in schema]
            summaries.append(SchemaRun(run, len(rows), sum(1 for r in rows if r.failed),
                                       sum(r.failed for r in rows)))  # fmt: skip
        for r in run.results:
            if r["check"] not in ("schema", "profile-drift"):
                continue
            for f in r.get("findings") or []:
                if isinstance(f, dict) and f.get("reason") in _SCHEMA_REASONS:
                    column = str(f.get("field") or "").rsplit(".", 1)[-1]
                    changes.append(SchemaChange(run, r["check"], r["table"], column,
                                                str(f["reason"]), f.get("expected"),
                                                f.get("found")))  # fmt: skip
        current = _column_types(run)
        for table, cols in current.items():
            before = previous.get(table)
            if before is None:
                continue
            for col in sorted(cols.keys() - before.keys()):
                changes.append(SchemaChange(run, "profile", table, col, "column-added",
                                            None, cols[col]))  # fmt: skip
            for col in sorted(before.keys() - cols.keys()):
                changes.append(SchemaChange(run, "profile", table, col, "column-removed",
                                            before[col], None))  # fmt: skip
            for col in sorted(cols.keys() & before.keys()):
                if cols[col] != before[col]:
                    changes.append(SchemaChange(run, "profile", table, col, "type-changed",
                                                before[col], cols[col]))  # fmt: skip
        previous.update(current)
    summaries.reverse()
    changes.sort(key=lambda c: (c.run.started_at or EPOCH, c.run.name), reverse=True)
    return summaries, changes


@dataclass(frozen=True)
class MissingSeries:
    """The missing fraction of one ``table.column`` per run (None where the run did not
    profile it); missing means null, NaN, blank text or an empty list."""

    column: str
    values: list[float | None]

    @property
    def peak(self) -> float:
        return max((v for v in self.values if v is not None), default=0.0)

    @property
    def spread(self) -> float:
        """How much the fraction moved across the runs (max - min): 0 for a steady column."""
        seen = [v for v in self.values if v is not None]
        return max(seen) - min(seen) if seen else 0.0


@dataclass(frozen=True)
class Missingness:
    """Missing fractions across the runs that profiled the tables (oldest first), for every
    column missing something in at least one run, most changed first."""

    runs: list[Run]
    series: list[MissingSeries]

    def top(self, n: int) -> list[MissingSeries]:
        """The ``n`` columns that moved most (else the most missing)."""
        return self.series[:n]


def missingness(runs: list[Run]) -> Missingness:
    """Per ``table.column`` missing fraction across the newest runs with a ``profile``."""
    per_run: list[tuple[Run, dict[str, float]]] = []
    for run in _trend_runs(runs):
        fractions: dict[str, float] = {}
        for r in run.results:
            metrics = r.get("metrics")
            if r["check"] != "profile" or not isinstance(metrics, dict):
                continue
            cols = metrics.get("columns")
            for col, info in cols.items() if isinstance(cols, dict) else ():
                value = number(info.get("missing")) if isinstance(info, dict) else None
                if value is not None:
                    fractions[f"{r['table']}.{col}"] = value
        if fractions:
            per_run.append((run, fractions))
    names = sorted({c for _, fr in per_run for c, v in fr.items() if v > 0})
    series = [MissingSeries(c, [fr.get(c) for _, fr in per_run]) for c in names]
    series.sort(key=lambda s: (-s.spread, -s.peak, s.column))
    return Missingness([run for run, _ in per_run], series)
