"""OBR/OBX: the ``observations`` rows of an ORU^R01 result.

One row per OBX. ``observation_id`` is OBX-21 (observation instance identifier) when sent;
otherwise ``<filler order number>-<OBX-1 set id>``, the filler order number being OBR-3 (else
ORC-3, else the placer number OBR-2/ORC-2). The order number is used rather than the message
control id (MSH-10) because senders reuse control ids (Simulated Hospital numbers each file from
1), while an order number identifies the order for its whole life: a corrected result (OBX-11
``C``) for the same order and set id gets the same ``observation_id``, and readers take the
latest by ``recorded_time``. Without any order number the id is ``<MSH-10>-<OBR set id>-<OBX
set id>``. An id that repeats within one message is an error (INVALID_VALUE at OBX-1).

The value follows OBX-2: ``NM`` to ``value_num`` (non-numeric is INVALID_VALUE), ``SN`` to
``value_num`` when it is a plain number (``>^5`` and ranges become text), ``CE``/``CWE``/``CNE``
to ``value_code`` with the display text in ``value_text``, ``ST``/``TX``/``FT`` to
``value_text`` (repetitions joined by newlines), ``DT``/``DTM``/``TS`` to ``value_text`` as a
normalized time; other types keep the ER7 text as sent in ``value_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.hl7v2._codes import (
    OBSERVATION_STATUS,
    VALUE_TYPES,
    category,
    code_system,
    parse_number,
    parse_range,
)
from wardwatch.ingest.hl7v2._er7 import Field, Message, Segment
from wardwatch.ingest.hl7v2._problem import Hl7Problem
from wardwatch.ingest.hl7v2._rows import make_row

__all__ = ["Order", "observation_rows"]

_CODED = frozenset({"CE", "CWE", "CNE", "CF"})
_TEXT = frozenset({"ST", "TX", "FT"})
_TIME = frozenset({"DT", "DTM", "TS"})


@dataclass
class Order:
    """An OBR with the ORC before it and the OBX segments after it."""

    obr: Segment
    orc: Segment | None = None
    obxs: list[Segment] = field(default_factory=list)


def _order_number(msg: Message, order: Order, control_id: str) -> str:
    candidates = [(order.obr, 3), (order.orc, 3), (order.obr, 2), (order.orc, 2)]
    for seg, n in candidates:
        if seg is not None and (number := msg.value(seg, n)):
            return number
    obr_set = msg.value(order.obr, 1) or order.obr.label
    return f"{control_id}-{obr_set}"


def _bad_value(value: Field, expected: str, found: str) -> Hl7Problem:
    return Hl7Problem(
        Reason.INVALID_VALUE,
        f"{value.loc} does not match its value type",
        field=value.loc,
        expected=expected,
        found=found,
    )


def _number(value: Field, text: str, vtype: str) -> float:
    number = parse_number(text)
    if number is None:
        raise _bad_value(value, f"a number (OBX-2 is {vtype})", text)
    return number


def _value(msg: Message, obx: Segment) -> tuple[float | None, str | None, str | None]:
    """(value_num, value_code, value_text) of an OBX."""
    vtype = msg.value(obx, 2).upper()
    if vtype and vtype not in VALUE_TYPES:
        raise Hl7Problem(
            Reason.INVALID_VALUE,
            f"{obx.label}-2 is not an HL7 value type",
            field=f"{obx.label}-2",
            expected="a table 0125 value type such as NM, ST, TX, CE, CWE, SN",
            found=vtype,
        )
    value = msg.field(obx, 5)
    if not value:
        return None, None, None
    d = msg.delims
    if vtype == "NM":
        if d.repetition in value.raw or d.component in value.raw:
            raise _bad_value(value, "a single number (OBX-2 is NM)", value.raw[:80])
        return _number(value, value.comp(1), vtype), None, None
    if vtype == "SN":
        comparator, num1, sep, num2 = value.comps(4)
        if comparator in ("", "=") and not sep and not num2:
            return _number(value, num1, vtype), None, None
        for part in (num1, num2):
            if part:
                _number(value, part, vtype)
        return None, None, f"{comparator}{num1}{sep}{num2}"
    if vtype in _CODED:
        c = value.comps(5)
        return None, c[0] or c[3] or None, c[1] or c[4] or None
    if vtype in _TIME:
        return None, None, msg.ts(obx, 5)
    if vtype in _TEXT or not vtype:
        return None, None, value.text()
    return None, None, value.raw


def _code(msg: Message, obx: Segment, sender: str) -> tuple[str, str, str | None]:
    ident = msg.field(obx, 3)
    c = ident.comps(6)
    code, display, system = c[0:3] if c[0] else c[3:6]  # else the alternate identifier
    if not code:
        raise Hl7Problem(
            Reason.MISSING_REQUIRED,
            f"{ident.loc} observation identifier has no code",
            field=ident.loc,
            expected="code^display^coding system",
            found=ident.raw[:80],
        )
    return code, code_system(system, sender), display or None


def _status(msg: Message, obx: Segment) -> str | None:
    field = msg.field(obx, 11)
    code = field.comp(1).upper()
    if not code:
        return None
    status = OBSERVATION_STATUS.get(code)
    if status is None:
        raise Hl7Problem(
            Reason.INVALID_VALUE,
            f"{field.loc} result status is not a table 0085 code",
            field=field.loc,
            expected="one of " + ", ".join(OBSERVATION_STATUS),
            found=code,
        )
    return status


def observation_rows(
    msg: Message,
    orders: list[Order],
    *,
    patient_id: str,
    encounter_id: str | None,
    control_id: str,
    sender: str,
    recorded: str | None,
    seen: set[str],
) -> list[Row]:
    """The ``observations`` rows of ``orders``; ``seen`` collects ids across the message.

    ``effective_time`` is OBX-14, else OBR-7; ``recorded_time`` is OBR-22, else MSH-7. The
    category comes from OBR-24 (diagnostic service section).

    Raises:
        Hl7Problem: the first problem found in an OBR or OBX.
    """
    rows: list[Row] = []
    for order in orders:
        obr = order.obr
        prefix = _order_number(msg, order, control_id)
        observed = msg.ts(obr, 7)
        issued = msg.ts(obr, 22) or recorded
        cat = category(msg.value(obr, 24))
        for i, obx in enumerate(order.obxs, start=1):
            set_id = msg.field(obx, 1)
            obs_id = msg.value(obx, 21) or f"{prefix}-{set_id.comp(1) or i}"
            if obs_id in seen:
                raise Hl7Problem(
                    Reason.INVALID_VALUE,
                    f"observation id {obs_id} repeats within the message",
                    field=set_id.loc,
                    expected="OBX set ids unique within their OBR (or distinct OBX-21)",
                    found=set_id.comp(1),
                )
            seen.add(obs_id)
            code, system, display = _code(msg, obx, sender)
            num, coded, text = _value(msg, obx)
            low, high = parse_range(msg.value(obx, 7))
            rows.append(
                make_row(
                    "observations",
                    {
                        "observation_id": obs_id,
                        "patient_id": patient_id,
                        "encounter_id": encounter_id,
                        "code": code,
                        "code_system": system,
                        "display": display,
                        "category": cat,
                        "status": _status(msg, obx),
                        "value_num": num,
                        "value_unit": msg.value(obx, 6) or msg.value(obx, 6, 2) or None,
                        "value_code": coded,
                        "value_text": text,
                        "reference_low": low,
                        "reference_high": high,
                        "interpretation": msg.value(obx, 8) or None,
                        "effective_time": msg.ts(obx, 14) or observed,
                        "recorded_time": issued,
                    },
                )
            )
    return rows
