from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from wardwatch.core.store import INGEST_RUNS, Store, normalize_url
from wardwatch.errors import StoreError


def test_create_and_round_trip(store_url: str) -> None:
    """The same Core statements work on SQLite and on a real PostgreSQL server."""
    store = Store(store_url)
    store.create_all()
    store.create_all()  # idempotent
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with store.begin() as conn:
        conn.execute(
            INGEST_RUNS.insert().values(
                run_id="r1",
                started_at=now,
                status="completed",
                records_in=3,
                loaded=2,
                quarantined=1,
                summary={"by_reason": {"missing-required": 1}},
            )
        )
    with store.begin() as conn:
        row = conn.execute(sa.select(INGEST_RUNS).where(INGEST_RUNS.c.run_id == "r1")).one()
    assert row.loaded + row.quarantined == row.records_in
    assert row.summary == {"by_reason": {"missing-required": 1}}
    assert store.dialect in ("sqlite", "postgresql")


def test_transaction_rolls_back(store_url: str) -> None:
    store = Store(store_url)
    store.create_all()

    def insert_then_fail() -> None:
        with store.begin() as conn:
            conn.execute(
                INGEST_RUNS.insert().values(
                    run_id="r2",
                    started_at=datetime.now(UTC),
                    status="running",
                    records_in=0,
                    loaded=0,
                    quarantined=0,
                )
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        insert_then_fail()
    with store.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(INGEST_RUNS)).scalar() == 0


@pytest.mark.postgres
def test_postgres_is_real(pg_url: str) -> None:
    store = Store(pg_url)
    with store.begin() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar()
    assert version is not None
    assert int(str(version).split(".")[0]) >= 13


def test_normalize_url() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_bad_url_is_one_line() -> None:
    with pytest.raises(StoreError) as info:
        Store("nosuchdb://user:secret@host/db")
    assert "\n" not in str(info.value)
    assert "secret" not in str(info.value)


def test_unreachable_store_is_one_line(tmp_path: object) -> None:
    store = Store("postgresql+psycopg://nobody:pw@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreError) as info:
        store.create_all()
    message = str(info.value)
    assert "cannot reach the store" in message
    assert "pw" not in message.replace("expected", "")
    assert "\n" not in message
