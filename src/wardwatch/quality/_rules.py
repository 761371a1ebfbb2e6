"""Row rules: a predicate per row, counted for every rule in one pass and listed with
provenance.

Most checks come down to "these rows of this relation break this rule". A check builds
:class:`RowRule` objects over one relation (a canonical table, possibly joined to another);
:func:`evaluate` counts every rule in a single aggregate over the relation; when a rule fired,
a second pass keeps the offending rows in the engine, from which they are counted per source and
listed (up to the finding limit) with their source file and line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis

from wardwatch.core.schemas import table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["RESOURCE_TYPES", "RowRule", "blank", "evaluate", "field_path", "resource_type"]

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


def blank(text: ir.StringValue) -> ir.BooleanValue:
    """True where a text is empty or whitespace only (what ``strip`` removes); false for null
    (callers that count null as missing test it themselves).

    ``strip`` with its set of whitespace characters costs per character, and ids are long; a
    blank text starts with a byte below ``"!"`` (every character ``strip`` removes is one, and
    strings compare bytewise on both engines), so only those rows are stripped: a CASE
    evaluates its branch for the rows it selects.
    """
    return ibis.cases((text < "!", text.strip() == ""), else_=False)


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
    extra: Mapping[str, ir.Scalar] | None = None,
) -> CheckResult:
    """Count and list the rows of ``relation`` that break each rule.

    ``relation`` is built on ``ctx.table(table)`` (filtered, joined to other tables), so it has
    no row when that table has none (then nothing is read). It must have the table's key column
    (or ``key``), ``source_file`` and ``source_line``; ``patient_id`` and ``resource_type`` are
    used when present. A row that breaks several rules counts once per rule. ``checked``
    defaults to the relation's row count. ``extra`` aggregates over ``relation`` are computed
    in the same pass as the counts and returned in the result's ``metrics`` under their names.

    The relation is read once to count; when a rule fired, once more to keep the offending
    rows (up to :data:`HELD_ROWS`; see :meth:`Engine.held`), from which the counts per source
    and the listings are taken without going back to the relation.
    """
    result = CheckResult(check, table, Severity.ERROR, description)
    key = key or table_spec(table).key
    if not extra and not ctx.rows(table):
        result.checked = checked if checked is not None else 0
        return result
    if not rules and not extra:
        result.checked = checked if checked is not None else _count(ctx, relation)
        return result
    aggs: dict[str, Any] = {"__n": relation.count()}
    for i, rule in enumerate(rules):
        aggs[f"r{i}"] = rule.predicate.fill_null(False).cast("int64").sum()
    for name, agg in (extra or {}).items():
        aggs[f"x_{name}"] = agg
    counts = ctx.engine.to_arrow(relation.aggregate(**aggs)).to_pylist()[0]
    result.checked = checked if checked is not None else int(counts["__n"] or 0)
    result.metrics = {name: counts[f"x_{name}"] for name in extra or {}}
    fired = [(rule, int(counts[f"r{i}"] or 0)) for i, rule in enumerate(rules)]
    fired = [(rule, n) for rule, n in fired if n]
    if not fired:
        return result
    # How many rows each fired rule lists: every rule is counted, the listing stops at the
    # finding limit (the aggregate's count is the number of rows the rule's filter returns).
    limit = ctx.max_findings
    listed: list[int] = []
    for rule, n in fired:
        result.failed += n
        result.by_reason[rule.reason] = result.by_reason.get(rule.reason, 0) + n
        room = n if limit is None else max(0, min(n, limit - sum(listed)))
        if room < n:
            result.truncated = True
        listed.append(room)
    total = sum(n for _, n in fired)
    if total <= HELD_ROWS:
        _from_held(ctx, result, relation, fired, listed, table, key)
    else:
        _from_relation(ctx, result, relation, fired, listed, table, key)
    return result


#: Most offending rows (summed over the fired rules) kept by the engine for the counts per
#: source and the listings; beyond it (a column missing from a whole feed) each listing reads
#: the relation again instead of holding millions of rows.
HELD_ROWS = 500_000


def _shown(relation: ir.Table, table: str, key: str) -> dict[str, ir.Value]:
    """What every finding shows of its row (record, provenance, patient, resource type)."""
    cols = set(relation.columns)
    return {
        "record_id": relation[key].cast("string"),
        "source_file": relation.source_file,
        "source_line": relation.source_line,
        "patient_id": relation.patient_id.cast("string")
        if "patient_id" in cols
        else ibis.null("string"),
        "resource_type": relation.resource_type
        if "resource_type" in cols
        else ibis.literal(resource_type(table) or table),
    }


def _per_rule(rule: RowRule, j: int) -> dict[str, ir.Value]:
    """A fired rule's flag and the values its findings show, as columns ``__*<j>``."""
    out: dict[str, ir.Value] = {f"__f{j}": rule.predicate.fill_null(False)}
    if rule.found is not None:
        out[f"__found{j}"] = rule.found.cast("string")
    if not isinstance(rule.expected, str):
        out[f"__expected{j}"] = rule.expected.cast("string")
    if rule.related is not None:
        out[f"__related{j}"] = rule.related.cast("string")
    return out


def _from_held(
    ctx: CheckContext,
    result: CheckResult,
    relation: ir.Table,
    fired: list[tuple[RowRule, int]],
    listed: list[int],
    table: str,
    key: str,
) -> None:
    """Counts per source and listings from the offending rows, kept by the engine."""
    sel = _shown(relation, table, key)
    for j, (rule, _) in enumerate(fired):
        sel.update(_per_rule(rule, j))
    anyone = ibis.or_(*(rule.predicate.fill_null(False) for rule, _ in fired))
    with ctx.engine.held(relation.filter(anyone).select(**sel)) as bad:
        per = {f"n{j}": bad[f"__f{j}"].cast("int64").sum() for j in range(len(fired))}
        by_source = ctx.engine.to_arrow(bad.group_by("source_file").aggregate(**per)).to_pylist()
        for j in range(len(fired)):
            for row in by_source:
                _add_source(result, row["source_file"], row[f"n{j}"])
        for j, (rule, _) in enumerate(fired):
            if not listed[j]:
                continue
            rows = bad.filter(bad[f"__f{j}"])
            _list(ctx, result, rule, rows, _columns(rows, rule, j), listed[j], table)


def _from_relation(
    ctx: CheckContext,
    result: CheckResult,
    relation: ir.Table,
    fired: list[tuple[RowRule, int]],
    listed: list[int],
    table: str,
    key: str,
) -> None:
    """Counts per source in one pass over the relation, then one listing query per rule."""
    per = {
        f"n{j}": rule.predicate.fill_null(False).cast("int64").sum()
        for j, (rule, _) in enumerate(fired)
    }
    by_source = ctx.engine.to_arrow(relation.group_by("source_file").aggregate(**per)).to_pylist()
    for j in range(len(fired)):
        for row in by_source:
            _add_source(result, row["source_file"], row[f"n{j}"])
    for j, (rule, _) in enumerate(fired):
        if not listed[j]:
            continue
        rows = relation.filter(rule.predicate.fill_null(False))
        rows = rows.select(**_shown(rows, table, key), **_per_rule(rule, j))
        _list(ctx, result, rule, rows, _columns(rows, rule, j), listed[j], table)


def _add_source(result: CheckResult, source: str | None, n: int | None) -> None:
    if n:
        src = source or "(unknown)"
        result.by_source[src] = result.by_source.get(src, 0) + int(n)


def _columns(rows: ir.Table, rule: RowRule, j: int) -> dict[str, ir.Value]:
    """The listing's columns of rule ``j`` over rows that carry ``_shown`` and ``_per_rule``."""
    return {
        "record_id": rows.record_id,
        "source_file": rows.source_file,
        "source_line": rows.source_line,
        "patient_id": rows.patient_id,
        "resource_type": rows.resource_type,
        "found": rows[f"__found{j}"] if rule.found is not None else ibis.null("string"),
        "expected": rows[f"__expected{j}"]
        if not isinstance(rule.expected, str)
        else ibis.null("string"),
        "related": rows[f"__related{j}"] if rule.related is not None else ibis.null("string"),
    }


def _list(
    ctx: CheckContext,
    result: CheckResult,
    rule: RowRule,
    rows: ir.Table,
    columns: dict[str, ir.Value],
    room: int,
    table: str,
) -> None:
    """Append the first ``room`` offending rows of ``rule`` (by source file, line, record)."""
    query = rows.select(**columns).order_by(["source_file", "source_line", "record_id"])
    query = query.limit(room)
    for row in ctx.engine.to_arrow(query).to_pylist():
        result.findings.append(
            Finding(
                check=result.check,
                reason=rule.reason,
                severity=result.severity,
                table=table,
                record_id=row["record_id"],
                field=rule.field,
                expected=rule.expected if isinstance(rule.expected, str) else row["expected"],
                found=row["found"],
                resource_type=row["resource_type"],
                patient_id=row["patient_id"],
                source=row["source_file"],
                line=row["source_line"],
                related_id=row["related"],
            )
        )


def _count(ctx: CheckContext, relation: ir.Table) -> int:
    return int(ctx.engine.scalar(relation.count()))
