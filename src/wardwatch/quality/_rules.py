"""Row rules: a predicate per row, counted for every rule in one pass and listed with
provenance.

Most checks come down to "these rows of this relation break this rule". A check builds
:class:`RowRule` objects over one relation (a canonical table, possibly joined to another);
:func:`evaluate` counts every rule in a single aggregate over the relation, then fetches the
offending rows (up to the finding limit) only for the rules that fired, with their source file
and line, and counts them per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wardwatch.core.schemas import table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RESOURCE_TYPES", "RowRule", "evaluate", "field_path", "resource_type"]

#: The FHIR resource type most rows of a table come from (claims and other_resources say
#: theirs in a column).
RESOURCE_TYPES: dict[str, str] = {
    "patients": "Patient",
    "encounters": "Encounter",
    "conditions": "Condition",
    "observations": "Observation",
    "medications": "MedicationRequest",
    "procedures": "Procedure",
    "claims": "Claim",
    "documents": "DocumentReference",
    "practitioners": "Practitioner",
    "organizations": "Organization",
    "other_resources": "Resource",
}


def resource_type(table: str) -> str | None:
    """The FHIR resource type of a table's rows (None for the quarantine)."""
    return RESOURCE_TYPES.get(table)


def field_path(table: str, column: str) -> str:
    """A field's path as findings name it: ``<table>.<column>`` of the canonical lake."""
    return f"{table}.{column}"


@dataclass(frozen=True)
class RowRule:
    """One rule over the rows of a relation.

    Args:
        reason: the reason code findings carry (``missing-required``, ``end-before-start``...).
        field: the field path named in findings.
        predicate: true where a row breaks the rule (null counts as not broken).
        found: the value shown as "found" (cast to text); ``None`` shows nothing.
        expected: what the field should hold, in words (or an expression giving it per row).
        related: an expression naming a related record (the original of a duplicate...).
    """

    reason: str
    field: str
    predicate: ir.BooleanValue
    found: ir.Value | None
    expected: str | ir.Value
    related: ir.Value | None = None


def evaluate(
    ctx: CheckContext,
    *,
    check: str,
    table: str,
    description: str,
    relation: ir.Table,
    rules: Sequence[RowRule],
    checked: int | None = None,
    key: str | None = None,
) -> CheckResult:
    """Count and list the rows of ``relation`` that break each rule.

    ``relation`` must have the table's key column (or ``key``), ``source_file`` and
    ``source_line``; ``patient_id`` and ``resource_type`` are used when present. A row that
    breaks several rules counts once per rule. ``checked`` defaults to the relation's row
    count.
    """
    result = CheckResult(check, table, Severity.ERROR, description)
    key = key or table_spec(table).key
    if not rules:
        result.checked = checked if checked is not None else _count(ctx, relation)
        return result
    aggs: dict[str, Any] = {"__n": relation.count()}
    for i, rule in enumerate(rules):
        aggs[f"r{i}"] = rule.predicate.fill_null(False).cast("int64").sum()
    counts = ctx.engine.to_arrow(relation.aggregate(**aggs)).to_pylist()[0]
    result.checked = checked if checked is not None else int(counts["__n"] or 0)
    cols = set(relation.columns)
    for i, rule in enumerate(rules):
        n = int(counts[f"r{i}"] or 0)
        if not n:
            continue
        result.failed += n
        result.by_reason[rule.reason] = result.by_reason.get(rule.reason, 0) + n
        bad = relation.filter(rule.predicate.fill_null(False))
        for row in ctx.engine.to_arrow(
            bad.group_by("source_file").aggregate(n=bad.count())
        ).to_pylist():
            src = row["source_file"] or "(unknown)"
            result.by_source[src] = result.by_source.get(src, 0) + int(row["n"])
        limit = ctx.max_findings
        if limit is not None and len(result.findings) >= limit:
            result.truncated = True
            continue
        sel: dict[str, Any] = {
            "record_id": bad[key].cast("string"),
            "source_file": bad.source_file,
            "source_line": bad.source_line,
            "patient_id": bad.patient_id.cast("string")
            if "patient_id" in cols
            else ibis.null("string"),
            "resource_type": bad.resource_type
            if "resource_type" in cols
            else ibis.literal(resource_type(table) or table),
            "found": rule.found.cast("string") if rule.found is not None else ibis.null("string"),
            "expected": ibis.literal(rule.expected)
            if isinstance(rule.expected, str)
            else rule.expected.cast("string"),
            "related": rule.related.cast("string")
            if rule.related is not None
            else ibis.null("string"),
        }
        listed = bad.select(**sel).order_by(["source_file", "source_line", "record_id"])
        room = None if limit is None else limit - len(result.findings)
        if room is not None:
            listed = listed.limit(room)
            if n > room:
                result.truncated = True
        for row in ctx.engine.to_arrow(listed).to_pylist():
            result.findings.append(
                Finding(
                    check=check,
                    reason=rule.reason,
                    severity=result.severity,
                    table=table,
                    record_id=row["record_id"],
                    field=rule.field,
                    expected=row["expected"],
                    found=row["found"],
                    resource_type=row["resource_type"],
                    patient_id=row["patient_id"],
                    source=row["source_file"],
                    line=row["source_line"],
                    related_id=row["related"],
                )
            )
    return result


def _count(ctx: CheckContext, relation: ir.Table) -> int:
    return int(ctx.engine.scalar(relation.count()))
