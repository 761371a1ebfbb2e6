"""What a training session hands on: per-model results and the session's summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.features._spec import UseCase
from wardwatch.train._fingerprint import CodeVersion, DatasetFingerprint
from wardwatch.train._split import SplitResult

__all__ = ["SELECTION_METRIC", "ModelResult", "Progress", "TrainingRun", "prediction_column"]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` before each step (and once at the end)."""

SELECTION_METRIC = "validation_auroc"
"""The best model has the highest AUROC of its calibrated probabilities on validation."""


def prediction_column(model_name: str) -> str:
    """The column of a model's calibrated probabilities in the prediction frames."""
    return f"y_prob_{model_name}"


@dataclass(frozen=True)
class ModelResult:
    """One trained candidate: its MLflow run and model, metrics and fitted estimator."""

    name: str
    family: str
    run_id: str
    model_uri: str
    """``models:/<model id>``: load with ``mlflow.sklearn.load_model``."""
    model_id: str
    params: dict[str, Any]
    """The classifier's effective parameters (defaults, seed and the use case's)."""
    metrics: dict[str, float]
    """``{validation,test}[_uncalibrated]_{auroc,auprc,brier,log_loss}`` and prevalences."""
    estimator: Any
    """The fitted, calibrated estimator (scikit-learn contract: ``predict_proba``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "run_id": self.run_id,
            "model_uri": self.model_uri,
            "model_id": self.model_id,
            "params": dict(self.params),
            "metrics": {k: _finite(v) for k, v in self.metrics.items()},
        }


@dataclass(frozen=True)
class TrainingRun:
    """The outcome of :func:`train_usecase`."""

    usecase: UseCase
    tracking_uri: str
    experiment: str
    experiment_id: str
    parent_run_id: str
    seed: int
    split: SplitResult
    fingerprint: DatasetFingerprint
    code: CodeVersion
    environment: dict[str, Any]
    models: dict[str, ModelResult]
    """By model name, in the use case's order."""
    best_model: str
    selection_metric: str
    validation_predictions: pd.DataFrame
    """Validation rows: ids, ``index_time``, ``label``, ``group_*`` and one
    :func:`prediction_column` per model (for thresholds chosen before the test)."""
    test_predictions: pd.DataFrame
    """Test rows, same columns: the input of the evaluation step."""

    @property
    def best(self) -> ModelResult:
        return self.models[self.best_model]

    def to_dict(self) -> dict[str, Any]:
        """A summary without patient ids, index ids or predictions."""
        return {
            "usecase": self.usecase.name,
            "tracking_uri": self.tracking_uri,
            "experiment": self.experiment,
            "experiment_id": self.experiment_id,
            "parent_run_id": self.parent_run_id,
            "seed": self.seed,
            "best_model": self.best_model,
            "selection_metric": self.selection_metric,
            "models": {name: m.to_dict() for name, m in self.models.items()},
            "split": self.split.to_dict(),
            "fingerprint": self.fingerprint.to_dict(),
            "code": self.code.to_dict(),
            "environment": self.environment,
        }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
