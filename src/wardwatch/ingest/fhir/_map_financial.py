"""Map Claim and ExplanationOfBenefit to ``claims`` rows.

``diagnosis_codes`` lists the diagnoses by ``sequence``: the first coding of
``diagnosisCodeableConcept``, or the code of the Condition that ``diagnosisReference`` names
when that Condition is an entry of the same Bundle (a reference that cannot be followed adds
nothing). ``procedure_codes`` lists the first coding of each ``item.productOrService`` in item
order. The payer is ``insurer.display``, else the first insurance's ``coverage.display``.
"""

from __future__ import annotations

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._map_common import choice, code_of, currency, period, reference_npi
from wardwatch.ingest.fhir._models_financial import Claim, ClaimDiagnosis, ExplanationOfBenefit
from wardwatch.ingest.fhir._primitives import datetime
from wardwatch.ingest.fhir._refs import Resolver

__all__ = ["map_claim"]


def _diagnosis_codes(
    diagnoses: list[ClaimDiagnosis] | None, res: Resolver, rtype: str
) -> list[str]:
    """The diagnosis codes of a claim, by ``sequence``."""
    codes: list[str] = []
    if not diagnoses:
        return codes
    field = f"{rtype}.diagnosis"
    for dx in sorted(diagnoses, key=lambda d: d.sequence):
        cc, ref = dx.diagnosis_codeable_concept, dx.diagnosis_reference
        if cc is None and ref is None:
            raise Reject(
                Reason.MISSING_REQUIRED,
                f"{field}.diagnosis[x]",
                "diagnosisCodeableConcept or diagnosisReference (R4 1..1)",
                "absent",
                "a diagnosis without its diagnosis",
            )
        if cc is not None:
            if ref is not None:
                raise Reject(
                    Reason.CARDINALITY,
                    f"{field}.diagnosis[x]",
                    "one type of the choice at most",
                    "several types",
                    "more than one type of a choice element is present",
                )
            code = code_of(cc, field, ".diagnosisCodeableConcept")
        else:
            target = res.optional(ref, f"{field}.diagnosisReference", "Condition")
            coding = None if target is None else res.condition_codes.get(target)
            code = None if coding is None else coding.code
        if code is not None:
            codes.append(code)
    return codes


def map_claim(c: Claim | ExplanationOfBenefit, res: Resolver, raw: bytes) -> list[Row]:
    """Claim or ExplanationOfBenefit -> one ``claims`` row."""
    rtype = type(c).__name__
    pid = res.patient(c.patient, f"{rtype}.patient")
    eid = None
    procedures: list[str] = []
    for item in c.item or ():
        if item.serviced_date is not None:
            if item.serviced_period is not None:
                choice(f"{rtype}.item.serviced[x]", item.serviced_date, item.serviced_period)
            datetime(item.serviced_date, rtype, ".item.servicedDate")
        elif item.serviced_period is not None:
            period(item.serviced_period, rtype, ".item.servicedPeriod")
        if eid is None and item.encounter:
            eid = res.optional(item.encounter[0], f"{rtype}.item.encounter", "Encounter")
        code = code_of(item.product_or_service, rtype, ".item.productOrService")
        if code is not None:
            procedures.append(code)
    for info in c.supporting_info or ():
        if info.timing_date is not None or info.timing_period is not None:
            choice(f"{rtype}.supportingInfo.timing[x]", info.timing_date, info.timing_period)
            if info.timing_date is not None:
                datetime(info.timing_date, rtype, ".supportingInfo.timingDate")
            period(info.timing_period, rtype, ".supportingInfo.timingPeriod")
    for proc in c.procedure or ():
        if proc.date is not None:
            datetime(proc.date, rtype, ".procedure.date")
        if (proc.procedure_codeable_concept is None) == (proc.procedure_reference is None):
            both = proc.procedure_codeable_concept is not None
            raise Reject(
                Reason.CARDINALITY if both else Reason.MISSING_REQUIRED,
                f"{rtype}.procedure.procedure[x]",
                "procedureCodeableConcept or procedureReference (R4 1..1)",
                "several types" if both else "absent",
                "a procedure needs exactly one of its choice types",
            )
    diagnoses = _diagnosis_codes(c.diagnosis, res, rtype)
    start, end = period(c.billable_period, rtype, ".billablePeriod")
    created = datetime(c.created, rtype, ".created")
    payer = c.insurer.display if c.insurer is not None else None
    if payer is None and c.insurance:
        payer = c.insurance[0].coverage.display
    total = cur = None
    if isinstance(c, Claim):
        if c.total is not None:
            total, cur = c.total.value, currency(c.total, "Claim.total")
    elif c.total:
        money = c.total[0].amount
        total, cur = money.value, currency(money, "ExplanationOfBenefit.total.amount")
    claim_type = code_of(c.type, rtype, ".type")
    return [
        (
            "claims",
            (
                c.id,
                pid,
                eid,
                rtype,
                claim_type,
                c.status,
                payer,
                reference_npi(c.provider),
                start,
                end,
                total,
                cur,
                diagnoses,
                procedures,
                created,
            ),
        )
    ]
