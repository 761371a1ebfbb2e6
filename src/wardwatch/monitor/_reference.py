"""What production is compared against: the reference saved with a model version.

Training logs, with each model run, the held-out validation and test periods' model inputs,
the calibrated risk and the label (``monitor/reference.parquet``, no ids and no times; its
SHA-256 is the run's ``wardwatch.reference_sha256`` tag, so a registered version pins it
through its run). A
:class:`Reference` is that table for one registered version, with the decision threshold
of the version's approved operating point and what it implied at approval: the expected
flag rate and prevalence. It is downloaded once and kept in
``.wardwatch/monitor/reference/<name>-v<version>.parquet``.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from wardwatch.core.workspace import Workspace
from wardwatch.errors import InputError
from wardwatch.features import UseCase
from wardwatch.registry import Identity, Registry
from wardwatch.registry._mlflow import mlflow_client
from wardwatch.serve._loaded import version_spec
from wardwatch.train import REFERENCE_ARTIFACT, REFERENCE_LABEL, REFERENCE_RISK

__all__ = ["Reference", "load_reference"]

_READER = Identity("wardwatch-monitor", "viewer")


@dataclass(frozen=True)
class Reference:
    """A version's monitoring reference (see the module docstring).

    ``frame`` holds one column per feature, ``group_*`` subgroup columns, ``_risk`` and
    ``_label``. ``expected_flag_rate`` is the share of the reference at or above
    ``threshold``: what the alert volume was expected to be when the version was approved.
    """

    name: str
    version: int
    usecase: UseCase
    frame: pd.DataFrame
    threshold: float
    operating_point: str
    sha256: str

    @property
    def numeric(self) -> list[str]:
        return [f.name for f in self.usecase.features if not f.categorical]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.usecase.features if f.categorical]

    @property
    def risk(self) -> NDArray[np.float64]:
        return np.asarray(self.frame[REFERENCE_RISK], dtype=np.float64)

    @property
    def label(self) -> NDArray[np.int8]:
        return np.asarray(self.frame[REFERENCE_LABEL], dtype=np.int8)

    @property
    def expected_flag_rate(self) -> float:
        return float(np.mean(self.risk >= self.threshold)) if len(self.frame) else float("nan")

    @property
    def prevalence(self) -> float:
        return float(np.mean(self.label)) if len(self.frame) else float("nan")

    @property
    def groups(self) -> list[str]:
        return [str(c) for c in self.frame.columns if str(c).startswith("group_")]


def load_reference(
    ws: Workspace,
    registry: Registry,
    name: str,
    version: int | str,
    *,
    operating_point: str | None = None,
) -> Reference:
    """The reference of version ``version`` (a number or an alias) of ``name``."""
    mv, usecase, (t, _high, point) = version_spec(
        registry, name, version, reader=_READER, operating_point=operating_point
    )
    cache = ws.state_dir / "monitor" / "reference" / f"{name}-v{mv.version}.parquet"
    if not cache.exists():
        _download(registry, mv.run_id, cache, f"{name}@{mv.version}")
    data = cache.read_bytes()
    frame = pd.read_parquet(io.BytesIO(data))
    missing = [
        c
        for c in [*(f.name for f in usecase.features), REFERENCE_RISK, REFERENCE_LABEL]
        if c not in frame.columns
    ]
    if missing:
        raise InputError(
            "the version's monitoring reference lacks columns",
            record=f"{name}@{mv.version}",
            field=missing[0],
            expected="every feature, _risk and _label",
            found=f"{len(missing)} missing",
        )
    return Reference(
        name=name,
        version=mv.version,
        usecase=usecase,
        frame=frame,
        threshold=t,
        operating_point=point,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _download(registry: Registry, run_id: str, dest: Path, record: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with mlflow_client(registry.tracking_uri) as client, tempfile.TemporaryDirectory() as tmp:
            got: Any = client.download_artifacts(run_id, REFERENCE_ARTIFACT, tmp)
            part = dest.with_suffix(".tmp")
            shutil.copyfile(got, part)
            part.replace(dest)
    except Exception as exc:
        raise InputError(
            "cannot read the version's monitoring reference from MLflow",
            record=record,
            field=REFERENCE_ARTIFACT,
            expected="the artifact training logs with every model run",
            found=f"{type(exc).__name__}",
            hint="versions trained before monitoring existed need retraining",
        ) from None
