"""``wardwatch registry identity``: API keys bound to a person and a role."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wardwatch.cli._common import JsonOpt, WorkspaceOpt, console, emit_json, err_console
from wardwatch.cli.registry._shared import (
    ApiKeyOpt,
    authenticated,
    guard,
    identity_app,
    open_registry,
    say,
)
from wardwatch.registry import ROLES

__all__: list[str] = []


# -- identities ------------------------------------------------------------------------------


def _show_key(name: str, role: str, key_id: str, key: str, as_json: bool) -> None:
    if as_json:
        emit_json({"name": name, "role": role, "key_id": key_id, "api_key": key})
        return
    say(f"{name} ({role}), key {key_id}:")
    say(key)
    err_console.print(
        "keep this key now: it is shown once and only its hash is stored",
        style="yellow",
        highlight=False,
    )


@identity_app.command("bootstrap")
def bootstrap(
    name: Annotated[str, typer.Option("--name", "-n", help="The first admin's name.")],
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Create the first admin and print its API key, once, while no identity exists.

    Examples:

        wardwatch registry identity bootstrap --name ada.lovelace --workspace ward
    """
    from wardwatch.registry import authenticate, bootstrap_admin

    with open_registry(workspace, None, as_json) as reg:
        key = guard(lambda: bootstrap_admin(reg.store, name, audit=reg.audit), as_json)
        who = authenticate(reg.store, key)
    _show_key(who.name, who.role, who.key_id or "", key, as_json)


@identity_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="The person's name.")],
    role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))],
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Scope the key to this registered model (repeatable)."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key for a person in one role and print it, once. Role: admin.

    With --model the key may call only those models in the scoring API.

    Examples:

        wardwatch registry identity create --name b.jones --role approver

        wardwatch registry identity create --name ehr-app --role clinician -m readmission-30d
    """
    from wardwatch.registry import create_identity

    with open_registry(workspace, None, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        key_id, key = guard(
            lambda: create_identity(
                reg.store, name, role, by=who, audit=reg.audit, models=model or None
            ),
            as_json,
        )
    _show_key(name, role, key_id, key, as_json)


@identity_app.command("list")
def list_keys(
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List every key (never the key or its hash): person, role, created, revoked. Role: admin.

    Examples:

        wardwatch registry identity list --json
    """
    from wardwatch.registry import list_identities

    with open_registry(workspace, None, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        records = guard(lambda: list_identities(reg.store, by=who), as_json)
    if as_json:
        emit_json([r.to_dict() for r in records])
        return
    table = Table(box=None, pad_edge=False)
    for col in ("key", "name", "role", "created", "by", "state"):
        table.add_column(col)
    for r in records:
        d = r.to_dict()
        state = "active" if r.active else f"revoked {str(d['revoked_at'])[:16]}"
        table.add_row(r.key_id, r.name, r.role, str(d["created_at"])[:16], r.created_by, state)
    console.print(table)


@identity_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (from `identity list`).")],
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a key: its holder can no longer act. Role: admin.

    Examples:

        wardwatch registry identity revoke 3f9a0c21b7e4
    """
    from wardwatch.registry import revoke_identity

    with open_registry(workspace, None, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        record = guard(lambda: revoke_identity(reg.store, key_id, by=who, audit=reg.audit), as_json)
    if as_json:
        emit_json(record.to_dict())
    else:
        say(f"revoked key {record.key_id} of {record.name} ({record.role})")
