"""A JSON file holding one Bundle (any type) or one single resource.

A Bundle's entries are the records (numbered from 1 in entry order); the Bundle itself is
not. Entries are read in two passes: the first reads the type, id and (for Conditions and
Medications) code of every entry, so that the second, which decodes, validates and maps each
entry in turn, can resolve references to any entry (``urn:uuid:`` fullUrls, relative and
absolute URLs) and follow a Claim's ``diagnosisReference`` to its Condition's code whatever the
entry order. The file is held in memory (up to ``max_bytes``), decoded resources one at a
time.

An entry without a ``resource`` (a DELETE or GET request, a response without the resource) is
quarantined as ``not-a-resource`` with its request: wardwatch loads resources and does not
apply deletions, so the entry is kept where a person sees it rather than dropped.

A file that is not valid JSON, is larger than ``max_bytes``, or whose Bundle is itself invalid
(no ``type``, ``entry`` not an array...) gives one quarantined record for the whole file.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, BinaryIO, Literal, get_args

import msgspec
from msgspec import Meta

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection, Row
from wardwatch.ingest.fhir._datatypes import CodeableConcept
from wardwatch.ingest.fhir._errors import clip, from_validation_error
from wardwatch.ingest.fhir._record import RecordParser
from wardwatch.ingest.fhir._refs import URN_REFERENCE, Resolver, Target
from wardwatch.ingest.fhir._stream import RAW_LIMIT, gc_paused, strip_start

__all__ = ["parse_bundle"]

_READ = 16 << 20

BundleType = Literal[
    "document",
    "message",
    "transaction",
    "transaction-response",
    "batch",
    "batch-response",
    "history",
    "searchset",
    "collection",
]


_BUNDLE_TYPES: frozenset[str] = frozenset(get_args(BundleType))


class _Request(msgspec.Struct, gc=False, kw_only=True):
    """R4 ``Bundle.entry.request`` (method has a required binding)."""

    method: Literal["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
    url: Annotated[str, Meta(min_length=1)]


class _Entry(msgspec.Struct, gc=False, kw_only=True, rename="camel", omit_defaults=True):
    """R4 ``Bundle.entry``, its resource kept raw for the record parser."""

    full_url: Annotated[str, Meta(min_length=1)] | None = None
    resource: msgspec.Raw = msgspec.Raw()
    request: _Request | None = None


class _Bundle(msgspec.Struct, gc=False, kw_only=True):
    """The whole file in one pass: entries decoded, their resources kept raw."""

    resource_type: object = msgspec.field(default=None, name="resourceType")
    type: object = None
    entry: list[_Entry] | None = None


class _LooseBundle(msgspec.Struct, gc=False, kw_only=True):
    """The fallback when some entry does not decode: entries are then read one by one."""

    resource_type: object = msgspec.field(default=None, name="resourceType")
    type: object = None
    entry: msgspec.Raw = msgspec.Raw()


_BUNDLE = msgspec.json.Decoder(_Bundle)
_LOOSE = msgspec.json.Decoder(_LooseBundle)
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_ENTRY = msgspec.json.Decoder(_Entry)


class _Head(msgspec.Struct, gc=False, kw_only=True):
    """What the first pass reads of a resource; everything else is skipped."""

    resource_type: object = msgspec.field(default=None, name="resourceType")
    id: object = None
    code: msgspec.Raw = msgspec.Raw()


_INDEX = msgspec.json.Decoder(_Head)
_CONCEPT = msgspec.json.Decoder(CodeableConcept)
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}").fullmatch

Entry = tuple[_Entry | Rejection, bytes | None]
"""An entry decoded, or why it is rejected, with its bytes when it could not be decoded."""


def _read(stream: BinaryIO, max_bytes: int) -> tuple[bytes, int]:
    """(the whole file, 0), or (its first RAW_LIMIT bytes, bytes read) if over max_bytes."""
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_READ, max_bytes + 1 - total))
        if not chunk:
            return b"".join(parts), 0
        parts.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            if total < RAW_LIMIT:  # keep a full excerpt as raw
                parts.append(stream.read(RAW_LIMIT - total))
            head, kept = [], 0
            for part in parts:
                head.append(part[: RAW_LIMIT - kept])
                kept += len(head[-1])
                if kept >= RAW_LIMIT:
                    break
            return b"".join(head), total


def _file_rejection(reason: Reason, message: str, expected: str, found: str) -> Rejection:
    """A Rejection of the whole file (record 1)."""
    return Rejection(reason, message, "Bundle", None, None, expected, clip(found))


def parse_bundle(stream: BinaryIO, sink: RecordSink, *, max_bytes: int = 1 * 2**30) -> None:
    """Parse a JSON file holding a Bundle (each entry a record) or a single resource.

    Args:
        stream: the file, opened in binary mode.
        sink: receives each record (entry number, 1-based; 1 for a single resource).
        max_bytes: a larger file is quarantined whole as ``record-too-large``.

    Raises:
        InputError: the file is UTF-16/32 or binary; nothing was sent to the sink.
    """
    data, size = _read(stream, max_bytes)
    data = strip_start(data, "FHIR JSON")
    if size:
        sink.reject(
            1,
            _file_rejection(
                Reason.TOO_LARGE,
                f"file of more than {max_bytes} bytes is over the bundle limit; split it or "
                "export NDJSON",
                f"at most {max_bytes} bytes",
                f"more than {max_bytes} bytes",
            ),
            data,
        )
        return
    with gc_paused():
        _parse(data, sink)


def _parse(data: bytes, sink: RecordSink) -> None:
    """Decode the file: a Bundle (fast path, else entry by entry) or one resource."""
    doc: _Bundle | _LooseBundle
    try:
        try:
            doc = _BUNDLE.decode(data)
        except (msgspec.ValidationError, UnicodeDecodeError):
            try:
                doc = _LOOSE.decode(data)
            except (msgspec.ValidationError, UnicodeDecodeError, RecursionError):
                _single(data, sink)  # not an object, or a resourceType that is not UTF-8
                return
    except msgspec.DecodeError as exc:  # broken JSON, found by either decoder
        _reject_file(
            sink,
            _file_rejection(
                Reason.MALFORMED,
                f"file is not valid JSON ({exc}); nothing in it was loaded",
                "one JSON object (a Bundle or a resource)",
                str(exc),
            ),
            data,
        )
        return
    except RecursionError:
        _single(data, sink)  # reported as too deep
        return
    if doc.resource_type != "Bundle":
        _single(data, sink)
        return
    problem = _type_problem(doc.type)
    if problem is not None:
        _reject_file(sink, problem, data)
        return
    if isinstance(doc, _Bundle):
        entries: list[Entry] = [(e, None) for e in doc.entry or ()]
    else:
        try:
            raw_entries = _RAW_LIST.decode(doc.entry) if len(doc.entry) else []
        except msgspec.ValidationError as exc:
            r = from_validation_error(exc, None, "Bundle.entry", bytes(doc.entry))
            reject = Rejection(
                Reason.CARDINALITY if "array" in (r.expected or "") else r.reason,
                "Bundle.entry is not an array of entries; nothing in the file was loaded",
                "Bundle",
                None,
                "Bundle.entry",
                "an array of entries (0..*)",
                r.found,
            )
            _reject_file(sink, reject, data)
            return
        entries = [_entry(bytes(raw)) for raw in raw_entries]
    _entries(entries, data, sink)


def _type_problem(value: object) -> Rejection | None:
    """Why ``Bundle.type`` is invalid (the whole file is then quarantined), or None."""
    if isinstance(value, str) and value in _BUNDLE_TYPES:
        return None
    if value is None:
        reason, found, problem = Reason.MISSING_REQUIRED, "absent", "required element is missing"
    elif isinstance(value, str):
        reason, found, problem = Reason.INVALID_VALUE, value, "code outside the required value set"
    else:
        reason, found, problem = Reason.WRONG_TYPE, type(value).__name__, "wrong JSON type"
    return Rejection(
        reason,
        f"Bundle.type: {problem}; nothing in the file was loaded",
        "Bundle",
        None,
        "Bundle.type",
        f"one of {' | '.join(sorted(_BUNDLE_TYPES))}",
        clip(found),
    )


def _entry(raw: bytes) -> Entry:
    """One entry decoded from its bytes, or why it cannot be."""
    try:
        return _ENTRY.decode(raw), raw
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        return _bad_entry(exc, raw), raw


def _single(data: bytes, sink: RecordSink) -> None:
    """A file holding one resource (or something that is not a Bundle): record 1."""
    result = RecordParser(Resolver()).parse(data)
    if isinstance(result, list):
        sink.load(1, result)
    else:
        _reject_file(sink, result, data)


def _index(entries: list[Entry], resolver: Resolver, full_urls: dict[str, Target]) -> None:
    """First pass: each entry's fullUrl -> (type, id), and the codes of Conditions/Medications.

    Only the head of each resource is decoded (the rest is skipped), so that a Bundle's
    decoded resources are never all alive at once.
    """
    for entry, _ in entries:
        if isinstance(entry, Rejection) or not len(entry.resource):
            continue
        try:
            head = _INDEX.decode(entry.resource)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            continue  # the second pass says why
        rtype, rid = head.resource_type, head.id
        if not isinstance(rtype, str) or not isinstance(rid, str) or _ID(rid) is None:
            continue
        if entry.full_url is not None and entry.full_url not in full_urls:
            full_urls[entry.full_url] = (rtype, rid)
        if rtype in ("Condition", "Medication") and len(head.code):
            try:
                concept = _CONCEPT.decode(head.code)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
                continue
            for coding in concept.coding or ():
                if coding.code is not None:
                    codes = resolver.condition_codes if rtype == "Condition" else None
                    (codes if codes is not None else resolver.medication_codes)[rid] = coding
                    break


def _entries(entries: list[Entry], data: bytes, sink: RecordSink) -> None:
    """Index the entries, then decode, map and send them one at a time, in order."""
    full_urls: dict[str, Target] = {}
    resolver = Resolver(full_urls)
    parser = RecordParser(resolver)
    _index(entries, resolver, full_urls)
    # One scan of the whole file finds the urn: references; entries are scanned one by one
    # only when some reference matches no entry.
    urns = {m.decode("utf-8", "replace") for m in URN_REFERENCE.findall(data)}
    parser.scan_urns = any(u not in full_urls for u in urns)
    for n, (entry, entry_raw) in enumerate(entries, 1):
        if isinstance(entry, Rejection):
            sink.reject(n, entry, entry_raw)
            continue
        if not len(entry.resource):
            sink.reject(n, _no_resource(entry), entry_raw or msgspec.json.encode(entry))
            continue
        raw = bytes(entry.resource)
        obj = parser.decode(raw)
        result: list[Row] | Rejection = obj if isinstance(obj, Rejection) else parser.map(obj, raw)
        if isinstance(result, list):
            sink.load(n, result)
        else:
            sink.reject(n, result, raw)


def _bad_entry(exc: Exception, raw: bytes) -> Rejection:
    """Why an entry could not be decoded."""
    if isinstance(exc, UnicodeDecodeError):
        return Rejection(
            Reason.ENCODING,
            "Bundle entry is not valid UTF-8; re-export the file as UTF-8",
            None,
            None,
            "Bundle.entry",
            "UTF-8",
            f"byte at offset {exc.start}",
        )
    if isinstance(exc, msgspec.ValidationError):
        r = from_validation_error(exc, _Entry, "Bundle.entry", raw)
        return Rejection(r.reason, r.message, None, None, r.field, r.expected, r.found)
    return Rejection(
        Reason.MALFORMED,
        f"Bundle entry is not valid JSON ({exc})",
        None,
        None,
        "Bundle.entry",
        "a JSON object",
        clip(str(exc)),
    )


def _no_resource(entry: _Entry) -> Rejection:
    """The Rejection of an entry without a resource (a request, a response...)."""
    req = entry.request
    what = f"request {req.method} {req.url}" if req is not None else "no request either"
    kind = f"a {req.method} request" if req is not None else "no request either"
    return Rejection(
        Reason.NOT_A_RESOURCE,
        f"Bundle entry has no resource ({kind}): nothing to load; wardwatch does not apply "
        "deletions or requests, act on it by hand if it matters",
        None,
        None,
        "Bundle.entry.resource",
        "a resource to load",
        clip(what),
    )


def _reject_file(sink: RecordSink, rejection: Rejection, data: bytes) -> None:
    """Quarantine the file as record 1 with at most RAW_LIMIT bytes of it, flagged if cut."""
    cut = len(data) > RAW_LIMIT
    sink.reject(1, replace(rejection, raw_truncated=cut) if cut else rejection, data[:RAW_LIMIT])
