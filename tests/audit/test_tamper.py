"""Every kind of single change to a stored chain is detected, and the first bad event named.

The attacker drops the append-only triggers (as a table owner can) and edits rows with SQL:
changes any field of any row, deletes any row, inserts a forged row anywhere (with a bad
link, with a good link, or with every later hash recomputed), swaps two rows. Only a
consistent rewrite (all later hashes recomputed) needs a signed checkpoint to be caught, and
then the first checkpoint at or after the change is named.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.audit._tamper import FIELDS, fill, make_log, mutate, relink

from wardwatch.audit import AUDIT_CHECKPOINTS, AUDIT_EVENTS, AuditLog, drop_protection, sha256_hex
from wardwatch.audit._keys import sign_checkpoint

SIMPLE = ["change", "delete", "insert-bad-link", "insert-good-link", "swap"]
RELINK = ["change-relink", "delete-relink", "insert-relink"]
RELINK_FIELDS = ("event_id", "at", "actor", "role", "action", "subject", "payload")


def _chain(url: str, key_dir: Path, n: int, every: int = 3) -> AuditLog:
    """n events, a checkpoint every ``every`` and one at the tip."""
    log = make_log(url, key_dir, every=every)
    fill(log, n)
    log.checkpoint()
    assert log.verify().ok
    return log


@st.composite
def mutations(draw: st.DrawFn) -> tuple[int, str, int, str, int]:
    n = draw(st.integers(3, 9))
    kind = draw(st.sampled_from(SIMPLE + RELINK))
    top = n + 1 if kind == "insert-bad-link" else n
    k = draw(st.integers(1, top))
    fields = RELINK_FIELDS if kind == "change-relink" else FIELDS
    field = draw(st.sampled_from(fields))
    other = draw(st.integers(1, n).filter(lambda o: o != k)) if kind == "swap" else 0
    return n, kind, k, field, other


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_every_single_mutation_is_detected_at_the_first_bad_seq(
    case: tuple[int, str, int, str, int],
) -> None:
    n, kind, k, field, other = case
    with tempfile.TemporaryDirectory() as tmp:
        log = _chain(f"sqlite:///{tmp}/store.db", Path(tmp), n)
        expected = mutate(log, kind, k, field=field, other=other)
        result = log.verify()
        log.store.dispose()
    assert expected is not None  # a checkpoint covers the tip, so every change is visible
    assert not result.ok, (case, result)
    assert result.first_bad_seq == expected, (case, result.message)
    assert result.detail
    assert "\n" not in result.message


@pytest.mark.parametrize(
    ("kind", "k", "field", "problem"),
    [
        ("change", 4, "actor", "hash-mismatch"),
        ("change", 2, "payload", "payload-changed"),
        ("change", 5, "at", "hash-mismatch"),
        ("change", 3, "prev_hash", "broken-link"),
        ("change", 6, "hash", "hash-mismatch"),
        ("change", 2, "seq", "missing"),
        ("delete", 3, "", "missing"),
        ("delete", 7, "", "truncated"),
        ("insert-bad-link", 4, "", "broken-link"),
        ("insert-good-link", 2, "", "broken-link"),
        ("swap", 2, "", "broken-link"),
        ("change-relink", 2, "actor", "checkpoint-mismatch"),
        ("delete-relink", 5, "", "checkpoint-mismatch"),
        ("insert-relink", 1, "", "checkpoint-mismatch"),
    ],
)
def test_each_kind_on_both_backends(
    store_url: str, key_dir: Path, kind: str, k: int, field: str, problem: str
) -> None:
    log = _chain(store_url, key_dir, 7)
    expected = mutate(log, kind, k, field=field, other=5)
    result = log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, expected, problem)
    assert f"seq {expected}" in result.message


def test_a_rewrite_after_the_newest_checkpoint_is_only_warned_about(tmp_path: Path) -> None:
    """The documented limit: events newer than every checkpoint are protected by links only."""
    log = make_log(f"sqlite:///{tmp_path / 's.db'}", tmp_path, every=3)
    fill(log, 5)
    assert mutate(log, "change-relink", 5, field="actor") is None
    result = log.verify()
    assert result.ok
    assert any("2 newest events not yet under a signed checkpoint" in w for w in result.warnings)


def _tamper_checkpoint(log: AuditLog, seq: int, **values: object) -> None:
    with log.store.begin() as conn:
        drop_protection(conn)
        conn.execute(
            AUDIT_CHECKPOINTS.update().where(AUDIT_CHECKPOINTS.c.seq == seq).values(**values)
        )


def test_a_changed_checkpoint_signature_is_caught(store_url: str, key_dir: Path) -> None:
    log = _chain(store_url, key_dir, 7)
    sig = log.checkpoints()[0].signature
    _tamper_checkpoint(log, 3, signature=sig[:-2] + ("00" if sig[-2:] != "00" else "11"))
    result = log.verify()
    assert (result.first_bad_seq, result.problem) == (3, "checkpoint-signature")


def test_a_checkpoint_moved_to_another_hash_is_caught(store_url: str, key_dir: Path) -> None:
    log = _chain(store_url, key_dir, 7)
    _tamper_checkpoint(log, 6, hash=sha256_hex(b"other"))
    assert log.verify().problem == "checkpoint-signature"


def test_a_rewrite_re_signed_with_another_key_is_caught(store_url: str, key_dir: Path) -> None:
    """The attacker rewrites from seq 2 and re-signs every checkpoint with a key of their own."""
    log = _chain(store_url, key_dir, 7)
    mutate(log, "change-relink", 2, field="payload")
    forged_key = Ed25519PrivateKey.generate()
    with log.store.begin() as conn:
        tips = {
            r.seq: r.hash for r in conn.execute(sa.select(AUDIT_EVENTS.c.seq, AUDIT_EVENTS.c.hash))
        }
        for cp in log.checkpoints():
            new = sign_checkpoint(forged_key, seq=cp.seq, hash=tips[cp.seq], at=cp.at)
            conn.execute(AUDIT_CHECKPOINTS.update().where(AUDIT_CHECKPOINTS.c.seq == cp.seq)
                         .values(hash=new.hash, key_id=new.key_id,
                                 public_key=new.public_key, signature=new.signature))  # fmt: skip
    result = log.verify()
    assert (result.first_bad_seq, result.problem) == (3, "checkpoint-untrusted")
    # a verifier with no pinned key at all would accept it, and says so
    unpinned = make_log(store_url, None).verify()
    assert unpinned.ok
    assert unpinned.warnings[0].startswith("checkpoint keys not pinned")


def test_deleted_checkpoints_are_caught_by_the_anchor_file(store_url: str, key_dir: Path) -> None:
    log = make_log(store_url, key_dir, every=3, anchor=True)
    fill(log, 7)
    log.checkpoint()
    lines = (key_dir / "anchor.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [3, 6, 7]
    with log.store.begin() as conn:
        drop_protection(conn)
        conn.execute(AUDIT_CHECKPOINTS.delete())
    result = log.verify()
    assert (result.first_bad_seq, result.problem) == (3, "checkpoint-deleted")
    with log.store.begin() as conn:  # ... and with the chain rewritten behind them
        relink_from = 2
        conn.execute(AUDIT_EVENTS.update().where(AUDIT_EVENTS.c.seq == relink_from)
                     .values(actor="mallory"))  # fmt: skip
        relink(conn, relink_from)
    result = log.verify()
    assert (result.first_bad_seq, result.problem) == (3, "checkpoint-mismatch")


def test_deleting_every_event_is_caught_by_a_checkpoint(store_url: str, key_dir: Path) -> None:
    log = _chain(store_url, key_dir, 4)
    with log.store.begin() as conn:
        drop_protection(conn)
        conn.execute(AUDIT_EVENTS.delete())
    result = log.verify()
    assert (result.ok, result.first_bad_seq, result.problem) == (False, 1, "truncated")


def test_an_unreadable_row_is_reported_not_raised(tmp_path: Path) -> None:
    log = _chain(f"sqlite:///{tmp_path / 's.db'}", tmp_path, 4)
    with log.store.begin() as conn:
        drop_protection(conn)
        conn.exec_driver_sql("UPDATE audit_events SET at = 'not a time' WHERE seq = 2")
        conn.exec_driver_sql("UPDATE audit_checkpoints SET at = 'garbage' WHERE seq = 3")
    result = log.verify()
    assert (result.first_bad_seq, result.problem) == (2, "unreadable")
