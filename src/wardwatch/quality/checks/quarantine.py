"""Ingest quarantine as findings: records the feed sent that never reached the lake.

Every quarantined record (malformed JSON, a missing required element, a value of the wrong
type...) is a finding with its reason, field, expected value and source line. The found value
and the raw record are never copied into the report (they may hold identifiers).
"""

from __future__ import annotations

from wardwatch.core.schemas import TABLES
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity
from wardwatch.quality._registry import NoParams, register


@register(
    "quarantine",
    "Records quarantined at ingest (unparseable, structurally invalid) are reported: they "
    "never reached the lake.",
    tables=("quarantine",),
    params=NoParams,
)
def quarantine(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    q = ctx.table("quarantine")
    result = CheckResult("quarantine", "quarantine", Severity.WARN, "ingest quarantine")
    loaded = sum(ctx.rows(t) for t in TABLES)
    n = ctx.rows("quarantine")
    result.checked = loaded + n
    result.failed = n
    if not n:
        return result
    for row in ctx.engine.to_arrow(q.group_by("source_file").aggregate(n=q.count())).to_pylist():
        result.by_source[row["source_file"] or "(unknown)"] = int(row["n"])
    for row in ctx.engine.to_arrow(q.group_by("reason").aggregate(n=q.count())).to_pylist():
        result.by_reason[row["reason"]] = int(row["n"])
    listed = q.select(
        "reason",
        "resource_type",
        "record_id",
        "field",
        "expected",
        "message",
        "source_file",
        "source_line",
    ).order_by(["source_file", "source_line"])
    if ctx.max_findings is not None:
        result.truncated = n > ctx.max_findings
        listed = listed.limit(ctx.max_findings)
    for row in ctx.engine.to_arrow(listed).to_pylist():
        result.findings.append(
            Finding(
                check="quarantine",
                reason=row["reason"],
                severity=result.severity,
                table="quarantine",
                record_id=row["record_id"],
                field=row["field"],
                expected=row["expected"],
                found=None,
                resource_type=row["resource_type"],
                source=row["source_file"],
                line=row["source_line"],
                message=row["message"],
            )
        )
    return result
