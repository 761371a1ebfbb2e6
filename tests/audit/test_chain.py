"""Canonical JSON and the event hash, against hand-written bytes and hashlib as the oracle."""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.audit import GENESIS, AuditError, AuditEvent, canonical_json, event_hash
from wardwatch.audit._chain import canonical_time

AT = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_event_hash_matches_hand_written_bytes() -> None:
    payload_hash = hashlib.sha256(b'{"auc":0.81,"version":3}').hexdigest()
    assert canonical_json({"version": 3, "auc": 0.81}) == b'{"auc":0.81,"version":3}'
    expected_bytes = (
        '{"action":"registry.promote","actor":"alice","at":"2026-01-02T03:04:05.000006Z",'
        '"event_id":"e1","payload_hash":"' + payload_hash + '","prev_hash":"' + "0" * 64 + '",'
        '"role":null,"seq":1,"subject":"model:readmission@3"}'
    ).encode()
    got = event_hash(
        seq=1, event_id="e1", at=AT, actor="alice", role=None, action="registry.promote",
        subject="model:readmission@3", payload_hash=payload_hash, prev_hash=GENESIS,
    )  # fmt: skip
    assert got == hashlib.sha256(expected_bytes).hexdigest()


def test_every_hashed_field_changes_the_hash() -> None:
    base: dict[str, Any] = {
        "seq": 1, "event_id": "e1", "at": AT, "actor": "a", "role": None, "action": "x.y",
        "subject": "s", "payload_hash": "1" * 64, "prev_hash": GENESIS,
    }  # fmt: skip
    changes = {"seq": 2, "event_id": "e2", "at": AT + timedelta(microseconds=1), "actor": "b",
               "role": "r", "action": "x.z", "subject": "t", "payload_hash": "2" * 64,
               "prev_hash": "3" * 64}  # fmt: skip
    assert set(changes) == set(base)
    hashes = {event_hash(**{**base, k: v}) for k, v in changes.items()} | {event_hash(**base)}
    assert len(hashes) == len(changes) + 1


def test_canonical_time_is_utc_with_microseconds() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert (
        canonical_time(datetime(2026, 1, 2, 5, 4, 5, tzinfo=plus2)) == "2026-01-02T03:04:05.000000Z"
    )
    assert canonical_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000Z"


class Color(enum.Enum):
    RED = "red"


def test_payload_normalization() -> None:
    u = uuid.UUID(int=1)
    out = canonical_json(
        {"b": (1, 2), "a": datetime(2026, 1, 1, tzinfo=UTC), "d": date(2026, 1, 2), "u": u,
         "c": Color.RED, "é": "ü"}
    )  # fmt: skip
    assert (
        out
        == (
            '{"a":"2026-01-01T00:00:00.000000Z","b":[1,2],"c":"red","d":"2026-01-02",'
            f'"u":"{u}","é":"ü"}}'
        ).encode()
    )


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"x": float("nan")}, "payload.x"),
        ({"x": [1, float("inf")]}, "payload.x[1]"),
        ({"when": datetime(2026, 1, 1)}, "payload.when"),
        ({"x": {1, 2}}, "payload.x"),
        ({"x": b"raw"}, "payload.x"),
        ({"x": {1: "a"}}, "payload.x"),
    ],
)
def test_values_without_one_json_form_are_refused(payload: dict[str, Any], path: str) -> None:
    with pytest.raises(AuditError) as info:
        canonical_json(payload)
    assert f"field {path}" in str(info.value)
    assert "\n" not in str(info.value)


scalars = st.none() | st.booleans() | st.integers() | st.text()
json_values = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_canonical_json_is_stable(payload: dict[str, Any]) -> None:
    """Key order does not matter, and the text read back re-encodes to the same bytes."""
    once = canonical_json(payload)
    assert canonical_json(dict(reversed(list(payload.items())))) == once
    assert canonical_json(json.loads(once)) == once


def test_audit_event_recomputes_its_hash() -> None:
    fields: dict[str, Any] = {
        "seq": 1, "event_id": "e", "at": AT, "actor": "a", "role": None, "action": "x.y",
        "subject": "", "payload_hash": "1" * 64, "prev_hash": GENESIS,
    }  # fmt: skip
    ev = AuditEvent(**fields, payload={}, hash=event_hash(**fields))
    assert ev.computed_hash() == ev.hash
    assert ev.to_dict()["at"] == "2026-01-02T03:04:05.000006Z"
