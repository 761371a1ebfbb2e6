"""Train a use case's candidate models, calibrate them, and track everything in MLflow.

:func:`train_usecase` is the training step of the pipeline:

1. checks the frame (ids, times, 0/1 labels, feature columns) and every model's parameters,
   before anything is fitted or logged;
2. splits the index events in time, grouped by patient (:func:`temporal_split`);
3. per model: fits on train, calibrates on calibration, scores validation and test with
   the uncalibrated and the calibrated probabilities;
4. logs one MLflow parent run for the session and one child run per model, each with its
   parameters, metrics, hashes, the use case, the split summary, the environment and (for
   the children) the calibrated model; picks the best model by validation AUROC.

PHI never goes to MLflow: no patient or index ids, no per-patient times (split spans are
logged by month), and the model's input example is made of training-split medians and
frequent categories, not a patient's row. The ids stay in the returned
:class:`TrainingRun`'s prediction frames, which feed the evaluation step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml

from wardwatch.errors import ConfigError
from wardwatch.features._spec import FeatureSpec, UseCase
from wardwatch.train._calibrate import calibrate
from wardwatch.train._fingerprint import (
    CodeVersion,
    DatasetFingerprint,
    code_version,
    dataset_fingerprint,
    environment,
)
from wardwatch.train._frame import ID_COLUMNS, feature_matrix, group_columns, labels
from wardwatch.train._metrics import binary_metrics
from wardwatch.train._models import build_estimator, estimator_params, fit_estimator
from wardwatch.train._result import (
    SELECTION_METRIC,
    ModelResult,
    Progress,
    TrainingRun,
    prediction_column,
)
from wardwatch.train._split import SPLITS, SplitResult, temporal_split
from wardwatch.train._tracking import Tracker, model_signature, pip_requirements

__all__ = ["REFERENCE_ARTIFACT", "REFERENCE_LABEL", "REFERENCE_RISK", "train_usecase"]

REFERENCE_ARTIFACT = "monitor/reference.parquet"
"""Each model run's monitoring reference (see :func:`_reference`), an MLflow artifact."""
REFERENCE_RISK = "_risk"
REFERENCE_LABEL = "_label"

_MIN_CELL = 11  # a category rarer than this never appears in the logged input example


@dataclass
class _Fitted:
    spec_name: str
    family: str
    params: dict[str, Any]
    calibrated: Any
    metrics: dict[str, float]
    validation: np.ndarray
    test: np.ndarray


def train_usecase(
    frame: pd.DataFrame,
    usecase: UseCase,
    *,
    tracking_uri: str,
    artifact_location: str | None,
    experiment: str | None = None,
    provenance: Mapping[str, str] | str | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> TrainingRun:
    """Train, calibrate and track every model of ``usecase`` on ``frame``.

    Args:
        frame: one row per index event (``build_features``' output).
        usecase: the use case (features, split, models, calibration).
        tracking_uri: the MLflow store, e.g. ``sqlite:///…/mlflow.db``
            (:func:`workspace_tracking` gives a workspace's).
        artifact_location: root URI for the artifacts of a new experiment (each experiment
            gets a sub-folder named after it); None lets MLflow choose.
        experiment: MLflow experiment name (default: the use case's name).
        provenance: hashes of the source files the frame was built from (file -> hash),
            or one string; part of the dataset fingerprint.
        seed: seed of every random choice (LightGBM's bagging, solvers).
        progress: called as ``progress(step, done, total)``.

    Raises:
        InputError: the frame breaks the input contract, or a split is empty or has a
            single outcome.
        ConfigError: a model parameter is unknown or rejected, the split leaves no
            validation or calibration events, or the MLflow store cannot be opened.
    """
    report = progress or (lambda _step, _done, _total: None)
    total = 3 + 2 * len(usecase.models)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        report(what, done, total)
        done += 1

    # Everything that can be checked is checked before any fitting or logging.
    _check_usecase(usecase)
    features = list(usecase.features)
    pipelines = {m.name: build_estimator(m, features, seed=seed) for m in usecase.models}
    x = feature_matrix(frame, features)

    step("split")
    split = temporal_split(frame, usecase.split)
    y = labels(frame)
    fingerprint = dataset_fingerprint(frame, provenance)
    code = code_version()
    env = environment()
    mask = {s: split.mask(s) for s in SPLITS}

    fitted: list[_Fitted] = []
    for spec in usecase.models:
        step(f"fit {spec.name}")
        pipe = fit_estimator(
            pipelines[spec.name], x[mask["train"]], y[mask["train"]], model_name=spec.name
        )
        calibrated = calibrate(
            pipe, x[mask["calibration"]], y[mask["calibration"]], usecase.calibration.method
        )
        metrics: dict[str, float] = {}
        probs: dict[str, np.ndarray] = {}
        for part in ("validation", "test"):
            xs, ys = x[mask[part]], y[mask[part]]
            probs[part] = calibrated.predict_proba(xs)[:, 1]
            raw = pipe.predict_proba(xs)[:, 1]
            for key, value in binary_metrics(ys, probs[part]).items():
                metrics[f"{part}_{key}"] = value
            for key, value in binary_metrics(ys, raw).items():
                if key != "prevalence":
                    metrics[f"{part}_uncalibrated_{key}"] = value
        fitted.append(
            _Fitted(
                spec_name=spec.name,
                family=spec.family,
                params=estimator_params(spec, seed=seed),
                calibrated=calibrated,
                metrics=metrics,
                validation=probs["validation"],
                test=probs["test"],
            )
        )

    best = _select(fitted)
    name = experiment or usecase.name
    common_tags = _common_tags(usecase, fingerprint, code)
    common_params = _common_params(usecase, split, seed)
    files = _artifacts(usecase, split, fingerprint, code, env)
    example = _input_example(x[mask["train"]], features)
    signature = model_signature(features)

    results: dict[str, ModelResult] = {}
    step("log to MLflow")
    with Tracker(tracking_uri, artifact_location, name) as tracker:
        parent = tracker.start_run(
            f"{usecase.name}-training", tags={**common_tags, "wardwatch.role": "session"}
        )
        try:
            tracker.log(
                parent,
                params={
                    **common_params,
                    "models": ",".join(m.name for m in usecase.models),
                    "selection_metric": SELECTION_METRIC,
                },
            )
            tracker.log_files(parent, files)
            for f in fitted:
                step(f"log {f.spec_name}")
                child = tracker.start_run(
                    f.spec_name,
                    parent_id=parent,
                    tags={
                        **common_tags,
                        "wardwatch.role": "model",
                        "wardwatch.model": f.spec_name,
                        "wardwatch.family": f.family,
                        "wardwatch.best": str(f.spec_name == best).lower(),
                    },
                )
                try:
                    tracker.log(
                        child,
                        params={
                            **common_params,
                            "model.name": f.spec_name,
                            "model.family": f.family,
                            **{f"model.{k}": v for k, v in f.params.items()},
                        },
                        metrics=f.metrics,
                    )
                    tracker.log_files(child, files)
                    ref_sha = tracker.log_table(
                        child,
                        _reference(frame, x, y, mask, f),
                        REFERENCE_ARTIFACT,
                    )
                    tracker.log(child, tags={"wardwatch.reference_sha256": ref_sha})
                    uri, model_id = tracker.log_model(
                        child,
                        f.calibrated,
                        signature=signature,
                        input_example=example,
                        requirements=pip_requirements(f.family),
                    )
                except BaseException:
                    tracker.end_run(child, "FAILED")
                    raise
                results[f.spec_name] = ModelResult(
                    name=f.spec_name,
                    family=f.family,
                    run_id=child,
                    model_uri=uri,
                    model_id=model_id,
                    params=f.params,
                    metrics=f.metrics,
                    estimator=f.calibrated,
                )
            tracker.log(
                parent,
                metrics={
                    f"best_{SELECTION_METRIC}": next(
                        f.metrics[SELECTION_METRIC] for f in fitted if f.spec_name == best
                    )
                },
                tags={
                    "wardwatch.best_model": best,
                    "wardwatch.best_run_id": results[best].run_id,
                    "wardwatch.best_model_uri": results[best].model_uri,
                },
            )
            tracker.end_run(parent)
        except BaseException:
            tracker.end_run(parent, "FAILED")
            raise
        experiment_id = tracker.experiment_id
    step("done")

    return TrainingRun(
        usecase=usecase,
        tracking_uri=tracking_uri,
        experiment=name,
        experiment_id=experiment_id,
        parent_run_id=parent,
        seed=seed,
        split=split,
        fingerprint=fingerprint,
        code=code,
        environment=env,
        models=results,
        best_model=best,
        selection_metric=SELECTION_METRIC,
        validation_predictions=_predictions(frame, y, mask["validation"], fitted, "validation"),
        test_predictions=_predictions(frame, y, mask["test"], fitted, "test"),
    )


def _check_usecase(usecase: UseCase) -> None:
    split = usecase.split
    if split.validation == 0:
        raise ConfigError(
            "the use case has no validation split: models are compared on it",
            field="split.validation",
            expected="a fraction above 0",
            found="0",
            hint="set split.validation, e.g. 0.1",
        )
    method = usecase.calibration.method
    if split.calibration == 0 and method != "none":
        raise ConfigError(
            f"calibration method {method} needs a calibration split",
            field="split.calibration",
            expected="a fraction above 0",
            found="0",
            hint="set split.calibration (e.g. 0.1) or calibration.method: none",
        )


def _select(fitted: list[_Fitted]) -> str:
    """The model with the highest validation AUROC (the first one on ties or NaN)."""
    best = fitted[0]
    for f in fitted[1:]:
        if f.metrics[SELECTION_METRIC] > best.metrics[SELECTION_METRIC]:
            best = f
    return best.spec_name


def _common_tags(
    usecase: UseCase, fingerprint: DatasetFingerprint, code: CodeVersion
) -> dict[str, str]:
    tags = {
        "wardwatch.usecase": usecase.name,
        "wardwatch.dataset_fingerprint": fingerprint.sha256,
        "wardwatch.table_sha256": fingerprint.table_sha256,
        "wardwatch.provenance_sha256": fingerprint.provenance_sha256 or "none",
        "wardwatch.code_version": code.version,
        "wardwatch.code_source": code.source,
        "wardwatch.code_dirty": "unknown" if code.dirty is None else str(code.dirty).lower(),
        "wardwatch.package_version": code.package_version,
    }
    if code.source == "git":
        tags["mlflow.source.git.commit"] = code.version
    return tags


def _common_params(usecase: UseCase, split: SplitResult, seed: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        "usecase": usecase.name,
        "label": usecase.label.name,
        "seed": seed,
        "calibration.method": usecase.calibration.method,
        "split.method": usecase.split.method,
        "split.group_by_patient": usecase.split.group_by_patient,
        "features": ",".join(f.name for f in usecase.features),
        "n_features": len(usecase.features),
    }
    for s in SPLITS:
        c = split.counts[s]
        params[f"split.{s}.fraction"] = getattr(usecase.split, s)
        params[f"split.{s}.rows"] = c.rows
        params[f"split.{s}.patients"] = c.patients
        params[f"split.{s}.positives"] = c.positives
    params["split.dropped"] = split.dropped
    params["split.patient_overlap"] = split.patient_overlap
    return params


def _artifacts(
    usecase: UseCase,
    split: SplitResult,
    fingerprint: DatasetFingerprint,
    code: CodeVersion,
    env: dict[str, Any],
) -> dict[str, str]:
    spec = yaml.safe_dump(usecase.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    lineage = {"dataset": fingerprint.to_dict(), "code": code.to_dict()}
    return {
        "usecase.yaml": spec,
        "split.json": json.dumps(split.to_dict(dates="month"), indent=2),
        "lineage.json": json.dumps(lineage, indent=2),
        "environment.json": json.dumps(env, indent=2),
    }


def _input_example(x_train: pd.DataFrame, features: list[FeatureSpec]) -> pd.DataFrame:
    """Three rows that belong to no patient: medians and the most frequent categories,
    lower quartiles and the second most frequent categories, and everything missing."""
    rows: list[dict[str, Any]] = [{}, {}, {}]
    for f in features:
        col = x_train[f.name]
        if f.categorical:
            freq = col.dropna().value_counts()
            common = [str(v) for v, n in freq.items() if n >= _MIN_CELL]
            rows[0][f.name] = common[0] if common else None
            rows[1][f.name] = common[1] if len(common) > 1 else rows[0][f.name]
            rows[2][f.name] = None
        else:
            values = col.dropna()
            rows[0][f.name] = float(values.median()) if len(values) else np.nan
            rows[1][f.name] = float(values.quantile(0.25)) if len(values) else np.nan
            rows[2][f.name] = np.nan
    out = pd.DataFrame(rows, columns=[f.name for f in features])
    for f in features:
        out[f.name] = out[f.name].astype(object if f.categorical else np.float64)
    return out


def _reference(
    frame: pd.DataFrame, x: pd.DataFrame, y: np.ndarray, mask: dict[str, np.ndarray], f: _Fitted
) -> pd.DataFrame:
    """What monitoring compares production against: the held-out validation and test
    periods (the rows no model was fitted or calibrated on): their model inputs, the model's
    calibrated risk and the label, with the subgroup columns; no ids, no times."""
    parts = []
    for part, risk in (("validation", f.validation), ("test", f.test)):
        rows = x.loc[mask[part]].reset_index(drop=True)
        groups = frame.loc[mask[part], group_columns(frame)].reset_index(drop=True)
        rows = pd.concat([rows, groups.astype(object)], axis=1)
        rows[REFERENCE_RISK] = np.asarray(risk, dtype=np.float64)
        rows[REFERENCE_LABEL] = np.asarray(y[mask[part]], dtype=np.int8)
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def _predictions(
    frame: pd.DataFrame, y: np.ndarray, mask: np.ndarray, fitted: list[_Fitted], part: str
) -> pd.DataFrame:
    cols = [*ID_COLUMNS, *group_columns(frame)]
    out = frame.loc[mask, cols].reset_index(drop=True)
    out.insert(3, "label", y[mask])
    for f in fitted:
        out[prediction_column(f.spec_name)] = getattr(f, part)
    return out
