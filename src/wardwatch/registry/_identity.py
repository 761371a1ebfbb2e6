"""Identities and roles: API keys bound to a named person and one role.

A key looks like ``ww_<key id>_<secret>``: the key id (12 hex digits) names the key in lists
and audit events; the secret (32 random bytes, URL-safe base64) is shown once, when the key
is created, and never stored. The store keeps ``sha256:<hex>`` of
``"wardwatch-api-key-v1\\n<key id>\\n<secret>"``: a 256-bit random secret cannot be guessed, so a
slow password hash (scrypt, PBKDF2) would add nothing but latency to every API request.
Hashes are compared in constant time; errors never echo a key.

Roles, from least to most trusted, and what each may do (:data:`PERMISSIONS`):

==============  ==============================================================
viewer          show, history
clinician       show
ml-engineer     show, history, register, gates, promote, rollback
approver        show, history, approve, reject, promote, rollback
admin           everything, including identities and break-glass actions
==============  ==============================================================

The first admin is created without a key while no identity exists
(:func:`bootstrap_admin`); every later identity needs an admin.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import sqlalchemy as sa

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store
from wardwatch.registry._errors import AuthError, ForbiddenError, RegistryError
from wardwatch.registry._tables import IDENTITIES, IDENTITY_SCOPES, ensure_tables, lock

__all__ = [
    "API_KEY_ENV",
    "PERMISSIONS",
    "ROLES",
    "Identity",
    "IdentityRecord",
    "Role",
    "active_identity",
    "authenticate",
    "bootstrap_admin",
    "create_identity",
    "hash_key",
    "list_identities",
    "require",
    "require_role",
    "revoke_identity",
]

Role = Literal["viewer", "clinician", "ml-engineer", "approver", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
API_KEY_ENV = "WARDWATCH_API_KEY"
"""The environment variable the CLI reads the API key from (``--api-key`` overrides it)."""

_ALL = frozenset(ROLES)
_RELEASE = frozenset({"ml-engineer", "approver", "admin"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "registry.show": _ALL,
    "registry.history": _ALL - {"clinician"},
    "registry.export": _ALL - {"clinician"},
    "registry.register": frozenset({"ml-engineer", "admin"}),
    "registry.gate": frozenset({"ml-engineer", "admin"}),
    "registry.approve": frozenset({"approver", "admin"}),
    "registry.reject": frozenset({"approver", "admin"}),
    "registry.promote": _RELEASE,
    "registry.rollback": _RELEASE,
    "admin.break_glass": frozenset({"admin"}),
    "identity.create": frozenset({"admin"}),
    "identity.list": frozenset({"admin"}),
    "identity.revoke": frozenset({"admin"}),
}
"""Which roles may take each action (``<stage>.<verb>``, as in the audit log)."""

_PREFIX = "ww"
_KEY = re.compile(r"ww_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
_HASH_DOMAIN = b"wardwatch-api-key-v1\n"


@dataclass(frozen=True)
class Identity:
    """An authenticated person acting in one role (what every registry action takes)."""

    name: str
    role: str
    key_id: str | None = None
    """The key that authenticated it (None for the bootstrap admin before it has one)."""
    models: tuple[str, ...] | None = None
    """The registered models this key may use (object-level authorization); None: all."""

    def may_use(self, model: str) -> bool:
        """Whether this key's scope covers registered model ``model``."""
        return self.models is None or model in self.models

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "role": self.role, "key_id": self.key_id}
        if self.models is not None:
            out["models"] = list(self.models)
        return out


@dataclass(frozen=True)
class IdentityRecord:
    """A stored identity as listed (never its key or hash)."""

    key_id: str
    name: str
    role: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "revoked_at": _iso(self.revoked_at),
            "revoked_by": self.revoked_by,
            "active": self.active,
        }


def hash_key(key_id: str, secret: str) -> str:
    """What the store keeps of a key: ``sha256:`` and the hex digest (see the module doc)."""
    digest = hashlib.sha256(_HASH_DOMAIN + f"{key_id}\n{secret}".encode()).hexdigest()
    return f"sha256:{digest}"


def _new_key() -> tuple[str, str, str]:
    key_id = secrets.token_hex(6)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return key_id, secret, f"{_PREFIX}_{key_id}_{secret}"


def _check_name(name: str) -> str:
    name = name.strip() if isinstance(name, str) else name
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise RegistryError(
            "bad identity name",
            field="name",
            expected="1-100 letters, digits or . _ @ + - (a person, e.g. a.smith)",
            found=repr(name)[:40],
        )
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise RegistryError(
            "unknown role", field="role", expected=" | ".join(ROLES), found=repr(role)[:40]
        )
    return role


def require(identity: Identity, action: str) -> None:
    """Raise :class:`ForbiddenError` unless ``identity``'s role may take ``action``."""
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise RegistryError(
            "unknown action", field="action", expected="one of PERMISSIONS", found=action
        )
    if identity.role not in allowed:
        raise ForbiddenError(
            f"{identity.name} (role {identity.role}) may not {action.split('.', 1)[1]}",
            field="role",
            expected=" or ".join(sorted(allowed)),
            found=identity.role,
            hint="ask an admin for a key with that role",
        )


def require_role(identity: Identity, *roles: str) -> None:
    """Raise :class:`ForbiddenError` unless ``identity`` has one of ``roles`` (admin always
    may): for callers outside the registry (the API) with their own actions."""
    if identity.role != "admin" and identity.role not in roles:
        raise ForbiddenError(
            f"{identity.name} (role {identity.role}) may not do this",
            field="role",
            expected=" or ".join(sorted({*roles, "admin"})),
            found=identity.role,
        )


def authenticate(store: Store, api_key: str | None) -> Identity:
    """The active identity an API key belongs to.

    Raises :class:`AuthError` (one line, without the key) when the key is missing,
    malformed, unknown, or revoked.
    """
    if not api_key:
        raise AuthError(
            "no API key",
            expected=f"--api-key or {API_KEY_ENV}",
            found="nothing",
            hint="ask an admin for a key (`wardwatch registry identity create`)",
        )
    match = _KEY.fullmatch(api_key.strip())
    if match is None:
        raise AuthError(
            "malformed API key",
            expected="ww_<12 hex>_<43 characters>",
            found=f"{len(api_key)} characters",
        )
    key_id, secret = match.groups()
    row, models = _stored_key(store, key_id)
    wanted = hash_key(key_id, secret)
    # Compare even when the id is unknown, so timing says nothing about which ids exist.
    stored = row.key_hash if row is not None else hash_key("0" * 12, "")
    if not hmac.compare_digest(stored.encode(), wanted.encode()) or row is None:
        raise AuthError(
            "unknown API key",
            record=f"key {key_id}",
            hint="check the key, or ask an admin for a new one",
        )
    if row.revoked_at is not None:
        raise AuthError(
            "revoked API key",
            record=f"key {key_id}",
            found=f"revoked at {_iso(row.revoked_at)}",
            hint="ask an admin for a new key",
        )
    return Identity(name=row.name, role=row.role, key_id=key_id, models=models or None)


def _stored_key(store: Store, key_id: str) -> tuple[Any, tuple[str, ...]]:
    """The stored row of key ``key_id`` (None when unknown) and its model scope."""
    ensure_tables(store)
    with store.begin() as conn:
        row = conn.execute(sa.select(IDENTITIES).where(IDENTITIES.c.key_id == key_id)).first()
        scope = conn.execute(
            sa.select(IDENTITY_SCOPES.c.model).where(IDENTITY_SCOPES.c.key_id == key_id)
        ).scalars()
        return row, tuple(sorted(scope))


def active_identity(store: Store, key_id: str) -> Identity | None:
    """The identity of key ``key_id`` while it is active, None when unknown or revoked.

    For sessions that authenticated with the key earlier (the dashboard's cookie holds the
    key id, never the key): a revoked key ends its sessions at their next request.
    """
    row, models = _stored_key(store, key_id)
    if row is None or row.revoked_at is not None:
        return None
    return Identity(name=row.name, role=row.role, key_id=key_id, models=models or None)


def _insert(conn: sa.Connection, name: str, role: str, by: str) -> tuple[str, str]:
    key_id, secret, key = _new_key()
    conn.execute(
        IDENTITIES.insert().values(
            key_id=key_id,
            name=name,
            role=role,
            key_hash=hash_key(key_id, secret),
            created_at=datetime.now(UTC),
            created_by=by,
        )
    )
    return key_id, key


def bootstrap_admin(store: Store, name: str, *, audit: AuditLog) -> str:
    """Create the first admin while no identity exists; return its API key (shown once).

    Raises :class:`ForbiddenError` once any identity exists (then an admin creates keys).
    """
    name = _check_name(name)
    ensure_tables(store)
    with store.begin() as conn:
        lock(conn)
        count = conn.execute(sa.select(sa.func.count()).select_from(IDENTITIES)).scalar_one()
        if count:
            raise ForbiddenError(
                "identities exist already: bootstrap is only for the first admin",
                found=f"{count} identities",
                hint="an admin creates keys with `wardwatch registry identity create`",
            )
        key_id, key = _insert(conn, name, "admin", name)
    audit.append(
        name,
        "identity.bootstrap",
        f"identity:{key_id}",
        {"name": name, "role": "admin", "key_id": key_id},
        role="admin",
    )
    return key


def create_identity(
    store: Store,
    name: str,
    role: str,
    *,
    by: Identity,
    audit: AuditLog,
    models: Sequence[str] | None = None,
) -> tuple[str, str]:
    """Create a key for person ``name`` in ``role`` (an admin only); ``(key id, API key)``.

    ``models`` scopes the key to those registered models (the scoring API refuses it any
    other); None lets it use every model. The key is returned once and never stored; only
    its hash is.
    """
    require(by, "identity.create")
    name, role = _check_name(name), _check_role(role)
    scope = sorted({_check_model(m) for m in models}) if models is not None else None
    if scope is not None and not scope:
        raise RegistryError("an empty model scope", field="models", expected="at least one model")
    ensure_tables(store)
    with store.begin() as conn:
        key_id, key = _insert(conn, name, role, by.name)
        if scope:
            conn.execute(IDENTITY_SCOPES.insert(), [{"key_id": key_id, "model": m} for m in scope])
    payload: dict[str, Any] = {"name": name, "role": role, "key_id": key_id}
    if scope:
        payload["models"] = scope
    audit.append(by.name, "identity.create", f"identity:{key_id}", payload, role=by.role)
    return key_id, key


def _check_model(model: str) -> str:
    if not isinstance(model, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,199}", model):
        raise RegistryError(
            "bad model name in a key's scope",
            field="models",
            expected="a registered model name",
            found=repr(model)[:40],
        )
    return model


def revoke_identity(store: Store, key_id: str, *, by: Identity, audit: AuditLog) -> IdentityRecord:
    """Revoke the key ``key_id`` (an admin only); its holder can no longer authenticate."""
    require(by, "identity.revoke")
    ensure_tables(store)
    with store.begin() as conn:
        lock(conn)
        row = conn.execute(sa.select(IDENTITIES).where(IDENTITIES.c.key_id == key_id)).first()
        if row is None:
            raise RegistryError(
                "no such key",
                record=f"key {key_id}",
                hint="`wardwatch registry identity list` shows the keys",
            )
        if row.revoked_at is not None:
            raise RegistryError(
                "key already revoked",
                record=f"key {key_id}",
                found=f"revoked at {_iso(row.revoked_at)}",
            )
        if row.role == "admin":
            admins = conn.execute(
                sa.select(sa.func.count())
                .select_from(IDENTITIES)
                .where(IDENTITIES.c.role == "admin", IDENTITIES.c.revoked_at.is_(None))
            ).scalar_one()
            if admins <= 1:
                raise ForbiddenError(
                    "cannot revoke the last active admin key",
                    record=f"key {key_id}",
                    hint="create another admin first",
                )
        now = datetime.now(UTC)
        conn.execute(
            IDENTITIES.update()
            .where(IDENTITIES.c.key_id == key_id)
            .values(revoked_at=now, revoked_by=by.name)
        )
    audit.append(
        by.name,
        "identity.revoke",
        f"identity:{key_id}",
        {"name": row.name, "role": row.role, "key_id": key_id},
        role=by.role,
    )
    return _record({**row._mapping, "revoked_at": now, "revoked_by": by.name})


def list_identities(store: Store, *, by: Identity) -> list[IdentityRecord]:
    """Every key (active and revoked) without its hash, oldest first (an admin only)."""
    require(by, "identity.list")
    ensure_tables(store)
    with store.begin() as conn:
        rows = conn.execute(sa.select(IDENTITIES).order_by(IDENTITIES.c.created_at)).all()
    return [_record(r._mapping) for r in rows]


def _record(m: Any) -> IdentityRecord:
    return IdentityRecord(
        key_id=m["key_id"],
        name=m["name"],
        role=m["role"],
        created_at=_aware(m["created_at"]),
        created_by=m["created_by"],
        revoked_at=_aware(m["revoked_at"]) if m["revoked_at"] is not None else None,
        revoked_by=m["revoked_by"],
    )


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back naive (always written in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else _aware(value).astimezone(UTC).isoformat()
