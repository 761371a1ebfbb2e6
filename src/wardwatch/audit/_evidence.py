"""Evidence bundles: a part of the chain that can be verified offline, without the store.

:func:`chain_proof` takes some events (say, everything about ``model:readmission@3``) and
returns plain JSON data holding, for every event from the first selected one up to the
nearest signed checkpoint at or after the last one, the fields its hash covers. Only the
selected events carry their payload; the others are represented by their ``payload_hash``,
which is enough to recompute their hash and discloses nothing. The checkpoint's signature
over the last hash then vouches for every event in the range: changing, dropping or adding
any of them breaks a link or the signature.

:func:`verify_proof` checks such a bundle against a public key given by the verifier (the
key inside the bundle is not trusted on its own word).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from wardwatch.audit._chain import AuditError, AuditEvent, canonical_json, event_hash, sha256_hex
from wardwatch.audit._keys import Checkpoint, key_id
from wardwatch.audit._log import _COLUMNS, AuditLog, _event
from wardwatch.audit._table import AUDIT_EVENTS
from wardwatch.audit._verify import ChainRow

__all__ = ["PROOF_FORMAT", "ProofResult", "chain_proof", "verify_proof"]

PROOF_FORMAT = "wardwatch.audit.proof/1"
_HEADER = ("seq", "event_id", "at", "actor", "role", "action", "subject", "payload_hash",
           "prev_hash", "hash")  # fmt: skip


def chain_proof(
    log: AuditLog, events: Iterable[AuditEvent], *, sign: bool = True
) -> dict[str, Any]:
    """An offline-verifiable bundle for ``events`` (see the module doc).

    When no checkpoint covers the last selected event yet, one is signed now if ``sign``
    and the log has a key; otherwise the bundle has ``"checkpoint": null`` and will not
    verify. Raises :class:`AuditError` when ``events`` is empty.
    """
    selected = sorted({e.seq for e in events})
    if not selected:
        raise AuditError("nothing to prove", expected="at least one event", found="none")
    first, last = selected[0], selected[-1]
    cps = log.checkpoints()
    covering = next((cp for cp in cps if cp.seq >= last), None)
    if covering is None and sign and log.signing_key_path is not None:
        covering = log.checkpoint()
    end = covering.seq if covering is not None else last
    stmt = sa.select(*_COLUMNS).where(AUDIT_EVENTS.c.seq.between(first, end))
    with log.store.begin() as conn:
        rows = [_event(ChainRow(*r)) for r in conn.execute(stmt.order_by(AUDIT_EVENTS.c.seq))]
    wanted = set(selected)
    out = []
    for ev in rows:
        d = ev.to_dict()
        item = {k: d[k] for k in _HEADER}
        if ev.seq in wanted:
            item["payload"] = d["payload"]
        out.append(item)
    return {
        "format": PROOF_FORMAT,
        "selected": selected,
        "events": out,
        "checkpoint": covering.to_dict() if covering is not None else None,
    }


@dataclass(frozen=True)
class ProofResult:
    """What :func:`verify_proof` found: ``ok``, or the first bad seq and why."""

    ok: bool
    selected: int
    events_checked: int
    checkpoint_seq: int | None
    first_bad_seq: int | None = None
    detail: str | None = None

    @property
    def message(self) -> str:
        if self.ok:
            return (f"proof valid: {self.selected} selected events, {self.events_checked} "
                    f"linked to the checkpoint at seq {self.checkpoint_seq}")  # fmt: skip
        where = f"event seq {self.first_bad_seq}" if self.first_bad_seq else "bundle"
        return f"proof invalid at {where}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "selected": self.selected, "events_checked": self.events_checked,
            "checkpoint_seq": self.checkpoint_seq, "first_bad_seq": self.first_bad_seq,
            "detail": self.detail, "message": self.message,
        }  # fmt: skip


def verify_proof(proof: dict[str, Any], public_key: str) -> ProofResult:
    """Check a bundle from :func:`chain_proof` against ``public_key`` (64 hex digits).

    Valid means: every selected event's payload hashes to its ``payload_hash``, every event's
    fields hash to its ``hash``, each links to the one before, the last one is the
    checkpoint's, and the checkpoint is signed by ``public_key``.
    """
    selected = proof.get("selected") or []
    events = proof.get("events") or []
    cp_data = proof.get("checkpoint")
    cp_seq = cp_data.get("seq") if isinstance(cp_data, dict) else None

    def bad(seq: int | None, detail: str, checked: int = 0) -> ProofResult:
        return ProofResult(False, len(selected), checked, cp_seq, seq, detail)

    if proof.get("format") != PROOF_FORMAT:
        return bad(None, f"not a {PROOF_FORMAT} bundle")
    if not isinstance(cp_data, dict):
        return bad(None, "no signed checkpoint covers these events")
    try:
        cp = Checkpoint.from_dict(cp_data)
    except AuditError as exc:
        return bad(None, str(exc))
    with_payload = {e.get("seq") for e in events if isinstance(e, dict) and "payload" in e}
    missing = [s for s in selected if s not in with_payload]
    if missing:
        return bad(missing[0], "selected event missing from the bundle")
    prev: str | None = None
    for n, e in enumerate(events):
        try:
            seq = int(e["seq"])
            if prev is not None and (
                seq != int(events[n - 1]["seq"]) + 1 or e["prev_hash"] != prev
            ):
                return bad(
                    seq, "does not link to the event before (dropped, added or reordered)", n
                )
            if "payload" in e and sha256_hex(canonical_json(e["payload"])) != e["payload_hash"]:
                return bad(seq, "payload does not match its payload_hash (payload changed)", n)
            if event_hash(**{k: e[k] for k in _HEADER if k != "hash"}) != e["hash"]:
                return bad(seq, "hash does not match the event's fields (event changed)", n)
        except (KeyError, TypeError, ValueError, AuditError):
            return bad(None, f"event {n} of the bundle is malformed", n)
        prev = e["hash"]
    if not events or int(events[-1]["seq"]) != cp.seq or prev != cp.hash:
        return bad(cp.seq, "last event is not the one the checkpoint signs", len(events))
    if not cp.signature_valid():
        return bad(cp.seq, "checkpoint signature invalid", len(events))
    try:
        wanted = key_id(public_key)
    except ValueError:
        return bad(None, "the public key given is not 64 hex digits", len(events))
    if cp.key_id != wanted:
        return bad(cp.seq, "checkpoint signed by another key than the one given", len(events))
    return ProofResult(True, len(selected), len(events), cp.seq)
