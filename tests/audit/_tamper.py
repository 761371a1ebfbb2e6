"""An attacker with write access to the store: every kind of single change to the chain.

Each mutation drops the append-only triggers first (as the tables' owner could), changes the
rows with plain SQL, and returns the seq that verification must name as the first bad event.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.audit import (
    AUDIT_CHECKPOINTS,
    AUDIT_EVENTS,
    GENESIS,
    AuditLog,
    drop_protection,
    event_hash,
    sha256_hex,
)

E = AUDIT_EVENTS.c
FIELDS = (
    "seq", "event_id", "at", "actor", "role", "action", "subject", "payload", "payload_hash",
    "prev_hash", "hash",
)  # fmt: skip
SECRET = b"s" * 32


def make_log(url: str, key_dir: Path | None, *, every: int = 0, anchor: bool = False) -> AuditLog:
    return AuditLog(
        _store(url),
        secret=SECRET,
        signing_key_path=key_dir / "audit_ed25519.pem" if key_dir else None,
        checkpoint_every=every,
        anchor_path=key_dir / "anchor.jsonl" if key_dir and anchor else None,
    )


def _store(url: str) -> Any:
    from wardwatch.core.store import Store

    return Store(url)


def fill(log: AuditLog, n: int) -> None:
    for i in range(1, n + 1):
        log.append(
            f"user{i % 3}",
            ["ingest.run", "quality.gate", "registry.promote"][i % 3],
            f"model:readmission@{i % 4}",
            {"i": i, "patient_id": f"p{i}", "auc": 0.5 + i / 100},
            role="ml-engineer" if i % 2 else None,
        )


def rows(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.select(AUDIT_EVENTS).order_by(E.seq))]


def _at(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rehash(row: dict[str, Any]) -> str:
    return event_hash(**{k: row[k] for k in FIELDS if k not in ("payload", "hash")})


def _set(conn: Connection, which: int, /, **values: Any) -> None:
    conn.execute(AUDIT_EVENTS.update().where(E.seq == which).values(**values))


def _shift(conn: Connection, start: int, by: int) -> None:
    """Renumber every row from ``start`` on by ``by``, one row at a time (no key clash)."""
    seqs = [r.seq for r in conn.execute(sa.select(E.seq).where(E.seq >= start))]
    for s in sorted(seqs, reverse=by > 0):
        _set(conn, s, seq=s + by)


def changed_value(field: str, row: dict[str, Any]) -> Any:
    """A different, well-formed value for ``field``."""
    if field == "at":
        return _at(row["at"]) + timedelta(microseconds=1)
    if field == "event_id":
        return str(uuid.uuid4())
    if field == "payload":
        payload = json.loads(row["payload"])
        payload["i"] = payload.get("i", 0) + 1000
        return json.dumps(payload, sort_keys=True, separators=(",", ":"))
    if field in ("payload_hash", "prev_hash", "hash"):
        return sha256_hex(row[field].encode())
    if field == "role":
        return "auditor" if row["role"] != "auditor" else None
    return row[field] + "x"


def forged_row(seq: int, prev_hash: str) -> dict[str, Any]:
    payload = '{"i":-1,"note":"forged"}'
    row = {
        "seq": seq, "event_id": str(uuid.uuid4()), "at": datetime.now(UTC), "actor": "mallory",
        "role": None, "action": "registry.approve", "subject": "model:readmission@9",
        "payload": payload, "payload_hash": sha256_hex(payload.encode()), "prev_hash": prev_hash,
    }  # fmt: skip
    row["hash"] = rehash(row)
    return row


def relink(conn: Connection, start: int) -> None:
    """Recompute prev_hash and hash of every row from ``start`` on (a careful attacker)."""
    all_rows = rows(conn)
    prev = GENESIS
    for row in all_rows:
        if row["seq"] >= start:
            row["prev_hash"] = prev
            row["at"] = _at(row["at"])
            new_hash = rehash(row)
            _set(conn, row["seq"], prev_hash=prev, hash="tmp" + new_hash[3:])
            row["hash"] = new_hash
        prev = row["hash"]
    for row in all_rows:  # the hash column is unique: two passes avoid transient clashes
        if row["seq"] >= start:
            _set(conn, row["seq"], hash=row["hash"])


def _first_checkpoint(conn: Connection, k: int) -> int | None:
    cps = [int(r.seq) for r in conn.execute(sa.select(AUDIT_CHECKPOINTS.c.seq))]
    return min((c for c in cps if c >= k), default=None)


def mutate(log: AuditLog, kind: str, k: int, *, field: str = "actor", other: int = 0) -> int | None:
    """Apply one mutation at seq ``k``; return the seq verification must name (None: none can).

    Kinds: change (one field of row k), delete (row k), insert-bad-link / insert-good-link (a
    forged row at k, later rows renumbered), swap (rows k and ``other`` trade seqs), and
    change-relink / delete-relink / insert-relink (the same, then every later prev_hash and
    hash recomputed, so that only a signed checkpoint can tell).
    """
    with log.store.begin() as conn:
        drop_protection(conn)
        by_seq = {r["seq"]: r for r in rows(conn)}
        prev = by_seq[k - 1]["hash"] if k > 1 else GENESIS
        if kind in ("change", "change-relink"):
            if field == "seq":
                value: Any = max(by_seq) + 10
            else:
                value = changed_value(field, by_seq[k])
            extra = {"payload_hash": sha256_hex(value.encode())} if kind == "change-relink" and (
                field == "payload") else {}  # fmt: skip
            _set(conn, k, **{field: value}, **extra)
            if kind == "change":
                return k
        elif kind == "delete":
            conn.execute(AUDIT_EVENTS.delete().where(E.seq == k))
            return k
        elif kind == "insert-bad-link":  # a forged row whose prev_hash points nowhere
            _shift(conn, k, 1)
            conn.execute(AUDIT_EVENTS.insert().values(forged_row(k, sha256_hex(b"nowhere"))))
            return k
        elif kind == "insert-good-link":  # links to its predecessor; its successor no longer fits
            _shift(conn, k, 1)
            conn.execute(AUDIT_EVENTS.insert().values(forged_row(k, prev)))
            cp = _first_checkpoint(conn, k)  # a checkpoint at k itself sees the forged row first
            return k + 1 if cp is None else min(k + 1, cp)
        elif kind == "swap":
            _set(conn, k, seq=-1)
            _set(conn, other, seq=k)
            _set(conn, -1, seq=other)
            return min(k, other)
        elif kind == "delete-relink":
            conn.execute(AUDIT_EVENTS.delete().where(E.seq == k))
            _shift(conn, k + 1, -1)
        elif kind == "insert-relink":
            _shift(conn, k, 1)
            conn.execute(AUDIT_EVENTS.insert().values(forged_row(k, prev)))
        else:
            raise ValueError(kind)
        relink(conn, k)
        return _first_checkpoint(conn, k)
