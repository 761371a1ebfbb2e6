"""One FHIR resource's bytes -> its canonical rows, or the reason it is quarantined.

The steps, each the first place a record can fail:

1. encoding: the bytes must be UTF-8 (checked only when they are not ASCII);
2. decoding into the Struct of its ``resourceType`` (JSON syntax, types, cardinality,
   required elements, required bindings), or the decoder's recursion limit;
3. ``id``: present (wardwatch keys every table on it) and of the R4 ``id`` format;
4. references: inside a Bundle every ``urn:uuid:``/``urn:oid:`` reference must be the fullUrl
   of an entry (outside one they never resolve: records kept whole are scanned for them, the
   references mapped records use are checked when mapped);
5. mapping to rows (formats of the values used, choice elements, what the tables need).

Types wardwatch does not map are kept whole in ``other_resources``; since their JSON is stored,
they must not nest deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Rejection, Row
from wardwatch.ingest.fhir._datatypes import Reference
from wardwatch.ingest.fhir._errors import Reject, clip, from_validation_error, json_path_value
from wardwatch.ingest.fhir._map_admin import (
    map_encounter,
    map_organization,
    map_patient,
    map_practitioner,
)
from wardwatch.ingest.fhir._map_clinical import (
    map_condition,
    map_document,
    map_medication_request,
    map_procedure,
)
from wardwatch.ingest.fhir._map_financial import map_claim
from wardwatch.ingest.fhir._map_observation import map_observation
from wardwatch.ingest.fhir._models_admin import Encounter, Organization, Patient, Practitioner
from wardwatch.ingest.fhir._models_base import OtherResource, TaggedResource
from wardwatch.ingest.fhir._models_clinical import (
    Condition,
    DocumentReference,
    MedicationRequest,
    Observation,
    Procedure,
)
from wardwatch.ingest.fhir._models_financial import Claim, ExplanationOfBenefit
from wardwatch.ingest.fhir._models_other import RESOURCE_DECODER, Head, resource_class
from wardwatch.ingest.fhir._refs import Resolver
from wardwatch.ingest.fhir._stream import RAW_LIMIT, head_resource_type

__all__ = ["MAX_DEPTH", "RecordParser", "compact_json", "exceeds_depth", "head_of", "rejection"]

MAX_DEPTH = 64
"""The deepest JSON nesting a resource kept whole may have."""

Mapper = Callable[[Any, Resolver, bytes], list[Row]]

_MAPPERS: dict[type, Mapper] = {
    Patient: map_patient,
    Encounter: map_encounter,
    Condition: map_condition,
    Observation: map_observation,
    MedicationRequest: map_medication_request,
    Procedure: map_procedure,
    Claim: map_claim,
    ExplanationOfBenefit: map_claim,
    DocumentReference: map_document,
    Practitioner: map_practitioner,
    Organization: map_organization,
}
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}").fullmatch
_JSON_NAMES = {"str": "string", "int": "number", "float": "number", "bool": "boolean"}
_HEAD = msgspec.json.Decoder(Head)
_REFS = msgspec.json.Decoder(Reference | list[Reference])
_KEEP = b'{}[]"\\'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _KEEP)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"{}[]")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def exceeds_depth(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON in ``raw`` nests objects/arrays deeper than ``limit``.

    Cheap in the common case: fewer brackets than ``limit`` cannot nest deeper. Otherwise
    strings are dropped and innermost bracket pairs peeled off; each pass peels one or two
    levels, so ``limit // 2`` passes that empty the text prove the depth is within the limit.
    """
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return False
    if b"\\" in raw:
        brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    else:
        brackets = raw.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
        if b'"' in brackets:
            brackets = _STRING.sub(b"", brackets)
    rest = brackets
    for _ in range(limit // 2):
        peeled = rest.replace(b"{}", b"").replace(b"[]", b"")
        if not peeled or peeled == rest:  # done, or unbalanced (the decoder says so)
            return False
        rest = peeled
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"{[" else -1
        deepest = max(deepest, depth)
    return deepest > limit


def compact_json(raw: bytes) -> str:
    """``raw`` (valid JSON, UTF-8) without whitespace between tokens, as text.

    A record without any whitespace byte is kept byte for byte; otherwise msgspec re-formats
    it (~2 µs a KiB), keeping strings and numbers exactly as written. (Finding whitespace
    *between tokens* with a regular expression costs ten times more than re-formatting.)
    """
    if b" " in raw or b"\n" in raw or b"\r" in raw or b"\t" in raw:
        return msgspec.json.format(raw, indent=-1).decode()
    return raw.decode()


def rejection(reject: Reject, resource_type: str | None, record_id: str | None) -> Rejection:
    """The sink's Rejection for a Reject raised on a record."""
    return Rejection(
        reject.reason,
        reject.message,
        resource_type,
        record_id,
        reject.field,
        reject.expected,
        reject.found,
    )


def head_of(raw: bytes) -> tuple[str | None, str | None]:
    """(resourceType, id) of a record that failed to decode, when they are strings."""
    try:
        head = _HEAD.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None, None
    rtype = head.resourceType if isinstance(head.resourceType, str) else None
    rid = head.id if isinstance(head.id, str) else None
    return (None if rtype is None else clip(rtype, 64)), (None if rid is None else clip(rid, 64))


def _urn_field(raw: bytes, urn: str, resource_type: str) -> str:
    """The element path holding the reference ``urn`` (slow path, on rejection only)."""
    ok, doc = json_path_value(raw, [])
    stack: list[tuple[Any, str]] = [(doc, resource_type)] if ok else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if node.get("reference") == urn:
                return f"{path}.reference"
            stack.extend((v, f"{path}.{k}") for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, path) for v in node)
    return f"{resource_type}.reference"


class RecordParser:
    """Decodes, validates and maps single resources for one file.

    Args:
        resolver: resolves the references of the file's records.
    """

    __slots__ = ("resolver", "scan_urns")

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.scan_urns = resolver.in_bundle
        """Inside a Bundle: whether some ``urn:`` reference of the file matches no entry (the
        Bundle parser clears it when none does). Outside a Bundle, only the records kept whole
        are scanned: the references of mapped records that wardwatch uses are resolved (and a
        ``urn:`` there rejected) by the mapping step, the others are not kept."""

    def parse(self, raw: bytes) -> list[Row] | Rejection:
        """Rows of one resource, or why it is quarantined (outside a Bundle)."""
        if raw.isascii():
            # The common case inline: ASCII, decodes, a mapped type with a valid id.
            try:
                obj = RESOURCE_DECODER.decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                return self._failed(raw)
            rid = obj.id
            mapper = _MAPPERS.get(type(obj))
            if mapper is not None and rid is not None and _ID(rid) is not None:
                try:
                    return mapper(obj, self.resolver, raw)
                except Reject as reject:
                    return rejection(reject, type(obj).__name__, rid)
            checked = self._checked(obj, raw)
        else:
            checked = self.decode(raw)
        if isinstance(checked, Rejection):
            return checked
        return self.map(checked, raw)

    def decode(self, raw: bytes) -> TaggedResource | Rejection:
        """Steps 1-3: the decoded Struct (with a valid id), or a Rejection."""
        if not raw.isascii():
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                return Rejection(
                    Reason.ENCODING,
                    f"record is not valid UTF-8 (byte 0x{bad} at offset {exc.start}); "
                    "re-export the file as UTF-8",
                    expected="UTF-8",
                    found=f"byte 0x{bad} at offset {exc.start}",
                )
        try:
            obj = RESOURCE_DECODER.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            return self._failed(raw)
        return self._checked(obj, raw)

    def _failed(self, raw: bytes) -> Rejection:
        """Why ``raw`` does not decode (decoded again: failures are the rare path)."""
        try:
            RESOURCE_DECODER.decode(raw)
        except msgspec.ValidationError as exc:
            return self._invalid(exc, raw)
        except msgspec.DecodeError as exc:
            detail = str(exc)
            return Rejection(
                Reason.MALFORMED,
                f"not valid JSON ({detail}); fix the producer of the file",
                expected="a JSON object",
                found=clip(detail),
            )
        except RecursionError:
            return self._too_deep(raw, "more than the decoder's recursion limit")
        raise AssertionError("a record decoded on the second try")  # pragma: no cover

    def _checked(self, obj: TaggedResource, raw: bytes) -> TaggedResource | Rejection:
        """Step 3 (and the depth of records kept whole): ``obj``, or a Rejection."""
        rtype = type(obj).__name__
        rid = obj.id
        if rid is None:
            return rejection(
                Reject(
                    Reason.MISSING_REQUIRED,
                    f"{rtype}.id",
                    "a resource id",
                    "absent",
                    "wardwatch requires an id on every resource it loads",
                    "give resources ids (a server assigns them) before ingest",
                ),
                rtype,
                None,
            )
        if _ID(rid) is None:
            return rejection(
                Reject(
                    Reason.INVALID_VALUE,
                    f"{rtype}.id",
                    "an R4 id: 1 to 64 of A-Z a-z 0-9 - .",
                    rid,
                    "not a valid R4 id",
                ),
                rtype,
                clip(rid, 64),
            )
        if isinstance(obj, OtherResource) and exceeds_depth(raw):
            return self._too_deep(raw, f"more than {MAX_DEPTH} levels")
        return obj

    def map(self, obj: TaggedResource, raw: bytes) -> list[Row] | Rejection:
        """Steps 4-5: the rows of a decoded resource, or a Rejection."""
        res = self.resolver
        scan = self.scan_urns if res.in_bundle else isinstance(obj, OtherResource)
        if scan and b"urn:" in raw:
            urn = res.unresolved_urn(raw)
            if urn is not None:
                rtype = type(obj).__name__
                where = "no entry of this Bundle" if res.in_bundle else "nothing outside a Bundle"
                reject = Reject(
                    Reason.BAD_REFERENCE,
                    _urn_field(raw, urn, rtype),
                    "the fullUrl of an entry of the same Bundle",
                    urn,
                    f"reference resolves to {where}",
                )
                return rejection(reject, rtype, obj.id)
        mapper = _MAPPERS.get(type(obj))
        try:
            if mapper is None:
                return self._other(obj, raw)  # type: ignore[arg-type]
            return mapper(obj, res, raw)
        except Reject as reject:
            return rejection(reject, type(obj).__name__, obj.id)

    def _other(self, obj: OtherResource, raw: bytes) -> list[Row]:
        """A resource of a type wardwatch does not map: one ``other_resources`` row."""
        pid = None
        for ref_raw in (obj.patient, obj.subject):
            if pid is None and len(ref_raw):
                pid = self._patient_of(ref_raw)
        return [("other_resources", (obj.id, type(obj).__name__, pid, compact_json(raw)))]

    def _patient_of(self, ref_raw: msgspec.Raw) -> str | None:
        """The first Patient among the references in ``subject``/``patient``, if any."""
        try:
            refs = _REFS.decode(ref_raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None
        for ref in refs if isinstance(refs, list) else [refs]:
            if ref.reference is None:
                continue
            try:
                target = self.resolver.target(ref.reference, "reference")
            except Reject:
                continue
            if target is not None and target[0] == "Patient":
                return target[1]
        return None

    def _too_deep(self, raw: bytes, found: str) -> Rejection:
        """The Rejection of a record nested too deep."""
        rtype, rid = head_of(raw)
        if rtype is None:
            rtype = head_resource_type(raw[:RAW_LIMIT])
        return Rejection(
            Reason.TOO_DEEP,
            f"JSON nests deeper than {MAX_DEPTH} levels, more than any FHIR resource needs; "
            "check the producer of the file",
            rtype,
            rid,
            expected=f"at most {MAX_DEPTH} levels of nesting",
            found=found,
        )

    def _invalid(self, exc: msgspec.ValidationError, raw: bytes) -> Rejection:
        """The Rejection for a msgspec validation error on a record."""
        text = str(exc)
        rtype, rid = head_of(raw)
        if text.startswith("Expected `object`, got `") and " - at " not in text:
            got = text.split("got `", 1)[1].rstrip("`")
            got = _JSON_NAMES.get(got, got)
            return Rejection(
                Reason.NOT_A_RESOURCE,
                f"record is a JSON {got}, not a FHIR resource (an object with a resourceType)",
                expected="a JSON object with a resourceType",
                found=f"JSON {got}",
            )
        if text == "Object missing required field `resourceType`" or (
            text.startswith("Expected") and text.endswith("- at `$.resourceType`")
        ):
            return Rejection(
                Reason.NOT_A_RESOURCE,
                "JSON object without a resourceType string: not a FHIR resource",
                None,
                rid,
                "resourceType",
                "a resourceType string",
                "absent" if text.startswith("Object") else "not a string",
            )
        if text.startswith("Invalid value ") and text.endswith("- at `$.resourceType`"):
            return Rejection(
                Reason.UNKNOWN_TYPE,
                "resourceType names no FHIR R4 resource type (check the FHIR version of the "
                "export: R4 only)",
                rtype,
                rid,
                "resourceType",
                "an R4 resource type",
                rtype,
            )
        cls = resource_class(rtype) if rtype is not None else None
        reject = from_validation_error(exc, cls, rtype or "Resource", raw)
        return rejection(reject, rtype, rid)
