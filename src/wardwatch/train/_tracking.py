"""MLflow tracking of training runs, kept local, quiet and free of PHI.

MLflow is imported lazily (it takes seconds) with its usage telemetry off unless the user
set ``MLFLOW_DISABLE_TELEMETRY`` themselves: a hospital's training job makes no outbound
calls. The global tracking URI is set only for the duration of a :class:`Tracker` block
and restored afterwards, so a notebook's own MLflow setup is left as it was; everything
else goes through an :class:`mlflow.MlflowClient` bound to the given store.

What reaches MLflow is chosen by :mod:`wardwatch.train._run`: parameters, aggregate
metrics, hashes, and artifacts without ids or per-patient times.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.core.workspace import Workspace
from wardwatch.errors import ConfigError
from wardwatch.features._spec import FeatureSpec

__all__ = ["Tracker", "model_signature", "pip_requirements", "workspace_tracking"]

_MAX_PARAM_LENGTH = 6000  # MLflow 3's limit on a parameter value
_BATCH = 100  # MLflow's limit on params + tags per log_batch call
_QUIET_LOGGERS = ("mlflow", "alembic")


def workspace_tracking(ws: Workspace) -> tuple[str, str]:
    """``(tracking_uri, artifact_location)`` of a workspace's MLflow store.

    By default runs and the registry live in SQLite at ``.wardwatch/mlflow.db`` and
    artifacts (models, specs, summaries) under ``.wardwatch/mlruns``; the ``[mlflow]``
    settings (or ``WARDWATCH_MLFLOW_URI``) point them elsewhere, e.g. PostgreSQL. Local
    folders are created.
    """
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    conf = ws.settings.mlflow
    tracking = ws.absolute_url(conf.tracking_uri or f"sqlite:///{ws.state_dir / 'mlflow.db'}")
    if conf.artifacts and "://" in conf.artifacts:
        return tracking, conf.artifacts
    folder = ws.resolve(conf.artifacts) if conf.artifacts else ws.mlruns_dir
    folder.mkdir(parents=True, exist_ok=True)
    return tracking, folder.resolve().as_uri()


def import_mlflow() -> ModuleType:
    """Import MLflow with telemetry off (unless the environment says otherwise)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow
    import mlflow.sklearn

    return mlflow


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "experiment"


def _param_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, (bool, int, float)) or value is None:
        text = str(value)
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _MAX_PARAM_LENGTH else text[: _MAX_PARAM_LENGTH - 3] + "..."


@contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's INFO logs (database migrations) and hints stay out of the user's console."""
    levels = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"mlflow(\..*)?$")
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


class Tracker:
    """One experiment in one MLflow store, for the length of a ``with`` block."""

    def __init__(self, tracking_uri: str, artifact_location: str | None, experiment: str) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_location = artifact_location
        self.experiment = experiment
        self.experiment_id = ""
        self._mlflow: Any = None
        self._client: Any = None
        self._saved: tuple[Any, str | None] | None = None
        self._quiet = _quiet()

    def __enter__(self) -> Tracker:
        self._mlflow = import_mlflow()
        from mlflow.tracking._tracking_service import utils as tracking_utils

        # Remember the process-wide URI (and the variable MLflow mirrors it into) to restore.
        self._saved = (
            getattr(tracking_utils, "_tracking_uri", None),
            os.environ.get("MLFLOW_TRACKING_URI"),
        )
        self._quiet.__enter__()
        try:
            self._mlflow.set_tracking_uri(self.tracking_uri)
            self._client = self._mlflow.MlflowClient(tracking_uri=self.tracking_uri)
            self.experiment_id = self._ensure_experiment()
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._saved is not None:
            uri, env = self._saved
            self._mlflow.set_tracking_uri(uri)
            if env is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            else:
                os.environ["MLFLOW_TRACKING_URI"] = env
            self._saved = None
        self._quiet.__exit__(None, None, None)

    def _ensure_experiment(self) -> str:
        from mlflow.exceptions import MlflowException

        try:
            exp = self._client.get_experiment_by_name(self.experiment)
            if exp is None:
                location = (
                    f"{self.artifact_location.rstrip('/')}/{_slug(self.experiment)}"
                    if self.artifact_location
                    else None
                )
                try:
                    return str(
                        self._client.create_experiment(self.experiment, artifact_location=location)
                    )
                except MlflowException:  # created meanwhile by another process
                    exp = self._client.get_experiment_by_name(self.experiment)
                    if exp is None:
                        raise
        except MlflowException as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(
                f"cannot open the MLflow store: {first}",
                record=self.tracking_uri,
                hint="check the tracking URI (e.g. sqlite:///path/mlflow.db)",
            ) from None
        if exp.lifecycle_stage != "active":
            raise ConfigError(
                f"MLflow experiment {self.experiment} is deleted",
                expected="an active experiment",
                found=exp.lifecycle_stage,
                hint="restore it in MLflow or train under another experiment name",
            )
        return str(exp.experiment_id)

    def start_run(self, name: str, *, tags: Mapping[str, str], parent_id: str | None = None) -> str:
        """Create a run (a child of ``parent_id`` when given); its id."""
        all_tags = dict(tags)
        if parent_id is not None:
            all_tags["mlflow.parentRunId"] = parent_id
        run = self._client.create_run(self.experiment_id, tags=all_tags, run_name=name)
        return str(run.info.run_id)

    def log(
        self,
        run_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log parameters, finite metrics and tags (in batches MLflow accepts)."""
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        ps = [Param(k, _param_text(v)) for k, v in (params or {}).items()]
        ts = [RunTag(k, str(v)) for k, v in (tags or {}).items()]
        ms = [
            Metric(k, float(v), now, 0)
            for k, v in (metrics or {}).items()
            if v is not None and np.isfinite(v)
        ]
        for i in range(0, max(len(ps), len(ts), len(ms)), _BATCH):
            self._client.log_batch(
                run_id,
                metrics=ms[i : i + _BATCH],
                params=ps[i : i + _BATCH],
                tags=ts[i : i + _BATCH],
            )

    def log_files(self, run_id: str, files: Mapping[str, str]) -> None:
        """Log text artifacts: file name -> content."""
        for name, text in files.items():
            self._client.log_text(run_id, text, name)

    def log_table(self, run_id: str, table: pd.DataFrame, name: str) -> str:
        """Log ``table`` as a Parquet artifact ``name``; its SHA-256."""
        with tempfile.TemporaryDirectory(prefix="wardwatch-artifact-") as tmp:
            path = Path(tmp) / Path(name).name
            table.to_parquet(path, index=False)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            folder = str(Path(name).parent)
            self._client.log_artifact(run_id, str(path), None if folder == "." else folder)
        return digest

    def log_model(
        self,
        run_id: str,
        model: Any,
        *,
        signature: Any,
        input_example: Any,
        requirements: Sequence[str],
    ) -> tuple[str, str]:
        """Log ``model`` (sklearn flavor, skops format) to ``run_id`` and end the run.

        The pyfunc flavor serves ``predict_proba``. Returns ``(model_uri, model_id)``.
        """
        import skops.io  # type: ignore[import-untyped]  # MLflow's dependency

        trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
        # The model is logged inside the run so that MLflow files it under this run's
        # experiment; leaving the block ends the run (FINISHED, or FAILED on an error).
        with self._mlflow.start_run(run_id=run_id, nested=True):
            info = self._mlflow.sklearn.log_model(
                model,
                name="model",
                serialization_format="skops",
                skops_trusted_types=trusted,
                signature=signature,
                input_example=input_example,
                pip_requirements=list(requirements),
                pyfunc_predict_fn="predict_proba",
            )
        return str(info.model_uri), str(info.model_id)

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        self._client.set_terminated(run_id, status=status)


def model_signature(features: Sequence[FeatureSpec]) -> Any:
    """Input: every feature column by name (double or string; the column must be there, its
    values may be missing). Output: ``predict_proba``'s (n, 2) float array."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema, TensorSpec

    inputs = Schema([ColSpec("string" if f.categorical else "double", f.name) for f in features])
    outputs = Schema([TensorSpec(np.dtype(np.float64), (-1, 2))])
    return ModelSignature(inputs=inputs, outputs=outputs)


def pip_requirements(family: str) -> list[str]:
    """Pinned requirements to load the model (given, so MLflow need not infer them)."""
    names = ["scikit-learn", "skops", "numpy", "pandas", "scipy"]
    if family == "lightgbm":
        names.append("lightgbm")
    out = []
    for name in names:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out.append(name)
    return out
