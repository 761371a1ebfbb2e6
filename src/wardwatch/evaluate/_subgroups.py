"""Subgroups (and months): every metric per level, disparities, small-cell suppression.

Each level of an attribute (``sex``, ``site``, ...) gets the scalar metrics and the metrics at
every operating point, each with its interval. Its *disparity ratios* divide the level's
AUROC and its rates at each operating point by the overall value, replicate by replicate (the
same resampled patients), so the ratio's interval is paired; 1 is parity, and a point ratio
outside ``config.disparity_bounds`` (default 0.8-1.25, the four-fifths rule) is listed as a
disparity.

A level with fewer than ``config.min_group_size`` patients, positive labels or negative labels
is *suppressed*: it is listed by name with the reason, and no count or metric of it is
computed or shown (small cells could identify people).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wardwatch.evaluate._config import EvaluationConfig
from wardwatch.evaluate._engine import GroupStats
from wardwatch.evaluate._inputs import Grouping
from wardwatch.evaluate._summary import (
    CALIBRATION_METRICS,
    SCALAR_METRICS,
    Estimate,
    estimates,
    group_metrics,
    threshold_metrics,
)
from wardwatch.evaluate._thresholds import OperatingPoint

__all__ = ["DISPARITY_RATES", "Level", "levels_of", "summarize_level"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
DISPARITY_RATES: tuple[str, ...] = ("sensitivity", "specificity", "ppv", "npv", "flag_rate")
OP_METRICS: tuple[str, ...] = (*DISPARITY_RATES, "nne", "net_benefit")


@dataclass(frozen=True)
class Level:
    """One level of an attribute: its rows and counts, and why it is suppressed (if it is)."""

    attribute: str
    label: str
    rows: IntArray
    patients: int
    positives: int
    negatives: int
    suppressed: str | None


def levels_of(
    grouping: Grouping, y: NDArray[np.int8], patient: IntArray, config: EvaluationConfig
) -> list[Level]:
    """The levels of ``grouping``, each checked against the small-cell threshold."""
    out: list[Level] = []
    order = np.argsort(grouping.codes, kind="stable")
    starts = np.searchsorted(grouping.codes[order], np.arange(len(grouping.labels) + 1))
    m = config.min_group_size
    for g, label in enumerate(grouping.labels):
        rows = np.sort(order[starts[g] : starts[g + 1]])
        positives = int(y[rows].sum())
        negatives = len(rows) - positives
        patients = len(np.unique(patient[rows]))
        reason = None
        if patients < m:
            reason = f"fewer than {m} patients"
        elif positives < m:
            reason = f"fewer than {m} positive labels"
        elif negatives < m:
            reason = f"fewer than {m} negative labels"
        out.append(Level(grouping.name, label, rows, patients, positives, negatives, reason))
    return out


def _ratio(a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def summarize_level(
    level: Level,
    stats: GroupStats | None,
    ops: list[OperatingPoint],
    op_thresholds: FloatArray,
    overall: dict[str, FloatArray],
    overall_ops: dict[str, dict[str, FloatArray]],
    config: EvaluationConfig,
) -> dict[str, Any]:
    """A level as report data (see the module docstring); ``overall*`` are the overall arrays
    (scalar metrics, and per policy the rates at its operating point) for disparity ratios."""
    if level.suppressed or stats is None:
        return {"level": level.label, "suppressed": True, "reason": level.suppressed}
    metrics = group_metrics(stats)
    at = threshold_metrics(stats, op_thresholds)
    arrays = {m: metrics[m] for m in SCALAR_METRICS}
    arrays["ratio:auroc"] = _ratio(metrics["auroc"], overall["auroc"])
    for op in ops:
        if op.threshold is None:
            continue
        i = int(np.searchsorted(op_thresholds, op.threshold))
        for m in OP_METRICS:
            arrays[f"{op.policy.name}:{m}"] = at[m][i]
        for m in DISPARITY_RATES:
            arrays[f"ratio:{op.policy.name}:{m}"] = _ratio(at[m][i], overall_ops[op.policy.name][m])
    est = estimates(arrays, config)
    calibrated = min(level.positives, level.negatives) >= config.min_events
    scalars = {
        m: est[m].to_dict()
        if calibrated or m not in CALIBRATION_METRICS
        else Estimate(None).to_dict()
        for m in SCALAR_METRICS
    }
    lo, hi = config.disparity_bounds
    disparity: dict[str, Any] = {"auroc": est["ratio:auroc"].to_dict()}
    flags: list[str] = []
    auroc_ratio = est["ratio:auroc"].value
    if auroc_ratio is not None and not lo <= auroc_ratio <= hi:
        flags.append(f"AUROC {auroc_ratio:.2f}x overall")
    op_rows: dict[str, Any] = {}
    for op in ops:
        if op.threshold is None:
            continue
        name = op.policy.name
        op_rows[name] = {m: est[f"{name}:{m}"].to_dict() for m in OP_METRICS}
        disparity[name] = {m: est[f"ratio:{name}:{m}"].to_dict() for m in DISPARITY_RATES}
        for m in DISPARITY_RATES:
            r = est[f"ratio:{name}:{m}"].value
            if r is not None and not lo <= r <= hi:
                flags.append(f"{m} at '{name}' {r:.2f}x overall")
    return {
        "level": level.label,
        "suppressed": False,
        "patients": level.patients,
        "predictions": len(level.rows),
        "positives": level.positives,
        "metrics": scalars,
        "operating_points": op_rows,
        "disparity": disparity,
        "disparities": flags,
    }
