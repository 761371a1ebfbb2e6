"""Training: temporal patient-grouped splits, calibrated models, MLflow tracking.

    from wardwatch.train import train_usecase, workspace_tracking
    uri, artifacts = workspace_tracking(ws)
    run = train_usecase(frame, usecase, tracking_uri=uri, artifact_location=artifacts,
                        provenance=source_hashes, seed=0)
    run.best_model, run.best.model_uri, run.test_predictions

Index events are split in time (train on earlier, test on later) with each patient in one
split only; each candidate (logistic regression, LightGBM) is a scikit-learn pipeline,
fitted on train and calibrated on a held-out calibration split; every session is an MLflow
parent run with one child run per model that carries its parameters, metrics, the dataset
fingerprint, code version, use case, environment and the calibrated model. Nothing that
identifies a patient is logged.
"""

from wardwatch.train._calibrate import CalibrationMethod, calibrate
from wardwatch.train._fingerprint import (
    CodeVersion,
    DatasetFingerprint,
    code_version,
    dataset_fingerprint,
    environment,
    provenance_sha256,
    table_sha256,
)
from wardwatch.train._frame import feature_matrix
from wardwatch.train._metrics import METRICS, binary_metrics
from wardwatch.train._models import DEFAULTS, build_estimator, estimator_params
from wardwatch.train._result import (
    SELECTION_METRIC,
    ModelResult,
    Progress,
    TrainingRun,
    prediction_column,
)
from wardwatch.train._run import (
    REFERENCE_ARTIFACT,
    REFERENCE_LABEL,
    REFERENCE_RISK,
    train_usecase,
)
from wardwatch.train._split import DROPPED, SPLITS, SplitCounts, SplitResult, temporal_split
from wardwatch.train._tracking import workspace_tracking

__all__ = [
    "DEFAULTS",
    "DROPPED",
    "METRICS",
    "REFERENCE_ARTIFACT",
    "REFERENCE_LABEL",
    "REFERENCE_RISK",
    "SELECTION_METRIC",
    "SPLITS",
    "CalibrationMethod",
    "CodeVersion",
    "DatasetFingerprint",
    "ModelResult",
    "Progress",
    "SplitCounts",
    "SplitResult",
    "TrainingRun",
    "binary_metrics",
    "build_estimator",
    "calibrate",
    "code_version",
    "dataset_fingerprint",
    "environment",
    "estimator_params",
    "feature_matrix",
    "prediction_column",
    "provenance_sha256",
    "table_sha256",
    "temporal_split",
    "train_usecase",
    "workspace_tracking",
]
