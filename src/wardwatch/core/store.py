"""The store: operational state in SQL (SQLAlchemy Core), SQLite by default, PostgreSQL by URL.

Tables are declared here per stage as they land; each stage reads and writes them through
small functions of its own. ``create_all`` is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from wardwatch.errors import StoreError

__all__ = ["INGEST_RUNS", "INGEST_SOURCES", "METADATA", "Store", "normalize_url"]

METADATA = sa.MetaData()

INGEST_RUNS = sa.Table(
    "ingest_runs",
    METADATA,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(16), nullable=False),  # running | completed | failed
    sa.Column("records_in", sa.BigInteger, nullable=False, default=0),
    sa.Column("loaded", sa.BigInteger, nullable=False, default=0),
    sa.Column("quarantined", sa.BigInteger, nullable=False, default=0),
    sa.Column("summary", sa.JSON),
)

INGEST_SOURCES = sa.Table(
    "ingest_sources",
    METADATA,
    sa.Column("source_key", sa.String(64), primary_key=True),
    sa.Column("source_hash", sa.String(64), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("records_in", sa.BigInteger, nullable=False),
    sa.Column("loaded", sa.BigInteger, nullable=False),
    sa.Column("quarantined", sa.BigInteger, nullable=False),
    sa.Column("rows", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
)


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _redact(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


class Store:
    """A handle on the SQL store. Cheap to create; engines are pooled per URL."""

    _engines: dict[str, Engine] = {}  # noqa: RUF012 - a process-wide pool cache by design

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = self._engine(self.url)

    @classmethod
    def _engine(cls, url: str) -> Engine:
        engine = cls._engines.get(url)
        if engine is None:
            try:
                kwargs: dict[str, Any] = {"future": True}
                if url.startswith("sqlite"):
                    kwargs["connect_args"] = {"timeout": 30}
                else:
                    kwargs["pool_pre_ping"] = True
                engine = sa.create_engine(url, **kwargs)
            except (ArgumentError, NoSuchModuleError) as exc:
                raise StoreError(
                    "invalid store URL",
                    found=_redact(url),
                    expected="sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
                ) from exc
            if url.startswith("sqlite"):
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            cls._engines[url] = engine
        return engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    _ensured: ClassVar[set[tuple[str, str]]] = set()

    def ensure(self, tables: Sequence[sa.Table], what: str) -> None:
        """Create ``tables`` if missing (a workspace made before they existed), once per
        store and process, so that a hot path pays one set lookup; ``what`` names them in
        the error (e.g. "the registry tables")."""
        key = (self.url, ",".join(t.name for t in tables))
        if key in Store._ensured:
            return
        try:
            METADATA.create_all(self.engine, tables=list(tables))
        except OperationalError as exc:
            raise StoreError(
                f"cannot create {what}",
                found=str(exc.orig).splitlines()[0] if exc.orig else "error",
                hint="check [store] url in wardwatch.toml or WARDWATCH_STORE_URL",
            ) from None
        Store._ensured.add(key)

    def create_all(self) -> None:
        """Create every declared table that does not exist yet."""
        try:
            METADATA.create_all(self.engine)
        except OperationalError as exc:
            raise StoreError(
                "cannot reach the store",
                record=_redact(self.url),
                found=str(exc.orig).splitlines()[0] if exc.orig else "error",
                hint="check [store] url in wardwatch.toml or WARDWATCH_STORE_URL",
            ) from None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside a transaction, committed on success, rolled back on error."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(
                "store operation failed",
                record=_redact(self.url),
                found=str(exc.orig).splitlines()[0] if exc.orig else "error",
            ) from None

    def dispose(self) -> None:
        self.engine.dispose()
        self._engines.pop(self.url, None)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
