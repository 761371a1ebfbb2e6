"""The chain's arithmetic: canonical JSON, payload and event hashes, the event record.

What an event's hash covers (format 1)::

    hash = sha256_hex(canonical_json({
        "seq": 42,                          # position in the chain, 1, 2, 3, ... without gaps
        "event_id": "7f0c...-...",          # a UUID4, as text
        "at": "2026-11-02T08:15:00.123456Z",  # UTC, always 6 fractional digits and "Z"
        "actor": "alice",                   # who (a person or a service account)
        "role": "ml-engineer" | null,       # in which role, if known
        "action": "registry.promote",       # what, as "<stage>.<verb>"
        "subject": "model:readmission@3",   # on what
        "payload_hash": sha256_hex(canonical_json(payload)),
        "prev_hash": "<hash of event seq-1>"  # 64 zeros for the first event (GENESIS)
    }))

``canonical_json`` is JSON with keys sorted (by code point), no whitespace, UTF-8 (no
``\\u`` escapes beyond what JSON requires), integers as digits and finite floats in Python's
shortest round-trip form; ``NaN``/``Infinity`` are refused. Before hashing, a payload is
normalized to plain JSON: aware datetimes become UTC text as above, dates ``YYYY-MM-DD``, UUIDs
and enums their text/value, tuples lists. Naive datetimes, sets, bytes and non-text keys are
refused, because they have no single JSON form. The store keeps the payload as exactly the
canonical text that was hashed, so no driver or dialect re-encoding can disturb it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from wardwatch.errors import WardwatchError

__all__ = [
    "GENESIS",
    "AuditError",
    "AuditEvent",
    "canonical_json",
    "canonical_time",
    "event_hash",
    "normalize_payload",
    "sha256_hex",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first event of a chain."""


class AuditError(WardwatchError):
    """The audit log refused an event (PHI in the payload, a payload with no JSON form) or
    cannot do what was asked (no signing key)."""


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def canonical_time(value: datetime) -> str:
    """``value`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; a naive value is taken as UTC
    (the store hands SQLite timestamps back naive, always written in UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalize_payload(value: Any, path: str = "payload") -> Any:
    """Return ``value`` as plain JSON data (dict, list, str, int, float, bool, None).

    Raises :class:`AuditError` naming the path of the first value with no single JSON form.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return normalize_payload(value.value, path)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(
                "payload value has no JSON form", field=path, expected="a finite number",
                found=repr(value),
            )  # fmt: skip
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise AuditError(
                "payload time has no time zone", field=path, expected="an aware datetime",
                found="a naive datetime", hint="pass datetime.now(UTC), not datetime.now()",
            )  # fmt: skip
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError(
                    "payload key is not text", field=path, expected="str keys",
                    found=type(key).__name__,
                )  # fmt: skip
            out[key] = normalize_payload(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [normalize_payload(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise AuditError(
        "payload value has no JSON form",
        field=path,
        expected="JSON data, aware datetime, date, UUID or enum",
        found=type(value).__name__,
    )


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value`` (normalized first; see the module doc)."""
    return json.dumps(
        normalize_payload(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def event_hash(
    *,
    seq: int,
    event_id: str,
    at: datetime | str,
    actor: str,
    role: str | None,
    action: str,
    subject: str,
    payload_hash: str,
    prev_hash: str,
) -> str:
    """The hash of one event: SHA-256 over the canonical JSON of exactly these nine fields."""
    return sha256_hex(
        canonical_json(
            {
                "seq": seq,
                "event_id": event_id,
                "at": at if isinstance(at, str) else canonical_time(at),
                "actor": actor,
                "role": role,
                "action": action,
                "subject": subject,
                "payload_hash": payload_hash,
                "prev_hash": prev_hash,
            }
        )
    )


@dataclass(frozen=True)
class AuditEvent:
    """One event of the chain as stored.

    ``payload`` is the (pseudonymized) payload as hashed; ``payload_hash`` its SHA-256;
    ``hash`` covers the fields listed in the module doc, ``prev_hash`` links to the event
    before. ``at`` is in UTC.
    """

    seq: int
    event_id: str
    at: datetime
    actor: str
    role: str | None
    action: str
    subject: str
    payload: dict[str, Any]
    payload_hash: str
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        """The hash these fields should have; differs from ``hash`` if the row was changed."""
        return event_hash(
            seq=self.seq,
            event_id=self.event_id,
            at=self.at,
            actor=self.actor,
            role=self.role,
            action=self.action,
            subject=self.subject,
            payload_hash=self.payload_hash,
            prev_hash=self.prev_hash,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (``at`` as canonical UTC text)."""
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "at": canonical_time(self.at),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "subject": self.subject,
            "payload": self.payload,
            "payload_hash": self.payload_hash,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }
