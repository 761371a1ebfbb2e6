"""Terminology: every code checked against its declared system (ICD-10-CM against the official
list, billable vs header; LOINC, SNOMED CT and NPI check digits; RxNorm, CPT, HCPCS formats;
UCUM units; the system URI matching the code's shape).

Codes repeat: a million lab rows hold a few hundred distinct codes. The engine returns the
distinct (code, system) pairs, :mod:`wardwatch.terminology` judges each pair once in Python,
and the invalid pairs go back to the engine as a small table joined to the rows, so only the
offending rows are ever listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.core.schemas import table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Severity
from wardwatch.quality._registry import NoParams, register
from wardwatch.quality._rules import RowRule, evaluate, field_path
from wardwatch.terminology import ICD10CM, NPI, SNOMED, UCUM, validate_codes

if TYPE_CHECKING:
    import ibis.expr.types as ir


@dataclass(frozen=True)
class CodeField:
    """A coded column: its system is another column, or fixed."""

    column: str
    system_column: str | None = None
    system: str | None = None
    is_list: bool = False
    numeric_system: str | None = None
    """For mixed lists: the system of all-digit codes (the others are in ``system``)."""


CODE_FIELDS: dict[str, tuple[CodeField, ...]] = {
    "conditions": (CodeField("code", "code_system"),),
    "observations": (CodeField("code", "code_system"), CodeField("value_unit", system=UCUM.uri)),
    "medications": (CodeField("code", "code_system"),),
    "procedures": (CodeField("code", "code_system"),),
    "encounters": (
        CodeField("type_code", "type_system"),
        CodeField("reason_code", "reason_system"),
        CodeField("practitioner_npi", system=NPI.uri),
    ),
    "claims": (
        CodeField("provider_npi", system=NPI.uri),
        # ICD-10-CM codes start with a letter; sources that code claims in SNOMED CT (Synthea)
        # give all-digit concept ids, checked as SNOMED CT
        CodeField("diagnosis_codes", system=ICD10CM.uri, is_list=True, numeric_system=SNOMED.uri),
    ),
    "documents": (CodeField("type_code", "type_system"),),
    "practitioners": (CodeField("npi", system=NPI.uri),),
    "organizations": (CodeField("npi", system=NPI.uri),),
}


@register(
    "codes",
    "Codes are valid in their declared code system (ICD-10-CM list, check digits, formats, "
    "UCUM) and the system matches the code's shape.",
    tables=tuple(CODE_FIELDS),
    params=NoParams,
)
def codes(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    total = CheckResult("codes", table, Severity.ERROR, "terminology")
    total.checked = ctx.rows(table)
    key = table_spec(table).key
    for cf in CODE_FIELDS.get(table, ()):
        rel = _relation(ctx, table, key, cf)
        if not total.checked:  # an empty table has no code to judge
            continue
        pairs = ctx.engine.to_arrow(rel.select("__code", "__system").distinct())
        bad = _invalid(pairs, declared=cf.system_column is not None)
        if not bad.num_rows:
            continue
        mem = ctx.engine.memtable(bad)
        joined = rel.left_join(mem, (rel.__code == mem.__bcode) & (rel.__system == mem.__bsystem))
        rules = [
            RowRule(
                reason,
                field_path(table, cf.column),
                joined.__breason == reason,
                joined.__code,
                joined.__bexpected,
            )
            for reason in sorted(set(bad.column("__breason").to_pylist()))
        ]
        part = evaluate(
            ctx,
            check="codes",
            table=table,
            description="terminology",
            relation=joined,
            rules=rules,
            key=key,
        )
        _merge(total, part, ctx.max_findings)
    return total


def _relation(ctx: CheckContext, table: str, key: str, cf: CodeField) -> ir.Table:
    t = ctx.table(table)
    base = {"source_file": t.source_file, "source_line": t.source_line, key: t[key]}
    if "patient_id" in t.columns:
        base["patient_id"] = t.patient_id
    code = t[cf.column].unnest() if cf.is_list else t[cf.column]
    system = t[cf.system_column] if cf.system_column else None
    rel = t.select(**base, __code=code, **({"__sys": system} if system is not None else {}))
    if cf.system is not None:
        system_expr = ibis.literal(cf.system)
        if cf.numeric_system is not None:
            system_expr = ibis.ifelse(
                rel.__code.re_search("^[0-9]+$"), ibis.literal(cf.numeric_system), system_expr
            )
        rel = rel.mutate(__system=system_expr)
    else:
        rel = rel.rename(__system="__sys")
    return rel.filter(rel.__code.notnull())


def _invalid(pairs: pa.Table, *, declared: bool) -> pa.Table:
    """The (code, system) pairs that fail, with the reason and what was expected.

    ``declared`` says the system came with the data; when the column's system is fixed (an NPI
    column), a value of another system's shape is simply malformed, not ``system-mismatch``.
    """
    if not pairs.num_rows:
        return _EMPTY
    verdict = validate_codes(pairs.column("__code"), pairs.column("__system"))
    keep = pc.invert(pc.fill_null(verdict.valid, True))
    reason = verdict.reason
    if not declared:
        reason = pc.if_else(pc.equal(reason, "system-mismatch"), "bad-format", reason)
    return pa.table(
        {
            "__bcode": pc.filter(pairs.column("__code"), keep),
            "__bsystem": pc.filter(pairs.column("__system"), keep),
            "__breason": pc.filter(reason, keep),
            "__bexpected": pc.filter(verdict.expected, keep),
        }
    )


_EMPTY = pa.table(
    {n: pa.array([], pa.string()) for n in ("__bcode", "__bsystem", "__breason", "__bexpected")}
)


def _merge(total: CheckResult, part: CheckResult, limit: int | None) -> None:
    total.failed += part.failed
    for k, v in part.by_reason.items():
        total.by_reason[k] = total.by_reason.get(k, 0) + v
    for k, v in part.by_source.items():
        total.by_source[k] = total.by_source.get(k, 0) + v
    room = None if limit is None else max(0, limit - len(total.findings))
    total.findings.extend(part.findings if room is None else part.findings[:room])
    total.truncated = (
        total.truncated or part.truncated or (room is not None and len(part.findings) > room)
    )
