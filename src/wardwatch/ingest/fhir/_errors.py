"""Why a FHIR record is quarantined: the :class:`Reject` signal and msgspec error translation.

Mapping code raises :class:`Reject` at the first problem it finds; the record parser turns it
into a :class:`~wardwatch.ingest._sink.Rejection` with the resource type and id. Decoding errors
come from msgspec as one line ending in ``- at `$.path```; :func:`from_validation_error` turns
that into a reason, a FHIR element path (``Observation.valueQuantity.value``), what the R4
definition expects and what was found (looked up in the record, clipped; never the record).

Messages never contain the found value (it may be PHI): that goes to ``found`` only.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal, get_args, get_origin

import msgspec
import orjson

from wardwatch.ingest._reasons import Reason

__all__ = ["FOUND_LIMIT", "Reject", "clip", "from_validation_error", "json_path_value"]

FOUND_LIMIT = 80
"""``found`` values are cut to this many characters."""

_HINTS: dict[Reason, str] = {
    Reason.MISSING_REQUIRED: "add the element in the source, or map the record before ingest",
    Reason.WRONG_TYPE: "fix the JSON type in the source feed",
    Reason.CARDINALITY: "send a single value where R4 allows one, an array where it allows many",
    Reason.INVALID_VALUE: "fix the value in the source, or map it to the R4 value set",
    Reason.INVALID_DATETIME: "use an R4 date/dateTime/instant, e.g. 2024-05-01T13:45:00Z",
    Reason.BAD_REFERENCE: "make the reference point at a resource of the file (or Type/id)",
    Reason.NOT_A_RESOURCE: "send FHIR resources (JSON objects with a resourceType)",
    Reason.UNKNOWN_TYPE: "send R4 resource types only",
}


class Reject(Exception):  # noqa: N818 - a control-flow signal, not an error for users
    """Raised by validation and mapping code: the record goes to quarantine for this reason."""

    def __init__(
        self,
        reason: Reason,
        field: str | None,
        expected: str | None,
        found: str | None,
        problem: str,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.field = field
        self.expected = expected
        self.found = None if found is None else clip(found)
        hint = hint if hint is not None else _HINTS.get(reason, "")
        text = f"{field}: {problem}" if field else problem
        if expected:
            text += f"; expected {expected}"
        if hint:
            text += f" ({hint})"
        self.message = text.replace("\n", " ").replace("\r", " ")
        super().__init__(self.message)


def clip(value: str, limit: int = FOUND_LIMIT) -> str:
    """``value`` on one line, cut to ``limit`` characters (with ``...``)."""
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _show(value: Any) -> str:
    """A short JSON rendering of a found value."""
    if isinstance(value, str):
        return value
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = repr(value)
    return text


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.S)
_MISSING = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
_TYPE = re.compile(r"Expected `(?P<exp>[^`]+)`, got `(?P<got>[^`]+)`")
_LENGTH = re.compile(r"Expected `(?P<exp>[^`]+)` of length >= 1")
_BOUND = re.compile(r"Expected `(?P<exp>int|float)` (?P<op>[<>]=?) (?P<num>-?[0-9.e+]+)")
_PATTERN = re.compile(r"Expected `str` matching regex (?P<pat>.*)$", re.S)
_ENUM = re.compile(r"Invalid enum value (?P<val>.*)$", re.S)
_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_QUOTED = re.compile(r"'[^']*'")

_FHIR_TYPE = {
    "str": "string",
    "int": "integer",
    "float": "decimal (a JSON number)",
    "bool": "boolean",
    "object": "object",
    "array": "array",
    "null": "null",
}


def _segments(path: str) -> list[str | int]:
    """``$.component[0].code`` -> ``["component", 0, "code"]``."""
    return [name if name else int(idx) for name, idx in _TOKEN.findall(path[1:])]


def fhir_path(resource_type: str, segments: list[str | int]) -> str:
    """The R4 element path (no indices): ``Observation.component.code``."""
    return ".".join([resource_type, *(s for s in segments if isinstance(s, str))])


def json_path_value(raw: bytes, segments: list[str | int]) -> tuple[bool, Any]:
    """Look up a path in the record (slow path, on errors only): (found, value)."""
    try:
        node: Any = msgspec.json.decode(raw)  # unlike orjson, any integer size
    except (msgspec.DecodeError, RecursionError):
        return False, None
    for seg in segments:
        in_list = isinstance(seg, int) and isinstance(node, list) and seg < len(node)
        if not (in_list or (isinstance(seg, str) and isinstance(node, dict) and seg in node)):
            return False, None
        node = node[seg]
    return True, node


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types behind Annotated, Optional/Union and list."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in get_args(tp) if a is not type(None) for t in _unwrap(a)]
    if origin is list:
        return _unwrap(get_args(tp)[0])
    return [tp]


def _field_type(cls: type[msgspec.Struct], segments: list[str | int]) -> Any:
    """The declared type at a JSON path of ``cls`` (for the allowed codes of an enum error)."""
    current: list[Any] = [cls]
    for seg in segments:
        if isinstance(seg, int):
            continue
        nxt: list[Any] = []
        for tp in current:
            if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
                for f in msgspec.structs.fields(tp):
                    if f.encode_name == seg:
                        nxt.extend(_unwrap(f.type))
        current = nxt
    return current[0] if current else None


def _allowed(cls: type[msgspec.Struct], segments: list[str | int]) -> str | None:
    """The codes a Literal field allows, as ``a | b | c``, or None."""
    tp = _field_type(cls, segments)
    if get_origin(tp) is Literal:
        return " | ".join(str(v) for v in get_args(tp))
    return None


_PATTERN_NAMES = {"R4 dateTime": "([0-9]([0-9]([0-9][1-9]"}


def from_validation_error(
    exc: msgspec.ValidationError, cls: type[msgspec.Struct] | None, resource_type: str, raw: bytes
) -> Reject:
    """Translate a msgspec validation error on a record of ``resource_type`` into a Reject."""
    m = _AT.match(str(exc))
    msg = m.group("msg") if m else str(exc)
    path = (m.group("path") if m else None) or "$"
    segs = _segments(path)

    def found_here() -> str | None:
        ok, value = json_path_value(raw, segs)
        return _show(value) if ok else None

    if mm := _MISSING.fullmatch(msg):
        segs = [*segs, mm.group("name")]
        return Reject(
            Reason.MISSING_REQUIRED,
            fhir_path(resource_type, segs),
            "the element (R4 cardinality 1..1 or 1..*)",
            "absent",
            "required element is missing",
        )
    field = fhir_path(resource_type, segs)
    if mm := _TYPE.fullmatch(msg):
        exp, got = mm.group("exp"), mm.group("got")
        exp_kinds = {k.strip() for k in exp.split("|")}
        want = " or ".join(_FHIR_TYPE.get(k, k) for k in sorted(exp_kinds - {"null"}))
        found = found_here() or got
        if "array" in exp_kinds and got == "object":
            return Reject(
                Reason.CARDINALITY,
                field,
                "an array (0..*)",
                found,
                "a single object where R4 allows several (send an array)",
            )
        if "object" in exp_kinds and got == "array":
            return Reject(
                Reason.CARDINALITY,
                field,
                "a single object (0..1)",
                found,
                "an array where R4 allows at most one",
            )
        return Reject(
            Reason.WRONG_TYPE,
            field,
            want,
            f"{got}: {found}" if found != got else got,
            f"wrong JSON type ({got})",
        )
    if mm := _LENGTH.fullmatch(msg):
        if mm.group("exp") == "array":
            return Reject(
                Reason.MISSING_REQUIRED,
                field,
                "at least one item (1..*)",
                "[]",
                "required element is an empty array",
            )
        return Reject(
            Reason.INVALID_VALUE,
            field,
            "a non-empty string",
            '""',
            "empty string (R4 strings may not be empty; leave the element out)",
        )
    if mm := _BOUND.fullmatch(msg):
        return Reject(
            Reason.INVALID_VALUE,
            field,
            f"{mm.group('op')} {mm.group('num')}",
            found_here(),
            "number out of range for its R4 type",
        )
    if mm := _PATTERN.fullmatch(msg):
        is_dt = _PATTERN_NAMES["R4 dateTime"] in mm.group("pat")
        if is_dt:
            return Reject(
                Reason.INVALID_DATETIME,
                field,
                "an R4 dateTime",
                found_here(),
                "not a valid R4 dateTime",
            )
        return Reject(
            Reason.INVALID_VALUE,
            field,
            f"a string matching {mm.group('pat')}",
            found_here(),
            "value does not have the format of its R4 type",
        )
    if mm := _ENUM.fullmatch(msg):
        allowed = _allowed(cls, segs) if cls is not None else None
        return Reject(
            Reason.INVALID_VALUE,
            field,
            f"one of {allowed}" if allowed else "an R4 code",
            found_here(),
            "code outside the required value set",
        )
    # A message msgspec may add later: keep its words, not the values it quotes.
    return Reject(Reason.INVALID_VALUE, field, None, found_here(), _QUOTED.sub("'...'", msg))
