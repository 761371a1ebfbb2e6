"""The registry's tables in the workspace store (SQLAlchemy Core, SQLite or PostgreSQL).

- ``identities``: one row per API key: the person's name, role, the key's hash (never the
  key), who created it and when, and when it was revoked.
- ``model_versions``: one row per registered MLflow model version: the run, lineage and
  evidence (as the exact canonical JSON text that their SHA-256 covers), the latest gate
  result and a status.
- ``gate_results``: every gate evaluation of a version, check by check, with its hash.
- ``approvals``: approve/reject decisions: by whom (name, role), when, the hash of the gate
  result they saw, and their comment.
- ``alias_events``: every move of a protected alias (promote, rollback, clear, break-glass):
  from which version to which, by whom, when, why.

JSON is stored as text so that a driver never re-encodes what a hash covers.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.core.store import METADATA, Store

__all__ = [
    "ALIAS_EVENTS",
    "APPROVALS",
    "GATE_RESULTS",
    "IDENTITIES",
    "IDENTITY_SCOPES",
    "MODEL_VERSIONS",
    "ensure_tables",
    "lock",
]

_TS = sa.DateTime(timezone=True)

IDENTITIES = sa.Table(
    "identities",
    METADATA,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, index=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("key_hash", sa.String(100), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("revoked_at", _TS),
    sa.Column("revoked_by", sa.String(100)),
)

IDENTITY_SCOPES = sa.Table(
    "registry_identity_scopes",
    METADATA,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("model", sa.String(200), primary_key=True),
)
"""Models a key may use (object-level authorization); a key without rows may use all."""

MODEL_VERSIONS = sa.Table(
    "model_versions",
    METADATA,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("model_uri", sa.Text, nullable=False),
    sa.Column("model", sa.String(100), nullable=False),  # the use case's candidate (logreg)
    sa.Column("registered_by", sa.String(100), nullable=False),
    sa.Column("registered_role", sa.String(32), nullable=False),
    sa.Column("registered_at", _TS, nullable=False),
    sa.Column("lineage", sa.Text, nullable=False),
    sa.Column("lineage_sha256", sa.String(64), nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("evidence_sha256", sa.String(64), nullable=False),
    sa.Column("gate_result_id", sa.Integer),
    sa.Column("status", sa.String(32), nullable=False),
    sa.UniqueConstraint("name", "run_id", name="uq_model_versions_run"),
)

GATE_RESULTS = sa.Table(
    "gate_results",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("policy", sa.String(200), nullable=False),
    sa.Column("policy_sha256", sa.String(64), nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("result_sha256", sa.String(64), nullable=False),
    sa.Column("evaluated_by", sa.String(100), nullable=False),
    sa.Column("evaluated_at", _TS, nullable=False),
    sa.Index("ix_gate_results_version", "name", "version"),
)

APPROVALS = sa.Table(
    "approvals",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),  # approve | reject
    sa.Column("by", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("gate_result_id", sa.Integer, nullable=False),
    sa.Column("gate_result_sha256", sa.String(64), nullable=False),
    sa.Index("ix_approvals_version", "name", "version"),
)

ALIAS_EVENTS = sa.Table(
    "alias_events",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),  # promote | rollback | clear
    sa.Column("from_version", sa.Integer),
    sa.Column("to_version", sa.Integer),
    sa.Column("by", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("break_glass", sa.Boolean, nullable=False),
    sa.Index("ix_alias_events_alias", "name", "alias"),
)

_TABLES = [IDENTITIES, IDENTITY_SCOPES, MODEL_VERSIONS, GATE_RESULTS, APPROVALS, ALIAS_EVENTS]
_LOCK_KEY = 0x77_61_72_64_72_65_67  # "wardreg": the advisory lock registry writes take


def ensure_tables(store: Store) -> None:
    """Create the registry's tables if missing (a workspace made before they existed); once
    per store and process, so that authenticating a request costs one query."""
    store.ensure(_TABLES, "the registry tables")


def lock(conn: Connection) -> None:
    """Serialize registry writers for the rest of the transaction (read-then-write safety):
    an advisory lock on PostgreSQL, the write lock (``BEGIN IMMEDIATE``) on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
