"""Property-based tests of the FHIR parsers (hypothesis).

Whatever the input, the parsers never raise (other than InputError for unreadable files) and
every non-blank line / entry is counted once: records_in == loaded + quarantined.
"""

from __future__ import annotations

import io
import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.ingest.fhir._fhir_cases import LOINC, SYNTHEA, UCUM, minimal

from wardwatch.core.timeutil import normalize_datetime
from wardwatch.errors import InputError
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import CollectingSink
from wardwatch.ingest.fhir import R4_RESOURCE_TYPES, parse_bundle, parse_ndjson
from wardwatch.ingest.fhir import _primitives as prim
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._record import compact_json, exceeds_depth

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Recursive JSON values are slow to generate: fewer examples keep the suite fast.
JSON_SETTINGS = settings(SETTINGS, max_examples=40)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
resource_types = st.sampled_from(
    ["Patient", "Observation", "Encounter", "Claim", "ExplanationOfBenefit", "Condition",
     "MedicationRequest", "Procedure", "DocumentReference", "Practitioner", "Organization",
     "Immunization", "Bundle", "Banana", ""]
)  # fmt: skip
field_names = st.sampled_from(
    ["id", "status", "code", "subject", "valueQuantity", "valueString", "component", "category",
     "effectiveDateTime", "issued", "gender", "birthDate", "name", "class", "period", "patient",
     "insurance", "item", "total", "content", "identifier", "meta", "text", "extension"]
)  # fmt: skip
resource_like = st.builds(
    lambda rtype, fields: {"resourceType": rtype, **fields},
    resource_types,
    st.dictionaries(field_names, json_values, max_size=6),
)


def _dumps(value: Any) -> bytes:
    """JSON bytes (stdlib json: orjson refuses integers beyond 64 bits, which we want here)."""
    return json.dumps(value, separators=(",", ":")).encode()


def _parse_lines(lines: list[bytes]) -> CollectingSink:
    data = b"\n".join(lines)
    sink = CollectingSink()
    parse_ndjson(io.BytesIO(data), sink)
    assert sink.records_in == sink.loaded + sink.quarantined
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark is dropped
    assert sink.records_in == sum(1 for line in data.split(b"\n") if line.strip())
    return sink


@SETTINGS
@given(st.lists(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")), max_size=12))
def test_arbitrary_bytes_never_raise(lines: list[bytes]) -> None:
    head = b"\n".join(lines)[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        # UTF-16 by its byte order mark, or NUL bytes: the whole file is refused
        with pytest.raises(InputError, match=r"\Acannot read the file[^\n]*\Z"):
            _parse_lines(lines)
    else:
        _parse_lines(lines)


@JSON_SETTINGS
@given(st.lists(json_values, max_size=8))
def test_arbitrary_json_never_raises(values: list[Any]) -> None:
    sink = _parse_lines([_dumps(v) for v in values])
    assert sink.loaded == 0 or any(isinstance(v, dict) for v in values)


@JSON_SETTINGS
@given(st.lists(resource_like, min_size=1, max_size=8))
def test_resource_like_records_never_raise(records: list[dict[str, Any]]) -> None:
    sink = _parse_lines([_dumps(r) for r in records])
    for _, rej, _ in sink.rejected:
        assert isinstance(rej.reason, Reason)
        assert "\n" not in rej.message
        assert rej.found is None or len(rej.found) <= 80


@JSON_SETTINGS
@given(st.lists(st.one_of(resource_like, json_values), max_size=6), json_values)
def test_arbitrary_bundles_never_raise(entries: list[Any], bundle_type: Any) -> None:
    doc = {
        "resourceType": "Bundle",
        "type": "collection" if bundle_type is None else bundle_type,
        "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": e} for i, e in enumerate(entries)],
    }
    sink = CollectingSink()
    parse_bundle(io.BytesIO(_dumps(doc)), sink)
    assert sink.records_in == sink.loaded + sink.quarantined
    assert sink.records_in in (1, len(entries)) or (not entries and sink.records_in == 0)


def _synthea_resources() -> list[dict[str, Any]]:
    doc = orjson.loads(sorted(SYNTHEA.glob("*.json"))[0].read_bytes())
    seen: set[str] = set()
    out = []
    for entry in doc["entry"]:
        res = entry["resource"]
        if res["resourceType"] not in seen:
            seen.add(res["resourceType"])
            out.append(res)
    return out


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


SYNTHEA_RESOURCES = _synthea_resources()


@JSON_SETTINGS
@given(st.sampled_from(SYNTHEA_RESOURCES), st.data())
def test_mutated_synthea_resources(resource: dict[str, Any], data: st.DataObject) -> None:
    """Replace one element anywhere with any JSON value: loaded, or rejected with a field."""
    doc = orjson.loads(orjson.dumps(resource))
    path = data.draw(st.sampled_from(_paths(doc)))
    assume(path != ("resourceType",))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(json_values)
    sink = _parse_lines([_dumps(doc)])
    for _, rej, _ in sink.rejected:
        assert rej.resource_type == resource["resourceType"]
        if rej.field is not None:
            assert rej.field.startswith(resource["resourceType"]), rej


zones = st.sampled_from(["Z", "+00:00", "-05:00", "+05:30", "+14:00", "-12:00"])


@st.composite
def fhir_datetimes(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)))
    form = draw(st.sampled_from(["Y", "YM", "YMD", "s", "ms", "us"]))
    if form == "Y":
        return f"{moment:%Y}"
    if form == "YM":
        return f"{moment:%Y-%m}"
    if form == "YMD":
        return f"{moment:%Y-%m-%d}"
    text = f"{moment:%Y-%m-%dT%H:%M:%S}"
    if form == "ms":
        text += f".{moment.microsecond // 1000:03d}"
    elif form == "us":
        text += f".{moment.microsecond:06d}"
    return text + draw(zones)


@SETTINGS
@given(fhir_datetimes())
def test_datetime_fast_path_matches_timeutil(value: str) -> None:
    assert prim.datetime(value, "f") == normalize_datetime(value)
    if "T" in value:
        assert prim.instant(value, "f") == normalize_datetime(value)


@SETTINGS
@given(st.text(alphabet="0123456789-:TZ+. ", max_size=32))
def test_datetime_accepts_only_r4_forms(value: str) -> None:
    r4 = re.fullmatch(prim._R4_DATETIME.__self__.pattern, value)  # type: ignore[attr-defined]
    if r4 is None or normalize_datetime(value) is None:
        with pytest.raises(Reject) as info:
            prim.datetime(value, "f")
        assert info.value.reason is Reason.INVALID_DATETIME
    else:
        assert prim.datetime(value, "f") == normalize_datetime(value)


@st.composite
def observations(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """A valid Observation and the value columns it must give."""
    moment = draw(
        st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2090, 1, 1))
    ).replace(tzinfo=draw(st.sampled_from([UTC, timezone(timedelta(hours=-5))])))
    kind = draw(st.sampled_from(["quantity", "string", "concept", "integer", "none"]))
    obs = minimal(
        "Observation",
        id=draw(st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)),
        status=draw(st.sampled_from(["registered", "preliminary", "final", "amended",
                                     "corrected", "cancelled", "entered-in-error", "unknown"])),
        code={"coding": [{"system": LOINC, "code": draw(st.from_regex(r"[0-9]{1,5}-[0-9]",
                                                                      fullmatch=True))}]},
        subject={"reference": f"Patient/{draw(st.from_regex(r'[a-z0-9]{1,10}', fullmatch=True))}"},
        effectiveDateTime=moment.isoformat(timespec="seconds"),
        valueQuantity=None,
    )  # fmt: skip
    expected: tuple[Any, ...]
    if kind == "quantity":
        value = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
        obs["valueQuantity"] = {"value": value, "system": UCUM, "code": "mg"}
        expected = (value, "mg", None, None)
    elif kind == "string":
        text = draw(st.text(min_size=1, max_size=30))
        obs["valueString"] = text
        expected = (None, None, None, text)
    elif kind == "concept":
        obs["valueCodeableConcept"] = {"coding": [{"system": "s", "code": "a b"}]}
        expected = (None, None, "a b", None)
    elif kind == "integer":
        number = draw(st.integers(min_value=-(2**31), max_value=2**31 - 1))
        obs["valueInteger"] = number
        expected = (float(number), None, None, None)
    else:
        expected = (None, None, None, None)
    return obs, expected


@SETTINGS
@given(observations())
def test_generated_valid_observations_round_trip(case: tuple[dict[str, Any], tuple[Any, ...]]
                                                 ) -> None:  # fmt: skip
    obs, expected = case
    sink = _parse_lines([orjson.dumps(obs)])
    assert sink.quarantined == 0, sink.rejected
    (row,) = sink.dicts("observations")
    got = (row["value_num"], row["value_unit"], row["value_code"], row["value_text"])
    assert got[1:] == expected[1:]
    assert got[0] == expected[0] or (math.isclose(got[0], expected[0]))
    assert row["observation_id"] == obs["id"]
    assert row["patient_id"] == obs["subject"]["reference"][8:]
    assert row["effective_time"] == normalize_datetime(obs["effectiveDateTime"])


def test_r4_type_list() -> None:
    assert len(R4_RESOURCE_TYPES) == 146
    assert {"Observation", "MedicinalProduct", "EffectEvidenceSynthesis"} <= R4_RESOURCE_TYPES
    assert not {"Citation", "Ingredient", "SubscriptionTopic"} & R4_RESOURCE_TYPES


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


tricky_text = st.text(alphabet='{}[]"\\ab,: \n', max_size=6)
nested = st.recursive(
    st.integers() | tricky_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=40,
)


@SETTINGS
@given(nested, st.integers(min_value=0, max_value=8), st.sampled_from([None, 1]))
def test_exceeds_depth_is_exact(value: Any, limit: int, indent: int | None) -> None:
    raw = json.dumps(value, indent=indent).encode()
    assert exceeds_depth(raw, limit) == (_depth(value) > limit)


@SETTINGS
@given(
    st.dictionaries(tricky_text, nested, max_size=4),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
    st.booleans(),
)
def test_compact_json(value: dict[str, Any], indent: int | None, ascii: bool, tight: bool) -> None:
    separators = (",", ":") if tight else None
    raw = json.dumps(value, indent=indent, ensure_ascii=ascii, separators=separators).encode()
    out = compact_json(raw)
    assert out == msgspec.json.format(raw, indent=-1).decode()
    assert json.loads(out) == value
