"""``wardwatch audit``: verify the hash chain, list events, sign checkpoints, export evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from wardwatch.cli._common import JsonOpt, WorkspaceOpt, console, emit_json, fail, run_guarded
from wardwatch.core.workspace import open_workspace

__all__ = ["audit_app"]

audit_app = typer.Typer(
    help="The audit log: verify the chain, list events, sign checkpoints, export evidence.",
    no_args_is_help=True,
)

ActionOpt = Annotated[
    str | None,
    typer.Option("--action", "-a", help="Only this action; a stage with a dot: 'registry.'."),
]
SubjectOpt = Annotated[
    str | None, typer.Option("--subject", "-s", help="Only this subject (model:readmission@3).")
]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Only events by this actor.")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only events at or after this time (ISO 8601).")
]


def _open_log(workspace: Path, as_json: bool) -> Any:
    from wardwatch.audit import AuditLog

    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    return run_guarded(lambda: AuditLog.from_workspace(ws), as_json=as_json)


def _parse_since(text: str | None, as_json: bool) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"bad --since; expected ISO 8601 date or time; found {text!r}", as_json=as_json)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@audit_app.command("verify")
def verify(workspace: WorkspaceOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Prove the audit chain intact, or name the first bad event and what is wrong with it.

    Recomputes every event's hash and link and checks every signed checkpoint. Exit code 0
    when the chain is intact, 1 when it was tampered with (a row changed, deleted, inserted,
    reordered or rewritten; the message names the first bad event's seq), 2 when the check
    could not run.

    Examples:

        wardwatch audit verify --workspace ward

        wardwatch audit verify --json > audit-verify.json
    """
    from wardwatch.cli.registry import alias_problems

    log = _open_log(workspace, as_json)
    result = run_guarded(log.verify, as_json=as_json)
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    # model aliases moved in MLflow behind wardwatch's back are tampering too
    aliases: list[str] = run_guarded(lambda: alias_problems(ws), as_json=as_json)
    ok = result.ok and not aliases
    if as_json:
        emit_json(result.to_dict() | {"ok": ok, "alias_problems": aliases})
    elif result.ok:
        console.print(f"[bold green]OK[/]  {result.message}", highlight=False, soft_wrap=True)
        for warning in result.warnings:
            console.print(f"[yellow]note:[/] {warning}", highlight=False, soft_wrap=True)
    else:
        console.print(f"[bold red]TAMPERED[/]  {result.message}", highlight=False, soft_wrap=True)
    for problem in aliases:
        console.print(f"[bold red]ALIAS[/]  {problem}", highlight=False, soft_wrap=True)
    if not ok:
        raise typer.Exit(1)


@audit_app.command("list")
def list_events(
    workspace: WorkspaceOpt = Path("."),
    action: ActionOpt = None,
    subject: SubjectOpt = None,
    actor: ActorOpt = None,
    since: SinceOpt = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show the newest this many events.")
    ] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List audit events, newest last (payloads hold pseudonyms, never patient ids).

    Examples:

        wardwatch audit list --workspace ward --limit 20

        wardwatch audit list --action registry. --subject model:readmission@3

        wardwatch audit list --since 2026-11-01 --json > events.json
    """
    log = _open_log(workspace, as_json)
    when = _parse_since(since, as_json)
    events = run_guarded(
        lambda: log.events(
            action=action, subject=subject, actor=actor, since=when, limit=limit, newest_first=True
        ),
        as_json=as_json,
    )
    events.reverse()
    if as_json:
        emit_json([e.to_dict() for e in events])
        return
    table = Table(box=None, pad_edge=False, title_justify="left")
    for col in ("seq", "at (UTC)", "actor", "action", "subject"):
        wraps = col in ("actor", "subject")
        table.add_column(
            col,
            justify="right" if col == "seq" else "left",
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
        )
    for e in events:
        at = e.to_dict()["at"][:19].replace("T", " ")
        actor = f"{e.actor} ({e.role})" if e.role else e.actor
        table.add_row(str(e.seq), at, actor, e.action, e.subject)
    console.print(table)
    console.print(f"{len(events)} events", highlight=False, soft_wrap=True)


@audit_app.command("checkpoint")
def checkpoint(workspace: WorkspaceOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Sign the chain's newest event now with the workspace's Ed25519 key.

    The log also signs one every 1,000 events; sign one before exporting evidence or at the
    end of a shift, so that the newest events are covered too. The key is created on first
    use in .wardwatch/audit_ed25519.pem (mode 0600); its public half is audit_ed25519.pub.

    Example:

        wardwatch audit checkpoint --workspace ward
    """
    log = _open_log(workspace, as_json)
    cp = run_guarded(log.checkpoint, as_json=as_json)
    if as_json:
        emit_json(cp.to_dict() if cp is not None else None)
    elif cp is None:
        console.print("the audit log is empty: nothing to sign", highlight=False, soft_wrap=True)
    else:
        console.print(
            f"signed checkpoint at seq {cp.seq}: hash {cp.hash[:16]}..., key {cp.key_id}",
            highlight=False,
            soft_wrap=True,
        )


@audit_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="Write the evidence bundle (JSON) here.")],
    workspace: WorkspaceOpt = Path("."),
    action: ActionOpt = None,
    subject: SubjectOpt = None,
    actor: ActorOpt = None,
    since: SinceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the matching events as evidence that can be verified offline.

    The bundle holds the selected events with their payloads, the hashes of the events
    between them and the nearest signed checkpoint (signed now if none covers them yet).
    Check it with `wardwatch audit verify-proof`.

    Examples:

        wardwatch audit export evidence.json --subject model:readmission@3

        wardwatch audit export promotions.json --action registry.promote --since 2026-01-01
    """
    from wardwatch.audit import chain_proof

    log = _open_log(workspace, as_json)
    when = _parse_since(since, as_json)
    events = run_guarded(
        lambda: log.events(action=action, subject=subject, actor=actor, since=when),
        as_json=as_json,
    )
    if not events:
        fail("no audit event matches these filters; nothing to export", as_json=as_json)
    proof = run_guarded(lambda: chain_proof(log, events), as_json=as_json)
    run_guarded(
        lambda: out.write_text(json.dumps(proof, indent=1) + "\n", "utf-8"), as_json=as_json
    )
    summary = {
        "out": str(out),
        "selected": len(proof["selected"]),
        "events": len(proof["events"]),
        "checkpoint_seq": (proof["checkpoint"] or {}).get("seq"),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"wrote {out}: {summary['selected']} events, linked through {summary['events']} "
            f"to the checkpoint at seq {summary['checkpoint_seq']}",
            highlight=False,
            soft_wrap=True,
        )


@audit_app.command("verify-proof")
def verify_proof_cmd(
    proof_file: Annotated[Path, typer.Argument(help="An evidence bundle from `audit export`.")],
    key: Annotated[
        Path | None,
        typer.Option("--key", "-k", help="Public key PEM (default: the workspace's key)."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Check an exported evidence bundle offline against a public key.

    Exit code 0 when every event in it is intact and linked to a checkpoint signed by the
    key, 1 when it is not, 2 when it could not be read.

    Examples:

        wardwatch audit verify-proof evidence.json --key audit_ed25519.pub

        wardwatch audit verify-proof evidence.json --workspace ward --json
    """
    from wardwatch.audit import KEY_NAME, load_public_key, verify_proof

    if key is None:
        ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
        key = ws.state_dir / KEY_NAME.replace(".pem", ".pub")
    public = run_guarded(lambda: load_public_key(key), as_json=as_json)
    try:
        proof = json.loads(run_guarded(lambda: proof_file.read_text("utf-8"), as_json=as_json))
    except json.JSONDecodeError as exc:
        fail(f"evidence bundle is not JSON; record {proof_file}; found {exc.msg}", as_json=as_json)
    if not isinstance(proof, dict):
        fail(f"evidence bundle is not a JSON object; record {proof_file}", as_json=as_json)
    result = verify_proof(proof, public)
    if as_json:
        emit_json(result.to_dict())
    else:
        colour, word = ("green", "OK") if result.ok else ("red", "INVALID")
        console.print(
            f"[bold {colour}]{word}[/]  {result.message}", highlight=False, soft_wrap=True
        )
    if not result.ok:
        raise typer.Exit(1)
