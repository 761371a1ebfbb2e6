"""``wardwatch registry`` version commands: register, gates, approve, reject, promote,
rollback, history, show, aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wardwatch.cli._common import JsonOpt, WorkspaceOpt, console, emit_json
from wardwatch.cli.registry._shared import (
    AliasOpt,
    ApiKeyOpt,
    NameArg,
    PolicyOpt,
    TrackingOpt,
    VersionArg,
    authenticated,
    busy,
    guard,
    open_registry,
    print_gate,
    read_policy,
    registry_app,
    say,
)

__all__: list[str] = []


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
    spec = read_policy(policy, as_json)
    given = {"quality": quality_report, "leakage": leakage_report, "evaluation": evaluation_report}
    reports = {k: p for k, p in given.items() if p is not None}
    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        with busy("registering in MLflow", as_json):
            mv = guard(
                lambda: reg.register(
                    name, identity=who, model=model, run_id=run_id, reports=reports, policy=spec
                ),
                as_json,
            )
    if as_json:
        emit_json(mv.to_dict())
    else:
        lin = mv.lineage
        say(
            f"registered [bold]{mv.name}[/] version {mv.version} ({mv.model}, run "
            f"{mv.run_id[:12]}) by {mv.registered_by}; dataset "
            f"{str(lin['dataset'].get('fingerprint'))[:12]}, code "
            f"{str(lin['code'].get('version'))[:12]}"
        )
        if mv.gate is not None:
            print_gate(mv.gate)
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
    spec = read_policy(policy, as_json)
    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        result = guard(
            lambda: reg.evaluate_gates(name, version, identity=who, policy=spec), as_json
        )
    if as_json:
        emit_json(result.to_dict())
    else:
        print_gate(result)
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
    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        method = reg.approve if decision == "approve" else reg.reject
        result = guard(lambda: method(name, version, identity=who, comment=comment), as_json)
    if as_json:
        emit_json(result.to_dict())
    else:
        say(
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
    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        with busy("moving the MLflow alias", as_json):
            event = guard(
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
        say(f"{name}@{alias}: version {event.to_version} (was {before}){glass}")


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
    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        with busy("moving the MLflow alias", as_json):
            event = guard(
                lambda: reg.rollback(name, identity=who, reason=reason, alias=alias), as_json
            )
    if as_json:
        emit_json(event.to_dict())
    else:
        target = f"version {event.to_version}" if event.to_version else "no version"
        say(f"{name}@{alias}: back to {target} (was version {event.from_version})")


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
    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        hist = guard(lambda: reg.history(name, identity=who), as_json)
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
        say(
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

    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        shown = guard(lambda: reg.show(name, ref, identity=who), as_json)
    if as_json:
        emit_json(shown)
        return
    lin = shown["lineage"]
    say(
        f"[bold]{name}[/] version {shown['version']} ({shown['model']}): {shown['status']}"
        + (f", holds {', '.join(shown['aliases'])}" if shown["aliases"] else "")
    )
    say(f"  registered {shown['registered_at'][:19]} by {shown['registered_by']}")
    say(f"  run {shown['run_id']}  model {shown['model_uri']}")
    say(f"  dataset {lin['dataset'].get('fingerprint')}  code {lin['code'].get('version')}")
    for kind, doc in shown["evidence"].items():
        say(
            f"  {kind} report: "
            + (f"{doc['source']} sha256 {doc['sha256'][:16]}" if doc else "missing")
        )
    if shown["gate"]:
        print_gate(GateResult.from_dict(shown["gate"]))
    for d in shown["decisions"]:
        say(f"  {d['at'][:16]} {d['decision']} by {d['by']} ({d['role']}): {d['comment']}")


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

    with open_registry(workspace, tracking_uri, as_json) as reg:
        who = authenticated(reg, api_key, as_json)
        guard(lambda: require(who, "registry.history"), as_json)
        problems = guard(reg.check_aliases, as_json)
    if as_json:
        emit_json({"ok": not problems, "problems": problems})
    elif problems:
        for p in problems:
            say(f"[bold red]MOVED[/]  {p}")
    else:
        say("[bold green]OK[/]  protected aliases are where wardwatch put them")
    if problems:
        raise typer.Exit(1)
