"""What the ``wardwatch registry`` commands share: the Typer apps, options, and helpers to
open the registry, authenticate the caller and turn refusals into exit codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from wardwatch.cli._common import (
    console,
    err_console,
    fail,
    run_guarded,
)
from wardwatch.core.workspace import Workspace, open_workspace
from wardwatch.registry import API_KEY_ENV

if TYPE_CHECKING:
    from wardwatch.registry import GateResult, Identity, Registry

__all__ = [
    "AliasOpt",
    "ApiKeyOpt",
    "NameArg",
    "PolicyOpt",
    "TrackingOpt",
    "VersionArg",
    "authenticated",
    "busy",
    "guard",
    "identity_app",
    "open_registry",
    "print_gate",
    "read_policy",
    "registry_app",
    "say",
]

registry_app = typer.Typer(
    help="Model registry: register with lineage, gates, approvals, promotion, rollback.",
    no_args_is_help=True,
)
identity_app = typer.Typer(
    help="Identities: API keys bound to a person and a role (stored hashed).",
    no_args_is_help=True,
)
registry_app.add_typer(identity_app, name="identity")

ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar=API_KEY_ENV,
        help=f"Your API key (better: set {API_KEY_ENV}, so it stays out of the process list).",
        show_default=False,
    ),
]
TrackingOpt = Annotated[
    str | None,
    typer.Option(
        "--tracking-uri",
        envvar="WARDWATCH_TRACKING_URI",
        help="MLflow store (default: the workspace's .wardwatch/mlflow.db; or a PostgreSQL URL).",
        show_default=False,
    ),
]
NameArg = Annotated[str, typer.Argument(help="Registered model: the use case name.")]
VersionArg = Annotated[int, typer.Argument(min=1, help="Model version number.")]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        "-p",
        help="Gate policy YAML, or a packaged one by name: default (production), pilot.",
    ),
]
AliasOpt = Annotated[
    str, typer.Option("--alias", "-a", help="Protected alias: champion, or challenger (canary).")
]

_T = TypeVar("_T")


def guard(fn: Callable[[], _T], as_json: bool) -> _T:
    """Run ``fn``: a refusal exits 1, any other wardwatch error 2, each as one line."""
    from wardwatch.registry import RefusedError

    def refusals() -> _T:
        try:
            return fn()
        except RefusedError as exc:
            fail(str(exc), as_json=as_json, code=1)

    result: _T = run_guarded(refusals, as_json=as_json)
    return result


@contextmanager
def open_registry(workspace: Path, tracking_uri: str | None, as_json: bool) -> Iterator[Registry]:
    from wardwatch.registry import Registry

    ws: Workspace = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    reg: Registry = run_guarded(
        lambda: Registry.from_workspace(ws, tracking_uri=tracking_uri), as_json=as_json
    )
    try:
        yield reg
    finally:
        reg.close()


def authenticated(reg: Registry, api_key: str | None, as_json: bool) -> Identity:
    from wardwatch.registry import authenticate

    caller: Identity = guard(lambda: authenticate(reg.store, api_key), as_json)
    return caller


@contextmanager
def busy(text: str, as_json: bool) -> Iterator[None]:
    if as_json:
        yield
        return
    with err_console.status(text):
        yield


def read_policy(path: Path | None, as_json: bool) -> Any:
    """The policy in ``path``, or the packaged one of that name (``default``, ``pilot``)."""
    if path is None:
        return None
    from wardwatch.registry import PACKAGED_POLICIES, load_policy, packaged_policy

    if not path.exists() and str(path) in PACKAGED_POLICIES:
        return run_guarded(lambda: packaged_policy(str(path)), as_json=as_json)
    return run_guarded(lambda: load_policy(path), as_json=as_json)


def print_gate(gate: GateResult) -> None:
    colour = "green" if gate.passed else "red"
    console.print(
        f"gates [bold {colour}]{gate.verdict.upper()}[/] (policy {gate.policy})", highlight=False
    )
    table = Table(box=None, pad_edge=False)
    for col in ("check", "status", "evidence"):
        table.add_column(col, overflow="fold")
    marks = {"passed": "[green]passed[/]", "failed": "[red]failed[/]"}
    for c in gate.checks:
        table.add_row(c.check, marks.get(c.status, "[yellow]not evaluable[/]"), c.message)
    console.print(table)


def say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)
