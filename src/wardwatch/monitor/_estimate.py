"""Performance before labels arrive: confidence-based performance estimation (CBPE).

Readmission labels arrive 30 days after a prediction, so for a month the only evidence of
how the model performs on a window is its own probabilities. If the model is calibrated on
the window, a patient with probability ``p`` has the event with chance ``p``, and every
confusion count has an expectation (NannyML's CBPE), for the operating threshold ``t``
(flagged: ``p >= t``)::

    TP = sum p [p >= t]        FP = sum (1 - p) [p >= t]
    FN = sum p [p <  t]        TN = sum (1 - p) [p <  t]

from which the expected precision, recall and specificity follow. The flag rate needs no
labels and is exact. The expected prevalence is ``sum p / n``.

**Expected AUROC.** Sort the distinct probabilities in descending order; at each one the
expected true-positive rate is the cumulative ``sum p`` above and at it over ``sum p`` and
the expected false-positive rate the cumulative ``sum (1 - p)`` over ``sum (1 - p)``. Rows with
tied probabilities form one point of the curve (a threshold cannot split them). The expected
AUROC is the trapezoid area under that curve, in closed form::

    AUROC_e = sum_b N_b (P_above(b) + P_b / 2) / (P N)

with ``P_b = sum p`` and ``N_b = sum (1 - p)`` over the rows of block ``b``, ``P_above(b)`` the
``P`` of the blocks with higher probability, ``P = sum p`` and ``N = sum (1 - p)``. It is the
AUROC of a data set in which each row counts as a positive with weight ``p`` and as a
negative with weight ``1 - p``, which is how it is computed here (with
:func:`wardwatch.evaluate.auroc`). It approximates the mean realized AUROC of labels drawn
from ``p`` (the ratio of expectations, not the expectation of the ratio; the gap is
``O(1/n)``).

**Uncertainty.** Labels are drawn ``y ~ Bernoulli(p)`` ``n_draws`` times and each metric is
computed on every draw; the interval is the 2.5 and 97.5 percentiles of those values: the
spread of the *realized* metric on this window if the model is calibrated on it. It says
nothing about miscalibration, which only labels reveal.

:func:`subgroup_prediction_drift` needs no labels either: mean risk and flag rate per
subgroup against the reference window, with the small-cell guard.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

from wardwatch.evaluate import auroc, percentile_ci, rates
from wardwatch.monitor._observation import Observation

__all__ = [
    "MIN_SIZE",
    "EstimatedPerformance",
    "MetricCI",
    "SubgroupDrift",
    "estimate_performance",
    "expected_auroc",
    "subgroup_prediction_drift",
]

FloatArray = NDArray[np.float64]
_CHUNK_CELLS = 4_000_000
"""Draws x rows held in memory at once."""
MIN_SIZE = 11
"""Small-cell threshold (DESIGN.md): smaller windows and subgroups are suppressed."""


@dataclass(frozen=True, slots=True)
class MetricCI:
    """A metric's value and the bounds of its interval; NaN where not defined."""

    value: float
    lower: float = math.nan
    upper: float = math.nan

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready form: NaN (undefined) becomes None."""
        return {"value": _num(self.value), "lower": _num(self.lower), "upper": _num(self.upper)}


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def check_probabilities(p: ArrayLike, name: str = "p") -> FloatArray:
    """``p`` as a 1-D float array; ValueError naming the count of NaN or out-of-range values."""
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of probabilities, found shape {arr.shape}")
    n_nan = int(np.isnan(arr).sum())
    if n_nan:
        raise ValueError(
            f"{name}: {n_nan} of {arr.size} probabilities are NaN; drop or score those rows "
            "before estimating performance"
        )
    bad = int(((arr < 0.0) | (arr > 1.0)).sum())
    if bad:
        raise ValueError(
            f"{name}: {bad} of {arr.size} probabilities are outside [0, 1]; pass calibrated "
            "probabilities, not scores"
        )
    return arr


def check_threshold(threshold: float) -> float:
    """The operating threshold as a float in [0, 1]; ValueError otherwise."""
    t = float(threshold)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"threshold: expected a probability in [0, 1], found {threshold!r}")
    return t


@dataclass(frozen=True)
class EstimatedPerformance:
    """Expected performance of one window at one threshold, before labels (CBPE).

    * ``auroc``: expected AUROC (see the module docstring). Range 0-1; 0.5 is no
      discrimination, 1 perfect ranking.
    * ``precision`` (PPV): expected TP / (TP + FP), the share of flags expected to be events.
      Range 0-1; the neutral value is the prevalence. NaN when nobody is flagged.
    * ``recall`` (sensitivity): expected TP / (TP + FN), the share of expected events flagged.
      Range 0-1; the neutral value is the flag rate. NaN when every ``p`` is 0.
    * ``specificity``: expected TN / (TN + FP). Range 0-1. NaN when every ``p`` is 1.
    * ``flag_rate``: share of patients with ``p >= t`` (exact; its interval is the value).
    * ``prevalence``: ``sum p / n``, the expected event rate. Range 0-1.

    Intervals are the 2.5-97.5 percentiles (for ``level=0.95``) of the metric over labels
    drawn from ``p``. ``tp``, ``fp``, ``tn``, ``fn`` are the expected confusion counts.
    """

    n: int
    threshold: float
    auroc: MetricCI
    precision: MetricCI
    recall: MetricCI
    specificity: MetricCI
    flag_rate: MetricCI
    prevalence: MetricCI
    tp: float
    fp: float
    tn: float
    fn: float
    n_draws: int
    level: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (undefined values as None)."""
        out: dict[str, Any] = {"n": self.n, "threshold": self.threshold}
        for name in _METRICS:
            out[name] = getattr(self, name).to_dict()
        out["expected_confusion"] = {"tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}
        out["n_draws"] = self.n_draws
        out["level"] = self.level
        return out

    def observations(
        self,
        model: str,
        version: int,
        window_start: datetime,
        window_end: datetime,
        scope: str = "model",
    ) -> list[Observation]:
        """``estimated.<metric>`` observations for auroc, precision, recall, flag_rate and
        prevalence; a metric that is undefined on this window (NaN) is left out."""
        detail = {"threshold": self.threshold, "method": "cbpe", "n_draws": self.n_draws}
        out = []
        for name in ("auroc", "precision", "recall", "flag_rate", "prevalence"):
            m: MetricCI = getattr(self, name)
            if not math.isfinite(m.value):
                continue
            out.append(
                Observation(
                    metric=f"estimated.{name}",
                    scope=scope,
                    value=m.value,
                    window_start=window_start,
                    window_end=window_end,
                    model=model,
                    version=version,
                    lower=_num(m.lower),
                    upper=_num(m.upper),
                    n=self.n,
                    detail=detail,
                )
            )
        return out


_METRICS = ("auroc", "precision", "recall", "specificity", "flag_rate", "prevalence")


def expected_auroc(p: ArrayLike) -> float:
    """Expected AUROC of calibrated probabilities ``p`` (closed form in the module docstring).

    NaN when no row can be a positive (all ``p`` 0) or none a negative (all ``p`` 1).
    """
    pp = np.asarray(p, dtype=np.float64)
    n = pp.size
    y = np.r_[np.ones(n), np.zeros(n)]
    return auroc(y, np.r_[pp, pp], np.r_[pp, 1.0 - pp])


def _draw_metrics(
    p: FloatArray, flagged: NDArray[np.bool_], n_draws: int, rng: np.random.Generator
) -> dict[str, FloatArray]:
    """Each metric on ``n_draws`` label vectors drawn from Bernoulli(p), one value per draw."""
    n = p.size
    ranks = rankdata(p)  # mid-ranks: AUROC by Mann-Whitney, ties counted one half
    flag = flagged.astype(np.float64)
    n_flag = float(flag.sum())
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    pos, tp, rank_sum = (np.empty(n_draws) for _ in range(3))
    for start in range(0, n_draws, chunk):
        stop = min(start + chunk, n_draws)
        y = (rng.random((stop - start, n)) < p).astype(np.float64)
        pos[start:stop] = y.sum(axis=1)
        tp[start:stop] = y @ flag
        rank_sum[start:stop] = y @ ranks
    neg = n - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = np.where(
            (pos > 0) & (neg > 0), (rank_sum - pos * (pos + 1) / 2) / (pos * neg), np.nan
        )
    fp = n_flag - tp
    r = rates(tp, fp, neg - fp, pos - tp)
    return {
        "auroc": auc,
        "precision": np.asarray(r["ppv"]),
        "recall": np.asarray(r["sensitivity"]),
        "specificity": np.asarray(r["specificity"]),
        "prevalence": pos / n,
    }


def estimate_performance(
    p: ArrayLike,
    threshold: float,
    *,
    rng: np.random.Generator,
    n_draws: int = 200,
    level: float = 0.95,
    min_defined: float = 0.5,
) -> EstimatedPerformance:
    """Estimate a window's performance at ``threshold`` from its probabilities alone (CBPE).

    ``p`` are the model's *calibrated* probabilities for the window's predictions; patients
    are flagged at ``p >= threshold``. ``rng`` draws the ``n_draws`` label vectors behind the
    intervals (``n_draws=0``: no intervals). A metric's interval is NaN where it is defined
    in fewer than ``min_defined`` of the draws. An empty window gives NaN everywhere.

    Raises ValueError when a probability is NaN or outside [0, 1] (the message gives the count).
    """
    pp = check_probabilities(p)
    t = check_threshold(threshold)
    if n_draws < 0:
        raise ValueError(f"n_draws: expected 0 or more, found {n_draws}")
    n = int(pp.size)
    flagged = pp >= t
    tp = float(np.sum(pp[flagged]))
    fp = float(np.sum(1.0 - pp[flagged]))
    fn = float(np.sum(pp[~flagged]))
    tn = float(np.sum(1.0 - pp[~flagged]))
    r = rates(tp, fp, tn, fn)
    point = {
        "auroc": expected_auroc(pp) if n else math.nan,
        "precision": float(r["ppv"]),
        "recall": float(r["sensitivity"]),
        "specificity": float(r["specificity"]),
        "prevalence": float(pp.mean()) if n else math.nan,
    }
    metrics: dict[str, MetricCI] = {}
    if n and n_draws:
        draws = _draw_metrics(pp, flagged, n_draws, rng)
        stacked = np.stack([draws[name] for name in point])
        lo, hi = percentile_ci(stacked, level, min_defined)
        for i, name in enumerate(point):
            metrics[name] = MetricCI(point[name], float(lo[i]), float(hi[i]))
    else:
        metrics = {name: MetricCI(value) for name, value in point.items()}
    flag_rate = float(flagged.mean()) if n else math.nan
    metrics["flag_rate"] = MetricCI(flag_rate, flag_rate, flag_rate)
    return EstimatedPerformance(
        n, t, **metrics, tp=tp, fp=fp, tn=tn, fn=fn, n_draws=n_draws, level=level
    )


def levels(groups: Mapping[str, ArrayLike], n: int) -> list[tuple[str, str, NDArray[np.bool_]]]:
    """``(attribute, value, row mask)`` per level, attributes in the given order, values sorted."""
    out: list[tuple[str, str, NDArray[np.bool_]]] = []
    for attribute, values in groups.items():
        v = np.asarray(values).astype(str)
        if v.shape != (n,):
            raise ValueError(f"groups[{attribute!r}]: expected {n} values, found shape {v.shape}")
        out.extend((attribute, str(level), v == level) for level in np.unique(v))
    return out


@dataclass(frozen=True, slots=True)
class SubgroupDrift:
    """One subgroup's predictions in the window against the reference window.

    ``mean_risk`` is the mean predicted probability (0-1; drift shows as a gap to
    ``reference_mean_risk``), ``flag_rate`` the share with ``p >= threshold`` (0-1, against
    ``reference_flag_rate``). References are NaN where the reference level is suppressed or
    absent; a suppressed level carries its size only.
    """

    scope: str
    n: int
    suppressed: bool
    mean_risk: float = math.nan
    flag_rate: float = math.nan
    reference_mean_risk: float = math.nan
    reference_flag_rate: float = math.nan
    reference_n: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scope": self.scope, "n": self.n, "suppressed": self.suppressed}
        if not self.suppressed:
            for name in ("mean_risk", "flag_rate", "reference_mean_risk", "reference_flag_rate"):
                value = getattr(self, name)
                out[name] = value if math.isfinite(value) else None
            out["reference_n"] = self.reference_n
        return out

    def observations(
        self, model: str, version: int, window_start: datetime, window_end: datetime
    ) -> list[Observation]:
        """``subgroup.mean_risk`` and ``subgroup.flag_rate`` (none when suppressed)."""
        if self.suppressed:
            return []
        pairs = (
            ("subgroup.mean_risk", self.mean_risk, self.reference_mean_risk),
            ("subgroup.flag_rate", self.flag_rate, self.reference_flag_rate),
        )
        return [
            Observation(
                metric=metric,
                scope=self.scope,
                value=value,
                window_start=window_start,
                window_end=window_end,
                model=model,
                version=version,
                n=self.n,
                detail={
                    "reference": ref if math.isfinite(ref) else None,
                    "difference": value - ref if math.isfinite(ref) else None,
                    "reference_n": self.reference_n,
                },
            )
            for metric, value, ref in pairs
        ]


def subgroup_prediction_drift(
    p: ArrayLike,
    groups: Mapping[str, ArrayLike],
    threshold: float,
    *,
    reference_p: ArrayLike,
    reference_groups: Mapping[str, ArrayLike],
    min_size: int = MIN_SIZE,
) -> list[SubgroupDrift]:
    """Mean predicted risk and flag rate per subgroup level, window against reference.

    Needs no labels. Levels with fewer than ``min_size`` rows in the window are suppressed;
    a reference level that small (or absent) gives NaN references.
    """
    pp, rp = check_probabilities(p), check_probabilities(reference_p, "reference_p")
    t = check_threshold(threshold)
    ref_levels = {(a, v): m for a, v, m in levels(reference_groups, rp.size)}
    out = []
    for attribute, value, mask in levels(groups, pp.size):
        scope, n = f"subgroup:{attribute}={value}", int(mask.sum())
        if n < min_size:
            out.append(SubgroupDrift(scope, n, suppressed=True))
            continue
        ref = ref_levels.get((attribute, value))
        ref_n = 0 if ref is None else int(ref.sum())
        ref_ok = ref is not None and ref_n >= min_size
        out.append(
            SubgroupDrift(
                scope,
                n,
                suppressed=False,
                mean_risk=float(pp[mask].mean()),
                flag_rate=float((pp[mask] >= t).mean()),
                reference_mean_risk=float(rp[ref].mean()) if ref_ok else math.nan,
                reference_flag_rate=float((rp[ref] >= t).mean()) if ref_ok else math.nan,
                reference_n=ref_n if ref_ok else 0,
            )
        )
    return out
