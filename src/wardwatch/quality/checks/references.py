"""Reference integrity across tables: an event's patient exists; its encounter exists and
belongs to the same patient. References are resolved against every source (a lab feed's
results point to patients loaded from the ADT feed)."""

from __future__ import annotations

from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult
from wardwatch.quality._registry import NoParams, register
from wardwatch.quality._rules import RowRule, evaluate, field_path

_WITH_PATIENT = (
    "encounters",
    "conditions",
    "observations",
    "medications",
    "procedures",
    "claims",
    "documents",
)


@register(
    "references",
    "Every patient and encounter reference resolves, and an event's encounter belongs to the "
    "event's patient.",
    tables=_WITH_PATIENT,
    params=NoParams,
)
def references(ctx: CheckContext, table: str, params: NoParams) -> CheckResult:
    t = ctx.table(table)
    pats = ctx.full_table("patients")
    pat_ids = pats.select(__pid=pats.patient_id).distinct()
    rel = t.left_join(pat_ids, t.patient_id == pat_ids.__pid)
    rules = [
        RowRule(
            "dangling-reference",
            field_path(table, "patient_id"),
            rel.patient_id.notnull() & rel.__pid.isnull(),
            rel.patient_id,
            "the id of a patient in the lake",
        )
    ]
    if table != "encounters" and "encounter_id" in t.columns:
        enc = ctx.full_table("encounters")
        enc_ids = enc.group_by(__eid=enc.encounter_id).aggregate(__epid=enc.patient_id.max())
        rel = rel.left_join(enc_ids, rel.encounter_id == enc_ids.__eid)
        rules = [
            RowRule(
                "dangling-reference",
                field_path(table, "patient_id"),
                rel.patient_id.notnull() & rel.__pid.isnull(),
                rel.patient_id,
                "the id of a patient in the lake",
            ),
            RowRule(
                "dangling-reference",
                field_path(table, "encounter_id"),
                rel.encounter_id.notnull() & rel.__eid.isnull(),
                rel.encounter_id,
                "the id of an encounter in the lake",
            ),
            RowRule(
                "encounter-patient-mismatch",
                field_path(table, "encounter_id"),
                rel.__eid.notnull() & rel.__pid.notnull() & (rel.__epid != rel.patient_id),
                rel.encounter_id,
                "an encounter of the same patient",
                related=rel.__epid,
            ),
        ]
    return evaluate(
        ctx,
        check="references",
        table=table,
        description="reference integrity",
        relation=rel,
        rules=rules,
    )
