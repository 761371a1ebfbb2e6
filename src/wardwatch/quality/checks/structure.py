"""Structure: schema and types, required fields, allowed values, unique keys."""

from __future__ import annotations

from pydantic import Field

from wardwatch.core.schemas import TABLES, arrow_schema, table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity
from wardwatch.quality._registry import NoParams, Params, register
from wardwatch.quality._rules import RowRule, blank, evaluate, field_path, resource_type

__all__ = ["ALLOWED_VALUES"]

_CLINICAL = tuple(TABLES)

#: Required-binding value sets of FHIR R4 (and the canonical columns that hold them).
ALLOWED_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "patients": {"sex": ("male", "female", "other", "unknown")},
    "encounters": {
        "status": (
            "planned",
            "arrived",
            "triaged",
            "in-progress",
            "onleave",
            "finished",
            "cancelled",
            "entered-in-error",
            "unknown",
        ),
    },
    "conditions": {
        "clinical_status": (
            "active",
            "recurrence",
            "relapse",
            "inactive",
            "remission",
            "resolved",
        ),
        "verification_status": (
            "unconfirmed",
            "provisional",
            "differential",
            "confirmed",
            "refuted",
            "entered-in-error",
        ),
    },
    "observations": {
        "status": (
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        ),
    },
    "medications": {
        "status": (
            "active",
            "on-hold",
            "cancelled",
            "completed",
            "entered-in-error",
            "stopped",
            "draft",
            "unknown",
        ),
        "intent": (
            "proposal",
            "plan",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        ),
    },
    "procedures": {
        "status": (
            "preparation",
            "in-progress",
            "not-done",
            "on-hold",
            "stopped",
            "completed",
            "entered-in-error",
            "unknown",
        ),
    },
    "claims": {
        "status": ("active", "cancelled", "draft", "entered-in-error"),
    },
    "documents": {"status": ("current", "superseded", "entered-in-error")},
}


@register(
    "schema",
    "The table's columns and types match the canonical schema (no missing, extra or retyped "
    "columns).",
    tables=_CLINICAL,
    params=NoParams,
)
def schema(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    """Compare the engine's view of the table with the canonical Arrow schema."""
    result = CheckResult("schema", table, Severity.ERROR, "schema")
    expected = arrow_schema(table)
    found = ctx.table(table).schema().to_pyarrow()
    result.checked = len(expected)
    exp = {f.name: f.type for f in expected}
    got = {f.name: f.type for f in found}
    for name, typ in exp.items():
        if name not in got:
            _schema_finding(result, table, name, str(typ), "(missing)", "column-missing")
        elif not _same_type(typ, got[name]):
            _schema_finding(result, table, name, str(typ), str(got[name]), "type-changed")
    for name in got.keys() - exp.keys():
        _schema_finding(result, table, name, "(no such column)", str(got[name]), "column-extra")
    return result


def _same_type(expected: object, found: object) -> bool:
    import pyarrow as pa

    assert isinstance(expected, pa.DataType)
    assert isinstance(found, pa.DataType)
    if pa.types.is_timestamp(expected) and pa.types.is_timestamp(found):
        return True  # engines differ in timestamp unit/zone; values are compared as instants
    if pa.types.is_string(expected) and (
        pa.types.is_large_string(found) or pa.types.is_string(found)
    ):
        return True
    if pa.types.is_list(expected) and (pa.types.is_list(found) or pa.types.is_large_list(found)):
        return True
    return bool(expected.equals(found))


def _schema_finding(
    result: CheckResult, table: str, column: str, expected: str, found: str, reason: str
) -> None:
    result.failed += 1
    result.by_reason[reason] = result.by_reason.get(reason, 0) + 1
    result.findings.append(
        Finding(
            check="schema",
            reason=reason,
            severity=result.severity,
            table=table,
            record_id=None,
            field=field_path(table, column),
            expected=expected,
            found=found,
            resource_type=resource_type(table),
        )
    )


@register(
    "required",
    "Fields the canonical schema requires are present (not null, not blank).",
    tables=_CLINICAL,
    params=NoParams,
)
def required(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    t = ctx.table(table)
    spec = table_spec(table)
    rules = []
    for col in spec.columns:
        if not col.required or col.name not in t.columns:
            continue
        c = t[col.name]
        missing = c.isnull()
        if col.kind == "str":
            missing = missing | blank(c)
        rules.append(
            RowRule(
                "missing-required",
                field_path(table, col.name),
                missing,
                None,
                f"a {col.kind} value",
            )
        )
    return evaluate(
        ctx, check="required", table=table, description="required fields", relation=t, rules=rules
    )


class AllowedParams(Params):
    """Extra allowed values per column, on top of the FHIR value sets."""

    extra: dict[str, list[str]] = Field(default_factory=dict)


@register(
    "allowed-values",
    "Coded fields with a required FHIR binding hold a value of their value set.",
    tables=tuple(ALLOWED_VALUES),
    params=AllowedParams,
)
def allowed_values(ctx: CheckContext, table: str, params: AllowedParams) -> CheckResult:
    t = ctx.table(table)
    rules = []
    for column, allowed in ALLOWED_VALUES.get(table, {}).items():
        values = (*allowed, *params.extra.get(column, ()))
        c = t[column]
        rules.append(
            RowRule(
                "invalid-value",
                field_path(table, column),
                c.notnull() & ~c.isin(values),
                c,
                "one of " + ", ".join(values),
            )
        )
    return evaluate(
        ctx,
        check="allowed-values",
        table=table,
        description="allowed values",
        relation=t,
        rules=rules,
    )


@register(
    "unique-keys",
    "Each table's key (resource id) is unique: one id, one content. The same record re-sent "
    "unchanged by several sources (a practitioner in every patient bundle) is not a conflict.",
    tables=_CLINICAL,
    params=NoParams,
)
def unique_keys(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    t = ctx.table(table)
    key = table_spec(table).key
    # One pass over the key alone: most tables have no repeated id, and then nothing more is
    # read. Otherwise only the rows of repeated ids are compared column by column. A null id is
    # never reported (the join on the id does not match it), so nulls alone are no repeat.
    content = [c.name for c in table_spec(table).columns]
    t.select(*content)  # a column the lake lacks fails here, whatever the rows
    repeated = t.group_by(__id=t[key]).aggregate(__n=t.count())
    repeated = repeated.filter(repeated.__n > 1)
    if not ctx.rows(table) or not ctx.engine.scalar(
        repeated.filter(repeated.__id.notnull()).count()
    ):
        return CheckResult(
            "unique-keys", table, Severity.ERROR, "unique keys", checked=ctx.rows(table)
        )
    t = t.semi_join(repeated, t[key] == repeated.__id)
    versions = t.select(*content).distinct()
    conflicts = versions.group_by(key).aggregate(__versions=versions.count())
    conflicts = conflicts.filter(conflicts.__versions > 1)
    # The rows of repeated ids are few: kept, so that counting and listing them does not
    # compare the table's rows again.
    with ctx.engine.held(t.inner_join(conflicts, key).select(*t.columns, "__versions")) as dup:
        rule = RowRule(
            "duplicate-key",
            field_path(table, key),
            dup.__versions > 1,
            dup.__versions.cast("string") + " different records share the id",
            "a unique id",
        )
        return evaluate(
            ctx,
            check="unique-keys",
            table=table,
            description="unique keys",
            relation=dup,
            rules=[rule],
            checked=ctx.rows(table),
        )
