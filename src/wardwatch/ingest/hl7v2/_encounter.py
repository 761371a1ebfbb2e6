"""PV1 (and PV2, IN1, EVN): the ``encounters`` row of a message.

Every ADT event about a visit gives a row for the visit; later events (A08 update, A02 transfer,
A03 discharge, A11/A13 cancellations) give further rows with the same ``encounter_id``. Readers
take the latest by ``recorded_time`` (EVN-2, else MSH-7).

``encounter_id`` is the visit number (PV1-19, first component). Without one it is derived from
the patient and the admit time: ``hl7v2-`` + the first 24 hex digits of
SHA-256(``<patient_id>|<normalized start time>``), stable across messages about the same visit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.hl7v2._codes import (
    ADMIT_SOURCE,
    DISCHARGE_DISPOSITION,
    ENCOUNTER_CLASS,
    code_system,
)
from wardwatch.ingest.hl7v2._er7 import Field, Message, Segment
from wardwatch.ingest.hl7v2._problem import Hl7Problem
from wardwatch.ingest.hl7v2._rows import make_row

__all__ = ["Visit", "derived_encounter_id", "encounter_row", "visit"]

_STATUS: dict[str, str] = {
    "A01": "in-progress",
    "A02": "in-progress",
    "A03": "finished",
    "A04": "in-progress",
    "A05": "planned",
    "A06": "in-progress",
    "A07": "in-progress",
    "A11": "cancelled",
    "A12": "in-progress",
    "A13": "in-progress",
}
"""Encounter status set by an ADT trigger; others (A08, ORU) say finished once discharged."""

# Triggers whose event is the start (or end) of the visit: EVN-6/EVN-2 stand in for PV1-44/45.
_STARTS = frozenset({"A01", "A04"})
_ENDS = frozenset({"A03"})
_NPI_AUTHORITIES = frozenset({"NPI", "2.16.840.1.113883.4.6"})
_ADMISSION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0007"


@dataclass(frozen=True, slots=True)
class Visit:
    """The visit a message is about: its id and start, when they can be known."""

    encounter_id: str | None
    start_time: str | None


def derived_encounter_id(patient_id: str, start_time: str) -> str:
    """The id of a visit that has no visit number (see the module docstring)."""
    digest = hashlib.sha256(f"{patient_id}|{start_time}".encode()).hexdigest()
    return "hl7v2-" + digest[:24]


def _event_time(msg: Message, *fields: int) -> str | None:
    evn = msg.first("EVN")
    if evn is None:
        return None
    for n in fields:
        if t := msg.ts(evn, n):
            return t
    return None


def visit(msg: Message, pv1: Segment, patient_id: str, trigger: str) -> Visit:
    """Read the visit number and admit time of ``pv1``.

    Raises:
        Hl7Problem: INVALID_DATETIME for a bad PV1-44.
    """
    number = msg.value(pv1, 19) or None
    start = msg.ts(pv1, 44)
    if start is None and trigger in _STARTS:
        start = _event_time(msg, 6, 2)
    if number is None and start is not None:
        number = derived_encounter_id(patient_id, start)
    return Visit(number, start)


def _coded(field: Field, table: dict[str, str | None]) -> str | None:
    code = field.comp(1)
    return table.get(code, code) if code else None


def _class(field: Field) -> str | None:
    code = field.comp(1).upper()
    if code not in ENCOUNTER_CLASS and code:
        raise Hl7Problem(
            Reason.INVALID_VALUE,
            "PV1-2 patient class is not a table 0004 code",
            field=field.loc,
            expected="one of " + ", ".join(ENCOUNTER_CLASS),
            found=code,
        )
    return ENCOUNTER_CLASS.get(code)


def _npi(field: Field) -> str | None:
    for rep in field.reps():
        c = rep.comps(13)
        authority = {c[8].upper(), rep.comp(9, 2)}  # XCN-9 is an HD: namespace, universal id
        if c[12].upper() == "NPI" or authority & _NPI_AUTHORITIES:
            return c[0] or None
    return None


def _payer(msg: Message) -> str | None:
    in1 = msg.first("IN1")
    if in1 is None:
        return None
    return msg.value(in1, 4) or msg.value(in1, 3) or None


def encounter_row(
    msg: Message,
    pv1: Segment,
    v: Visit,
    *,
    patient_id: str,
    trigger: str,
    sender: str,
    recorded: str | None,
) -> Row:
    """The ``encounters`` row of ``pv1``; ``v`` must have an id and a start time.

    Class from PV1-2, admission type (PV1-4) as the type, admit source PV1-14, discharge
    disposition PV1-36 (table codes with a FHIR equivalent translated), site from the PV1-3
    facility (else MSH-4), the attending doctor's NPI (PV1-7 with identifier type NPI), the
    admit reason PV2-3 and the payer of the first IN1.

    Raises:
        Hl7Problem: INVALID_VALUE (PV1-2) or INVALID_DATETIME (PV1-45, EVN-2, EVN-6).
    """
    end = msg.ts(pv1, 45)
    if end is None and trigger in _ENDS:
        end = _event_time(msg, 6, 2)
    if trigger == "A13":  # discharge cancelled: the visit is open again
        end = None
    status = _STATUS.get(trigger) or ("finished" if end else "in-progress")
    pv2 = msg.first("PV2")
    reason = msg.field(pv2, 3) if pv2 is not None else None
    reason_code = reason.comp(1) if reason is not None else ""
    admission_type = msg.value(pv1, 4)
    msh4 = msg.value(msg.msh, 4)
    return make_row(
        "encounters",
        {
            "encounter_id": v.encounter_id,
            "patient_id": patient_id,
            "status": status,
            "class_code": _class(msg.field(pv1, 2)),
            "type_code": admission_type or None,
            "type_system": _ADMISSION_TYPE_SYSTEM if admission_type else None,
            "start_time": v.start_time,
            "end_time": end,
            "admit_source": _coded(msg.field(pv1, 14), ADMIT_SOURCE),
            "discharge_disposition": _coded(msg.field(pv1, 36), DISCHARGE_DISPOSITION),
            "reason_code": reason_code or None,
            "reason_system": code_system(reason.comp(3), sender)
            if reason is not None and reason_code
            else None,
            "site_id": msg.value(pv1, 3, 4, 1) or msh4 or None,
            "practitioner_npi": _npi(msg.field(pv1, 7)),
            "payer": _payer(msg),
            "recorded_time": _event_time(msg, 2) or recorded,
        },
    )
