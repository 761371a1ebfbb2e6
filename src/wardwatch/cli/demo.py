"""``wardwatch demo``: every stage that exists, end to end, on synthetic data.

Each capability extends this as it lands; today: workspace, synthetic EHR (FHIR R4 NDJSON, HL7
v2.5, claims CSV, and a second feed with injected defects), ingest of all of it with the
quarantine, a JSON report of each run, and the data-quality gate on the clean feed alone (it
passes) and on every feed (the injected defects fail it), with JSON and HTML reports.
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from wardwatch.cli._common import JsonOpt, WorkspaceOpt, console, emit_json, fail, run_guarded
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import CONFIG_NAME, Workspace, init_workspace
from wardwatch.ingest import IngestSummary, quarantine_counts
from wardwatch.ingest import ingest as run_ingest
from wardwatch.quality import QualityReport, default_contract, run_gate
from wardwatch.synth import SynthConfig, generate

__all__ = ["demo"]


def demo(
    workspace: WorkspaceOpt = Path("demo-workspace"),
    patients: Annotated[
        int, typer.Option(min=10, help="Patients in the synthetic population.")
    ] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 42,
    force: Annotated[
        bool, typer.Option("--force", help="Start from scratch if the workspace exists.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole pipeline on synthetic data in a fresh workspace and say where things are.

    Examples:

        wardwatch demo

        wardwatch demo --workspace /tmp/ward --patients 2000 --force --json
    """
    root = workspace.resolve()
    if (root / CONFIG_NAME).exists():
        if not force:
            fail(
                f"{root} already holds a workspace; pass --force to start it afresh",
                as_json=as_json,
            )
        _wipe(root)
    ws = run_guarded(lambda: init_workspace(root), as_json=as_json)
    steps: dict[str, Any] = {"workspace": str(ws.root)}

    def say(text: str) -> None:
        if not as_json:
            console.print(text, highlight=False)

    say(f"[bold]1. synthetic EHR[/] {patients} patients, seed {seed}")
    data = ws.root / "data"
    clean = run_guarded(
        lambda: generate(
            SynthConfig(
                patients=patients,
                seed=seed,
                out=data / "synthetic",
                format="ndjson",
            )
        ),
        as_json=as_json,
    )
    defects = run_guarded(
        lambda: generate(
            SynthConfig(
                patients=max(patients // 5, 10),
                seed=seed + 1,
                out=data / "feed-with-defects",
                format="ndjson",
                defects="all=0.01",
                claims_csv=False,
            )
        ),
        as_json=as_json,
    )
    steps["synth"] = {"clean": clean.to_dict(), "with_defects": defects.to_dict()}
    say(f"   {sum(clean.counts.values()):,} FHIR resources in {clean.out}")
    say(
        f"   {sum(defects.counts.values()):,} more with injected defects, listed in "
        f"{defects.defects_manifest}"
    )

    say("[bold]2. ingest[/] FHIR R4 NDJSON, HL7 v2.5, claims CSV")
    summaries: list[IngestSummary] = []
    for folder in (clean.out, defects.out):
        summary = run_guarded(partial(run_ingest, ws, [folder]), as_json=as_json)
        summaries.append(summary)
        report = _save_report(ws, summary)
        say(
            f"   {folder.name}: records in {summary.records_in:,} = loaded "
            f"{summary.loaded:,} + quarantined {summary.quarantined:,}  ->  {report}"
        )
    again = run_guarded(lambda: run_ingest(ws, [clean.out]), as_json=as_json)
    say(f"   ingesting {clean.out.name} again adds {again.records_in} records (idempotent)")
    steps["ingest"] = [s.to_dict() for s in summaries]
    steps["reingest_records_in"] = again.records_in
    lake = Lake(ws.lake_dir)
    steps["quarantine_by_reason"] = quarantine_counts(lake)
    say(
        "   quarantine by reason: "
        + ", ".join(f"{k} {v}" for k, v in steps["quarantine_by_reason"].items())
    )
    say(f"   look closer: wardwatch quarantine list --workspace {ws.root}")

    say("[bold]3. data-quality gate[/] the default contract, on DuckDB")
    steps["quality"] = {}
    for label, sources in (("clean feed", ["*/synthetic/*"]), ("all feeds", [])):
        report = run_guarded(partial(_quality, lake, sources), as_json=as_json)
        stem = "quality-" + label.replace(" ", "-")
        _, html_path = report.write(ws.reports_dir, stem=stem)
        d = report.to_dict()
        steps["quality"][label] = {
            "verdict": d["verdict"],
            "summary": d["summary"],
            "by_check": d["counts"]["by_check"],
            "report": str(html_path),
        }
        top = sorted(d["counts"]["by_check"].items(), key=lambda kv: -kv[1])[:4]
        say(
            f"   {label}: [bold]{d['verdict'].upper()}[/], {d['summary']['findings']:,} "
            f"findings ({', '.join(f'{k} {v}' for k, v in top if v) or 'none'})  ->  {html_path}"
        )

    steps["where"] = {
        "lake": str(ws.lake_dir),
        "store": ws.store_url,
        "reports": str(ws.reports_dir),
    }
    if as_json:
        emit_json(steps)
    else:
        console.print(
            f"[bold green]done.[/] lake {ws.lake_dir}\n      reports {ws.reports_dir}",
            highlight=False,
        )


def _quality(lake: Lake, sources: list[str]) -> QualityReport:
    base = default_contract()
    contract = base.model_copy(update={"sources": sources, "name": f"default{sources or ''}"})
    return run_gate(lake, contract)


def _save_report(ws: Workspace, summary: IngestSummary) -> Path:
    path = ws.reports_dir / f"ingest-{summary.run_id}.json"
    path.write_bytes(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2))
    return path


def _wipe(root: Path) -> None:
    """Remove what a demo wrote (state, settings and data), nothing else in the folder."""
    for name in (".wardwatch", "data"):
        shutil.rmtree(root / name, ignore_errors=True)
    (root / CONFIG_NAME).unlink(missing_ok=True)
