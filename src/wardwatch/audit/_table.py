"""The audit tables, declared on the store's ``METADATA``, and their append-only protection.

Importing this module registers ``audit_events`` and ``audit_checkpoints`` on
:data:`wardwatch.core.store.METADATA`, so ``Store.create_all`` creates them from then on;
:func:`ensure_schema` creates them and installs the protection at once.

Protection, on top of the hash chain (which detects what it cannot prevent):

- **PostgreSQL**: a trigger function raises on every ``UPDATE`` and ``DELETE`` (row triggers)
  and ``TRUNCATE`` (statement trigger) of either table, whoever the role, the owner included.
  :func:`restrict_role` then takes ``UPDATE``/``DELETE``/``TRUNCATE`` away from the
  application's login role and leaves it ``SELECT``/``INSERT``; a role that does not own the
  tables cannot drop or disable the triggers either. Appends serialize on a transaction-level
  advisory lock, which needs no table privilege (``SELECT ... FOR UPDATE`` and ``LOCK TABLE``
  in a writer's mode would need ``UPDATE``).
- **SQLite**: ``BEFORE UPDATE``/``BEFORE DELETE`` triggers abort the statement, so accidental
  changes fail. Anyone who can write the file can drop them; verification catches the rest.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.core.store import METADATA, Store
from wardwatch.errors import StoreError

__all__ = [
    "APPEND_LOCK_KEY",
    "AUDIT_CHECKPOINTS",
    "AUDIT_EVENTS",
    "drop_protection",
    "ensure_schema",
    "install_protection",
    "restrict_role",
]

AUDIT_EVENTS = sa.Table(
    "audit_events",
    METADATA,
    # Assigned by the log (max + 1 under a lock), never by the database: a sequence or
    # autoincrement leaves gaps on rollback, and a gap is how a deleted row shows. Being the
    # key, it also keeps two writers that read the same tip from forking the chain.
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(100)),
    sa.Column("action", sa.String(100), nullable=False, index=True),
    sa.Column("subject", sa.String(500), nullable=False, index=True),
    # The exact canonical JSON text that payload_hash covers (not a JSON column: JSONB or a
    # driver could re-encode it, and an intact row would then look tampered).
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
)

AUDIT_CHECKPOINTS = sa.Table(
    "audit_checkpoints",
    METADATA,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=False),
    sa.Column("public_key", sa.String(64), nullable=False),  # raw Ed25519 key, hex
    sa.Column("signature", sa.String(128), nullable=False),  # Ed25519 signature, hex
)

APPEND_LOCK_KEY = 0x77_61_72_64_61_75_64  # "wardaud": the advisory lock appends take on PostgreSQL

_TABLES = ("audit_events", "audit_checkpoints")
_PG_FUNCTION = "wardwatch_audit_append_only"

_PG_INSTALL = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = '{_PG_FUNCTION}') THEN
    CREATE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'wardwatch audit: '
        || TG_OP || ' on ' || TG_TABLE_NAME || ' refused: the audit log is append-only';
    END
    $f$;
  END IF;
END
$$;
"""


def _pg_trigger_sql(table: str) -> list[tuple[str, str]]:
    return [
        (
            f"{table}_no_change",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
        ),
        (
            f"{table}_no_truncate",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()",
        ),
    ]


def _sqlite_trigger_sql(table: str) -> list[tuple[str, str]]:
    return [
        (
            f"{table}_no_{op.lower()}",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'wardwatch audit: {op} on {table} refused: "
            "the audit log is append-only'); END",
        )
        for op in ("UPDATE", "DELETE")
    ]


def _pg_triggers(conn: Connection) -> set[str]:
    return set(
        conn.execute(
            sa.text(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname IN ('audit_events', 'audit_checkpoints') "
                "AND pg_table_is_visible(c.oid)"
            )
        ).scalars()
    )


def install_protection(conn: Connection) -> None:
    """Install the append-only triggers on both tables (idempotent; see the module doc)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        wanted = [t for table in _TABLES for t in _pg_trigger_sql(table)]
        present = _pg_triggers(conn)
        if all(name in present for name, _ in wanted):
            return  # also the path of a role that may not create triggers: nothing to do
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_KEY + 1})
        existing = _pg_triggers(conn)  # again: another installer may have held the lock
        conn.exec_driver_sql(_PG_INSTALL)
        for name, sql in wanted:
            if name not in existing:
                conn.exec_driver_sql(sql)
    elif dialect == "sqlite":
        for table in _TABLES:
            for _, sql in _sqlite_trigger_sql(table):
                conn.exec_driver_sql(sql)


def drop_protection(conn: Connection) -> None:
    """Drop the append-only triggers (the table owner only). For tests that play an attacker,
    and for a supervised migration; verification still detects any change made meanwhile."""
    for table in _TABLES:
        if conn.dialect.name == "postgresql":
            for name, _ in _pg_trigger_sql(table):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            for name, _ in _sqlite_trigger_sql(table):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def ensure_schema(store: Store) -> None:
    """Create the audit tables if missing and install their protection."""
    try:
        METADATA.create_all(store.engine, tables=[AUDIT_EVENTS, AUDIT_CHECKPOINTS])
    except sa.exc.OperationalError as exc:
        raise StoreError(
            "cannot create the audit tables",
            found=str(exc.orig).splitlines()[0] if exc.orig else "error",
            hint="check [store] url in wardwatch.toml or WARDWATCH_STORE_URL",
        ) from None
    with store.begin() as conn:
        install_protection(conn)


def restrict_role(store: Store, role: str) -> None:
    """Leave PostgreSQL login ``role`` only ``SELECT`` and ``INSERT`` on the audit tables.

    Run as the tables' owner when provisioning, with the role the application logs in as.
    Together with the triggers, that role can then neither change nor remove audit rows,
    nor drop the triggers. Raises :class:`StoreError` on any other database than PostgreSQL.
    """
    if store.dialect != "postgresql":
        raise StoreError(
            "role grants need PostgreSQL",
            found=store.dialect,
            hint="on SQLite, protect the database file with file permissions",
        )
    ident = sa.text("SELECT quote_ident(:r)")
    with store.begin() as conn:
        quoted = conn.execute(ident, {"r": role}).scalar_one()
        for table in _TABLES:
            conn.exec_driver_sql(f"REVOKE ALL ON {table} FROM PUBLIC")
            conn.exec_driver_sql(f"REVOKE ALL ON {table} FROM {quoted}")
            conn.exec_driver_sql(f"GRANT SELECT, INSERT ON {table} TO {quoted}")
