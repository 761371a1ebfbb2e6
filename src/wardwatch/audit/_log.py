"""The audit log: append events, list them, sign checkpoints, verify the chain.

    log = AuditLog.from_workspace(ws)
    log.append("alice", "registry.promote", "model:readmission@3",
               {"from": "staging", "to": "production", "approved_by": "bob"}, role="lead")
    result = log.verify()   # result.ok, or result.first_bad_seq and result.detail

Appends are serialized (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) so
that concurrent writers, threads or processes, extend one unbroken chain; ``seq`` is the
primary key, so even a writer that skipped the lock could not fork it (its insert fails and
is retried). Every ``checkpoint_every`` events, and on :meth:`AuditLog.checkpoint`, the tip is
signed with the workspace's Ed25519 key, in the store and in an anchor file beside the key.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection

from wardwatch.audit._chain import (
    GENESIS,
    AuditError,
    AuditEvent,
    canonical_json,
    sha256_hex,
)
from wardwatch.audit._keys import (
    Checkpoint,
    key_id,
    load_or_create_key,
    load_public_key,
    public_key_hex,
    public_key_path,
    sign_checkpoint,
)
from wardwatch.audit._pseudonym import guard_payload, guard_subject
from wardwatch.audit._table import APPEND_LOCK_KEY, AUDIT_CHECKPOINTS, AUDIT_EVENTS, ensure_schema
from wardwatch.audit._verify import ChainRow, VerifyResult, parse_time, verify_chain
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace

__all__ = ["KEY_NAME", "AuditLog", "PendingEvent"]

KEY_NAME = "audit_ed25519.pem"
ANCHOR_NAME = "audit_anchor.jsonl"
_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_RETRIES = 5
_E = AUDIT_EVENTS.c
_COLUMNS = (
    _E.seq, _E.event_id, sa.type_coerce(_E.at, sa.String).label("at"), _E.actor, _E.role,
    _E.action, _E.subject, _E.payload, _E.payload_hash, _E.prev_hash, _E.hash,
)  # fmt: skip
_C = AUDIT_CHECKPOINTS.c
_CP_COLUMNS = (
    _C.seq, _C.hash, sa.type_coerce(_C.at, sa.String).label("at"), _C.key_id, _C.public_key,
    _C.signature,
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class PendingEvent:
    """An event to append with :meth:`AuditLog.append_many` (fields as for ``append``)."""

    actor: str
    action: str
    subject: str
    payload: Mapping[str, Any] | None = None
    role: str | None = None


class AuditLog:
    """The hash-chained, append-only audit log of one store.

    Args:
        store: where the events live (tables and protection are created if missing).
        secret: the workspace secret, to pseudonymize patient and encounter ids in payloads;
            without it a payload that holds one is refused.
        signing_key_path: the Ed25519 private key (PEM) that signs checkpoints, created on
            first use; None: no checkpoints are signed (verification still checks those
            already stored, against ``trusted_keys``).
        checkpoint_every: sign a checkpoint after every this many events (0: only on demand).
        trusted_keys: extra public keys (64 hex digits) accepted on checkpoints; the key at
            ``signing_key_path`` and its ``.pub`` file are always trusted.
        anchor_path: a JSON-lines file that keeps a copy of every checkpoint outside the
            store, so that deleting checkpoint rows is detected.
    """

    def __init__(
        self,
        store: Store,
        *,
        secret: bytes | None = None,
        signing_key_path: Path | None = None,
        checkpoint_every: int = 1000,
        trusted_keys: Iterable[str] = (),
        anchor_path: Path | None = None,
    ) -> None:
        if checkpoint_every < 0:
            raise AuditError("bad checkpoint interval", field="checkpoint_every",
                             expected="0 or more", found=str(checkpoint_every))  # fmt: skip
        self.store = store
        self.secret = secret
        self.signing_key_path = signing_key_path
        self.checkpoint_every = checkpoint_every
        self.anchor_path = anchor_path
        self._trusted = {key_id(k) for k in trusted_keys}
        self._key: Ed25519PrivateKey | None = None
        self._store_id = store.engine.url.render_as_string(hide_password=True)
        ensure_schema(store)

    @classmethod
    def from_workspace(cls, ws: Workspace, *, checkpoint_every: int = 1000) -> AuditLog:
        """The workspace's log: its store, its secret, its key and anchor in ``.wardwatch/``."""
        return cls(
            Store(ws.store_url),
            secret=ws.secret(),
            signing_key_path=ws.state_dir / KEY_NAME,
            checkpoint_every=checkpoint_every,
            anchor_path=ws.state_dir / ANCHOR_NAME,
        )

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        actor: str,
        action: str,
        subject: str,
        payload: Mapping[str, Any] | None = None,
        *,
        role: str | None = None,
    ) -> AuditEvent:
        """Append one event and return it as stored (with its seq and hash).

        ``action`` is ``<stage>.<verb>`` (``registry.promote``); ``subject`` names what was acted
        on (``model:readmission@3``; a ``patient:<id>`` subject is pseudonymized); ``payload``
        carries the details (model version, input hash, output), with patient ids
        pseudonymized and direct identifiers refused (see ``_pseudonym``). Raises
        :class:`AuditError` for a refused event, :class:`StoreError` if the store fails.
        """
        return self.append_many([PendingEvent(actor, action, subject, payload, role)])[0]

    def _prepare(self, it: PendingEvent) -> tuple[str, bytes]:
        """Check an event's fields; its guarded subject and canonical payload bytes."""
        self._check_text("actor", it.actor, 200)
        self._check_text("subject", it.subject, 500, allow_empty=True)
        if it.role is not None:
            self._check_text("role", it.role, 100)
        if not _ACTION.fullmatch(it.action) or len(it.action) > 100:
            raise AuditError("bad audit action", field="action",
                             expected="<stage>.<verb>, lower case (registry.promote)",
                             found=it.action)  # fmt: skip
        body = canonical_json(guard_payload(dict(it.payload or {}), self.secret))
        return guard_subject(it.subject, self.secret), body

    def append_many(self, items: Sequence[PendingEvent]) -> list[AuditEvent]:
        """Append ``items`` in one transaction, chained in order (for high-rate writers such
        as the scoring service, which batches prediction events off the request path).

        Each item is checked as :meth:`append` checks one; a refused item raises
        :class:`AuditError` before anything is written. A checkpoint is signed at the end
        of the batch when it crossed a multiple of ``checkpoint_every``.
        """
        if not items:
            return []
        bodies = [(it, *self._prepare(it)) for it in items]
        for attempt in range(_RETRIES):
            try:
                events, cp = self._append_batch(bodies)
            except sa.exc.IntegrityError:
                if attempt == _RETRIES - 1:
                    raise
                continue
            if cp is not None:
                self._write_anchor(cp)
            return events
        raise AssertionError("unreachable")  # pragma: no cover

    def _append_batch(
        self, bodies: Sequence[tuple[PendingEvent, str, bytes]]
    ) -> tuple[list[AuditEvent], Checkpoint | None]:
        with self.store.begin() as conn:
            seq, prev = self._lock_tip(conn)
            first = seq + 1
            out: list[AuditEvent] = []
            rows = []
            for it, subject, body in bodies:
                seq += 1
                text = body.decode("utf-8")
                ev = AuditEvent(
                    seq=seq, event_id=str(uuid.uuid4()), at=datetime.now(UTC), actor=it.actor,
                    role=it.role, action=it.action, subject=subject, payload=json.loads(text),
                    payload_hash=sha256_hex(body), prev_hash=prev, hash="",
                )  # fmt: skip
                ev = dataclasses.replace(ev, hash=ev.computed_hash())
                prev = ev.hash
                out.append(ev)
                rows.append({**_fields(ev), "payload": text})
            conn.execute(AUDIT_EVENTS.insert(), rows)
            cp = None
            every = self.checkpoint_every
            if every and (seq // every) > ((first - 1) // every) and self._signing():
                cp = self._insert_checkpoint(conn, seq, prev)
        return out, cp

    def _lock_tip(self, conn: Connection) -> tuple[int, str]:
        """Serialize writers, then read the tip: (last seq, its hash), or (0, GENESIS)."""
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before reading
        row = conn.execute(sa.select(_E.seq, _E.hash).order_by(_E.seq.desc()).limit(1)).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def checkpoint(self) -> Checkpoint | None:
        """Sign the chain's current tip now; None if the log is empty.

        Returns the existing checkpoint if the tip is already signed. Raises
        :class:`AuditError` if the log has no signing key.
        """
        key = self._signing()
        if key is None:
            raise AuditError("no audit signing key", field="signing_key_path",
                             expected="a key path", found="None",
                             hint="open the log with AuditLog.from_workspace")  # fmt: skip
        with self.store.begin() as conn:
            seq, tip = self._lock_tip(conn)
            if seq == 0:
                return None
            existing = conn.execute(
                sa.select(*_CP_COLUMNS).where(AUDIT_CHECKPOINTS.c.seq == seq)
            ).first()
            if existing is not None:
                return _checkpoint(existing._mapping)
            cp = self._insert_checkpoint(conn, seq, tip)
        self._write_anchor(cp)
        return cp

    def _insert_checkpoint(self, conn: Connection, seq: int, tip: str) -> Checkpoint:
        key = self._signing()
        assert key is not None
        cp = sign_checkpoint(key, seq=seq, hash=tip, at=datetime.now(UTC))
        conn.execute(AUDIT_CHECKPOINTS.insert().values(_fields(cp)))
        return cp

    def _signing(self) -> Ed25519PrivateKey | None:
        if self._key is None and self.signing_key_path is not None:
            self._key = load_or_create_key(self.signing_key_path)
        return self._key

    def _write_anchor(self, cp: Checkpoint) -> None:
        if self.anchor_path is None:
            return
        self.anchor_path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"store": self._store_id, **cp.to_dict()}, sort_keys=True)
        with self.anchor_path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    @staticmethod
    def _check_text(name: str, value: str, limit: int, *, allow_empty: bool = False) -> None:
        if not isinstance(value, str) or (not value and not allow_empty) or len(value) > limit:
            found = f"{type(value).__name__} of length {len(str(value))}"
            raise AuditError(f"bad audit {name}", field=name,
                             expected=f"text of 1 to {limit} characters", found=found)  # fmt: skip

    # -- reading ---------------------------------------------------------------------------

    def events(
        self,
        *,
        since: datetime | None = None,
        after_seq: int | None = None,
        subject: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEvent]:
        """Stored events matching every filter given, in seq order (or newest first).

        ``since`` keeps events at or after that time; ``after_seq`` those with a larger seq;
        ``action`` matches exactly, or a whole stage with a trailing dot (``"registry."``);
        ``subject`` matches exactly (a ``patient:<id>`` subject is pseudonymized first).
        """
        stmt = sa.select(*_COLUMNS)
        if since is not None:
            since = since if since.tzinfo else since.replace(tzinfo=UTC)
            stmt = stmt.where(_E.at >= since.astimezone(UTC))
        if after_seq is not None:
            stmt = stmt.where(_E.seq > after_seq)
        if subject is not None:
            stmt = stmt.where(_E.subject == guard_subject(subject, self.secret))
        if action is not None:
            cond = _E.action.startswith(action) if action.endswith(".") else _E.action == action
            stmt = stmt.where(cond)
        if actor is not None:
            stmt = stmt.where(_E.actor == actor)
        stmt = stmt.order_by(_E.seq.desc() if newest_first else _E.seq)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.store.begin() as conn:
            return [_event(ChainRow(*r)) for r in conn.execute(stmt)]

    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints in the store, by seq."""
        with self.store.begin() as conn:
            rows = conn.execute(sa.select(*_CP_COLUMNS).order_by(AUDIT_CHECKPOINTS.c.seq))
            return [_checkpoint(r._mapping) for r in rows]

    def public_key(self) -> str | None:
        """The signing key's public half (64 hex digits), for offline proof checks; None when
        this log signs nothing."""
        if self.signing_key_path is None:
            return None
        pub = public_key_path(self.signing_key_path)
        if pub.exists():
            return load_public_key(pub)
        key = load_or_create_key(self.signing_key_path, create=False)
        return public_key_hex(key) if key is not None else None

    def trusted_key_ids(self) -> frozenset[str] | None:
        """Key ids accepted on checkpoints, or None when no key is pinned anywhere."""
        ids = set(self._trusted)
        if self.signing_key_path is not None:
            key = load_or_create_key(self.signing_key_path, create=False)
            if key is not None:
                ids.add(key_id(public_key_hex(key)))
            pub = public_key_path(self.signing_key_path)
            if pub.exists():
                ids.add(key_id(load_public_key(pub)))
        return frozenset(ids) if ids else None

    def verify(self) -> VerifyResult:
        """Check the whole chain and every checkpoint (see ``_verify`` for what is tested)."""
        cps = [(cp, True) for cp in self.checkpoints()]
        stored = {json.dumps(cp.to_dict(), sort_keys=True) for cp, _ in cps}
        cps += [(cp, False) for cp in self._anchored() if json.dumps(cp.to_dict(),
                sort_keys=True) not in stored]  # fmt: skip
        trusted = self.trusted_key_ids()
        with self.store.begin() as conn:
            result = conn.execution_options(yield_per=2000).execute(
                sa.select(*_COLUMNS).order_by(_E.seq)
            )
            return verify_chain((ChainRow(*r) for r in result), cps, trusted=trusted)

    def _anchored(self) -> Iterator[Checkpoint]:
        if self.anchor_path is None or not self.anchor_path.exists():
            return
        for n, line in enumerate(self.anchor_path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                raise AuditError("audit anchor line is not JSON", record=str(self.anchor_path),
                                 field=f"line {n}", expected="one checkpoint per line",
                                 found=line[:40]) from None  # fmt: skip
            if isinstance(d, dict) and d.get("store") == self._store_id:
                yield Checkpoint.from_dict(d)


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _event(row: ChainRow) -> AuditEvent:
    try:
        at = datetime.fromisoformat(parse_time(row.at).replace("Z", "+00:00"))
        payload = json.loads(row.payload)
    except (ValueError, TypeError) as exc:
        raise AuditError(
            "audit event cannot be read", record=f"seq {row.seq}", found=type(exc).__name__,
            hint="run `wardwatch audit verify`",
        ) from None  # fmt: skip
    return AuditEvent(
        seq=int(row.seq), event_id=row.event_id, at=at, actor=row.actor, role=row.role,
        action=row.action, subject=row.subject, payload=payload,
        payload_hash=row.payload_hash, prev_hash=row.prev_hash, hash=row.hash,
    )  # fmt: skip


def _checkpoint(m: Mapping[Any, Any]) -> Checkpoint:
    """A stored checkpoint; one whose time cannot be read gets an empty signature, so that
    verification reports it as invalid instead of failing."""
    try:
        at = datetime.fromisoformat(parse_time(m["at"]).replace("Z", "+00:00"))
        signature = str(m["signature"])
    except (ValueError, TypeError):
        at, signature = datetime.fromtimestamp(0, UTC), ""
    return Checkpoint(int(m["seq"]), m["hash"], at, m["key_id"], m["public_key"], signature)
