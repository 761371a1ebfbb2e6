"""Helpers shared by the mappers: codings, names, identifiers, choice elements.

Rows are plain tuples in the column order of :mod:`wardwatch.core.schemas`; these helpers pull
one value each out of the decoded Structs and raise :class:`Reject` where a value breaks R4 or
what a canonical table needs.
"""

from __future__ import annotations

from typing import Any

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest.fhir._datatypes import (
    CodeableConcept,
    HumanName,
    Identifier,
    Money,
    Period,
    Quantity,
    Reference,
)
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._primitives import KNOWN_CODES, check_code, datetime, instant

__all__ = [
    "NPI_SYSTEM",
    "UCUM",
    "choice",
    "code_and_system",
    "code_of",
    "coded",
    "currency",
    "identifier_of_type",
    "identifier_value",
    "name_parts",
    "period",
    "quantity_unit",
    "recorded",
    "reference_npi",
]

UCUM = "http://unitsofmeasure.org"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def coded(cc: CodeableConcept | None, field: str) -> tuple[str, str, str | None]:
    """(code, system, display) of the first coding with both a system and a code.

    The canonical tables need a code and its system; a concept with text only (valid R4) is
    quarantined as missing-required with a message saying so.
    """
    if cc is not None and cc.coding:
        for c in cc.coding:
            if c.code is not None and c.system is not None:
                check_code(c.code, field, ".coding.code")
                return c.code, c.system, c.display if c.display is not None else cc.text
    found = "absent" if cc is None else ("text only" if cc.text else "no coding with a system")
    raise Reject(
        Reason.MISSING_REQUIRED,
        f"{field}.coding",
        "a coding with system and code",
        found,
        "wardwatch needs a coded concept here to load this record",
    )


def code_of(cc: CodeableConcept | None, field: str, suffix: str = "") -> str | None:
    """The code of the first coding of ``cc`` that has one (checked), or None.

    ``field + suffix`` is the path of ``cc`` (joined only when a Reject needs it).
    """
    if cc is not None and cc.coding:
        for c in cc.coding:
            code = c.code
            if code is not None:
                if code in KNOWN_CODES:
                    return code
                return check_code(code, field, f"{suffix}.coding.code")
    return None


def code_and_system(cc: CodeableConcept | None, field: str) -> tuple[str | None, str | None]:
    """(code, system) of the first coding of ``cc`` that has a code, or (None, None)."""
    if cc is not None and cc.coding:
        for c in cc.coding:
            if c.code is not None:
                return check_code(c.code, field, ".coding.code"), c.system
    return None, None


def choice(field: str, *values: Any) -> None:
    """Reject when more than one type of a choice element ``x[x]`` is present (R4: 0..1)."""
    if len(values) - values.count(None) > 1:
        raise Reject(
            Reason.CARDINALITY,
            field,
            "one type of the choice at most",
            "several types",
            "more than one type of a choice element is present",
        )


def period(p: Period | None, field: str, suffix: str = "") -> tuple[str | None, str | None]:
    """(start, end) of a period, normalized (``field + suffix`` is the period's path)."""
    if p is None:
        return None, None
    start = None if p.start is None else datetime(p.start, field, suffix + ".start")
    end = None if p.end is None else datetime(p.end, field, suffix + ".end")
    return start, end


def recorded(meta: Any, field: str) -> str | None:
    """``meta.lastUpdated`` (an instant), normalized, or None."""
    if meta is None or meta.last_updated is None:
        return None
    return instant(meta.last_updated, field, ".meta.lastUpdated")


def quantity_unit(q: Quantity, field: str, suffix: str = "") -> str | None:
    """The unit of a quantity: its UCUM code if coded in UCUM, else the human unit."""
    if q.code is not None:
        if q.code not in KNOWN_CODES:
            check_code(q.code, field, f"{suffix}.code")
        if q.system is None or q.system == UCUM or q.unit is None:
            return q.code
    return q.unit


def currency(m: Money, field: str) -> str | None:
    """An ISO 4217 currency code (three capital letters; the binding is required), or None."""
    cur = m.currency
    if cur is not None and not (len(cur) == 3 and cur.isascii() and cur.isupper()):
        raise Reject(
            Reason.INVALID_VALUE,
            f"{field}.currency",
            "an ISO 4217 currency code (e.g. USD)",
            cur,
            "not a currency code",
        )
    return cur


def identifier_value(identifiers: list[Identifier] | None, system: str) -> str | None:
    """The value of the first identifier of ``system``."""
    for ident in identifiers or ():
        if ident.system == system and ident.value is not None:
            return ident.value
    return None


def identifier_of_type(identifiers: list[Identifier] | None, type_code: str) -> str | None:
    """The value of the first identifier whose type has the v2-0203 code ``type_code``."""
    for ident in identifiers or ():
        if ident.type is not None and ident.value is not None and ident.type.coding:
            for c in ident.type.coding:
                if c.code == type_code:
                    return ident.value
    return None


def reference_npi(ref: Reference | None) -> str | None:
    """The NPI of a reference's inline identifier, if it has one."""
    if ref is None or ref.identifier is None:
        return None
    ident = ref.identifier
    return ident.value if ident.system == NPI_SYSTEM else None


def name_parts(names: list[HumanName] | None) -> tuple[str | None, str | None]:
    """(family, given names joined by spaces) of the official name, else of the first name."""
    if not names:
        return None, None
    chosen = names[0]
    for n in names:
        if n.use == "official":
            chosen = n
            break
    given = " ".join(chosen.given) if chosen.given else None
    return chosen.family, given
