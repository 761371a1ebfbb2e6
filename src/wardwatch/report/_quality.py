"""The data-quality gate's report as one self-contained HTML page, for a data steward.

The page reads top to bottom in the order a steward asks: did the data pass (the verdict,
big, in colour and in words), what was checked (contract, engine, as-of, run time), how much
failed (summary tiles), which checks failed (the check table, failed ones first), where
(counts per table and per source), which records (one findings table per failing check,
with a note when only the first findings are listed), and finally the profiles.

It takes :meth:`wardwatch.quality.QualityReport.to_dict` output (identifying values already
masked) rather than the report object, so ``report`` stays independent of ``quality``.
A finding's ``patient_id`` and free-text ``message`` are deliberately not shown: the page is
made to be attached to tickets, and the fields it does show are enough to find the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import markupsafe

from wardwatch.report._base import EMPTY, fmt_number, fmt_rate, fmt_value, render, table_rows

__all__ = ["render_quality_html"]

_VERDICTS: dict[str, tuple[str, str, str]] = {
    # verdict: (label, symbol, what it means)
    "pass": ("PASS", "✓", "No check failed beyond its tolerance: the data may go on."),
    "warn": ("WARN", "!", "Some checks failed at warning level: the data may go on; look at them."),
    "fail": ("FAIL", "✕", "Checks failed at a blocking severity: the data must not go on."),
}
_SEVERITY_RANK = {"info": 0, "warn": 1, "error": 2}
_STATUS_ORDER = {"errored": 0, "failed": 1, "passed": 2}
FINDING_COLUMNS = (
    "reason",
    "resource type",
    "record id",
    "field",
    "expected",
    "found",
    "source:line",
    "related id",
    "score",
)


@dataclass(frozen=True, slots=True)
class _CheckRow:
    check: str
    table: str
    severity: str
    checked: str
    failed: str
    rate: str
    max_rate: str
    status: str
    description: str
    error: str | None
    anchor: str | None


@dataclass(frozen=True, slots=True)
class _FindingsBlock:
    anchor: str
    check: str
    table: str
    severity: str
    status: str
    description: str
    shown: int
    total: int
    truncated: bool
    reasons: list[tuple[str, str]]
    rows: markupsafe.Markup
    """The findings' table rows, every cell escaped (see :func:`table_rows`)."""


@dataclass(frozen=True, slots=True)
class _MetricsTable:
    title: str | None
    columns: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class _MetricsBlock:
    check: str
    table: str
    tables: list[_MetricsTable]


def _status(result: Mapping[str, Any]) -> str:
    if result.get("error"):
        return "errored"
    return "passed" if result.get("passed") else "failed"


def _source_line(finding: Mapping[str, Any]) -> str:
    source, line = finding.get("source"), finding.get("line")
    if source and line is not None:
        return f"{source}:{line}"
    if source:
        return str(source)
    return f"line {line}" if line is not None else EMPTY


def _score(value: Any) -> str:
    return EMPTY if value is None else f"{float(value):.3f}"


def _finding_row(f: Mapping[str, Any]) -> tuple[str, ...]:
    # Same order as FINDING_COLUMNS.
    return (
        fmt_value(f.get("reason")),
        fmt_value(f.get("resource_type")),
        fmt_value(f.get("record_id")),
        fmt_value(f.get("field")),
        fmt_value(f.get("expected")),
        fmt_value(f.get("found")),
        _source_line(f),
        fmt_value(f.get("related_id")),
        _score(f.get("score")),
    )


def _ordered(results: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Errored and failed checks first, then the worst severity; otherwise contract order."""
    return sorted(
        results,
        key=lambda r: (
            _STATUS_ORDER[_status(r)],
            -_SEVERITY_RANK.get(str(r.get("severity")), 0),
        ),
    )


def _is_table(value: Any) -> bool:
    """A mapping of mappings (``column -> {statistic: value}``) reads best as one table."""
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(v, Mapping) for v in value.values())
    )


def _metrics_tables(metrics: Mapping[str, Any]) -> list[_MetricsTable]:
    """Lay out a check's metrics: nested mappings as tables, everything else as key/value."""
    tables: list[_MetricsTable] = []
    scalars: list[tuple[str, list[str]]] = []
    for key, value in metrics.items():
        if _is_table(value):
            columns: list[str] = []
            for stats in value.values():
                columns.extend(str(c) for c in stats if str(c) not in columns)
            rows = [
                (str(name), [fmt_value(stats.get(c)) for c in columns])
                for name, stats in value.items()
            ]
            tables.append(_MetricsTable(str(key), columns, rows))
        elif isinstance(value, Mapping) and value:
            rows = [(str(k), [fmt_value(v)]) for k, v in value.items()]
            tables.append(_MetricsTable(str(key), ["value"], rows))
        else:
            scalars.append((str(key), [fmt_value(value)]))
    if scalars:
        tables.insert(0, _MetricsTable(None, ["value"], scalars))
    return tables


def _counts_rows(
    counts: Mapping[str, Any], names: Sequence[str], rows: Mapping[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """``(name, rows, failed)`` for every name counted or listed, most failures first."""
    every = list(dict.fromkeys([*names, *counts]))
    every.sort(key=lambda n: (-int(counts.get(n, 0) or 0), n))
    return [
        (
            n,
            fmt_number(rows.get(n)) if rows is not None else "",
            fmt_number(int(counts.get(n, 0) or 0)),
        )
        for n in every
    ]


def quality_view(report: Mapping[str, Any]) -> dict[str, Any]:
    """The template's context: every value pre-formatted as text, in display order."""
    results = list(report.get("results") or [])
    ordered = _ordered(results)
    check_rows: list[_CheckRow] = []
    findings: list[_FindingsBlock] = []
    metrics: list[_MetricsBlock] = []
    for i, r in enumerate(ordered):
        status = _status(r)
        listed = list(r.get("findings") or [])
        anchor = f"findings-{i}" if listed else None
        check, table = str(r.get("check", "")), str(r.get("table", ""))
        check_rows.append(
            _CheckRow(
                check=check,
                table=table,
                severity=str(r.get("severity", "")),
                # a check that could not run has no counts worth showing
                checked=EMPTY if status == "errored" else fmt_number(r.get("checked")),
                failed=EMPTY if status == "errored" else fmt_number(r.get("failed")),
                rate=EMPTY if status == "errored" else fmt_rate(r.get("rate")),
                max_rate=fmt_rate(r.get("max_rate")),
                status=status,
                description=str(r.get("description") or ""),
                error=str(r["error"]) if r.get("error") else None,
                anchor=anchor,
            )
        )
        if anchor is not None:
            total = int(r.get("failed") or 0)
            reasons = r.get("by_reason") or {}
            findings.append(
                _FindingsBlock(
                    anchor=anchor,
                    check=check,
                    table=table,
                    severity=str(r.get("severity", "")),
                    status=status,
                    description=str(r.get("description") or ""),
                    shown=len(listed),
                    total=max(total, len(listed)),
                    truncated=bool(r.get("truncated")) or total > len(listed),
                    reasons=[
                        (str(k), fmt_number(v))
                        for k, v in sorted(reasons.items(), key=lambda kv: (-int(kv[1]), kv[0]))
                    ],
                    rows=table_rows(_finding_row(f) for f in listed),
                )
            )
        if r.get("metrics"):
            metrics.append(_MetricsBlock(check, table, _metrics_tables(r["metrics"])))

    verdict = str(report.get("verdict", "")).lower()
    label, symbol, meaning = _VERDICTS.get(
        verdict, (verdict.upper() or "UNKNOWN", "?", "The gate gave no known verdict.")
    )
    summary = report.get("summary") or {}
    counts = report.get("counts") or {}
    policy = report.get("policy") or {}
    return {
        "verdict": verdict if verdict in _VERDICTS else "fail",
        "verdict_label": label,
        "verdict_symbol": symbol,
        "verdict_meaning": meaning,
        "contract": str(report.get("contract") or EMPTY),
        "engine": str(report.get("engine") or EMPTY),
        "as_of": str(report.get("as_of") or EMPTY),
        "started_at": str(report.get("started_at") or EMPTY),
        "seconds": report.get("seconds"),
        "policy": [(str(k), fmt_value(v)) for k, v in policy.items()],
        "summary": {
            "checks_run": fmt_number(summary.get("checks_run", len(results))),
            "checks_failed": fmt_number(summary.get("checks_failed", 0)),
            "checks_errored": fmt_number(summary.get("checks_errored", 0)),
            "findings": fmt_number(summary.get("findings", 0)),
        },
        "failed_by_severity": [
            (str(k), fmt_number(v)) for k, v in (summary.get("failed_by_severity") or {}).items()
        ],
        "checks": check_rows,
        "by_table": _counts_rows(
            counts.get("by_table") or {}, list(report.get("rows") or {}), report.get("rows") or {}
        ),
        "by_source": _counts_rows(counts.get("by_source") or {}, list(report.get("sources") or [])),
        "findings": findings,
        "finding_columns": FINDING_COLUMNS,
        "metrics": metrics,
    }


def render_quality_html(report: Mapping[str, Any]) -> str:
    """The gate's report as a self-contained HTML page (no scripts, no external assets).

    ``report`` is :meth:`wardwatch.quality.QualityReport.to_dict` output. Every value is
    escaped, so a finding whose ``found`` is ``<script>`` shows that text and runs nothing.
    """
    return render("quality.html.j2", **quality_view(report))
