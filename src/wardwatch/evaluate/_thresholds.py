"""Thresholds: the grid table, operating points chosen by policy, and alert burden.

A patient is *flagged* when its predicted probability is at least the threshold. For every
threshold of the grid and every operating point the report gives sensitivity, specificity,
PPV, NPV, flag rate, number needed to evaluate (1 / PPV) and alerts per day
(flag rate x patients scored per day), each with its bootstrap interval.

An operating point is chosen once, on the whole evaluation set, by its policy (see
:class:`~._config.OperatingPolicy`), among the distinct predicted probabilities; the same
threshold is then applied to every subgroup and month, as it would be in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wardwatch.evaluate._config import EvaluationConfig, OperatingPolicy
from wardwatch.evaluate._metrics import rates
from wardwatch.evaluate._summary import RATE_METRICS, Estimate, estimates

__all__ = ["OperatingPoint", "choose_threshold", "operating_points", "threshold_rows"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class OperatingPoint:
    """A policy and the threshold it chose (None: no threshold meets the bound)."""

    policy: OperatingPolicy
    threshold: float | None


def choose_threshold(y: Any, p: Any, policy: OperatingPolicy) -> float | None:
    """The threshold that ``policy`` picks on ``(y, p)``, or None when no threshold meets it.

    Candidates are the distinct predicted probabilities (flag ``p >= t``).
    """
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    order = np.argsort(-pp, kind="stable")
    ps, ys = pp[order], yy[order]
    if not len(ps):
        return None
    ends = np.flatnonzero(np.r_[ps[1:] != ps[:-1], True])  # last row of each distinct value
    tp = np.cumsum(ys)[ends]
    fp = np.cumsum(1.0 - ys)[ends]
    pos, neg = ys.sum(), len(ys) - ys.sum()
    values = np.asarray(rates(tp, fp, neg - fp, pos - tp)[policy.metric])
    feasible = np.flatnonzero(policy.met(values))
    if not len(feasible):
        return None
    # Candidates run from the highest threshold (fewest flags) to the lowest (most flags).
    pick = feasible[0] if policy.fewest_flags else feasible[-1]
    return float(ps[ends[pick]])


def operating_points(y: Any, p: Any, config: EvaluationConfig) -> list[OperatingPoint]:
    """The operating point of every policy of ``config``, chosen on the whole sample."""
    return [OperatingPoint(pol, choose_threshold(y, p, pol)) for pol in config.policies]


def _alerts(flag: Estimate, census: float | None) -> dict[str, Any] | None:
    if census is None or flag.value is None:
        return None
    ci = [flag.low * census, flag.high * census] if flag.ci else None  # type: ignore[operator]
    return {"value": flag.value * census, "ci": ci}


def threshold_rows(
    metrics: dict[str, FloatArray],
    index: list[int],
    config: EvaluationConfig,
    census: float | None,
) -> list[dict[str, Any]]:
    """Rate metrics (with intervals) at the thresholds at positions ``index`` of ``metrics``.

    ``metrics`` maps a metric to its ``thresholds x replicates`` array; alerts per day are the
    flag rate scaled by ``census`` (patients scored per day), None when it is unknown.
    """
    est = estimates({f"{m}:{i}": metrics[m][i] for i in index for m in RATE_METRICS}, config)
    out: list[dict[str, Any]] = []
    for i in index:
        row: dict[str, Any] = {m: est[f"{m}:{i}"].to_dict() for m in RATE_METRICS}
        row["alerts_per_day"] = _alerts(est[f"flag_rate:{i}"], census)
        out.append(row)
    return out
