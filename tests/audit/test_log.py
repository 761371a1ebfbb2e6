"""The log on SQLite and on a real PostgreSQL server: append, list, checkpoints, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.audit._tamper import fill, make_log

from wardwatch.audit import (
    GENESIS,
    AuditError,
    AuditLog,
    Checkpoint,
    PendingEvent,
    public_key_hex,
)
from wardwatch.audit._keys import load_or_create_key
from wardwatch.core.workspace import Workspace


def test_append_and_list_round_trip(log: AuditLog) -> None:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first = log.append("alice", "registry.register", "model:readmission@3",
                       {"run": "r1", "metrics": {"auc": 0.81}, "trained_at": when},
                       role="ml-engineer")  # fmt: skip
    second = log.append("bob", "registry.approve", "model:readmission@3", {"evidence": "sha"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert first.at.tzinfo is not None
    assert [e.to_dict() for e in log.events()] == [first.to_dict(), second.to_dict()]
    [stored] = log.events(action="registry.register")
    assert stored.payload == {"run": "r1", "metrics": {"auc": 0.81},
                              "trained_at": "2026-03-01T12:00:00.000000Z"}  # fmt: skip
    assert stored.role == "ml-engineer"
    assert stored.hash == stored.computed_hash()


def test_filters(log: AuditLog) -> None:
    fill(log, 9)
    assert [e.seq for e in log.events(action="registry.")] == [2, 5, 8]
    assert [e.seq for e in log.events(subject="model:readmission@1")] == [1, 5, 9]
    assert [e.seq for e in log.events(actor="user1", limit=2)] == [1, 4]
    assert [e.seq for e in log.events(limit=3, newest_first=True)] == [9, 8, 7]
    assert [e.seq for e in log.events(after_seq=7)] == [8, 9]
    cut = log.events()[4].at
    assert next(e.seq for e in log.events(since=cut)) == 5
    naive_future = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    assert log.events(since=naive_future) == []


def test_fresh_and_intact_chains_verify(log: AuditLog) -> None:
    empty = log.verify()
    assert empty.ok
    assert empty.events_checked == 0
    assert empty.last_hash is None
    fill(log, 5)
    result = log.verify()
    assert result.ok, result.message
    assert (result.events_checked, result.last_seq) == (5, 5)
    assert result.last_hash == log.events()[-1].hash
    assert "not yet under a signed checkpoint" in result.warnings[0]
    assert result.to_dict()["message"].startswith("audit chain intact: 5 events")


def test_checkpoints_are_signed_every_n_and_on_demand(store_url: str, key_dir: Path) -> None:
    log = make_log(store_url, key_dir, every=4)
    fill(log, 9)
    assert [cp.seq for cp in log.checkpoints()] == [4, 8]
    cp = log.checkpoint()
    assert cp is not None
    assert cp.seq == 9
    assert cp.hash == log.events()[-1].hash
    assert log.checkpoint() == cp  # the tip is signed once
    for c in log.checkpoints():
        assert c.signature_valid()
        assert c.public_key == public_key_hex(load_or_create_key(key_dir / "audit_ed25519.pem"))
    result = log.verify()
    assert result.ok
    assert result.checkpoints_checked == 3
    assert result.warnings == ()
    assert (key_dir / "audit_ed25519.pem").stat().st_mode & 0o777 == 0o600
    assert (key_dir / "audit_ed25519.pub").is_file()


def test_checkpoint_on_an_empty_log_and_without_a_key(store_url: str, key_dir: Path) -> None:
    assert make_log(store_url, key_dir).checkpoint() is None
    keyless = make_log(store_url, None)
    keyless.append("a", "ingest.run", "lake")
    with pytest.raises(AuditError, match="no audit signing key"):
        keyless.checkpoint()


def test_checkpoint_round_trips_through_dict() -> None:
    key = load_or_create_key(Path("/nonexistent/never"), create=False)
    assert key is None
    with pytest.raises(AuditError, match="malformed"):
        Checkpoint.from_dict({"seq": 1})


@pytest.mark.parametrize(
    ("actor", "action", "subject", "needle"),
    [("", "ingest.run", "x", "actor"), ("a", "Ingest", "x", "action"),
     ("a", "ingest run", "x", "action"), ("a", "ingest.run", "s" * 501, "subject")],
)  # fmt: skip
def test_bad_events_are_refused_in_one_line(
    log: AuditLog, actor: str, action: str, subject: str, needle: str
) -> None:
    with pytest.raises(AuditError) as info:
        log.append(actor, action, subject)
    assert f"field {needle}" in str(info.value)
    assert "\n" not in str(info.value)
    assert log.events() == []


def test_concurrent_appends_keep_one_unbroken_chain(store_url: str, key_dir: Path) -> None:
    """Two threads, each with its own log handle, append at once: no fork, no gap."""
    logs = [make_log(store_url, key_dir, every=10) for _ in range(2)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(log: AuditLog, who: str) -> None:
        try:
            barrier.wait()
            for i in range(25):
                log.append(who, "serve.predict", f"model:m@{i}", {"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(lg, f"t{n}")) for n, lg in enumerate(logs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    events = logs[0].events()
    assert [e.seq for e in events] == list(range(1, 51))
    assert {e.actor for e in events} == {"t0", "t1"}
    assert [cp.seq for cp in logs[0].checkpoints()] == [10, 20, 30, 40, 50]
    result = logs[1].verify()
    assert result.ok, result.message
    assert result.events_checked == 50


def test_from_workspace_uses_its_secret_key_and_anchor(ws_any_store: Workspace) -> None:
    log = AuditLog.from_workspace(ws_any_store, checkpoint_every=2)
    fill(log, 2)
    assert log.secret == ws_any_store.secret()
    assert (ws_any_store.state_dir / "audit_ed25519.pem").is_file()
    assert (ws_any_store.state_dir / "audit_anchor.jsonl").read_text().count("\n") == 1
    assert log.verify().ok


def test_append_many_chains_a_batch_like_single_appends(store_url: str, key_dir: Path) -> None:
    """A batch is chained in order in one transaction, interleaves with single appends,
    signs a checkpoint when it crosses a multiple, and refuses a bad item before writing."""
    log = make_log(store_url, key_dir, every=5)
    log.append("a", "ingest.run", "lake")
    batch = [PendingEvent("svc", "serve.predict", f"model:m@{i}", {"i": i}) for i in range(7)]
    stored = log.append_many(batch)
    assert [e.seq for e in stored] == list(range(2, 9))
    assert [e.payload["i"] for e in stored] == list(range(7))
    assert stored[0].prev_hash == log.events()[0].hash
    log.append("a", "ingest.run", "lake")
    assert [cp.seq for cp in log.checkpoints()] == [8]
    assert log.verify().ok
    assert log.append_many([]) == []
    with pytest.raises(AuditError, match="field action"):
        log.append_many([PendingEvent("svc", "serve.predict", "x"), PendingEvent("s", "Bad", "x")])
    assert len(log.events()) == 9
