"""The database refuses changes to audit rows: triggers on both backends, grants on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.audit._tamper import fill, make_log

from wardwatch.audit import AUDIT_CHECKPOINTS, AUDIT_EVENTS, AuditLog, ensure_schema, restrict_role
from wardwatch.core.store import Store
from wardwatch.errors import StoreError

REFUSED = (sa.exc.IntegrityError, sa.exc.ProgrammingError, sa.exc.InternalError, StoreError)


@pytest.mark.parametrize(
    "statement",
    [
        AUDIT_EVENTS.update().values(actor="mallory"),
        AUDIT_EVENTS.update().where(AUDIT_EVENTS.c.seq == 2).values(payload="{}"),
        AUDIT_EVENTS.delete().where(AUDIT_EVENTS.c.seq == 3),
        AUDIT_EVENTS.delete(),
        AUDIT_CHECKPOINTS.update().values(signature="00"),
        AUDIT_CHECKPOINTS.delete(),
    ],
    ids=["update-all", "update-one", "delete-one", "delete-all", "cp-update", "cp-delete"],
)
def test_updates_and_deletes_are_refused(
    store_url: str, key_dir: Path, statement: sa.Executable
) -> None:
    """Even the tables' owner (here a superuser on PostgreSQL) is refused by the triggers."""
    log = make_log(store_url, key_dir, every=2)
    fill(log, 4)
    with pytest.raises(REFUSED) as info, log.store.begin() as conn:
        conn.execute(statement)
    assert "append-only" in str(info.value)
    assert log.verify().ok
    assert len(log.events()) == 4
    assert len(log.checkpoints()) == 2
    log.append("a", "ingest.run", "lake")  # inserts still work
    assert log.verify().events_checked == 5


def test_protection_is_installed_once(store_url: str, key_dir: Path) -> None:
    log = make_log(store_url, key_dir)
    ensure_schema(log.store)
    ensure_schema(log.store)
    fill(log, 1)
    with pytest.raises(REFUSED), log.store.begin() as conn:
        conn.execute(AUDIT_EVENTS.delete())


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(pg_url: str, key_dir: Path) -> None:
    log = make_log(pg_url, key_dir)
    fill(log, 2)
    for table in ("audit_events", "audit_checkpoints"):
        with pytest.raises(REFUSED, match="TRUNCATE on " + table), log.store.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {table}")
    assert log.verify().events_checked == 2


@pytest.mark.postgres
def test_the_application_role_can_only_read_and_append(pg_url: str, key_dir: Path) -> None:
    """A real login role after `restrict_role`: SELECT and INSERT only, triggers untouchable."""
    owner = make_log(pg_url, key_dir, every=3)
    fill(owner, 3)
    role = "ww_app_" + uuid.uuid4().hex[:8]
    with owner.store.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
    restrict_role(owner.store, role)
    app_url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    app = make_log(app_url, key_dir, every=3)
    for i in range(3):
        app.append("svc-serve", "serve.predict", "model:readmission@3", {"i": i})
    assert [cp.seq for cp in app.checkpoints()] == [3, 6]
    attacks = [
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
        "TRUNCATE audit_events",
        "UPDATE audit_checkpoints SET signature = '00'",
        "DELETE FROM audit_checkpoints",
        "DROP TRIGGER audit_events_no_change ON audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "DROP TABLE audit_events",
    ]
    for sql in attacks:
        with pytest.raises(REFUSED) as info, app.store.begin() as conn:
            conn.exec_driver_sql(sql)
        message = str(info.value)
        assert "permission denied" in message or "must be owner" in message, (sql, message)
    result = app.verify()
    assert result.ok
    assert result.events_checked == 6
    assert result.checkpoints_checked == 2
    app.store.dispose()


def test_restrict_role_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="role grants need PostgreSQL"):
        restrict_role(Store(f"sqlite:///{tmp_path / 'x.db'}"), "app")


def test_opening_a_log_creates_the_tables(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    AuditLog(store)
    with store.begin() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert {"audit_events", "audit_checkpoints"} <= names
