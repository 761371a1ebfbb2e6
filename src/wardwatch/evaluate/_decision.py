"""Decision curve analysis: is acting on the model better than acting on everyone or no one?

At a threshold probability ``pt`` (the risk at which a clinician would just intervene, which
sets how many unneeded interventions one needed intervention is worth: ``(1 - pt) / pt``),
the net benefit of acting on the model's flags (``p >= pt``) is::

    NB_model = TP/n - FP/n * pt / (1 - pt)

Treating everyone gives ``NB_all = prev - (1 - prev) * pt / (1 - pt)`` and treating no one
gives 0. The model is useful at ``pt`` where its net benefit exceeds both; the report gives
that advantage (``NB_model - max(NB_all, 0)``) with its bootstrap interval, replicate by
replicate, so the interval accounts for the defaults' own uncertainty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from wardwatch.evaluate._config import EvaluationConfig
from wardwatch.evaluate._summary import estimates

__all__ = ["decision_curve", "useful_range"]

FloatArray = NDArray[np.float64]


def decision_curve(
    metrics: dict[str, FloatArray],
    thresholds: FloatArray,
    index: list[int],
    config: EvaluationConfig,
) -> list[dict[str, Any]]:
    """One row per threshold probability (positions ``index`` of ``metrics``' thresholds)."""
    arrays = {}
    for i in index:
        model, everyone = metrics["net_benefit"][i], metrics["treat_all"][i]
        arrays[f"model:{i}"] = model
        arrays[f"all:{i}"] = everyone
        arrays[f"advantage:{i}"] = model - np.maximum(everyone, 0.0)
    est = estimates(arrays, config)
    return [
        {
            "threshold": float(thresholds[i]),
            "net_benefit": est[f"model:{i}"].to_dict(),
            "treat_all": est[f"all:{i}"].to_dict(),
            "treat_none": 0.0,
            "advantage": est[f"advantage:{i}"].to_dict(),
        }
        for i in index
    ]


def useful_range(rows: list[dict[str, Any]]) -> tuple[float, float] | None:
    """The lowest and highest threshold where the model's advantage is positive (point)."""
    useful = [r["threshold"] for r in rows if (r["advantage"]["value"] or 0.0) > 0.0]
    return (min(useful), max(useful)) if useful else None
