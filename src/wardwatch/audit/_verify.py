"""Verification of a whole chain: one pass in seq order, stopping at the first bad event.

For each stored row, in this order (the first failing test names the problem):

1. its ``seq`` is the one expected (1, then one more than the last): otherwise the expected
   event is missing (**deleted**);
2. its ``prev_hash`` equals the hash of the event before (64 zeros for seq 1): otherwise a row
   was **inserted** before it or rows were **reordered**;
3. its ``payload`` hashes to its ``payload_hash``: otherwise the **payload was changed**;
4. its fields hash to its ``hash``: otherwise the **row was changed**;
5. every signed checkpoint at this seq verifies, under a trusted key, and holds this hash:
   otherwise events up to it were **rewritten** (hashes recomputed after a change) or the
   checkpoint was forged.

After the last row, a valid checkpoint beyond it means events were **deleted from the end**.
A rewrite that recomputes every later hash is visible only through a checkpoint taken after
the rewritten event; events after the newest checkpoint are protected by the links alone
(an attacker who deletes or rewrites only those leaves a consistent chain), so checkpoint
often (``checkpoint_every``) and keep the public key away from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from wardwatch.audit._chain import GENESIS, canonical_time, event_hash, sha256_hex
from wardwatch.audit._keys import Checkpoint

__all__ = ["PROBLEMS", "ChainRow", "VerifyResult", "parse_time", "verify_chain"]

PROBLEMS: dict[str, str] = {
    "missing": "gap in sequence (row deleted)",
    "broken-link": "prev_hash does not match the previous event's hash (row inserted or reordered)",
    "payload-changed": "payload does not match its payload_hash (payload changed)",
    "hash-mismatch": "hash does not match the event's fields (row changed)",
    "unreadable": "row cannot be read (a field was changed to an invalid value)",
    "checkpoint-signature": "checkpoint signature invalid (checkpoint forged or changed)",
    "checkpoint-untrusted": "checkpoint signed by a key that is not trusted (key replaced)",
    "checkpoint-mismatch": "checkpoint hash not in chain (events up to it were rewritten)",
    "checkpoint-deleted": "a checkpoint in the anchor file is missing from the store",
    "truncated": "chain ends before a signed checkpoint (events deleted from the end)",
}
"""Problem codes and what each one means."""


class ChainRow(NamedTuple):
    """One stored event as read, before any interpretation (``at`` as read from the driver)."""

    seq: int
    event_id: str
    at: Any
    actor: str
    role: str | None
    action: str
    subject: str
    payload: str
    payload_hash: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify_chain` found.

    ``ok`` is true when every stored event links to the one before, every hash matches and
    every checkpoint verifies. Otherwise ``first_bad_seq`` is the seq of the first event that
    fails (for a deleted event, the seq that is missing) and ``problem`` one of
    :data:`PROBLEMS`; ``detail`` says it in one line. ``warnings`` notes what the verification
    could not establish (no pinned key, no checkpoint).
    """

    ok: bool
    events_checked: int
    checkpoints_checked: int
    last_seq: int | None
    last_hash: str | None
    first_bad_seq: int | None = None
    problem: str | None = None
    detail: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        """One line for people."""
        if self.ok:
            return (
                f"audit chain intact: {self.events_checked} events, "
                f"{self.checkpoints_checked} signed checkpoints"
            )
        return f"audit chain broken at event seq {self.first_bad_seq}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "detail": self.detail,
            "warnings": list(self.warnings),
            "message": self.message,
        }


def parse_time(value: Any) -> str:
    """The canonical text of a stored ``at``; raises ValueError if it is not a time."""
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, str):
        return canonical_time(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    raise ValueError(f"not a time: {type(value).__name__}")


def check_checkpoint(cp: Checkpoint, trusted: frozenset[str] | None) -> str | None:
    """The problem code of a checkpoint on its own (signature, key), or None if it is good."""
    if not cp.signature_valid():
        return "checkpoint-signature"
    if trusted is not None and cp.key_id not in trusted:
        return "checkpoint-untrusted"
    return None


def verify_chain(
    rows: Iterable[ChainRow],
    checkpoints: Iterable[tuple[Checkpoint, bool]],
    *,
    trusted: frozenset[str] | None,
) -> VerifyResult:
    """Verify a whole chain read in seq order (see the module doc for the tests applied).

    ``checkpoints`` pairs each checkpoint with whether the store holds it (False for one
    known only from the anchor file); ``trusted`` holds the key ids to accept, or None to
    accept any key whose signature verifies (a warning then says the key was not pinned).
    """
    by_seq: dict[int, list[tuple[Checkpoint, bool]]] = {}
    for cp, in_store in checkpoints:
        by_seq.setdefault(cp.seq, []).append((cp, in_store))
    warnings: list[str] = []
    if trusted is None and by_seq:
        warnings.append("checkpoint keys not pinned: signatures checked against their own keys")
    expected, prev, n_events, n_cps, newest_cp = 1, GENESIS, 0, 0, 0
    last_seq: int | None = None

    def bad(seq: int, problem: str, extra: str = "") -> VerifyResult:
        detail = PROBLEMS[problem] + (f"; {extra}" if extra else "")
        return VerifyResult(
            False, n_events, n_cps, last_seq, prev if last_seq else None, seq, problem, detail,
            tuple(warnings),
        )  # fmt: skip

    for row in rows:
        if row.seq != expected:
            return bad(expected, "missing", f"next stored event is seq {row.seq}")
        if row.prev_hash != prev:
            return bad(row.seq, "broken-link")
        try:
            at = parse_time(row.at)
            payload_bytes = row.payload.encode("utf-8")
        except (ValueError, TypeError, AttributeError):
            return bad(row.seq, "unreadable")
        if sha256_hex(payload_bytes) != row.payload_hash:
            return bad(row.seq, "payload-changed")
        computed = event_hash(
            seq=row.seq, event_id=row.event_id, at=at, actor=row.actor, role=row.role,
            action=row.action, subject=row.subject, payload_hash=row.payload_hash,
            prev_hash=row.prev_hash,
        )  # fmt: skip
        if computed != row.hash:
            return bad(row.seq, "hash-mismatch")
        for cp, in_store in by_seq.pop(row.seq, []):
            problem = check_checkpoint(cp, trusted)
            if problem is None and cp.hash != row.hash:
                problem = "checkpoint-mismatch"
            if problem is None and not in_store:
                problem = "checkpoint-deleted"
            if problem is not None:
                return bad(row.seq, problem, f"checkpoint at seq {cp.seq}")
            n_cps += 1
            newest_cp = row.seq
        n_events += 1
        last_seq, prev, expected = row.seq, row.hash, row.seq + 1
    for seq in sorted(by_seq):
        for cp, _ in by_seq[seq]:
            problem = check_checkpoint(cp, trusted) or "truncated"
            where = f"checkpoint at seq {cp.seq}" + (
                f", chain ends at seq {last_seq or 0}" if problem == "truncated" else ""
            )
            return bad(cp.seq if problem != "truncated" else expected, problem, where)
    if n_events and newest_cp < (last_seq or 0):
        warnings.append(
            f"{(last_seq or 0) - newest_cp} newest events not yet under a signed checkpoint: "
            "deleting or rewriting only those is not detectable"
        )
    return VerifyResult(True, n_events, n_cps, last_seq, prev if last_seq else None,
                        warnings=tuple(warnings))  # fmt: skip
