"""``wardwatch evaluate``: the clinical evaluation report of a trained use case's test split."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import pandas as pd
import typer

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    fail,
    record_audit,
    run_guarded,
)
from wardwatch.cli.features import UsecaseOpt, resolve_usecase
from wardwatch.cli.train import PREDICTIONS, SUMMARY, model_dir
from wardwatch.core.workspace import open_workspace

if TYPE_CHECKING:
    from wardwatch.evaluate import Estimate, EvaluationReport
    from wardwatch.features import UseCase

__all__ = ["evaluate", "evaluate_test_split", "format_estimate", "tripod_context"]


def tripod_context(usecase: UseCase, training: dict[str, Any], model: str) -> dict[str, str]:
    """What the use case and the training run say for the TRIPOD+AI checklist."""
    c, lab = usecase.cohort, usecase.label
    feats = usecase.features
    spec = next((m for m in usecase.models if m.name == model), None)
    split = training.get("split", {})
    code = training.get("code", {})
    return {
        "intended_use": usecase.description.strip(),
        "eligibility": (
            f"encounters of class {', '.join(c.encounter_classes)} (one row per stay); "
            f"exclusions in order: {', '.join([*c.exclude, 'incomplete_follow_up'])}; "
            f"minimum age {c.min_age}"
        ),
        "outcome": (
            f"{lab.name}: an encounter of class {', '.join(lab.encounter_classes)} starting "
            f"within {lab.window_days} days after the prediction time "
            f"({usecase.prediction.at})"
            + ("; planned admissions do not count" if lab.exclude_planned else "")
        ),
        "predictors": ", ".join(f.name for f in feats),
        "predictor_definitions": "; ".join(
            f"{f.name}: {f.kind}"
            + (f" {f.field}" if f.field else "")
            + (f" {f.code}" if f.code else "")
            + (f" ({f.stat})" if f.kind == "lab" else "")
            + (f", last {f.window_days:g} days" if f.window_days else "")
            + f", as recorded by the prediction time ({f.time_basis} time)"
            for f in feats
        ),
        "missing_data": (
            "numeric features: median imputation with missing-value indicators (logistic "
            "regression) or native handling (LightGBM); categorical: a 'missing' category"
        ),
        "model": (
            f"{model} ({spec.family}, parameters {spec.params}); calibrated "
            f"({usecase.calibration.method}) on a held-out calibration split; the model was "
            f"chosen among {', '.join(m.name for m in usecase.models)} by validation AUROC"
            if spec
            else model
        ),
        "data_use": (
            f"temporal split by prediction time, fractions {split.get('fractions')}; each "
            f"patient in one split (overlap {split.get('patient_overlap')})"
        ),
        "data_preparation": (
            "the wardwatch data-quality gate (schema, references, times, codes, units, "
            "duplicates) and the leakage audit of point-in-time features"
        ),
        "code_sharing": f"wardwatch code version {code.get('version', 'unknown')}",
        "model_output": "a calibrated probability of the outcome per index stay",
    }


def evaluate_test_split(
    predictions: pd.DataFrame,
    usecase: UseCase,
    training: dict[str, Any],
    model: str,
) -> EvaluationReport:
    """Evaluate ``model``'s calibrated test predictions (the frame ``train`` saved)."""
    from wardwatch.evaluate import evaluate_predictions
    from wardwatch.train import prediction_column

    column = prediction_column(model)
    if column not in predictions.columns:
        known = [c.removeprefix("y_prob_") for c in predictions if c.startswith("y_prob_")]
        raise KeyError(f"no predictions of model {model}; trained: {', '.join(known)}")
    groups = {
        c.removeprefix("group_"): predictions[c].astype(str).to_numpy()
        for c in predictions.columns
        if c.startswith("group_")
    }
    return evaluate_predictions(
        predictions["label"].to_numpy(),
        predictions[column].to_numpy(),
        patient_ids=predictions["patient_id"].to_numpy(),
        index_times=predictions["index_time"],
        subgroups=groups,
        config=usecase.evaluation or None,
        context=tripod_context(usecase, training, model),
        model_name=f"{usecase.name}/{model}",
    )


def evaluate(
    workspace: WorkspaceOpt = Path("."),
    usecase: UsecaseOpt = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Model to evaluate (default: the best by validation)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the clinical evaluation report of a trained model on the held-out test split.

    Discrimination and calibration with patient-level bootstrap intervals, thresholds with
    PPV/NPV and alerts per day, the decision curve, every metric per subgroup (small groups
    suppressed), per month, and a TRIPOD+AI checklist. JSON and HTML go to
    .wardwatch/reports/.

    Examples:

        wardwatch evaluate --workspace ward

        wardwatch evaluate --model logreg --json > evaluation.json
    """
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    spec = resolve_usecase(usecase, as_json)
    folder = model_dir(ws, spec.name)
    if not (folder / PREDICTIONS).is_file():
        fail(f"no trained model for {spec.name}; run `wardwatch train` first", as_json=as_json)
    training = orjson.loads((folder / SUMMARY).read_bytes())
    chosen = model or str(training["best_model"])
    predictions = pd.read_parquet(folder / PREDICTIONS)
    try:
        report = run_guarded(
            lambda: evaluate_test_split(predictions, spec, training, chosen), as_json=as_json
        )
    except KeyError as exc:
        fail(str(exc.args[0]), as_json=as_json)
    json_path, html_path = report.write(ws.reports_dir, stem=f"evaluation-{spec.name}-{chosen}")
    d = report.to_dict()
    record_audit(
        ws,
        "evaluate.run",
        f"usecase:{spec.name}",
        {
            "model": chosen,
            "run_id": training.get("models", {}).get(chosen, {}).get("run_id"),
            "report": json_path.name,
            "auroc": report.auroc.value,
            "notes": len(d.get("notes", [])),
        },
        as_json=as_json,
    )
    if as_json:
        emit_json(d | {"report_files": {"json": json_path, "html": html_path}})
        return
    console.print(
        f"[bold]{spec.name}/{chosen}[/] on the test split: AUROC {_est(report.auroc)}, "
        f"AUPRC {_est(report.auprc)}",
        highlight=False,
    )
    for note in d.get("notes", []):
        console.print(f"  note: {note}", highlight=False)
    console.print(f"report: {html_path}", highlight=False)


def _est(e: Estimate) -> str:
    return format_estimate(e.value, e.low, e.high)


def format_estimate(
    value: float | None, low: float | None = None, high: float | None = None
) -> str:
    """``0.712 (0.690-0.733)``, or what is known of it."""
    if value is None:
        return "not computable"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} ({low:.3f}-{high:.3f})"
