"""The ``monitor_alerts`` table in the workspace store (SQLAlchemy Core, SQLite or
PostgreSQL), registered on the store's metadata so that ``Store.create_all`` makes it too.

One row per alert: its fingerprint (rule, model, scope), the latest values that fired it,
its lifecycle (open → acknowledged → resolved, with who, when and why) and its delivery
(``delivered_at``, ``last_error``). A partial unique index keeps at most one active (open or
acknowledged) alert per fingerprint.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.core.store import METADATA, Store

__all__ = ["ALERTS", "ensure_tables", "lock"]

_TS = sa.DateTime(timezone=True)
_ACTIVE = sa.text("status <> 'resolved'")

ALERTS = sa.Table(
    "monitor_alerts",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("owner", sa.String(16), nullable=False),  # data-feed | model | sre
    sa.Column("severity", sa.String(16), nullable=False),  # info | warning | critical
    sa.Column("status", sa.String(16), nullable=False),  # open | acknowledged | resolved
    sa.Column("metric", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(300), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("lower", sa.Float),
    sa.Column("upper", sa.Float),
    sa.Column("judged", sa.Float, nullable=False),
    sa.Column("condition", sa.String(200), nullable=False),
    sa.Column("n", sa.BigInteger),
    sa.Column("window_start", _TS, nullable=False),
    sa.Column("window_end", _TS, nullable=False),
    sa.Column("first_seen", _TS, nullable=False),
    sa.Column("last_seen", _TS, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("paged", sa.Boolean, nullable=False),
    sa.Column("suppressed", sa.String(32)),  # cooldown
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("runbook", sa.Text, nullable=False),
    sa.Column("caused_by", sa.Text, nullable=False),  # JSON list of "<rule> on <scope>"
    sa.Column("quiet_windows", sa.Integer, nullable=False, default=0),
    sa.Column("acknowledged_at", _TS),
    sa.Column("acknowledged_by", sa.String(100)),
    sa.Column("ack_comment", sa.Text),
    sa.Column("resolved_at", _TS),
    sa.Column("resolved_by", sa.String(100)),
    sa.Column("resolve_comment", sa.Text),
    sa.Column("delivered_at", _TS),
    sa.Column("last_error", sa.Text),
    sa.Column("delivery_attempts", sa.Integer, nullable=False, default=0),
    sa.Index("ix_monitor_alerts_fingerprint", "fingerprint"),
    sa.Index("ix_monitor_alerts_model_status", "model", "status"),
    sa.Index(
        "ux_monitor_alerts_active",
        "fingerprint",
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    ),
)

_LOCK_KEY = 0x77_61_72_64_61_6C_72  # "wardalr": the advisory lock alert writers take


def ensure_tables(store: Store) -> None:
    """Create the alert table if missing (a workspace made before it existed); once per
    store and process."""
    store.ensure([ALERTS], "the alert table")


def lock(conn: Connection) -> None:
    """Serialize alert writers for the rest of the transaction (so that two monitors never
    open the same fingerprint twice): an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE``
    on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
