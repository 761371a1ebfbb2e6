"""``wardwatch monitor``: drift, performance before and after labels, SLIs, alerts, rollback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    fail,
    progress_bar,
    run_guarded,
)
from wardwatch.cli.registry._shared import ApiKeyOpt, authenticated, guard, open_registry
from wardwatch.core.workspace import Workspace, open_workspace

__all__ = ["monitor_app"]

monitor_app = typer.Typer(
    help="Monitor served models: drift, estimated and realized performance, SLIs, alerts.",
    no_args_is_help=True,
)

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Registered model name.")]
VersionOpt = Annotated[
    str, typer.Option("--version", "-v", help="Version number or alias to monitor.")
]


def _when(text: str | None, what: str, as_json: bool) -> datetime | None:
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{what}: expected an ISO date or time, found {text!r}", as_json=as_json)
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _ref(version: str) -> int | str:
    return int(version) if version.isdigit() else version


@monitor_app.command("run")
def run(
    model: ModelOpt,
    version: VersionOpt = "champion",
    workspace: WorkspaceOpt = Path("."),
    window: Annotated[
        str, typer.Option(help="Window length: daily, weekly, monthly or e.g. 14d.")
    ] = "weekly",
    since: Annotated[str | None, typer.Option(help="First window start (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="End of the last window (ISO date).")] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Alert rules YAML (default: the packaged rules).")
    ] = None,
    rollback_policy: Annotated[
        Path | None,
        typer.Option(help="Rollback criteria YAML (default: the packaged policy)."),
    ] = None,
    every: Annotated[
        str | None,
        typer.Option(help="Run again every period (e.g. 15m, 1h) until stopped."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and estimation draws.")] = 0,
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Monitor a model version over windows of its prediction log and raise alerts.

    Each window is compared with the reference saved with the version: feature drift
    (Evidently's defaults, Benjamini-Hochberg across features), prediction and flag-rate
    drift, performance estimated from the calibrated risks, realized performance and
    calibration once labels have joined, subgroups, service SLIs and the data-feed findings
    of the newest quality report. Alerts go to their owner (data feed, model, SRE); the
    rollback criteria are checked at the end: a policy whose action is ``rollback`` moves
    the champion back as the --api-key's identity (approver, ml-engineer or admin); without
    a key it is recorded as a recommendation. Exit 0 whatever the verdict (alerts page).

    Examples:

        wardwatch monitor run -m readmission-30d

        wardwatch monitor run -m readmission-30d --window daily --since 2026-01-01 --json

        wardwatch monitor run -m readmission-30d --every 15m
    """
    from wardwatch.monitor import load_rollback_policy, load_rules, parse_window, run_monitor

    ws: Workspace = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    policy = (
        run_guarded(lambda: load_rollback_policy(rollback_policy), as_json=as_json)
        if rollback_policy
        else None
    )
    actor = None
    if api_key:
        with open_registry(workspace, None, as_json) as reg:
            actor = authenticated(reg, api_key, as_json)
    size: timedelta = run_guarded(lambda: parse_window(window), as_json=as_json)
    period = run_guarded(lambda: parse_window(every), as_json=as_json) if every else None
    rule_set = run_guarded(lambda: load_rules(rules), as_json=as_json)
    start, end = _when(since, "--since", as_json), _when(until, "--until", as_json)
    while True:
        result = _once(
            lambda step: run_monitor(
                ws,
                model,
                version=_ref(version),
                start=start,
                end=end,
                window=size,
                rules=rule_set,
                rollback_policy=policy,
                identity=actor,
                seed=seed,
                progress=step,
            ),
            as_json,
        )
        _print_run(result.to_dict(), as_json)
        if period is None:
            return
        time.sleep(period.total_seconds())


def _once(work: Any, as_json: bool) -> Any:
    with progress_bar(not as_json) as bar:
        task = bar.add_task("monitoring", total=None)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        return run_guarded(lambda: work(step), as_json=as_json)


def _print_run(d: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(d)
        return
    console.print(
        f"[bold]{d['model']}[/] version {d['version']}: {len(d['windows'])} windows of "
        f"{d['window_days']:g} days, {d['alerts']} alerts",
        highlight=False,
    )
    for w in d["windows"]:
        drifted = ", ".join(w["drifted_features"]) or "none"
        console.print(
            f"  {w['start'][:10]}..{w['end'][:10]}  rows {w['rows']:>7,}  drifted: {drifted}",
            highlight=False,
        )
        for a in w["alerts"]:
            console.print(
                f"    [{a['severity']}] {a['owner']} <- {a['rule']} ({a['outcome']}): {a['why']}",
                highlight=False,
                soft_wrap=True,
            )
    rb = d.get("rollback")
    if rb and rb.get("triggered"):
        console.print(f"[bold red]rollback {rb.get('action')}[/]: {rb.get('why')}", highlight=False)


@monitor_app.command("replay")
def replay(
    model: ModelOpt,
    version: VersionOpt = "champion",
    workspace: WorkspaceOpt = Path("."),
    since: Annotated[str | None, typer.Option(help="First index time (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Index times before this (ISO date).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score the use case's index events of a period into the prediction log (a backfill).

    The rows are scored by the version as the service would, logged at their index time
    with caller ``replay``; monitoring then reads them like live traffic.

    Examples:

        wardwatch monitor replay -m readmission-30d --since 2025-01-01
    """
    from wardwatch.features import FeatureSet
    from wardwatch.features._build import featureset_dir
    from wardwatch.monitor import replay_predictions
    from wardwatch.serve import load_version

    start, end = _when(since, "--since", as_json), _when(until, "--until", as_json)
    with open_registry(workspace, None, as_json) as reg:
        assert reg.workspace is not None
        ws = reg.workspace
        served = guard(lambda: load_version(reg, model, _ref(version)), as_json)
        fs = run_guarded(
            lambda: FeatureSet.load(featureset_dir(ws.state_dir, served.usecase.name)),
            as_json=as_json,
        )
        frame = fs.frame
        times = frame["index_time"]
        if start is not None:
            frame = frame[times >= start]
        if end is not None:
            frame = frame[frame["index_time"] < end]
        summary = run_guarded(lambda: replay_predictions(ws, served, frame), as_json=as_json)
    if as_json:
        emit_json(summary.to_dict())
    else:
        d = summary.to_dict()
        console.print(
            f"scored {d['rows']:,} index events of {d['model']} version {d['version']} into "
            f"the prediction log ({d['first']} .. {d['last']})",
            highlight=False,
        )


@monitor_app.command("alerts")
def alerts(
    workspace: WorkspaceOpt = Path("."),
    status: Annotated[
        str, typer.Option(help="open, acknowledged, resolved, active or all.")
    ] = "active",
    owner: Annotated[str | None, typer.Option(help="data-feed, model or sre.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List alerts, newest first.

    Examples:

        wardwatch monitor alerts

        wardwatch monitor alerts --owner data-feed --status all --json
    """
    from wardwatch.monitor import AlertBook

    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    book = run_guarded(lambda: AlertBook.from_workspace(ws), as_json=as_json)
    try:
        found = book.list(status=None if status == "all" else status, owner=owner, model=model)
    finally:
        book.store.dispose()
        book.audit.store.dispose()
    if as_json:
        emit_json([a.to_dict() for a in found])
        return
    if not found:
        console.print("no alerts", highlight=False)
    for a in found:
        console.print(
            f"#{a.id} [{a.severity}] {a.status:<12} {a.owner:<9} {a.model} {a.scope}: {a.why}",
            highlight=False,
            soft_wrap=True,
        )


def _close(
    action: str, alert_id: int, comment: str, workspace: Path, key: str | None, as_json: bool
) -> None:
    from wardwatch.monitor import AlertBook

    with open_registry(workspace, None, as_json) as reg:
        ws = reg.workspace
        assert ws is not None
        who = authenticated(reg, key, as_json)
        book = run_guarded(lambda: AlertBook.from_workspace(ws), as_json=as_json)
        try:
            fn = book.acknowledge if action == "ack" else book.resolve
            alert = guard(lambda: fn(alert_id, who, comment), as_json)
        finally:
            book.store.dispose()
            book.audit.store.dispose()
    if as_json:
        emit_json(alert.to_dict())
    else:
        console.print(f"alert #{alert.id} is {alert.status}", highlight=False)


@monitor_app.command("ack")
def ack(
    alert_id: Annotated[int, typer.Argument(help="Alert number (see `monitor alerts`).")],
    comment: Annotated[str, typer.Option("--comment", "-c", help="What is being done.")],
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Acknowledge an alert (someone is on it): ml-engineer, approver or admin.

    Examples:

        wardwatch monitor ack 12 -c "lab feed team contacted"
    """
    _close("ack", alert_id, comment, workspace, api_key, as_json)


@monitor_app.command("resolve")
def resolve(
    alert_id: Annotated[int, typer.Argument(help="Alert number (see `monitor alerts`).")],
    comment: Annotated[str, typer.Option("--comment", "-c", help="What fixed it.")],
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve an alert; its next firing opens a new one (not paged during the cooldown).

    Examples:

        wardwatch monitor resolve 12 -c "feed converted back to mg/dL"
    """
    _close("resolve", alert_id, comment, workspace, api_key, as_json)
