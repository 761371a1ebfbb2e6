"""A registered model version loaded for serving: scorer, use case, threshold, risk bands.

:func:`load_version` reads a version from the registry (its MLflow model, the use case spec
from its lineage, the evaluation report it was registered with) and returns a
:class:`ServedModel`, whose :meth:`~ServedModel.predict` turns feature rows into
:class:`Prediction` objects: calibrated risk, band, threshold decision and the top
contributing factors in clinical words.

The decision threshold is the one of an operating point of the version's evaluation report
(by default its first, e.g. "catch 80% of events"); the risk bands are ``high`` at or
above the highest threshold among the report's operating points (when higher than the
decision threshold), ``medium`` at or above the decision threshold, ``low`` below.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wardwatch.errors import ConfigError, InputError
from wardwatch.features import UseCase, parse_usecase
from wardwatch.serve._scorer import Scorer
from wardwatch.serve._words import describe_value, feature_label

__all__ = ["Factor", "Prediction", "ServedModel", "load_version"]


@dataclass(frozen=True)
class Factor:
    """One feature's contribution to a prediction (log-odds; positive raises the risk)."""

    feature: str
    label: str
    value: str
    contribution: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "label": self.label,
            "value": self.value,
            "contribution": round(self.contribution, 4),
            "direction": "raises" if self.contribution > 0 else "lowers",
        }


@dataclass(frozen=True)
class Prediction:
    """A scored row: risk in [0, 1] (calibrated), its band, whether it crosses the decision
    threshold, and the top factors by absolute contribution."""

    risk: float
    band: str
    decision: bool
    factors: tuple[Factor, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": round(self.risk, 6),
            "band": self.band,
            "decision": self.decision,
            "factors": [f.to_dict() for f in self.factors],
        }


@dataclass(frozen=True, eq=False)
class ServedModel:
    """A model version ready to score (see the module docstring)."""

    name: str
    version: int
    family: str
    scorer: Scorer
    usecase: UseCase
    threshold: float
    high: float
    operating_point: str

    @property
    def features(self) -> tuple[str, ...]:
        return self.scorer.features

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """Feature name -> label in clinical words (computed once)."""
        return {f.name: feature_label(f) for f in self.usecase.features}

    def band(self, risk: float) -> str:
        """``high``, ``medium`` or ``low`` (see the module docstring)."""
        if risk >= self.high:
            return "high"
        return "medium" if risk >= self.threshold else "low"

    def predict(self, rows: Sequence[Mapping[str, Any]], *, top: int = 5) -> list[Prediction]:
        """Score ``rows`` (feature name -> value; absent or null = missing)."""
        out = self.scorer.score(rows, explain=top > 0)
        labels = self.labels
        preds = []
        for i, row in enumerate(rows):
            risk = float(out.risk[i])
            factors: tuple[Factor, ...] = ()
            if out.contributions is not None:
                c = out.contributions[i]
                order = sorted(range(len(c)), key=lambda j: -abs(c[j]))[:top]
                factors = tuple(
                    Factor(
                        self.features[j],
                        labels.get(self.features[j], self.features[j]),
                        describe_value(row.get(self.features[j])),
                        float(c[j]),
                    )
                    for j in order
                    if c[j] != 0.0
                )
            preds.append(Prediction(risk, self.band(risk), risk >= self.threshold, factors))
        return preds

    def describe(self) -> dict[str, Any]:
        """What a client needs to call the model: features (name, label, type), threshold."""
        return {
            "name": self.name,
            "version": self.version,
            "family": self.family,
            "threshold": self.threshold,
            "high_risk_threshold": self.high,
            "operating_point": self.operating_point,
            "features": [
                {
                    "name": f.name,
                    "label": feature_label(f),
                    "type": "categorical" if f.categorical else "number",
                }
                for f in self.usecase.features
            ],
        }


def thresholds(
    evaluation: Mapping[str, Any] | None, operating_point: str | None
) -> tuple[float, float, str]:
    """``(decision threshold, high-risk threshold, operating point name)`` from a version's
    evaluation report."""
    points = [
        p
        for p in (evaluation or {}).get("operating_points") or []
        if isinstance(p, Mapping)
        and isinstance(p.get("threshold"), int | float)
        and math.isfinite(p["threshold"])
    ]
    if not points:
        raise ConfigError(
            "the version has no operating point to set its decision threshold",
            field="evaluation.operating_points",
            hint="register the version with its evaluation report",
        )
    chosen: Mapping[str, Any] = points[0]
    if operating_point is not None:
        found = [p for p in points if p.get("name") == operating_point]
        if not found:
            raise ConfigError(
                "no such operating point in the version's evaluation",
                field="operating_point",
                expected=" | ".join(str(p.get("name")) for p in points),
                found=operating_point,
            )
        chosen = found[0]
    t = float(chosen["threshold"])
    high = max(float(p["threshold"]) for p in points)
    return t, (high if high > t else min(1.0, t * 2)), str(chosen.get("name"))


def version_spec(
    registry: Any, name: str, ref: int | str, *, reader: Any, operating_point: str | None = None
) -> tuple[Any, UseCase, tuple[float, float, str]]:
    """Version ``ref`` of ``name`` as approved: its registry record, the use case of its
    lineage and :func:`thresholds` of its evaluation report, read as ``reader`` (an
    :class:`~wardwatch.registry.Identity` that may view the registry)."""
    mv = registry.version(name, ref, identity=reader)
    spec = (mv.lineage.get("usecase_spec") or {}).get("spec")
    if spec is None:
        raise ConfigError("the version's lineage holds no use case", record=f"{name}@{mv.version}")
    usecase = parse_usecase(spec, f"{name}@{mv.version}")
    evaluation = registry.evidence(name, mv.version, identity=reader).evaluation
    return mv, usecase, thresholds(evaluation.data if evaluation else None, operating_point)


def load_version(
    registry: Any, name: str, ref: int | str, *, operating_point: str | None = None
) -> ServedModel:
    """Load version ``ref`` (a number or alias) of ``name`` from ``registry`` (a
    :class:`~wardwatch.registry.Registry`) for serving."""
    from wardwatch.registry import Identity
    from wardwatch.registry._mlflow import mlflow_client
    from wardwatch.train._tracking import import_mlflow

    mv, usecase, (t, high, point) = version_spec(
        registry, name, ref, reader=Identity("wardwatch-serve", "viewer"),
        operating_point=operating_point,
    )  # fmt: skip
    mlflow = import_mlflow()
    try:
        # the block sets MLflow's process-wide tracking URI and restores it afterwards
        with mlflow_client(registry.tracking_uri):
            model = mlflow.sklearn.load_model(mv.model_uri)
    except Exception as exc:
        raise InputError(
            "cannot load the model from MLflow",
            record=f"{name}@{mv.version}",
            found=f"{type(exc).__name__}: {str(exc)[:120]}",
        ) from None
    from wardwatch.features import prepare_features

    prepare_features(usecase)  # compile the request-time feature queries now, not on a call
    names = [f.name for f in usecase.features]
    scorer = Scorer(model, names, [f.name for f in usecase.features if f.categorical])
    return ServedModel(name, mv.version, scorer.family, scorer, usecase, t, high, point)
