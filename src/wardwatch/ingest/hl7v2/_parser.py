"""Read HL7 v2 files: one record per message, loaded as canonical rows or quarantined whole."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection, Row
from wardwatch.ingest.hl7v2._encounter import encounter_row, visit
from wardwatch.ingest.hl7v2._er7 import Message, Segment, parse_message
from wardwatch.ingest.hl7v2._framing import RawMessage, iter_messages
from wardwatch.ingest.hl7v2._observation import Order, observation_rows
from wardwatch.ingest.hl7v2._patient import patient_ids, patient_row
from wardwatch.ingest.hl7v2._problem import Hl7Problem

__all__ = ["SUPPORTED_TYPES", "map_message", "parse_hl7"]

_ADT_VISIT = ("A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13")
_ADT_PERSON = ("A28", "A31")
SUPPORTED_TYPES: tuple[str, ...] = (*(f"ADT^{t}" for t in _ADT_VISIT + _ADT_PERSON), "ORU^R01")
"""Message types wardwatch maps. ADT visit events need PID and PV1 and give a patient and an
encounter row; A28/A31 (person added/updated) need PID and give a patient row; ORU^R01 needs
PID, OBR and OBX and gives a patient row, an encounter row when PV1 has an admit time, and one
observation row per OBX."""

_VERSION = re.compile(r"2\.[0-9]+(?:\.[0-9]+)*")


@dataclass(frozen=True, slots=True)
class _Header:
    code: str
    trigger: str
    control_id: str
    sender: str
    site: str | None
    recorded: str | None


def _required(msg: Message, n: int, what: str) -> str:
    value = msg.value(msg.msh, n)
    if not value:
        loc = f"MSH-{n}"
        raise Hl7Problem(
            Reason.MISSING_REQUIRED, f"{loc} {what} is empty", field=loc, expected=what
        )
    return value


def _header(msg: Message) -> _Header:
    msh = msg.msh
    kind = msg.field(msh, 9)
    code, trigger = kind.comp(1).upper(), kind.comp(2).upper()
    if not code or not trigger:
        raise Hl7Problem(
            Reason.MISSING_REQUIRED,
            "MSH-9 message type is incomplete",
            field="MSH-9",
            expected="message code^trigger event, such as ADT^A01",
            found=kind.raw[:40],
        )
    control_id = _required(msg, 10, "message control id")
    version = _required(msg, 12, "version id")
    if not _VERSION.fullmatch(version):
        raise Hl7Problem(
            Reason.INVALID_VALUE,
            "MSH-12 is not an HL7 v2 version",
            field="MSH-12",
            expected="2.x, such as 2.3 or 2.5.1",
            found=version,
        )
    return _Header(
        code,
        trigger,
        control_id,
        msg.value(msh, 3),
        msg.value(msh, 4) or None,
        msg.ts(msh, 7),
    )


def _missing(name: str, expected: str) -> Hl7Problem:
    return Hl7Problem(
        Reason.MISSING_SEGMENT, f"required segment {name} is missing", field=name, expected=expected
    )


def _adt(msg: Message, h: _Header) -> list[Row]:
    pids = [s for s in msg.segments if s.name == "PID"]
    if not pids:
        raise _missing("PID", f"a PID segment (ADT^{h.trigger} requires PID and PV1)")
    if len(pids) > 1:
        raise Hl7Problem(
            Reason.CARDINALITY,
            "an ADT message is about one patient",
            field=pids[1].label,
            expected="one PID segment",
            found=f"{len(pids)} PID segments",
        )
    pid = pids[0]
    pv1 = msg.first("PV1")
    if h.trigger in _ADT_VISIT and pv1 is None:
        raise _missing("PV1", f"a PV1 segment (ADT^{h.trigger} requires PID and PV1)")
    ids = patient_ids(msg, pid)
    rows = [patient_row(msg, pid, ids, site=h.site, recorded=h.recorded)]
    if pv1 is not None and h.trigger in _ADT_VISIT:
        v = visit(msg, pv1, ids.patient_id, h.trigger)
        if v.start_time is None:
            raise Hl7Problem(
                Reason.MISSING_REQUIRED,
                "the visit has no admit date/time (encounters need a start time)",
                field=msg.field(pv1, 44).loc,
                expected="PV1-44 admit date/time",
                found="",
            )
        rows.append(
            encounter_row(
                msg,
                pv1,
                v,
                patient_id=ids.patient_id,
                trigger=h.trigger,
                sender=h.sender,
                recorded=h.recorded,
            )
        )
    return rows


@dataclass
class _PatientResult:
    pid: Segment
    pv1: Segment | None = None
    orders: list[Order] = field(default_factory=list)


def _patient_results(msg: Message) -> list[_PatientResult]:
    names = {s.name for s in msg.segments}
    for name in ("PID", "OBR", "OBX"):
        if name not in names:
            raise _missing(name, f"at least one {name} segment (ORU^R01 requires PID, OBR, OBX)")
    groups: list[_PatientResult] = []
    orc: Segment | None = None
    for seg in msg.segments[1:]:
        cur = groups[-1] if groups else None
        if seg.name == "PID":
            groups.append(_PatientResult(seg))
        elif seg.name == "PV1" and cur is not None and cur.pv1 is None and not cur.orders:
            cur.pv1 = seg
        elif seg.name == "ORC":
            orc = seg
        elif seg.name == "OBR":
            if cur is None:
                raise _missing("PID", f"a PID segment before {seg.label}")
            cur.orders.append(Order(seg, orc))
            orc = None
        elif seg.name == "OBX":
            if cur is None or not cur.orders:
                raise _missing("OBR", f"an OBR segment before {seg.label}")
            cur.orders[-1].obxs.append(seg)
    return groups


def _oru(msg: Message, h: _Header) -> list[Row]:
    rows: list[Row] = []
    seen: set[str] = set()
    for group in _patient_results(msg):
        ids = patient_ids(msg, group.pid)
        rows.append(patient_row(msg, group.pid, ids, site=h.site, recorded=h.recorded))
        encounter_id: str | None = None
        if group.pv1 is not None:
            v = visit(msg, group.pv1, ids.patient_id, h.trigger)
            encounter_id = v.encounter_id
            if v.encounter_id is not None and v.start_time is not None:
                rows.append(
                    encounter_row(
                        msg,
                        group.pv1,
                        v,
                        patient_id=ids.patient_id,
                        trigger=h.trigger,
                        sender=h.sender,
                        recorded=h.recorded,
                    )
                )
        rows += observation_rows(
            msg,
            group.orders,
            patient_id=ids.patient_id,
            encounter_id=encounter_id,
            control_id=h.control_id,
            sender=h.sender,
            recorded=h.recorded,
            seen=seen,
        )
    return rows


def map_message(msg: Message) -> list[Row]:
    """The canonical rows of one decoded message.

    Raises:
        Hl7Problem: the first problem found; the message goes to quarantine whole.
    """
    h = _header(msg)
    if h.code == "ADT" and h.trigger in _ADT_VISIT + _ADT_PERSON:
        return _adt(msg, h)
    if h.code == "ORU" and h.trigger == "R01":
        return _oru(msg, h)
    kind = f"{h.code}^{h.trigger}"
    raise Hl7Problem(
        Reason.INVALID_VALUE,
        f"message type {kind} not supported",
        field="MSH-9",
        expected="one of " + ", ".join(SUPPORTED_TYPES),
        found=kind,
    )


def _peek_ids(first: bytes) -> tuple[str | None, str | None]:
    """(message type, control id) read from raw MSH bytes without validation, for quarantine."""
    if not first.startswith(b"MSH") or len(first) < 8:
        return None, None
    parts = first.split(first[3:4])
    comp = parts[1][:1] or b"^"
    kind = b"^".join(parts[8].split(comp)[:2]) if len(parts) > 8 else b""
    control = parts[9] if len(parts) > 9 else b""
    return (kind.decode("latin-1") or None), (control.decode("latin-1") or None)


def _reject(sink: RecordSink, rec: RawMessage, p: Hl7Problem, raw: str | bytes) -> None:
    kind, control = _peek_ids(rec.segments[0])
    sink.reject(
        rec.number,
        Rejection(p.reason, p.message, kind, control, p.field, p.expected, p.found),
        raw,
    )


def parse_hl7(stream: BinaryIO, sink: RecordSink, *, max_message_bytes: int = 16 * 2**20) -> None:
    """Parse a file of HL7 v2 ER7 messages into canonical rows, one record per message.

    Each message is loaded whole (``sink.load``) or quarantined whole (``sink.reject``) with the
    first problem found, its field (``PID-7``, ``OBX[3]-5``), what was expected and found; the
    record number is the message's 1-based position in the file. A message longer than
    ``max_message_bytes`` is quarantined as TOO_LARGE with its beginning; memory stays bounded
    by that limit whatever the size of the file or of one segment.

    Raises:
        InputError: only when the stream itself cannot be read.
    """
    for rec in iter_messages(stream, max_message_bytes=max_message_bytes):
        if rec.truncated:
            problem = Hl7Problem(
                Reason.TOO_LARGE,
                f"message is larger than {max_message_bytes} bytes; its beginning is kept",
                expected=f"at most {max_message_bytes} bytes",
                found=f"more than {max_message_bytes} bytes",
            )
            _reject(sink, rec, problem, rec.raw)
            continue
        msg: Message | None = None
        try:
            msg = parse_message(rec.segments)
            rows = map_message(msg)
        except Hl7Problem as p:
            _reject(sink, rec, p, rec.raw.decode(msg.codec) if msg else rec.raw)
        except Exception as exc:  # a parser bug must not stop the file; the record is kept
            internal = Hl7Problem(
                Reason.MALFORMED,
                f"the HL7 v2 parser failed on this message ({type(exc).__name__}); report it",
            )
            _reject(sink, rec, internal, rec.raw)
        else:
            sink.load(rec.number, rows)
