"""``wardwatch train``: train and calibrate the use case's models, tracked in MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.table import Table

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    progress_bar,
    record_audit,
    run_guarded,
)
from wardwatch.cli.features import UsecaseOpt, load_featureset, resolve_usecase
from wardwatch.core.workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from wardwatch.train import TrainingRun

__all__ = ["model_dir", "save_training", "train"]

PREDICTIONS = "predictions-test.parquet"
VALIDATION = "predictions-validation.parquet"
SUMMARY = "training.json"


def model_dir(ws: Workspace, usecase: str) -> Path:
    """Where ``train`` leaves a use case's predictions and summary for ``evaluate``."""
    return ws.state_dir / "models" / usecase


def save_training(ws: Workspace, run: TrainingRun) -> Path:
    """Keep a run's predictions and summary in the workspace for ``evaluate``; the folder."""
    out = model_dir(ws, run.usecase.name)
    out.mkdir(parents=True, exist_ok=True)
    run.test_predictions.to_parquet(out / PREDICTIONS, index=False)
    run.validation_predictions.to_parquet(out / VALIDATION, index=False)
    summary = run.to_dict()
    (out / SUMMARY).write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2, default=str))
    return out


def train(
    workspace: WorkspaceOpt = Path("."),
    usecase: UsecaseOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Train every model of the use case on its saved features, calibrate, and track in MLflow.

    Temporal split grouped by patient (0 patients in two splits), logistic regression and
    LightGBM, calibration on a held-out split, the best model chosen by validation AUROC.
    Runs go to the workspace's MLflow (.wardwatch/mlflow.db); the test predictions are kept
    for `wardwatch evaluate`.

    Examples:

        wardwatch features build --workspace ward && wardwatch train --workspace ward

        wardwatch train --usecase my_usecase.yaml --seed 7 --json
    """
    from wardwatch.train import train_usecase, workspace_tracking

    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    spec = resolve_usecase(usecase, as_json)
    fs = load_featureset(ws, spec, as_json)
    uri, artifacts = workspace_tracking(ws)
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("train", total=None)

        def on_step(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"train: {step}"[:40], completed=done, total=total)

        run: TrainingRun = run_guarded(
            lambda: train_usecase(
                fs.frame,
                spec,
                tracking_uri=uri,
                artifact_location=artifacts,
                provenance=fs.provenance,
                seed=seed,
                progress=on_step,
            ),
            as_json=as_json,
        )
    out = save_training(ws, run)
    summary = run.to_dict()
    record_audit(
        ws,
        "train.run",
        f"usecase:{spec.name}",
        {
            "experiment": run.experiment,
            "parent_run_id": run.parent_run_id,
            "best_model": run.best_model,
            "models": {
                n: {"run_id": m.run_id, "model_uri": m.model_uri, "metrics": m.metrics}
                for n, m in run.models.items()
            },
            "dataset_fingerprint": summary.get("fingerprint"),
            "code": summary.get("code"),
        },
        as_json=as_json,
    )
    if as_json:
        emit_json(summary | {"directory": out})
        return
    _print(summary, run)


def _print(summary: dict[str, Any], run: TrainingRun) -> None:
    split = run.split
    console.print(
        f"[bold]{run.usecase.name}[/]: split by time and patient; patients in two splits: "
        f"{split.patient_overlap}; earlier stays of patients in a later split dropped: "
        f"{split.dropped:,}",
        highlight=False,
    )
    table = Table(title_justify="left")
    for col in ("model", "val AUROC", "val Brier", "test AUROC", "test AUPRC", "run"):
        table.add_column(col, justify="left" if col in ("model", "run") else "right")
    for name, m in run.models.items():
        mark = " (best)" if name == run.best_model else ""
        table.add_row(
            name + mark,
            f"{m.metrics.get('validation_auroc', float('nan')):.3f}",
            f"{m.metrics.get('validation_brier', float('nan')):.4f}",
            f"{m.metrics.get('test_auroc', float('nan')):.3f}",
            f"{m.metrics.get('test_auprc', float('nan')):.3f}",
            m.run_id[:12],
        )
    console.print(table)
    console.print(f"MLflow: {run.tracking_uri} (experiment {run.experiment})", highlight=False)
