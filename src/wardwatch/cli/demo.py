"""``wardwatch demo``: every stage that exists, end to end, on synthetic data.

Each capability extends this as it lands; today: workspace, synthetic EHR (FHIR R4 NDJSON, HL7
v2.5, claims CSV, and a second feed with injected defects), ingest of the clean feed with a
JSON report of the run, the data-quality gate on it (it passes), the 30-day readmission use
case (cohort, point-in-time features, leakage audit, training tracked in MLflow, clinical
evaluation report), the registry (registration with lineage, gates refused under the
production policy, a second person's approval under the pilot policy, promotion), the model
card and the compliance evidence bundle, then the feed with defects (quarantine, and the gate
fails on it), and every step in the hash-chained audit log, verified at the end.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from wardwatch.audit import AuditLog
from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    fail,
    record_audit,
    run_guarded,
)
from wardwatch.cli._demo_dashboard import dashboard_server, serve_until_interrupted
from wardwatch.cli._demo_llm import llm_demo
from wardwatch.cli._demo_monitor import monitor_demo
from wardwatch.cli._demo_release import KEYS_FILE, PEOPLE, release
from wardwatch.cli._demo_serve import serve_demo
from wardwatch.cli.evaluate import evaluate_test_split, format_estimate
from wardwatch.cli.features import audit_with_split
from wardwatch.cli.ingest import ingest_audit_payload
from wardwatch.cli.train import save_training
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import CONFIG_NAME, Workspace, init_workspace
from wardwatch.features import (
    FeatureSet,
    build_features,
    default_usecase_path,
    featureset_dir,
    lake_provenance,
    load_usecase,
)
from wardwatch.ingest import IngestSummary, quarantine_counts
from wardwatch.ingest import ingest as run_ingest
from wardwatch.quality import QualityReport, default_contract, open_engine, run_gate
from wardwatch.synth import SynthConfig, generate
from wardwatch.train import train_usecase, workspace_tracking

__all__ = ["demo"]


def demo(
    workspace: WorkspaceOpt = Path("demo-workspace"),
    patients: Annotated[
        int, typer.Option(min=10, help="Patients in the synthetic population.")
    ] = 1500,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 42,
    force: Annotated[
        bool, typer.Option("--force", help="Start from scratch if the workspace exists.")
    ] = False,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="End by serving the model with its dashboard until Ctrl-C "
            "(default: yes, except with --json).",
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Dashboard port (a free one if taken).")
    ] = 8000,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole pipeline on synthetic data in a fresh workspace, say where things are,
    and leave the service running with its dashboard (sign in with a key from
    .wardwatch/demo-keys.json).

    Examples:

        wardwatch demo

        wardwatch demo --workspace /tmp/ward --patients 2000 --force --json

        wardwatch demo --no-serve
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
    summaries = [_ingest(ws, clean.out, say, as_json)]
    again = run_guarded(lambda: run_ingest(ws, [clean.out]), as_json=as_json)
    say(f"   ingesting {clean.out.name} again adds {again.records_in} records (idempotent)")
    steps["reingest_records_in"] = again.records_in

    say("[bold]3. data-quality gate[/] the default contract, on DuckDB")
    lake = Lake(ws.lake_dir)
    steps["quality"] = {}
    # The clean feed's FHIR files: its HL7 v2 messages and claims CSV carry the same patients,
    # encounters and claims in other representations (a site code for an organization id, a
    # day for a timestamp), which unique-keys rightly reports as different records of one id.
    clean_gate = _gate(ws, lake, "clean feed", ["*/synthetic/*.ndjson"], say, as_json)
    steps["quality"]["clean feed"] = clean_gate

    steps.update(run_guarded(partial(_readmission, ws, say), as_json=as_json))
    usecase, best = steps["train"]["usecase"], steps["train"]["best_model"]
    steps["registry"] = run_guarded(
        lambda: release(ws, say, usecase, best, Path(clean_gate["json"])), as_json=as_json
    )

    if steps["registry"].get("champion"):
        keys = orjson.loads((ws.state_dir / KEYS_FILE).read_bytes())
        frame = FeatureSet.load(featureset_dir(ws.state_dir, usecase)).frame
        steps["serve"] = run_guarded(
            lambda: serve_demo(ws, say, usecase, frame, clean.out, keys["cal"]["api_key"]),
            as_json=as_json,
        )
    else:
        say("[bold]9. serve[/] skipped: no version passed its gates to become champion")

    if steps["registry"].get("champion"):
        steps["monitor"] = run_guarded(
            lambda: monitor_demo(ws, say, usecase, seed, patients), as_json=as_json
        )

    steps["llm"] = run_guarded(lambda: llm_demo(ws, say), as_json=as_json)

    say("[bold]12. a new feed arrives[/] with injected defects: quarantine and the gate stop it")
    summaries.append(_ingest(ws, defects.out, say, as_json))
    steps["ingest"] = [s.to_dict() for s in summaries]
    steps["quarantine_by_reason"] = quarantine_counts(lake)
    say(
        "   quarantine by reason: "
        + ", ".join(f"{k} {v}" for k, v in steps["quarantine_by_reason"].items())
    )
    say(f"   look closer: wardwatch quarantine list --workspace {ws.root}")
    steps["quality"]["all feeds"] = _gate(ws, lake, "all feeds", [], say, as_json)

    log = AuditLog.from_workspace(ws)
    try:
        log.checkpoint()
        verified = log.verify()
    finally:
        log.store.dispose()
    steps["audit"] = verified.to_dict()
    say(f"[bold]13. audit log[/] {verified.message}")

    steps["where"] = {
        "lake": str(ws.lake_dir),
        "store": ws.store_url,
        "reports": str(ws.reports_dir),
    }
    server = None
    # served with or without a champion: the dashboard shows why a version was not promoted
    if (serve if serve is not None else not as_json) and steps["registry"].get("version"):
        server, url = run_guarded(lambda: dashboard_server(ws, usecase, port=port),
                                  as_json=as_json)  # fmt: skip
        steps["dashboard"] = {"url": url, "keys": str(ws.state_dir / KEYS_FILE)}
    if as_json:
        emit_json(steps)
    else:
        console.print(
            f"[bold green]done.[/] lake {ws.lake_dir}\n      reports {ws.reports_dir}",
            highlight=False,
        )
    if server is not None:
        serve_until_interrupted(
            server,
            steps["dashboard"]["url"],
            lambda: say(
                f"[bold]14. dashboard[/] {steps['dashboard']['url']}  (running; Ctrl-C stops "
                f"it)\n   sign in with an API key from {steps['dashboard']['keys']}: "
                + ", ".join(f"{n} ({r})" for n, r in PEOPLE)
            ),
        )


def _readmission(ws: Workspace, say: Callable[[str], None]) -> dict[str, Any]:
    """Steps 4-6: features and leakage audit, training in MLflow, clinical evaluation."""
    lake = Lake(ws.lake_dir)
    usecase = load_usecase(default_usecase_path())
    out: dict[str, Any] = {}
    say(f"[bold]4. features[/] use case {usecase.name}: cohort, labels, point-in-time features")
    with open_engine("duckdb", lake) as engine:
        fs = build_features(engine, usecase, provenance=lake_provenance(lake))
    fs.save(featureset_dir(ws.state_dir, usecase.name))
    summary = fs.summary()
    out["features"] = summary
    record_audit(ws, "features.build", f"usecase:{usecase.name}", {
        k: summary[k] for k in ("engine", "as_of", "index_events", "positives", "provenance_hash")
    })  # fmt: skip
    say(
        f"   {summary['index_events']:,} index events, {summary['positives']:,} readmitted "
        f"({summary['label_rate']:.1%}), {summary['features']} features"
    )
    leakage = audit_with_split(fs)
    leak_html = leakage.save_html(ws.reports_dir / f"leakage-{usecase.name}.html")
    leakage.save_json(ws.reports_dir / f"leakage-{usecase.name}.json")
    out["leakage"] = {"verdict": leakage.verdict, "report": str(leak_html)}
    record_audit(ws, "features.audit", f"usecase:{usecase.name}", {
        "verdict": leakage.verdict, "leaky": leakage.leaky,
        "patient_overlap": leakage.patient_overlap,
    })  # fmt: skip
    say(
        f"   leakage audit: [bold]{leakage.verdict.upper()}[/], patients in two splits: "
        f"{leakage.patient_overlap}  ->  {leak_html}"
    )

    say("[bold]5. train[/] logistic regression and LightGBM, calibrated, tracked in MLflow")
    uri, artifacts = workspace_tracking(ws)
    run = train_usecase(
        fs.frame, usecase, tracking_uri=uri, artifact_location=artifacts, provenance=fs.provenance
    )
    out["train"] = run.to_dict()
    record_audit(ws, "train.run", f"usecase:{usecase.name}", {
        "experiment": run.experiment, "parent_run_id": run.parent_run_id,
        "best_model": run.best_model, "dataset_fingerprint": out["train"].get("fingerprint"),
    })  # fmt: skip
    for name, m in run.models.items():
        mark = " (best)" if name == run.best_model else ""
        say(
            f"   {name}{mark}: validation AUROC {m.metrics.get('validation_auroc', 0):.3f}, "
            f"test AUROC {m.metrics.get('test_auroc', 0):.3f}"
        )
    say(f"   MLflow: {uri}")
    save_training(ws, run)

    say(f"[bold]6. evaluate[/] {run.best_model} on the test split, patient-level bootstrap")
    report = evaluate_test_split(run.test_predictions, usecase, out["train"], run.best_model)
    _, html_path = report.write(ws.reports_dir, stem=f"evaluation-{usecase.name}-{run.best_model}")
    d = report.to_dict()
    record_audit(ws, "evaluate.run", f"usecase:{usecase.name}", {
        "model": run.best_model, "run_id": run.models[run.best_model].run_id,
        "auroc": report.auroc.value,
    })  # fmt: skip
    auc = report.auroc
    slope = d["calibration"]["calibration_slope"]["value"]
    say(
        f"   AUROC {format_estimate(auc.value, auc.low, auc.high)}, calibration slope "
        f"{format_estimate(slope)}, {len(d['notes'])} notes  ->  {html_path}"
    )
    out["evaluation"] = {"auroc": auc.value, "report": str(html_path), "notes": d["notes"]}
    return out


def _ingest(
    ws: Workspace, folder: Path, say: Callable[[str], None], as_json: bool
) -> IngestSummary:
    summary: IngestSummary = run_guarded(partial(run_ingest, ws, [folder]), as_json=as_json)
    record_audit(ws, "ingest.run", f"ingest:{summary.run_id}", ingest_audit_payload(summary))
    report = _save_report(ws, summary)
    say(
        f"   {folder.name}: records in {summary.records_in:,} = loaded "
        f"{summary.loaded:,} + quarantined {summary.quarantined:,}  ->  {report}"
    )
    return summary


def _gate(
    ws: Workspace,
    lake: Lake,
    label: str,
    sources: list[str],
    say: Callable[[str], None],
    as_json: bool,
) -> dict[str, Any]:
    report = run_guarded(partial(_quality, lake, sources), as_json=as_json)
    stem = "quality-" + label.replace(" ", "-")
    json_path, html_path = report.write(ws.reports_dir, stem=stem)
    d = report.to_dict()
    record_audit(ws, "quality.gate", f"contract:{report.contract}", {
        "verdict": d["verdict"], "engine": "duckdb", "summary": d["summary"],
    })  # fmt: skip
    top = sorted(d["counts"]["by_check"].items(), key=lambda kv: -kv[1])[:4]
    say(
        f"   {label}: [bold]{d['verdict'].upper()}[/], {d['summary']['findings']:,} "
        f"findings ({', '.join(f'{k} {v}' for k, v in top if v) or 'none'})  ->  {html_path}"
    )
    return {
        "verdict": d["verdict"],
        "summary": d["summary"],
        "by_check": d["counts"]["by_check"],
        "report": str(html_path),
        "json": str(json_path),
    }


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
    for name in (".wardwatch", "data", "production"):
        shutil.rmtree(root / name, ignore_errors=True)
    (root / CONFIG_NAME).unlink(missing_ok=True)
