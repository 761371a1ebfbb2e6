"""From replicate statistics to metrics with confidence intervals.

:func:`group_metrics` turns one group's :class:`~._engine.GroupStats` into metric arrays (one
value per replicate, column 0 the sample), through the same formulas as :mod:`._metrics`;
:class:`Estimate` is a point estimate with its percentile interval, as shown in reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wardwatch.evaluate._bootstrap import percentile_ci
from wardwatch.evaluate._config import EvaluationConfig
from wardwatch.evaluate._engine import GroupStats
from wardwatch.evaluate._metrics import net_benefit, rates, safe_div, treat_all_net_benefit

__all__ = [
    "CALIBRATION_METRICS",
    "RATE_METRICS",
    "SCALAR_METRICS",
    "Estimate",
    "estimate",
    "estimates",
    "group_metrics",
    "threshold_metrics",
]

FloatArray = NDArray[np.float64]

SCALAR_METRICS: tuple[str, ...] = (
    "prevalence",
    "mean_predicted",
    "auroc",
    "auprc",
    "brier",
    "calibration_intercept",
    "calibration_slope",
    "ece",
    "oe_ratio",
)
CALIBRATION_METRICS: tuple[str, ...] = ("calibration_intercept", "calibration_slope", "ece")
"""Metrics that need ``min_events`` positive and negative labels."""
RATE_METRICS: tuple[str, ...] = ("sensitivity", "specificity", "ppv", "npv", "flag_rate", "nne")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A metric's value on the evaluation set and its bootstrap interval (None: not defined)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    defined_share: float | None = None
    """Share of bootstrap replicates in which the metric was defined."""

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.low is None or self.high is None:
            return None
        return (self.low, self.high)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci": list(self.ci) if self.ci else None}


def _num(x: Any) -> float | None:
    v = float(x)
    return v if np.isfinite(v) else None


def estimate(values: FloatArray, config: EvaluationConfig) -> Estimate:
    """The sample value (column 0) and the percentile interval over the replicates."""
    values = np.asarray(values, dtype=np.float64)
    point = _num(values[0])
    reps = values[1:]
    if point is None or not reps.size:
        return Estimate(point)
    lo, hi = percentile_ci(reps, config.ci_level, config.min_defined)
    share = float(np.isfinite(reps).mean())
    return Estimate(point, _num(lo), _num(hi), share)


def estimates(arrays: dict[str, FloatArray], config: EvaluationConfig) -> dict[str, Estimate]:
    """:func:`estimate` of many metrics at once (one percentile call for all of them)."""
    if not arrays:
        return {}
    stacked = np.stack([np.asarray(a, dtype=np.float64) for a in arrays.values()])
    points = stacked[:, 0]
    reps = stacked[:, 1:]
    if reps.shape[1]:
        lo, hi = percentile_ci(reps, config.ci_level, config.min_defined)
        share = np.isfinite(reps).mean(axis=1)
    else:
        lo = hi = share = np.full(len(points), np.nan)
    out = {}
    for i, key in enumerate(arrays):
        point = _num(points[i])
        if point is None or not reps.shape[1]:
            out[key] = Estimate(point)
        else:
            out[key] = Estimate(point, _num(lo[i]), _num(hi[i]), float(share[i]))
    return out


def group_metrics(st: GroupStats) -> dict[str, FloatArray]:
    """Scalar metrics of a group per replicate (NaN where undefined).

    ``n`` and ``positives`` are weighted row counts; see :mod:`._metrics` for the metrics.
    """
    n = st.pos + st.neg
    both = (st.pos > 0) & (st.neg > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        auroc = np.where(both, st.auc_num / (st.pos * st.neg), np.nan)
        auprc = np.where(st.pos > 0, st.ap_num / st.pos, np.nan)
    return {
        "n": n,
        "positives": st.pos,
        "prevalence": np.asarray(safe_div(st.pos, n)),
        "mean_predicted": np.asarray(safe_div(st.p_sum, n)),
        "auroc": auroc,
        "auprc": auprc,
        "brier": np.asarray(safe_div(st.sq_err, n)),
        "calibration_intercept": st.intercept,
        "calibration_slope": st.slope,
        "ece": np.asarray(safe_div(np.abs(st.bin_pos - st.bin_p).sum(axis=0), n)),
        "oe_ratio": np.asarray(safe_div(st.pos, st.p_sum)),
    }


def threshold_metrics(st: GroupStats, thresholds: FloatArray) -> dict[str, FloatArray]:
    """Metrics at each threshold (``thresholds x replicates``): rates and net benefit."""
    tp, fp = st.tp, st.fp
    tn, fn = st.neg[None, :] - fp, st.pos[None, :] - tp
    out: dict[str, FloatArray] = {k: np.asarray(v) for k, v in rates(tp, fp, tn, fn).items()}
    n = (st.pos + st.neg)[None, :]
    pt = np.asarray(thresholds, dtype=np.float64)[:, None]
    out["net_benefit"] = np.asarray(net_benefit(tp, fp, n, pt))
    prevalence = np.asarray(safe_div(st.pos, st.pos + st.neg))[None, :]
    out["treat_all"] = np.asarray(treat_all_net_benefit(prevalence, pt))
    return out
