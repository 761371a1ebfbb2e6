"""What every part of the registry shares: the store, the audit log, MLflow, and helpers.

:class:`RegistryBase` holds the handles and the small steps every action repeats (the role
check that audits a refusal, an audit event with the key id, reading a version, its gate
result, its decisions and the alias events); the actions themselves live in mixins
(``_lineage``, ``_review``, ``_aliases``) that :class:`~wardwatch.registry.Registry` joins.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.audit import AuditLog, canonical_json
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace
from wardwatch.registry._errors import ForbiddenError, RegistryError
from wardwatch.registry._identity import Identity, require
from wardwatch.registry._mlflow import mlflow_client, mlflow_error
from wardwatch.registry._records import (
    PROTECTED_ALIASES,
    AliasEvent,
    Decision,
    ModelVersion,
    alias_stacks,
)
from wardwatch.registry._tables import (
    ALIAS_EVENTS,
    APPROVALS,
    GATE_RESULTS,
    MODEL_VERSIONS,
    ensure_tables,
)

__all__ = [
    "RegistryBase",
    "json_or_none",
    "json_text",
    "mlflow_aliases",
    "sha_text",
    "version_words",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_T = TypeVar("_T")


def sha_text(value: str) -> str:
    """SHA-256 of text (UTF-8), as hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def json_text(value: Any) -> str:
    """Canonical JSON text (what a stored hash covers)."""
    return canonical_json(value).decode("utf-8")


def version_words(version: int | None) -> str:
    return "no version" if version is None else f"version {version}"


def mlflow_aliases(client: Any, name: str) -> dict[str, int]:
    """The protected aliases MLflow shows for registered model ``name``."""
    model = client.get_registered_model(name)
    return {a: int(v) for a, v in (model.aliases or {}).items() if a in PROTECTED_ALIASES}


def json_or_none(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return None


class RegistryBase:
    """What the registry's parts share: one store, one audit log, one MLflow store.

    Args:
        store: the SQL store (tables created if missing).
        audit: the audit log every action is appended to.
        tracking_uri: MLflow's store (``sqlite:///…/mlflow.db`` or a PostgreSQL URL);
            default: the workspace's.
        workspace: where to find the reports (for :meth:`register` without explicit
            evidence) and, by default, MLflow's store.
    """

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        *,
        tracking_uri: str | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        if tracking_uri is None and workspace is None:
            raise RegistryError(
                "no MLflow store",
                field="tracking_uri",
                expected="a tracking URI or a workspace",
                found="neither",
            )
        self.store = store
        self.audit = audit
        self.workspace = workspace
        self._tracking_uri = tracking_uri
        ensure_tables(store)

    @property
    def tracking_uri(self) -> str:
        """MLflow's store: as given, or the workspace's (resolved on first use, so that
        commands that never touch MLflow do not import the training stack)."""
        if self._tracking_uri is None:
            from wardwatch.train import workspace_tracking

            assert self.workspace is not None
            self._tracking_uri = workspace_tracking(self.workspace)[0]
        return self._tracking_uri

    def close(self) -> None:
        """Release the store's connections."""
        self.store.dispose()

    # -- helpers -----------------------------------------------------------------------------

    def _authorize(self, identity: Identity, action: str, subject: str) -> None:
        """Check the role; a refusal is itself an audit event (``access.denied``)."""
        try:
            require(identity, action)
        except ForbiddenError as exc:
            self._refused(identity, action, subject, str(exc))
            raise

    def _refused(self, identity: Identity, action: str, subject: str, why: str) -> None:
        self.audit.append(
            identity.name,
            "access.denied",
            subject,
            {"action": action, "reason": why, "key_id": identity.key_id},
            role=identity.role,
        )

    def _event(
        self, identity: Identity, action: str, subject: str, payload: Mapping[Any, Any]
    ) -> None:
        self.audit.append(
            identity.name,
            action,
            subject,
            {**payload, "key_id": identity.key_id},
            role=identity.role,
        )

    @staticmethod
    def _check_name(name: str) -> str:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise RegistryError(
                "bad model name",
                field="name",
                expected="letters, digits, . _ - (the use case name)",
                found=repr(name)[:60],
            )
        return name

    @staticmethod
    def _check_alias(alias: str) -> str:
        if alias not in PROTECTED_ALIASES:
            raise RegistryError(
                "not a protected alias",
                field="alias",
                expected=" or ".join(PROTECTED_ALIASES),
                found=repr(alias)[:40],
            )
        return alias

    @staticmethod
    def _words(text: str | None, what: str) -> str:
        text = (text or "").strip()
        if not text:
            raise RegistryError(
                f"a {what} is required", field=what, expected="some words", found="nothing"
            )
        if len(text) > 2000:
            raise RegistryError(
                f"{what} too long",
                field=what,
                expected="at most 2000 characters",
                found=f"{len(text)} characters",
            )
        return text

    def _mlflow(self, fn: Callable[[Any], _T], what: str) -> _T:
        with mlflow_client(self.tracking_uri) as client:
            from mlflow.exceptions import MlflowException

            try:
                return fn(client)
            except MlflowException as exc:
                raise mlflow_error(exc, what, self.tracking_uri) from None

    def _row(self, conn: Connection, name: str, version: int) -> Mapping[Any, Any]:
        row = conn.execute(
            sa.select(MODEL_VERSIONS).where(
                MODEL_VERSIONS.c.name == name, MODEL_VERSIONS.c.version == int(version)
            )
        ).first()
        if row is None:
            raise RegistryError(
                "no such model version in the registry",
                record=f"{name}@{version}",
                hint=f"`wardwatch registry history {name}` lists versions",
            )
        return row._mapping

    def _gate_row(self, conn: Connection, row: Mapping[Any, Any]) -> Mapping[Any, Any] | None:
        if row["gate_result_id"] is None:
            return None
        gate = conn.execute(
            sa.select(GATE_RESULTS).where(GATE_RESULTS.c.id == row["gate_result_id"])
        ).first()
        return gate._mapping if gate is not None else None

    def _alias_events(self, conn: Connection, name: str) -> list[AliasEvent]:
        rows = conn.execute(
            sa.select(ALIAS_EVENTS).where(ALIAS_EVENTS.c.name == name).order_by(ALIAS_EVENTS.c.id)
        )
        return [AliasEvent.from_row(r._mapping) for r in rows]

    def _decisions(self, conn: Connection, name: str, version: int) -> list[Decision]:
        rows = conn.execute(
            sa.select(APPROVALS, GATE_RESULTS.c.passed)
            .join(GATE_RESULTS, GATE_RESULTS.c.id == APPROVALS.c.gate_result_id)
            .where(APPROVALS.c.name == name, APPROVALS.c.version == int(version))
            .order_by(APPROVALS.c.id)
        )
        return [Decision.from_row(r._mapping, "pass" if r.passed else "fail") for r in rows]

    def _load(self, conn: Connection, name: str, version: int) -> ModelVersion:
        row = self._row(conn, name, version)
        return ModelVersion.from_row(row, self._gate_row(conn, row))

    def _resolve(self, conn: Connection, name: str, ref: int | str) -> int:
        """A version number from a number, its text, or a protected alias (as recorded)."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return int(ref)
        self._check_alias(ref)
        current = alias_stacks(self._alias_events(conn, name)).get(ref, [None])[-1]
        if current is None:
            raise RegistryError(
                f"{name} has no {ref}", record=name, field="alias", hint="promote a version first"
            )
        return current
