"""The alert book on SQLite and PostgreSQL: dedup, cooldown, acknowledgement, resolution,
auto-resolution, authorization, and an audit event for every raise, ack and resolve."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace
from wardwatch.monitor import Observation
from wardwatch.monitor.alerts import (
    AlertBook,
    AlertCandidate,
    AlertError,
    evaluate_rules,
    load_rules,
)
from wardwatch.registry import ForbiddenError, Identity

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ENGINEER = Identity(name="alice", role="ml-engineer")
VIEWER = Identity(name="victor", role="viewer")


def candidates(value: float = 0.2, scope: str = "service", day: int = 0) -> list[AlertCandidate]:
    start = T0 + timedelta(days=day)
    o = Observation("error_rate", scope, value, start, start + timedelta(days=1), "sepsis", 3,
                    n=800)  # fmt: skip
    return evaluate_rules(load_rules(), [o])


def test_lifecycle_dedup_cooldown_and_audit(ws_any_store: Workspace) -> None:
    book = AlertBook.from_workspace(ws_any_store)
    log = AuditLog.from_workspace(ws_any_store)
    (first,) = book.raise_alerts(candidates(), now=T0)
    assert first.outcome == "new"
    assert first.paged
    a = first.alert
    assert (a.status, a.count, a.owner, a.severity, a.rule) == (
        "open", 1, "sre", "critical", "error-rate")  # fmt: skip
    assert a.why.startswith("SRE: ")

    (again,) = book.raise_alerts(candidates(0.3, day=1), now=T0 + timedelta(days=1))
    assert again.outcome == "repeat"
    assert not again.paged
    assert again.alert.id == a.id
    assert again.alert.count == 2
    assert again.alert.value == 0.3
    assert again.alert.last_seen == T0 + timedelta(days=1)

    acked = book.acknowledge(a.id, ENGINEER, "looking", now=T0 + timedelta(days=1, hours=1))
    assert acked.status == "acknowledged"
    assert acked.acknowledged_by == "alice"
    (third,) = book.raise_alerts(candidates(), now=T0 + timedelta(days=2))
    assert third.outcome == "repeat"
    assert third.alert.status == "acknowledged"
    with pytest.raises(AlertError, match="cannot acknowledge an alert that is acknowledged"):
        book.acknowledge(a.id, ENGINEER, "again")

    done = book.resolve(a.id, ENGINEER, "fixed the gateway", now=T0 + timedelta(days=2))
    assert done.status == "resolved"
    assert done.resolve_comment == "fixed the gateway"
    with pytest.raises(AlertError, match="that is resolved"):
        book.resolve(a.id, ENGINEER, "again")

    (cool,) = book.raise_alerts(candidates(), now=T0 + timedelta(days=2, hours=5))
    assert cool.outcome == "cooldown"
    assert not cool.paged
    assert cool.alert.id != a.id
    assert cool.alert.suppressed == "cooldown"
    book.resolve(cool.alert.id, ENGINEER, "flap", now=T0 + timedelta(days=2, hours=6))
    (later,) = book.raise_alerts(candidates(), now=T0 + timedelta(days=4))
    assert later.outcome == "new"
    assert later.alert.paged

    actions = [e.action for e in log.events(action="monitor.")]
    assert actions == ["monitor.alert", "monitor.alert.ack", "monitor.alert.resolve",
                       "monitor.alert", "monitor.alert.resolve", "monitor.alert"]  # fmt: skip
    ack = log.events(action="monitor.alert.ack")[0]
    assert (ack.actor, ack.role, ack.subject) == ("alice", "ml-engineer", f"alert:{a.id}")
    raised = log.events(action="monitor.alert")[0]
    assert raised.payload["model_version"] == "sepsis@3"
    assert raised.payload["metric"] == "error_rate"
    assert raised.payload["value"] == 0.2
    assert log.verify().ok

    assert [x.id for x in book.list(status="active")] == [later.alert.id]
    assert len(book.list(status="resolved")) == 2
    assert len(book.list(owner="sre", model="sepsis")) == 3
    assert book.list(owner="model") == []


def test_authorization_and_comments(ws_any_store: Workspace) -> None:
    book = AlertBook.from_workspace(ws_any_store)
    (r,) = book.raise_alerts(candidates(), now=T0)
    with pytest.raises(ForbiddenError, match="victor"):
        book.acknowledge(r.alert.id, VIEWER, "x")
    with pytest.raises(ForbiddenError, match="does not cover model sepsis"):
        book.resolve(r.alert.id, Identity("bob", "approver", models=("other",)), "x")
    with pytest.raises(AlertError, match="needs a comment"):
        book.resolve(r.alert.id, ENGINEER, "  ")
    with pytest.raises(AlertError, match="no such alert"):
        book.get(999)
    assert book.resolve(r.alert.id, Identity("root", "admin"), "ok").status == "resolved"


def test_auto_resolve_after_quiet_windows(ws_any_store: Workspace) -> None:
    book = AlertBook.from_workspace(ws_any_store)
    (r,) = book.raise_alerts(candidates(), now=T0)
    assert book.auto_resolve([], models=["sepsis"], after_windows=2) == []
    assert book.auto_resolve([], models=["other"], after_windows=2) == []
    book.raise_alerts(candidates(), now=T0 + timedelta(days=1))  # fires again: quiet resets
    assert book.auto_resolve([], models=["sepsis"], after_windows=2) == []
    (done,) = book.auto_resolve([], models=["sepsis"], after_windows=2)
    assert done.id == r.alert.id
    assert done.status == "resolved"
    assert done.resolved_by == "wardwatch-monitor"
    ev = AuditLog.from_workspace(ws_any_store).events(action="monitor.alert.resolve")[0]
    assert ev.payload["auto"] is True
    assert ev.role == "system"


def test_table_is_on_the_store_metadata(ws_any_store: Workspace) -> None:
    store = Store(ws_any_store.store_url)
    store.create_all()
    assert "monitor_alerts" in sa.inspect(store.engine).get_table_names()


def test_one_active_alert_per_fingerprint_is_enforced(ws_any_store: Workspace) -> None:
    book = AlertBook.from_workspace(ws_any_store)
    (r,) = book.raise_alerts(candidates(), now=T0)
    with book.store.engine.connect() as conn:
        first = conn.execute(sa.text("SELECT * FROM monitor_alerts")).one()
    row = {k: v for k, v in first._mapping.items() if k != "id"}
    with pytest.raises(sa.exc.IntegrityError), book.store.engine.begin() as conn:
        conn.execute(sa.table("monitor_alerts", *[sa.column(k) for k in row]).insert(), row)
    assert r.alert.fingerprint == row["fingerprint"]
