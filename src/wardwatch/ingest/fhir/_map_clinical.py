"""Map Condition, MedicationRequest, Procedure and DocumentReference to rows.

Condition's clinical and verification statuses are CodeableConcepts with a required binding:
a coding from their CodeSystem must be there, with a code of the value set.

A MedicationRequest whose ``medicationReference`` resolves to a coded Medication (contained,
or an entry of the same Bundle) takes its code; otherwise ``code`` is the Medication id and
``code_system`` the literal ``Medication``, to join with ``other_resources`` later.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import msgspec

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._map_common import (
    choice,
    code_and_system,
    code_of,
    coded,
    period,
    recorded,
)
from wardwatch.ingest.fhir._models_clinical import (
    Condition,
    DocumentReference,
    MedicationRequest,
    Procedure,
)
from wardwatch.ingest.fhir._models_other import ContainedMedication
from wardwatch.ingest.fhir._primitives import datetime, instant
from wardwatch.ingest.fhir._refs import Resolver

__all__ = [
    "map_condition",
    "map_document",
    "map_medication_request",
    "map_procedure",
]

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_CLINICAL_CODES = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)
_VERIFICATION_CODES = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)
_CONTAINED = msgspec.json.Decoder(ContainedMedication)
_MIME_PART = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*"
_MIME = re.compile(
    rf"{_MIME_PART}/{_MIME_PART}(?:; ?{_MIME_PART}=(?:{_MIME_PART}|\"[^\"]*\"))*"
).fullmatch


def _status_code(cc: Any, system: str, allowed: frozenset[str], field: str) -> str | None:
    """The code of a CodeableConcept bound (required) to one CodeSystem, checked."""
    if cc is None:
        return None
    for c in cc.coding or ():
        if c.system == system:
            if c.code in allowed:
                return str(c.code)
            raise Reject(
                Reason.INVALID_VALUE,
                f"{field}.coding.code",
                f"one of {' | '.join(sorted(allowed))}",
                str(c.code),
                f"code outside the required value set ({system})",
            )
    raise Reject(
        Reason.INVALID_VALUE,
        f"{field}.coding",
        f"a coding from {system} (required binding)",
        cc.text or "no coding from that system",
        "concept outside the required value set",
    )


def map_condition(c: Condition, res: Resolver, raw: bytes) -> list[Row]:
    """Condition -> one ``conditions`` row (wardwatch needs a coded ``code``)."""
    pid = res.patient(c.subject, "Condition.subject")
    eid = res.optional(c.encounter, "Condition.encounter", "Encounter")
    code, system, display = coded(c.code, "Condition.code")
    clinical = _status_code(
        c.clinical_status, CLINICAL, _CLINICAL_CODES, "Condition.clinicalStatus"
    )
    verification = _status_code(
        c.verification_status, VERIFICATION, _VERIFICATION_CODES, "Condition.verificationStatus"
    )
    category = code_of(c.category[0], "Condition.category") if c.category else None
    choice("Condition.onset[x]", c.onset_date_time, c.onset_period, c.onset_range, c.onset_string)
    choice(
        "Condition.abatement[x]",
        c.abatement_date_time,
        c.abatement_period,
        c.abatement_range,
        c.abatement_string,
    )
    onset: str | None
    abatement: str | None
    if c.onset_date_time is not None:
        onset = datetime(c.onset_date_time, "Condition.onsetDateTime")
    else:
        onset = period(c.onset_period, "Condition.onsetPeriod")[0]
    if c.abatement_date_time is not None:
        abatement = datetime(c.abatement_date_time, "Condition.abatementDateTime")
    else:
        abatement = period(c.abatement_period, "Condition.abatementPeriod")[0]
    rec = None if c.recorded_date is None else datetime(c.recorded_date, "Condition.recordedDate")
    return [
        (
            "conditions",
            (
                c.id,
                pid,
                eid,
                code,
                system,
                display,
                category,
                clinical,
                verification,
                onset,
                abatement,
                rec,
            ),
        )
    ]


def _medication(m: MedicationRequest, res: Resolver) -> tuple[str, str, str | None]:
    """(code, system, display) of the medication ordered."""
    cc, ref = m.medication_codeable_concept, m.medication_reference
    if cc is not None and ref is not None:
        choice("MedicationRequest.medication[x]", cc, ref)
    if cc is not None:
        return coded(cc, "MedicationRequest.medicationCodeableConcept")
    if ref is None or ref.reference is None:
        raise Reject(
            Reason.MISSING_REQUIRED,
            "MedicationRequest.medication[x]"
            if ref is None
            else "MedicationRequest.medicationReference",
            "medicationCodeableConcept or a literal medicationReference (R4 1..1)",
            "absent" if ref is None else "identifier or display only",
            "the medication ordered is missing",
        )
    field = "MedicationRequest.medicationReference"
    if ref.reference.startswith("#"):
        for item in m.contained or ():
            try:
                med = _CONTAINED.decode(item)
            except (msgspec.ValidationError, msgspec.DecodeError):
                continue
            if med.resource_type == "Medication" and med.id == ref.reference[1:]:
                return coded(med.code, f"{field}(contained Medication).code")
        raise Reject(
            Reason.BAD_REFERENCE,
            f"{field}.reference",
            "the id of a contained Medication (invariant ref-1)",
            ref.reference,
            "contained reference to no contained Medication",
        )
    target = res.optional(ref, field, "Medication")
    if target is None:
        raise Reject(
            Reason.BAD_REFERENCE,
            f"{field}.reference",
            "a reference to a Medication",
            ref.reference,
            "reference names no Medication resource",
        )
    coding = res.medication_codes.get(target)
    if coding is not None and coding.code is not None and coding.system is not None:
        return coding.code, coding.system, coding.display or ref.display
    return target, "Medication", ref.display


def map_medication_request(m: MedicationRequest, res: Resolver, raw: bytes) -> list[Row]:
    """MedicationRequest -> one ``medications`` row."""
    pid = res.patient(m.subject, "MedicationRequest.subject")
    eid = res.optional(m.encounter, "MedicationRequest.encounter", "Encounter")
    choice("MedicationRequest.reported[x]", m.reported_boolean, m.reported_reference)
    code, system, display = _medication(m, res)
    authored = None
    if m.authored_on is not None:
        authored = datetime(m.authored_on, "MedicationRequest.authoredOn")
    return [("medications", (m.id, pid, eid, code, system, display, m.status, m.intent, authored))]


def map_procedure(p: Procedure, res: Resolver, raw: bytes) -> list[Row]:
    """Procedure -> one ``procedures`` row (wardwatch needs a coded ``code``)."""
    pid = res.patient(p.subject, "Procedure.subject")
    eid = res.optional(p.encounter, "Procedure.encounter", "Encounter")
    code, system, display = coded(p.code, "Procedure.code")
    choice(
        "Procedure.performed[x]",
        p.performed_date_time,
        p.performed_period,
        p.performed_string,
        p.performed_range,
    )
    start: str | None
    end: str | None
    if p.performed_date_time is not None:
        start, end = datetime(p.performed_date_time, "Procedure.performedDateTime"), None
    else:
        start, end = period(p.performed_period, "Procedure.performedPeriod")
    rec = recorded(p.meta, "Procedure") or end or start
    return [("procedures", (p.id, pid, eid, code, system, display, p.status, start, end, rec))]


def _attachment_text(data: str, content_type: str, field: str) -> str | None:
    """The decoded text of a ``text/*`` attachment (UTF-8 unless a charset says otherwise)."""
    try:
        payload = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        payload = None
    try:  # base64Binary may be wrapped in whitespace
        payload = payload or base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Reject(
            Reason.INVALID_VALUE,
            f"{field}.data",
            "base64Binary",
            data,
            "attachment data is not valid base64",
        ) from None
    if not content_type.startswith("text/"):
        return None
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        key, _, val = param.strip().partition("=")
        if key.lower() == "charset" and val:
            charset = val.strip('"')
    try:
        return payload.decode(charset, "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


def map_document(d: DocumentReference, res: Resolver, raw: bytes) -> list[Row]:
    """DocumentReference -> one ``documents`` row (first content's attachment)."""
    pid = res.patient(d.subject, "DocumentReference.subject")
    type_code, type_system = code_and_system(d.type, "DocumentReference.type")
    att = d.content[0].attachment
    field = "DocumentReference.content.attachment"
    ctype = att.content_type
    if ctype is not None and _MIME(ctype) is None:
        raise Reject(
            Reason.INVALID_VALUE,
            f"{field}.contentType",
            "a MIME type: type/subtype[; parameter=value]",
            ctype,
            "not a MIME type (the binding to BCP 13 is required)",
        )
    text = None
    if att.data is not None:
        text = _attachment_text(att.data, (ctype or "").lower(), field)
    if att.creation is not None:
        datetime(att.creation, field, ".creation")
    eid = None
    ctx = d.context
    if ctx is not None:
        period(ctx.period, "DocumentReference.context.period")
        if ctx.encounter:
            eid = res.optional(ctx.encounter[0], "DocumentReference.context.encounter", "Encounter")
    rec = None if d.date is None else instant(d.date, "DocumentReference.date")
    return [
        (
            "documents",
            (d.id, pid, eid, type_code, type_system, d.status, ctype, text, att.url, rec),
        )
    ]
