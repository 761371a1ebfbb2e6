"""``wardwatch ingest`` and ``wardwatch quarantine``: load sources, look at what was refused."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    fail,
    progress_bar,
    record_audit,
    run_guarded,
)
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import open_workspace
from wardwatch.ingest import IngestSummary, quarantine_counts, quarantine_entries, quarantine_entry
from wardwatch.ingest import ingest as run_ingest

__all__ = [
    "ingest",
    "ingest_audit_payload",
    "quarantine_app",
]


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (searched recursively).")],
    workspace: WorkspaceOpt = Path("."),
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="YAML mapping for CSV/Parquet sources."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load FHIR R4 (bundles, bulk NDJSON), HL7 v2 and CSV/Parquet into the lake.

    Bad records go to quarantine with a reason; records in = loaded + quarantined. Files
    already ingested (same bytes) are skipped. Exit code 0 when the run completed (even with
    quarantined records), 1 when a file could not be read at all, 2 on a usage error.

    Examples:

        wardwatch ingest data/fhir/ --workspace ward

        wardwatch ingest claims.csv --mapping claims.yaml --json
    """
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    with progress_bar(enabled=not as_json) as bar:
        tasks: dict[str, Any] = {}

        def on_progress(path: str, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(Path(path).name[:40], total=max(total, 1))
            bar.update(tasks[path], completed=done)

        summary = run_guarded(
            lambda: run_ingest(ws, paths, mapping=mapping, progress=on_progress),
            as_json=as_json,
        )
    payload = ingest_audit_payload(summary)
    record_audit(ws, "ingest.run", f"ingest:{summary.run_id}", payload, as_json=as_json)
    if as_json:
        emit_json(summary.to_dict())
    else:
        _print_summary(summary)
    if summary.errors:
        raise typer.Exit(1)


def ingest_audit_payload(s: IngestSummary) -> dict[str, Any]:
    """What the audit log keeps of a run: counts and the files' content hashes."""
    return {
        "records_in": s.records_in,
        "loaded": s.loaded,
        "quarantined": s.quarantined,
        "by_reason": dict(s.reasons),
        "sources": [
            {"path": src.path, "sha256": src.source_hash, "status": src.status} for src in s.sources
        ],
        "errors": len(s.errors),
    }


def _print_summary(s: IngestSummary) -> None:
    table = Table(title=f"ingest run {s.run_id}", title_justify="left")
    for col in ("source", "format", "status", "records in", "loaded", "quarantined"):
        table.add_column(col, justify="right" if col[0] in "rlq" and col != "source" else "left")
    for r in s.sources:
        table.add_row(
            Path(r.path).name,
            r.format,
            r.status,
            f"{r.records_in:,}",
            f"{r.loaded:,}",
            f"{r.quarantined:,}",
        )
    console.print(table)
    console.print(
        f"records in {s.records_in:,} = loaded {s.loaded:,} + quarantined {s.quarantined:,}",
        highlight=False,
    )
    for reason, n in s.reasons.items():
        console.print(f"  quarantined {reason}: {n:,}", highlight=False)
    if s.rows:
        console.print(
            "rows: " + ", ".join(f"{t} {n:,}" for t, n in s.rows.items()), highlight=False
        )
    for err in s.errors:
        console.print(f"[red]not ingested:[/] {err}", highlight=False)


quarantine_app = typer.Typer(
    help="Look at quarantined records and why they were refused.", no_args_is_help=True
)


@quarantine_app.command("list")
def quarantine_list(
    workspace: WorkspaceOpt = Path("."),
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    source: Annotated[
        str | None, typer.Option(help="Only sources whose path contains this.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List quarantined records with reason, record, field and what was expected.

    Values found and raw records are left out here (they may identify a patient); use
    `wardwatch quarantine show ID` to see one entry whole.

    Examples:

        wardwatch quarantine list --reason missing-required

        wardwatch quarantine list --json --limit 1000
    """
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    lake = Lake(ws.lake_dir)
    entries = quarantine_entries(lake, reason=reason, source=source, limit=limit, offset=offset)
    counts = quarantine_counts(lake)
    if as_json:
        emit_json({"counts": counts, "entries": entries})
        return
    if not entries:
        console.print("quarantine is empty" if not counts else "no entry matches")
        return
    table = Table()
    for col in ("id", "reason", "type", "record", "field", "expected"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            e["id"],
            e["reason"],
            e["resource_type"] or "",
            e["record_id"] or "",
            e["field"] or "",
            (e["expected"] or "")[:40],
        )
    console.print(table)
    console.print(
        "by reason: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), highlight=False
    )


@quarantine_app.command("show")
def quarantine_show(
    entry_id: Annotated[str, typer.Argument(help="Entry id from `quarantine list`.")],
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Show one quarantined record whole: reason, field, expected, found and the raw record.

    Example:

        wardwatch quarantine show 3f2a9c1b0d4e:17
    """
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    entry = quarantine_entry(Lake(ws.lake_dir), entry_id)
    if entry is None:
        fail(
            f"no quarantine entry {entry_id!r} (ids look like 3f2a9c1b0d4e:17; see "
            "`wardwatch quarantine list`)",
            as_json=as_json,
        )
    if as_json:
        emit_json(entry)
        return
    for key, value in entry.items():
        if key != "raw":
            console.print(f"[bold]{key:>14}[/] {value}", highlight=False)
    console.print("[bold]           raw[/]")
    console.print(entry.get("raw") or "", highlight=False, markup=False)
