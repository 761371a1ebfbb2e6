"""``wardwatch registry``: versions with lineage, gates, approvals, promotion, rollback, keys.

Every command acts as the person its API key belongs to (``--api-key`` or
``WARDWATCH_API_KEY``), in that key's role. Exit codes: 0 done, 1 refused (gates fail, no
approval, the role may not, self-approval, an alias moved outside wardwatch), 2 cannot run
(no workspace, no or bad key, unknown version, a bad policy file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    err_console,
    fail,
    run_guarded,
)
from wardwatch.core.workspace import Workspace, open_workspace
from wardwatch.registry import API_KEY_ENV, ROLES, alias_problems

if TYPE_CHECKING:
    from wardwatch.registry import GateResult, Identity, Registry

__all__ = ["alias_problems", "registry_app"]

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
    typer.Option("--policy", "-p", help="Gate policy YAML (default: the packaged policy)."),
]
AliasOpt = Annotated[
    str, typer.Option("--alias", "-a", help="Protected alias: champion, or challenger (canary).")
]

_T = TypeVar("_T")


def _guard(fn: Callable[[], _T], as_json: bool) -> _T:
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
def _registry(workspace: Path, tracking_uri: str | None, as_json: bool) -> Iterator[Registry]:
    from wardwatch.registry import Registry

    ws: Workspace = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    reg: Registry = run_guarded(
        lambda: Registry.from_workspace(ws, tracking_uri=tracking_uri), as_json=as_json
    )
    try:
        yield reg
    finally:
        reg.close()


def _who(reg: Registry, api_key: str | None, as_json: bool) -> Identity:
    from wardwatch.registry import authenticate

    who: Identity = _guard(lambda: authenticate(reg.store, api_key), as_json)
    return who


@contextmanager
def _busy(text: str, as_json: bool) -> Iterator[None]:
    if as_json:
        yield
        return
    with err_console.status(text):
        yield


def _policy(path: Path | None, as_json: bool) -> Any:
    if path is None:
        return None
    from wardwatch.registry import load_policy

    return run_guarded(lambda: load_policy(path), as_json=as_json)


def _print_gate(gate: GateResult) -> None:
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


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


# -- versions --------------------------------------------------------------------------------


@registry_app.command("register")
def register(
    name: NameArg,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Model of the newest training (default: the best)."),
    ] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Register this MLflow model run instead.")
    ] = None,
    policy: PolicyOpt = None,
    quality_report: Annotated[
        Path | None,
        typer.Option("--quality-report", help="Data-quality report JSON (default: the newest)."),
    ] = None,
    leakage_report: Annotated[
        Path | None, typer.Option("--leakage-report", help="Leakage audit JSON.")
    ] = None,
    evaluation_report: Annotated[
        Path | None, typer.Option("--evaluation-report", help="Evaluation report JSON.")
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a trained model as a new version, with its lineage, evidence and gate result.

    Lineage: the MLflow run, dataset fingerprint, code version, environment, use-case spec,
    metrics, the SHA-256 of the quality, leakage and evaluation reports, and who registered
    it. The gates run at once (exit 1 when they fail; the version is registered anyway, and
    `gates` can re-run them under another policy). Role: ml-engineer or admin.

    Examples:

        wardwatch registry register readmission-30d --workspace ward

        wardwatch registry register readmission-30d --model lgbm --policy gates.yaml --json
    """
    spec = _policy(policy, as_json)
    given = {"quality": quality_report, "leakage": leakage_report, "evaluation": evaluation_report}
    reports = {k: p for k, p in given.items() if p is not None}
    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        with _busy("registering in MLflow", as_json):
            mv = _guard(
                lambda: reg.register(
                    name, identity=who, model=model, run_id=run_id, reports=reports, policy=spec
                ),
                as_json,
            )
    if as_json:
        emit_json(mv.to_dict())
    else:
        lin = mv.lineage
        _say(
            f"registered [bold]{mv.name}[/] version {mv.version} ({mv.model}, run "
            f"{mv.run_id[:12]}) by {mv.registered_by}; dataset "
            f"{str(lin['dataset'].get('fingerprint'))[:12]}, code "
            f"{str(lin['code'].get('version'))[:12]}"
        )
        if mv.gate is not None:
            _print_gate(mv.gate)
    if mv.gate is not None and not mv.gate.passed:
        raise typer.Exit(1)


@registry_app.command("gates")
def gates(
    name: NameArg,
    version: VersionArg,
    policy: PolicyOpt = None,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate a gate policy on a version's evidence and keep the result with the version.

    Check by check with the numbers it saw; exit 1 when a check fails or cannot be
    evaluated. A new result voids earlier approvals. Role: ml-engineer or admin.

    Examples:

        wardwatch registry gates readmission-30d 3 --policy gates.yaml

        wardwatch registry gates readmission-30d 3 --json
    """
    spec = _policy(policy, as_json)
    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        result = _guard(
            lambda: reg.evaluate_gates(name, version, identity=who, policy=spec), as_json
        )
    if as_json:
        emit_json(result.to_dict())
    else:
        _print_gate(result)
    if not result.passed:
        raise typer.Exit(1)


def _decide(
    decision: str,
    name: str,
    version: int,
    comment: str,
    workspace: Path,
    api_key: str | None,
    tracking_uri: str | None,
    as_json: bool,
) -> None:
    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        method = reg.approve if decision == "approve" else reg.reject
        result = _guard(lambda: method(name, version, identity=who, comment=comment), as_json)
    if as_json:
        emit_json(result.to_dict())
    else:
        _say(
            f"{name} version {version} {result.decision}d by {result.by} ({result.role}); gate "
            f"result {result.gate_verdict} ({result.gate_result_sha256[:12]})"
        )


CommentOpt = Annotated[
    str, typer.Option("--comment", "-c", help="Why (kept with the decision; required).")
]


@registry_app.command("approve")
def approve(
    name: NameArg,
    version: VersionArg,
    comment: CommentOpt,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a version as its latest gate result stands (who, when, that result, why).

    A second person: whoever registered the version may not approve it. Role: approver
    or admin.

    Examples:

        wardwatch registry approve readmission-30d 3 -c "subgroups and calibration reviewed"
    """
    _decide("approve", name, version, comment, workspace, api_key, tracking_uri, as_json)


@registry_app.command("reject")
def reject(
    name: NameArg,
    version: VersionArg,
    comment: CommentOpt,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a version: it cannot be promoted until a later approval. Role: approver or admin.

    Examples:

        wardwatch registry reject readmission-30d 3 -c "ECE too high in the 80+ band"
    """
    _decide("reject", name, version, comment, workspace, api_key, tracking_uri, as_json)


@registry_app.command("promote")
def promote(
    name: NameArg,
    version: VersionArg,
    alias: AliasOpt = "champion",
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", help="Why (required with --break-glass).")
    ] = None,
    break_glass: Annotated[
        bool,
        typer.Option("--break-glass", help="Admin only: bypass gates and approval (audited)."),
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move the protected alias (champion, or challenger for a canary) to a version.

    Only when the version's gates pass, its latest decision is an approval of that gate
    result, and the alias is where wardwatch left it; otherwise exit 1 and say what is
    missing. Role: ml-engineer, approver or admin; --break-glass: admin, always audited.

    Examples:

        wardwatch registry promote readmission-30d 3

        wardwatch registry promote readmission-30d 4 --alias challenger

        wardwatch registry promote readmission-30d 2 --break-glass -r "downtime procedure"
    """
    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        with _busy("moving the MLflow alias", as_json):
            event = _guard(
                lambda: reg.promote(
                    name, version, identity=who, alias=alias, reason=reason, break_glass=break_glass
                ),
                as_json,
            )
    if as_json:
        emit_json(event.to_dict())
    else:
        glass = " [bold red](break-glass, audited)[/]" if event.break_glass else ""
        before = f"version {event.from_version}" if event.from_version else "none"
        _say(f"{name}@{alias}: version {event.to_version} (was {before}){glass}")


@registry_app.command("rollback")
def rollback(
    name: NameArg,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why (required).")],
    alias: AliasOpt = "champion",
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Return the alias to the version it held before its last promotion, in one step.

    Role: ml-engineer, approver or admin.

    Examples:

        wardwatch registry rollback readmission-30d -r "alert volume doubled overnight"
    """
    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        with _busy("moving the MLflow alias", as_json):
            event = _guard(
                lambda: reg.rollback(name, identity=who, reason=reason, alias=alias), as_json
            )
    if as_json:
        emit_json(event.to_dict())
    else:
        target = f"version {event.to_version}" if event.to_version else "no version"
        _say(f"{name}@{alias}: back to {target} (was version {event.from_version})")


@registry_app.command("history")
def history(
    name: NameArg,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a model's versions (gates, decisions) and every promotion and rollback.

    Role: viewer, ml-engineer, approver or admin.

    Examples:

        wardwatch registry history readmission-30d

        wardwatch registry history readmission-30d --json > history.json
    """
    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        hist = _guard(lambda: reg.history(name, identity=who), as_json)
    if as_json:
        emit_json(hist)
        return
    holds = {v: a for a, v in hist["aliases"].items() if v is not None}
    table = Table(box=None, pad_edge=False, title=f"{name}", title_justify="left")
    for col in ("version", "model", "registered", "gates", "decision", "alias"):
        table.add_column(col, overflow="fold")
    for v in hist["versions"]:
        last = v["decisions"][-1] if v["decisions"] else None
        table.add_row(
            str(v["version"]),
            v["model"],
            f"{v['registered_at'][:16]} {v['registered_by']}",
            (v["gate"] or {}).get("verdict", "-"),
            f"{last['decision']} by {last['by']}" if last else "-",
            holds.get(v["version"], ""),
        )
    console.print(table)
    for e in hist["alias_events"]:
        glass = " (break-glass)" if e["break_glass"] else ""
        _say(
            f"{e['at'][:16]} {e['action']} @{e['alias']}: {e['from_version'] or '-'} -> "
            f"{e['to_version'] or '-'} by {e['by']}{glass}"
            + (f": {e['reason']}" if e["reason"] else "")
        )


@registry_app.command("show")
def show(
    name: NameArg,
    ref: Annotated[str, typer.Argument(help="Version number, or champion / challenger.")],
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one version: lineage, gate result check by check, decisions, alias moves.

    Role: any (viewer, clinician, ml-engineer, approver, admin).

    Examples:

        wardwatch registry show readmission-30d champion

        wardwatch registry show readmission-30d 3 --json
    """
    from wardwatch.registry import GateResult

    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        shown = _guard(lambda: reg.show(name, ref, identity=who), as_json)
    if as_json:
        emit_json(shown)
        return
    lin = shown["lineage"]
    _say(
        f"[bold]{name}[/] version {shown['version']} ({shown['model']}): {shown['status']}"
        + (f", holds {', '.join(shown['aliases'])}" if shown["aliases"] else "")
    )
    _say(f"  registered {shown['registered_at'][:19]} by {shown['registered_by']}")
    _say(f"  run {shown['run_id']}  model {shown['model_uri']}")
    _say(f"  dataset {lin['dataset'].get('fingerprint')}  code {lin['code'].get('version')}")
    for kind, doc in shown["evidence"].items():
        _say(
            f"  {kind} report: "
            + (f"{doc['source']} sha256 {doc['sha256'][:16]}" if doc else "missing")
        )
    if shown["gate"]:
        _print_gate(GateResult.from_dict(shown["gate"]))
    for d in shown["decisions"]:
        _say(f"  {d['at'][:16]} {d['decision']} by {d['by']} ({d['role']}): {d['comment']}")


@registry_app.command("aliases")
def aliases(
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check that MLflow's protected aliases are where wardwatch and the audit log put them.

    Exit 1 when an alias was moved (or a registry table changed) outside wardwatch.
    Role: viewer, ml-engineer, approver or admin.

    Examples:

        wardwatch registry aliases --workspace ward
    """
    from wardwatch.registry import require

    with _registry(workspace, tracking_uri, as_json) as reg:
        who = _who(reg, api_key, as_json)
        _guard(lambda: require(who, "registry.history"), as_json)
        problems = _guard(reg.check_aliases, as_json)
    if as_json:
        emit_json({"ok": not problems, "problems": problems})
    elif problems:
        for p in problems:
            _say(f"[bold red]MOVED[/]  {p}")
    else:
        _say("[bold green]OK[/]  protected aliases are where wardwatch put them")
    if problems:
        raise typer.Exit(1)


# -- identities ------------------------------------------------------------------------------


def _show_key(name: str, role: str, key_id: str, key: str, as_json: bool) -> None:
    if as_json:
        emit_json({"name": name, "role": role, "key_id": key_id, "api_key": key})
        return
    _say(f"{name} ({role}), key {key_id}:")
    _say(key)
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

    with _registry(workspace, None, as_json) as reg:
        key = _guard(lambda: bootstrap_admin(reg.store, name, audit=reg.audit), as_json)
        who = authenticate(reg.store, key)
    _show_key(who.name, who.role, who.key_id or "", key, as_json)


@identity_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="The person's name.")],
    role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))],
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key for a person in one role and print it, once. Role: admin.

    Examples:

        wardwatch registry identity create --name b.jones --role approver
    """
    from wardwatch.registry import create_identity

    with _registry(workspace, None, as_json) as reg:
        who = _who(reg, api_key, as_json)
        key_id, key = _guard(
            lambda: create_identity(reg.store, name, role, by=who, audit=reg.audit), as_json
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

    with _registry(workspace, None, as_json) as reg:
        who = _who(reg, api_key, as_json)
        records = _guard(lambda: list_identities(reg.store, by=who), as_json)
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

    with _registry(workspace, None, as_json) as reg:
        who = _who(reg, api_key, as_json)
        record = _guard(
            lambda: revoke_identity(reg.store, key_id, by=who, audit=reg.audit), as_json
        )
    if as_json:
        emit_json(record.to_dict())
    else:
        _say(f"revoked key {record.key_id} of {record.name} ({record.role})")
