"""Every Reason the FHIR parser emits, with its field path, expected and found values."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from tests.ingest.fhir._fhir_cases import (
    bundle,
    minimal,
    only_rejection,
    run_bundle,
    run_ndjson,
)
from tests.ingest.fhir._fhir_invalid import CASES

from wardwatch.ingest import _reasons
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import CollectingSink
from wardwatch.ingest.fhir import parse_ndjson


@pytest.mark.parametrize(
    ("record", "reason", "field", "expected", "found"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_reason(
    record: Any, reason: Reason, field: str | None, expected: str, found: str | None
) -> None:
    rej = only_rejection(run_ndjson(record))
    assert rej.reason is reason
    assert rej.field == field
    assert expected in (rej.expected or "")
    assert rej.found == found
    assert "\n" not in rej.message
    assert len(rej.message) < 400
    if isinstance(record, dict) and isinstance(record.get("resourceType"), str):
        assert rej.resource_type == record["resourceType"]
    if found is not None and len(found) > 3 and reason is not Reason.NOT_A_RESOURCE:
        # The found value may be PHI: it goes to `found`, never into the message.
        assert found not in rej.message


def test_malformed_json() -> None:
    rej = only_rejection(run_ndjson(b'{"resourceType": "Patient", "id": "p1",}'))
    assert rej.reason is Reason.MALFORMED
    assert rej.expected == "a JSON object"
    assert "malformed" in (rej.found or "")


def test_truncated_line() -> None:
    rej = only_rejection(run_ndjson(b'{"resourceType": "Patient", "id": "p'))
    assert rej.reason is Reason.MALFORMED
    assert rej.found == "Input data was truncated"


def test_encoding() -> None:
    latin1 = '{"resourceType":"Patient","id":"p1","name":[{"family":"Müller"}]}'.encode("latin-1")
    rej = only_rejection(run_ndjson(latin1))
    assert rej.reason is Reason.ENCODING
    assert rej.expected == "UTF-8"
    offset = latin1.index(b"\xfc")
    assert rej.found == f"byte 0xfc at offset {offset}"


def test_too_deep_decoder_limit() -> None:
    deep = b'{"resourceType":"Patient","id":"p","x":' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    rej = only_rejection(run_ndjson(deep))
    assert rej.reason is Reason.TOO_DEEP
    assert rej.expected == "at most 64 levels of nesting"
    assert rej.found == "more than the decoder's recursion limit"
    assert rej.resource_type == "Patient"


def test_too_deep_kept_whole() -> None:
    nested: Any = 1
    for _ in range(65):
        nested = {"a": nested}
    rej = only_rejection(run_ndjson(minimal("Immunization", note=nested)))
    assert rej.reason is Reason.TOO_DEEP
    assert rej.found == "more than 64 levels"
    assert rej.record_id == "i1"


def test_too_large() -> None:
    big = minimal("Patient", name=[{"family": "x" * 5000}])
    sink = run_ndjson(big, minimal("Patient", id="p2"), max_record_bytes=4096)
    assert sink.loaded == 1
    ((line, rej, raw),) = sink.rejected
    assert line == 1
    assert rej.reason is Reason.TOO_LARGE
    assert rej.expected == "at most 4096 bytes"
    assert rej.found == f"{len(orjson.dumps(big))} bytes"
    assert rej.resource_type == "Patient"
    assert raw == orjson.dumps(big)[: len(raw)]


def test_bad_reference_in_bundle() -> None:
    obs = minimal("Observation", id="0b5", subject={"reference": "urn:uuid:missing"})
    sink = run_bundle(bundle(obs))
    rej = only_rejection(sink)
    assert rej.reason is Reason.BAD_REFERENCE
    assert rej.field == "Observation.subject.reference"
    assert rej.found == "urn:uuid:missing"


def test_bad_reference_anywhere_in_bundle_entry() -> None:
    obs = minimal("Observation", id="0b5", performer=[{"reference": "urn:uuid:gone"}])
    pat = minimal("Patient", id="9a")
    obs["subject"] = {"reference": "urn:uuid:9a"}
    sink = run_bundle(bundle(pat, obs))
    assert sink.loaded == 1
    ((line, rej, _raw),) = sink.rejected
    assert line == 2
    assert (rej.reason, rej.field, rej.found) == (
        Reason.BAD_REFERENCE,
        "Observation.performer.reference",
        "urn:uuid:gone",
    )


def test_every_reason_is_covered() -> None:
    """The parser emits every Reason that applies to FHIR; the rest are HL7/tabular only."""
    emitted = {c[2] for c in CASES} | {
        Reason.MALFORMED,
        Reason.ENCODING,
        Reason.TOO_DEEP,
        Reason.TOO_LARGE,
    }
    not_fhir = {Reason.MISSING_SEGMENT, Reason.MAPPING_ERROR}
    assert emitted | not_fhir == set(_reasons.Reason)


def test_reject_keeps_raw_line() -> None:
    data = b'{"resourceType":"Observation","id":"o1"}\n'
    sink = CollectingSink()
    parse_ndjson(io.BytesIO(data), sink)
    assert sink.rejected[0][2] == data.rstrip(b"\n")
