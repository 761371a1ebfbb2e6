"""``wardwatch features``: build a use case's point-in-time features and audit them for leakage."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    fail,
    parse_as_of,
    progress_bar,
    record_audit,
    run_guarded,
)
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from wardwatch.features import FeatureSet, LeakageReport, UseCase

__all__ = [
    "UsecaseOpt",
    "audit_with_split",
    "features_app",
    "load_featureset",
    "resolve_usecase",
]

features_app = typer.Typer(
    help="Point-in-time features of a use case, and the leakage audit.", no_args_is_help=True
)

UsecaseOpt = Annotated[
    Path | None,
    typer.Option(
        "--usecase",
        "-u",
        help="Use-case YAML (default: the built-in 30-day readmission use case).",
    ),
]


def resolve_usecase(path: Path | None, as_json: bool) -> UseCase:
    """The use case at ``path``, or the packaged readmission example."""
    from wardwatch.features import default_usecase_path, load_usecase

    return run_guarded(lambda: load_usecase(path or default_usecase_path()), as_json=as_json)  # type: ignore[no-any-return]


def load_featureset(ws: Workspace, usecase: UseCase, as_json: bool) -> FeatureSet:
    """The feature set saved by ``features build`` (a one-line error when there is none)."""
    from wardwatch.features import FeatureSet, featureset_dir

    fs: FeatureSet = run_guarded(
        lambda: FeatureSet.load(featureset_dir(ws.state_dir, usecase.name)), as_json=as_json
    )
    if fs.usecase != usecase:
        fail(
            f"the saved feature set of {usecase.name} was built from another version of the "
            "use case; run `wardwatch features build` again",
            as_json=as_json,
        )
    return fs


@features_app.command("build")
def build(
    workspace: WorkspaceOpt = Path("."),
    usecase: UsecaseOpt = None,
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="duckdb (default) or spark (local session).")
    ] = "duckdb",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Data cut-off (ISO 8601; default: the latest encounter)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the cohort, labels and point-in-time features of a use case from the lake.

    One row per index event; a feature only uses rows recorded at or before the prediction
    time. The feature set is saved in .wardwatch/features/<use case>/ for `features audit`
    and `train`.

    Examples:

        wardwatch features build --workspace ward

        wardwatch features build --usecase my_usecase.yaml --engine spark --json
    """
    from wardwatch.features import build_features, featureset_dir, lake_provenance
    from wardwatch.quality import open_engine

    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    spec = resolve_usecase(usecase, as_json)
    cutoff = parse_as_of(as_of, as_json)
    lake = Lake(ws.lake_dir)
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("features", total=None)

        def run() -> FeatureSet:
            with open_engine(engine, lake) as eng:
                return build_features(
                    eng,
                    spec,
                    as_of=cutoff,
                    provenance=lake_provenance(lake),
                    progress=lambda step: bar.update(task, description=f"features: {step}"),
                )

        fs: FeatureSet = run_guarded(run, as_json=as_json)
    out = run_guarded(lambda: fs.save(featureset_dir(ws.state_dir, spec.name)), as_json=as_json)
    summary = fs.summary() | {"directory": str(out)}
    record_audit(
        ws,
        "features.build",
        f"usecase:{spec.name}",
        {k: summary[k] for k in ("engine", "as_of", "index_events", "positives", "attrition",
                                 "provenance_hash")},
        as_json=as_json,
    )  # fmt: skip
    if as_json:
        emit_json(summary)
        return
    console.print(
        f"[bold]{spec.name}[/]: {summary['index_events']:,} index events of "
        f"{summary['patients']:,} patients, {summary['positives']:,} positive "
        f"({(summary['label_rate'] or 0):.1%}), {summary['features']} features "
        f"({summary['seconds']:.1f} s on {fs.engine})",
        highlight=False,
    )
    table = Table(title="cohort", title_justify="left")
    for col in ("step", "excluded", "remaining"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for a in fs.attrition:
        table.add_row(a.step, f"{a.excluded:,}", f"{a.remaining:,}")
    console.print(table)
    console.print(f"saved: {out}", highlight=False)


def audit_with_split(fs: FeatureSet, *, max_auroc: float = 0.90) -> LeakageReport:
    """The leakage audit of ``fs`` with the use case's train/test split checked too.

    With too little data to split, the features are audited anyway and a note says why the
    splits were not checked.
    """
    from wardwatch.errors import InputError
    from wardwatch.features import audit_features
    from wardwatch.train import temporal_split

    try:
        split = temporal_split(fs.frame, fs.usecase.split)
    except InputError as exc:
        report = audit_features(fs, max_auroc=max_auroc)
        report.notes.append(f"splits not checked: {exc}")
        return report
    assignment = split.assignment.set_axis(fs.frame["index_id"].to_numpy())
    return audit_features(fs, split=assignment, max_auroc=max_auroc)


@features_app.command("audit")
def audit(
    workspace: WorkspaceOpt = Path("."),
    usecase: UsecaseOpt = None,
    max_auroc: Annotated[
        float,
        typer.Option("--max-auroc", help="Flag a feature whose AUROC alone exceeds this."),
    ] = 0.90,
    as_json: JsonOpt = False,
) -> None:
    """Prove the saved features could not see the future.

    For every feature, the latest source time used per index event is compared with the
    prediction time; features implausibly predictive on their own are flagged; the split
    of `train` is checked for patients in two splits. Exit code 1 on a leak (fail).

    Examples:

        wardwatch features audit --workspace ward

        wardwatch features audit --json > leakage.json
    """
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    spec = resolve_usecase(usecase, as_json)
    fs = load_featureset(ws, spec, as_json)
    report = audit_with_split(fs, max_auroc=max_auroc)
    stem = f"leakage-{spec.name}"
    json_path = report.save_json(ws.reports_dir / f"{stem}.json")
    record_audit(
        ws,
        "features.audit",
        f"usecase:{spec.name}",
        {
            "verdict": report.verdict,
            "leaky": report.leaky,
            "patient_overlap": report.patient_overlap,
            "report_sha256": hashlib.sha256(json_path.read_bytes()).hexdigest(),
        },
        as_json=as_json,
    )
    html_path = report.save_html(ws.reports_dir / f"{stem}.html")
    if as_json:
        emit_json(report.to_dict() | {"report_files": {"json": json_path, "html": html_path}})
    else:
        _print_audit(report.to_dict(), html_path)
    if report.verdict == "fail":
        raise typer.Exit(1)


def _print_audit(d: dict[str, Any], html_path: Path) -> None:
    colour = {"pass": "green", "warn": "yellow", "fail": "red"}[d["verdict"]]
    late = [f for f in d["features"] if f["late_rows"]]
    strong = [f for f in d["features"] if f["status"] == "suspicious"]
    console.print(
        f"[bold {colour}]{d['verdict'].upper()}[/]  {d['usecase']}: {len(d['features'])} "
        f"features, {len(late)} with late source rows, {len(strong)} implausibly strong; "
        f"patients in two splits: {_or_not_checked(d['patient_overlap'])}",
        highlight=False,
    )
    for f in late + strong:
        console.print(f"  {f['name']}: {f['note']}", highlight=False)
    for note in d["notes"]:
        console.print(f"  note: {note}", highlight=False)
    console.print(f"report: {html_path}", highlight=False)


def _or_not_checked(value: Any) -> str:
    return "not checked" if value is None else str(value)
