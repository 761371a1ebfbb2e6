"""Realized performance and calibration of one window, once its labels have joined.

Readmission labels arrive 30 days after the prediction; when they do, each window gets the
metrics of :mod:`wardwatch.evaluate` (the same functions, so monitoring and evaluation agree),
each with a bootstrap percentile interval: patient-level when patient ids are given (a
patient's admissions are resampled together), row-level otherwise.

* ``auroc``: chance a random event outranks a random non-event. 0-1; 0.5 no discrimination.
* ``auprc``: average precision. 0-1; the neutral value is the prevalence.
* ``brier``: mean squared error of the probabilities. 0-1, lower is better.
* ``calibration_slope``: ``b`` in ``logit P(y) = a + b logit(p)``. 1 is ideal; below 1 the
  predictions are too extreme.
* ``calibration_intercept``: ``a`` in ``logit P(y) = a + logit(p)``. 0 is ideal; above 0 the
  model under-predicts.
* ``oe_ratio``: observed / expected events. 0 to infinity; 1 is calibration-in-the-large.
* ``ece``: bin-weighted mean |observed - predicted| over 10 equal-count bins. 0-1; 0 ideal.
* ``precision``, ``recall``, ``specificity``, ``flag_rate`` at the threshold (flag:
  ``p >= t``), each 0-1; ``prevalence``: the observed event rate.

A metric that is undefined on the window (AUROC with one class only, say) is NaN, never an
error. Windows and subgroups with fewer than ``min_size`` patients (default 11, the
small-cell threshold) are *suppressed*: only their size is reported, no metric is computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wardwatch.evaluate import (
    Resampler,
    auroc,
    average_precision,
    brier_score,
    calibration_intercept,
    calibration_slope,
    confusion,
    expected_calibration_error,
    observed_expected_ratio,
    percentile_ci,
    rates,
)

# The batched Newton fits are not in evaluate's public API; one fit per replicate through
# calibration_slope() costs 20x more (28 s against 1.5 s for 200 replicates of 20,000 rows).
from wardwatch.evaluate._calibration import logit, newton_intercept, newton_slope
from wardwatch.monitor._estimate import (
    MIN_SIZE,
    MetricCI,
    check_probabilities,
    check_threshold,
    levels,
)
from wardwatch.monitor._observation import Observation

__all__ = [
    "REALIZED_METRICS",
    "RealizedPerformance",
    "SubgroupPerformance",
    "realized_performance",
    "subgroup_performance",
]

FloatArray = NDArray[np.float64]
REALIZED_METRICS: tuple[str, ...] = (
    "auroc",
    "auprc",
    "brier",
    "calibration_slope",
    "calibration_intercept",
    "oe_ratio",
    "ece",
    "precision",
    "recall",
    "specificity",
    "flag_rate",
    "prevalence",
)
_SLOPE = REALIZED_METRICS.index("calibration_slope")
_INTERCEPT = REALIZED_METRICS.index("calibration_intercept")
_CHUNK_CELLS = 2_000_000
"""Rows x replicates of bootstrap weights held in memory at once."""
_OBSERVED: dict[str, str] = {
    "auroc": "realized.auroc",
    "auprc": "realized.auprc",
    "brier": "realized.brier",
    "calibration_slope": "calibration.slope",
    "calibration_intercept": "calibration.intercept",
    "oe_ratio": "calibration.oe_ratio",
    "ece": "calibration.ece",
    "precision": "realized.precision",
    "recall": "realized.recall",
    "flag_rate": "realized.flag_rate",
    "prevalence": "realized.prevalence",
}


def _metrics(
    y: FloatArray, p: FloatArray, t: float, w: FloatArray | None, fits: bool = True
) -> list[float]:
    """Every metric of :data:`REALIZED_METRICS` on one (weighted) sample, in that order
    (without ``fits`` the calibration slope and intercept are left NaN)."""
    tp, fp, tn, fn = confusion(y, p, [t], w)
    r = rates(tp[0], fp[0], tn[0], fn[0])
    total = float(len(y) if w is None else w.sum())
    return [
        auroc(y, p, w),
        average_precision(y, p, w),
        brier_score(y, p, w),
        calibration_slope(y, p, w) if fits else math.nan,
        calibration_intercept(y, p, w) if fits else math.nan,
        observed_expected_ratio(y, p, w),
        expected_calibration_error(y, p, 10, w),
        float(r["ppv"]),
        float(r["sensitivity"]),
        float(r["specificity"]),
        float(r["flag_rate"]),
        float(tp[0] + fn[0]) / total if total > 0 else math.nan,
    ]


@dataclass(frozen=True)
class RealizedPerformance:
    """Realized metrics of one window (or one subgroup of it) with their intervals.

    ``metrics`` maps each name of :data:`REALIZED_METRICS` to its value and interval (see the
    module docstring for meanings and ranges); it is empty when ``suppressed``. ``n`` counts
    predictions, ``n_patients`` distinct patients (the bootstrap unit).
    """

    n: int
    n_patients: int
    threshold: float
    metrics: Mapping[str, MetricCI]
    suppressed: bool = False
    scope: str = "model"
    n_boot: int = 0
    level: float = 0.95

    def __getitem__(self, name: str) -> MetricCI:
        return self.metrics[name]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (undefined values as None; a suppressed result has no metrics)."""
        return {
            "scope": self.scope,
            "n": self.n,
            "n_patients": self.n_patients,
            "threshold": self.threshold,
            "suppressed": self.suppressed,
            "n_boot": self.n_boot,
            "level": self.level,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
        }

    def observations(
        self,
        model: str,
        version: int,
        window_start: datetime,
        window_end: datetime,
        scope: str | None = None,
    ) -> list[Observation]:
        """One observation per metric (``realized.auroc``, ``calibration.slope``, ...) with its
        interval; none for a suppressed result or an undefined (NaN) metric."""
        if self.suppressed:
            return []
        detail = {"threshold": self.threshold, "n_boot": self.n_boot, "level": self.level}
        out = []
        for name, metric in _OBSERVED.items():
            m = self.metrics[name]
            if not math.isfinite(m.value):
                continue
            out.append(
                Observation(
                    metric=metric,
                    scope=self.scope if scope is None else scope,
                    value=m.value,
                    window_start=window_start,
                    window_end=window_end,
                    model=model,
                    version=version,
                    lower=m.lower if math.isfinite(m.lower) else None,
                    upper=m.upper if math.isfinite(m.upper) else None,
                    n=self.n,
                    detail=detail,
                )
            )
        return out


def _labels(y: ArrayLike, n: int) -> FloatArray:
    yy = np.asarray(y, dtype=np.float64)
    if yy.shape != (n,):
        raise ValueError(f"y: expected {n} labels (one per probability), found shape {yy.shape}")
    bad = int((~np.isin(yy, (0.0, 1.0))).sum())
    if bad:
        raise ValueError(f"y: {bad} of {n} labels are not 0 or 1; drop rows without a label")
    return yy


def _patients(patient_ids: ArrayLike | None, n: int) -> tuple[NDArray[np.intp], int]:
    if patient_ids is None:
        return np.arange(n, dtype=np.intp), n
    ids = np.asarray(patient_ids)
    if ids.shape != (n,):
        raise ValueError(f"patient_ids: expected {n} ids, found shape {ids.shape}")
    uniq, codes = np.unique(ids, return_inverse=True)
    return codes.astype(np.intp), int(uniq.size)


def _replicates(
    y: FloatArray, p: FloatArray, t: float, patient: NDArray[np.intp], resampler: Resampler
) -> FloatArray:
    """Every metric in every bootstrap replicate (metrics x replicates).

    The calibration fits run for a chunk of replicates at once (one Newton iteration updates
    them all), which is twenty times faster than a fit per replicate; the rest go through
    :func:`_metrics` replicate by replicate, with the drawn patients as row weights.
    """
    n_boot = resampler.n_bootstrap
    reps = np.empty((len(REALIZED_METRICS), n_boot))
    x = logit(p)
    chunk = max(1, _CHUNK_CELLS // max(y.size, 1))
    for start in range(0, n_boot, chunk):
        ids = list(range(start, min(start + chunk, n_boot)))
        w: FloatArray = np.asfortranarray(resampler.counts(ids, dtype=np.float64)[patient])
        for j, r in enumerate(ids):
            reps[:, r] = _metrics(y, p, t, w[:, j], fits=False)
        reps[_SLOPE, ids] = newton_slope(x, y, w)[1]
        reps[_INTERCEPT, ids] = newton_intercept(x, y, w)
    return reps


def realized_performance(
    y: ArrayLike,
    p: ArrayLike,
    threshold: float,
    *,
    rng: np.random.Generator,
    patient_ids: ArrayLike | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    min_defined: float = 0.5,
    min_size: int = MIN_SIZE,
    scope: str = "model",
) -> RealizedPerformance:
    """Realized performance and calibration of one window whose labels ``y`` have joined.

    ``rng`` seeds the ``n_boot`` bootstrap replicates (0: no intervals); an interval is NaN
    where the metric is defined in fewer than ``min_defined`` of them. A window with fewer
    than ``min_size`` patients is suppressed. Raises ValueError for NaN or out-of-range
    probabilities or labels other than 0/1.
    """
    pp = check_probabilities(p)
    t = check_threshold(threshold)
    yy = _labels(y, pp.size)
    patient, n_patients = _patients(patient_ids, pp.size)
    if n_patients < min_size:
        return RealizedPerformance(
            pp.size, n_patients, t, {}, suppressed=True, scope=scope, level=level
        )
    point = _metrics(yy, pp, t, None)
    lo = hi = np.full(len(point), np.nan)
    if n_boot > 0:
        seed = int(rng.integers(0, 2**63 - 1))
        resampler = Resampler(patient, n_patients, n_boot, seed)
        lo, hi = percentile_ci(_replicates(yy, pp, t, patient, resampler), level, min_defined)
    metrics = {
        name: MetricCI(point[i], float(lo[i]), float(hi[i]))
        for i, name in enumerate(REALIZED_METRICS)
    }
    return RealizedPerformance(
        pp.size, n_patients, t, metrics, scope=scope, n_boot=n_boot, level=level
    )


@dataclass(frozen=True)
class SubgroupPerformance:
    """Realized performance per subgroup level (scope ``subgroup:<attribute>=<value>``)."""

    results: list[RealizedPerformance] = field(default_factory=list)
    min_size: int = MIN_SIZE

    def to_dict(self) -> dict[str, Any]:
        return {"min_size": self.min_size, "subgroups": [r.to_dict() for r in self.results]}

    def observations(
        self, model: str, version: int, window_start: datetime, window_end: datetime
    ) -> list[Observation]:
        """The observations of every unsuppressed subgroup, each under its own scope."""
        return [
            o
            for r in self.results
            for o in r.observations(model, version, window_start, window_end)
        ]


def subgroup_performance(
    y: ArrayLike,
    p: ArrayLike,
    threshold: float,
    groups: Mapping[str, ArrayLike],
    *,
    rng: np.random.Generator,
    patient_ids: ArrayLike | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    min_defined: float = 0.5,
    min_size: int = MIN_SIZE,
) -> SubgroupPerformance:
    """:func:`realized_performance` for every level of every attribute in ``groups``.

    ``groups`` maps an attribute (``sex``, ``site``) to one value per row. A level with fewer
    than ``min_size`` patients is suppressed: reported with its size and ``suppressed=True``,
    no metric computed. Each level's bootstrap is seeded from ``rng`` in turn.
    """
    pp = check_probabilities(p)
    yy = _labels(y, pp.size)
    ids = None if patient_ids is None else np.asarray(patient_ids)
    results = [
        realized_performance(
            yy[mask],
            pp[mask],
            threshold,
            rng=rng,
            patient_ids=None if ids is None else ids[mask],
            n_boot=n_boot,
            level=level,
            min_defined=min_defined,
            min_size=min_size,
            scope=f"subgroup:{attribute}={value}",
        )
        for attribute, value, mask in levels(groups, pp.size)
    ]
    return SubgroupPerformance(results, min_size)
