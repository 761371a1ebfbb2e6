"""PID: who the patient is, and the ``patients`` row of a message.

The patient id is chosen from the PID-3 identifier list, in this order:

1. the repetition with identifier type ``PI`` and assigning authority ``WARDWATCH-FHIR`` (the
   wardwatch generator writes the FHIR Patient id there, so HL7 and FHIR rows of one patient
   share an id);
2. else ``<assigning authority>|<id>`` of the medical record number (identifier type ``MR``, or
   ``MRN`` as Simulated Hospital writes it), e.g. ``SIMULATOR MRN|3463070384``;
3. else the same form for the first repetition with an id (just ``<id>`` without an authority).

The authority is part of the id because MRNs are unique only within the facility that assigns
them.
"""

from __future__ import annotations

from dataclasses import dataclass

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.hl7v2._codes import SEX
from wardwatch.ingest.hl7v2._er7 import Field, Message, Segment
from wardwatch.ingest.hl7v2._problem import Hl7Problem
from wardwatch.ingest.hl7v2._rows import make_row

__all__ = ["FHIR_ID_AUTHORITY", "PatientIds", "patient_ids", "patient_row"]

FHIR_ID_AUTHORITY = "WARDWATCH-FHIR"


@dataclass(frozen=True, slots=True)
class PatientIds:
    """The identifiers of PID-3: the chosen patient id, the MRN and the SSN if given."""

    patient_id: str
    mrn: str | None
    ssn: str | None


def patient_ids(msg: Message, pid: Segment) -> PatientIds:
    """Choose the patient id from PID-3 (see the module docstring).

    Raises:
        Hl7Problem: MISSING_REQUIRED when PID-3 has no identifier.
    """
    field = msg.field(pid, 3)
    fhir_id: str | None = None
    mr: tuple[str, str] | None = None
    first: tuple[str, str] | None = None
    ssn: str | None = None
    for rep in field.reps():
        ident, _, _, auth, kind = rep.comps(5)
        if not ident:
            continue
        kind = kind.upper()
        if not auth:  # CX-4 is an HD: its namespace id, else its universal id
            auth = rep.comp(4, 2)
        if kind == "PI" and auth == FHIR_ID_AUTHORITY and fhir_id is None:
            fhir_id = ident
        elif kind in ("MR", "MRN") and mr is None:
            mr = (auth, ident)
        elif kind == "SS" and ssn is None:
            ssn = ident
        if first is None:
            first = (auth, ident)
    if first is None:
        raise Hl7Problem(
            Reason.MISSING_REQUIRED,
            "PID-3 patient identifier list has no identifier",
            field=field.loc,
            expected="at least one identifier (id^^^authority^type)",
            found=field.raw[:80],
        )
    chosen = mr or first
    patient_id = fhir_id or (f"{chosen[0]}|{chosen[1]}" if chosen[0] else chosen[1])
    if ssn is None:
        ssn = msg.value(pid, 19) or None
    return PatientIds(patient_id, mr[1] if mr else None, ssn)


def _sex(msg: Message, pid: Segment) -> str | None:
    field = msg.field(pid, 8)
    code = field.comp(1).upper()
    if not code:
        return None
    sex = SEX.get(code)
    if sex is None:
        raise Hl7Problem(
            Reason.INVALID_VALUE,
            "PID-8 administrative sex is not a table 0001 code",
            field=field.loc,
            expected="one of " + ", ".join(SEX),
            found=code,
        )
    return sex


def _legal_name(msg: Message, pid: Segment) -> Field:
    reps = msg.field(pid, 5).reps()
    for rep in reps:
        if rep.comp(7).upper() == "L":
            return rep
    return reps[0]


def _phone(rep: Field) -> str | None:
    # XTN-1 (deprecated from v2.5 but what most feeds send), else area code + local number,
    # else the unformatted number (XTN-12).
    local = rep.comp(7)
    return rep.comp(1) or (rep.comp(6) + local if local else "") or rep.comp(12) or None


def patient_row(
    msg: Message, pid: Segment, ids: PatientIds, *, site: str | None, recorded: str | None
) -> Row:
    """The ``patients`` row of a PID segment.

    Names are the legal name (XPN-7 ``L``) or the first one; ``given_name`` is the first given
    name. Race (PID-10) and ethnicity (PID-22) are the codes as sent. The address is the first
    repetition of PID-11: street and other designation joined by ", ". ``site_id`` is the
    sending facility and ``recorded_time`` the message time (MSH-7).

    Raises:
        Hl7Problem: INVALID_DATETIME (PID-7, PID-29) or INVALID_VALUE (PID-8).
    """
    name = _legal_name(msg, pid)
    addr = msg.field(pid, 11).reps()[0]
    street = ", ".join(p for p in (addr.comp(1, 1), addr.comp(2)) if p)
    birth = msg.ts(pid, 7)
    return make_row(
        "patients",
        {
            "patient_id": ids.patient_id,
            "mrn": ids.mrn,
            "ssn": ids.ssn,
            "family_name": name.comp(1, 1) or None,
            "given_name": name.comp(2) or None,
            "birth_date": birth[:10] if birth else None,
            "death_time": msg.ts(pid, 29),
            "sex": _sex(msg, pid),
            "race": msg.value(pid, 10) or None,
            "ethnicity": msg.value(pid, 22) or None,
            "address_line": street or None,
            "city": addr.comp(3) or None,
            "state": addr.comp(4) or None,
            "postal_code": addr.comp(5) or None,
            "phone": _phone(msg.field(pid, 13).reps()[0]),
            "site_id": site,
            "recorded_time": recorded,
        },
    )
