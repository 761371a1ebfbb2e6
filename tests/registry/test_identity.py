"""Identities: API keys stored hashed, bound to a person and a role; SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace
from wardwatch.registry import (
    PERMISSIONS,
    ROLES,
    AuthError,
    ForbiddenError,
    Identity,
    RegistryError,
    authenticate,
    bootstrap_admin,
    create_identity,
    hash_key,
    list_identities,
    require,
    require_role,
    revoke_identity,
)
from wardwatch.registry._tables import IDENTITIES


@pytest.fixture
def log(ws_any_store: Workspace) -> AuditLog:
    return AuditLog.from_workspace(ws_any_store)


@pytest.fixture
def store(log: AuditLog) -> Store:
    return log.store


def test_bootstrap_once_then_only_admins_create_keys(store: Store, log: AuditLog) -> None:
    key = bootstrap_admin(store, "ada", audit=log)
    admin = authenticate(store, key)
    assert (admin.name, admin.role) == ("ada", "admin")
    with pytest.raises(ForbiddenError, match="only for the first admin"):
        bootstrap_admin(store, "mallory", audit=log)
    key_id, eve_key = create_identity(store, "eve", "ml-engineer", by=admin, audit=log)
    eve = authenticate(store, eve_key)
    assert eve == Identity("eve", "ml-engineer", key_id)
    with pytest.raises(ForbiddenError) as err:
        create_identity(store, "mallory", "admin", by=eve, audit=log)
    assert str(err.value).startswith("eve (role ml-engineer) may not create")
    assert "\n" not in str(err.value)
    with pytest.raises(RegistryError, match="unknown role"):
        create_identity(store, "bob", "superuser", by=admin, audit=log)
    with pytest.raises(RegistryError, match="bad identity name"):
        create_identity(store, "bob smith; drop", "viewer", by=admin, audit=log)
    actions = [(e.action, e.actor, e.role) for e in log.events()]
    assert actions == [
        ("identity.bootstrap", "ada", "admin"),
        ("identity.create", "ada", "admin"),
    ]
    assert log.verify().ok


def test_keys_are_stored_hashed_never_in_clear(store: Store, log: AuditLog) -> None:
    key = bootstrap_admin(store, "ada", audit=log)
    admin = authenticate(store, key)
    keys = [key] + [
        create_identity(store, f"user{i}", "viewer", by=admin, audit=log)[1] for i in range(3)
    ]
    with store.begin() as conn:
        rows = conn.execute(sa.select(IDENTITIES)).all()
        dump = " ".join(str(tuple(r)) for r in rows)
    events = " ".join(e.payload.__repr__() for e in log.events())
    for k in keys:
        _, key_id, secret = k.split("_", 2)
        assert secret not in dump
        assert k not in dump
        assert secret not in events
        row = next(r for r in rows if r.key_id == key_id)
        expected = hashlib.sha256(f"wardwatch-api-key-v1\n{key_id}\n{secret}".encode()).hexdigest()
        assert row.key_hash == f"sha256:{expected}" == hash_key(key_id, secret)
    assert len(set(keys)) == 4


def test_bad_keys_are_refused_in_one_line_without_echo(store: Store, log: AuditLog) -> None:
    key = bootstrap_admin(store, "ada", audit=log)
    prefix, key_id, secret = key.split("_", 2)
    forged = f"{prefix}_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    unknown = f"{prefix}_{'0' * 12}_{secret}"
    for bad, what in (
        (None, "no API key"),
        ("", "no API key"),
        ("hunter2", "malformed"),
        (forged, "unknown API key"),
        (unknown, "unknown API key"),
    ):
        with pytest.raises(AuthError) as err:
            authenticate(store, bad)
        message = str(err.value)
        assert message.startswith(what)
        assert "\n" not in message
        assert secret not in message
        assert "hunter2" not in message


def test_revoked_keys_stop_working(store: Store, log: AuditLog) -> None:
    admin = authenticate(store, bootstrap_admin(store, "ada", audit=log))
    key_id, key = create_identity(store, "val", "viewer", by=admin, audit=log)
    assert authenticate(store, key).name == "val"
    record = revoke_identity(store, key_id, by=admin, audit=log)
    assert not record.active
    assert record.revoked_by == "ada"
    with pytest.raises(AuthError, match="revoked API key"):
        authenticate(store, key)
    with pytest.raises(RegistryError, match="already revoked"):
        revoke_identity(store, key_id, by=admin, audit=log)
    with pytest.raises(RegistryError, match="no such key"):
        revoke_identity(store, "0" * 12, by=admin, audit=log)
    with pytest.raises(ForbiddenError, match="last active admin"):
        revoke_identity(store, admin.key_id or "", by=admin, audit=log)
    listed = list_identities(store, by=admin)
    assert [(r.name, r.role, r.active) for r in listed] == [
        ("ada", "admin", True),
        ("val", "viewer", False),
    ]
    assert "key_hash" not in listed[0].to_dict()
    viewer = Identity("val2", "viewer")
    with pytest.raises(ForbiddenError):
        list_identities(store, by=viewer)
    assert [e.action for e in log.events()][-1] == "identity.revoke"
    assert log.verify().ok


def test_role_matrix() -> None:
    expected = {
        "viewer": {"registry.show", "registry.history", "registry.export"},
        "clinician": {"registry.show"},
        "ml-engineer": {
            "registry.show",
            "registry.history",
            "registry.export",
            "registry.register",
            "registry.gate",
            "registry.promote",
            "registry.rollback",
        },
        "approver": {
            "registry.show",
            "registry.history",
            "registry.export",
            "registry.approve",
            "registry.reject",
            "registry.promote",
            "registry.rollback",
        },
        "admin": set(PERMISSIONS),
    }
    for role in ROLES:
        allowed = {a for a, roles in PERMISSIONS.items() if role in roles}
        assert allowed == expected[role], role
        who = Identity("x", role)
        for action in PERMISSIONS:
            if action in allowed:
                require(who, action)
            else:
                with pytest.raises(ForbiddenError):
                    require(who, action)
    require_role(Identity("c", "clinician"), "clinician")
    require_role(Identity("a", "admin"), "clinician")
    with pytest.raises(ForbiddenError, match="expected admin or clinician"):
        require_role(Identity("v", "viewer"), "clinician")
    with pytest.raises(RegistryError, match="unknown action"):
        require(Identity("a", "admin"), "registry.delete")


def test_a_key_scoped_to_models(store: Store, log: AuditLog) -> None:
    """A key created with a model scope authenticates with that scope; others have none."""
    admin_key = bootstrap_admin(store, "ada", audit=log)
    admin = authenticate(store, admin_key)
    assert admin.models is None
    assert admin.may_use("anything")
    _, key = create_identity(
        store, "ehr", "clinician", by=admin, audit=log, models=["readmission-30d", "sepsis"]
    )
    app = authenticate(store, key)
    assert app.models == ("readmission-30d", "sepsis")
    assert app.may_use("sepsis")
    assert not app.may_use("claims-denial")
    assert log.events()[-1].payload["models"] == ["readmission-30d", "sepsis"]
    with pytest.raises(RegistryError, match="empty model scope"):
        create_identity(store, "x", "viewer", by=admin, audit=log, models=[])
    with pytest.raises(RegistryError, match="bad model name"):
        create_identity(store, "x", "viewer", by=admin, audit=log, models=["../etc"])
