"""The metrics of a binary risk model, defined once, weighted, for one sample.

Each function takes labels ``y`` (0/1), predicted probabilities ``p`` and optional
non-negative weights ``w`` (a weight of 2 counts a row twice, which is how a bootstrap
replicate reweights the sample) and returns a float, NaN where the metric is undefined
(AUROC without a positive label, say). :mod:`wardwatch.evaluate._engine` computes the same
quantities for a thousand replicates at once; the tests hold both to scikit-learn.

The *from counts* functions (:func:`rates`, :func:`net_benefit`, ...) take confusion counts
of any shape, so the engine's arrays (groups x thresholds x replicates) go through the same
formulas as a single sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "auroc",
    "average_precision",
    "bin_edges",
    "bin_ids",
    "brier_score",
    "confusion",
    "expected_calibration_error",
    "net_benefit",
    "observed_expected_ratio",
    "rates",
    "reliability",
    "safe_div",
    "treat_all_net_benefit",
]

FloatArray = NDArray[np.float64]


def _arrays(y: Any, p: Any, w: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    yy = np.asarray(y, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    ww = np.ones_like(pp) if w is None else np.asarray(w, dtype=np.float64)
    return yy, pp, ww


def safe_div(num: Any, den: Any) -> Any:
    """``num / den`` with NaN where ``den`` is 0 (an undefined rate, not an error)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out if out.ndim else float(out)


def _blocks(y: FloatArray, p: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Positive and negative weight per distinct probability, highest probability first."""
    order = np.argsort(-p, kind="stable")
    ps = p[order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    pos = np.add.reduceat((w * y)[order], starts) if len(ps) else np.zeros(0)
    neg = np.add.reduceat((w * (1.0 - y))[order], starts) if len(ps) else np.zeros(0)
    return pos, neg


def auroc(y: Any, p: Any, w: Any = None) -> float:
    """Area under the ROC curve: the chance that a random positive outranks a random negative.

    Ties count one half. Range 0-1; 0.5 is no discrimination (a coin), 1 perfect ranking.
    NaN without both a positive and a negative label. Same as scikit-learn's
    ``roc_auc_score`` (trapezoidal ROC area), with weights.
    """
    pos, neg = _blocks(*_arrays(y, p, w))
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos <= 0 or n_neg <= 0:
        return float("nan")
    above = np.cumsum(pos) - pos  # positive weight strictly above each block
    return float(np.sum(neg * (above + 0.5 * pos)) / (n_pos * n_neg))


def average_precision(y: Any, p: Any, w: Any = None) -> float:
    """Average precision (area under the precision-recall curve, step-wise).

    The mean of the precision reached at each positive label, ranking by probability:
    ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds, as scikit-learn's
    ``average_precision_score``. Range 0-1; the neutral value is the prevalence (a model
    that ranks at random). NaN without a positive label.
    """
    pos, neg = _blocks(*_arrays(y, p, w))
    n_pos = pos.sum()
    if n_pos <= 0:
        return float("nan")
    tp, fp = np.cumsum(pos), np.cumsum(neg)
    precision = np.asarray(safe_div(tp, tp + fp))
    return float(np.sum(pos * np.nan_to_num(precision)) / n_pos)


def brier_score(y: Any, p: Any, w: Any = None) -> float:
    """Mean squared difference between probability and outcome.

    Range 0-1, lower is better; 0 is perfect. Its neutral value is ``prev * (1 - prev)``, the
    score of predicting the prevalence for everyone.
    """
    yy, pp, ww = _arrays(y, p, w)
    return float(safe_div(np.sum(ww * (yy - pp) ** 2), ww.sum()))


def observed_expected_ratio(y: Any, p: Any, w: Any = None) -> float:
    """Observed events over expected events (the sum of the probabilities).

    Range 0 to infinity; 1 is calibration-in-the-large; above 1 the model under-predicts.
    """
    yy, pp, ww = _arrays(y, p, w)
    return float(safe_div(np.sum(ww * yy), np.sum(ww * pp)))


def bin_edges(p: Any, n_bins: int) -> FloatArray:
    """Equal-count bin edges of the probabilities (percentiles, as scikit-learn's
    ``calibration_curve(strategy="quantile")``)."""
    return np.percentile(np.asarray(p, dtype=np.float64), np.linspace(0, 100, n_bins + 1))


def bin_ids(p: Any, edges: FloatArray) -> NDArray[np.intp]:
    """The bin of each probability: ``(e_{k}, e_{k+1}]``, the first bin closed on the left."""
    return np.searchsorted(edges[1:-1], np.asarray(p, dtype=np.float64)).astype(np.intp)


def reliability(
    y: Any, p: Any, n_bins: int = 10, w: Any = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per equal-count bin: weight, observed event rate and mean probability (empty bins NaN)."""
    yy, pp, ww = _arrays(y, p, w)
    ids = bin_ids(pp, bin_edges(pp, n_bins))
    total = np.bincount(ids, weights=ww, minlength=n_bins).astype(np.float64)
    observed = np.asarray(safe_div(np.bincount(ids, weights=ww * yy, minlength=n_bins), total))
    expected = np.asarray(safe_div(np.bincount(ids, weights=ww * pp, minlength=n_bins), total))
    return total, observed, expected


def expected_calibration_error(y: Any, p: Any, n_bins: int = 10, w: Any = None) -> float:
    """Expected calibration error: the bin-weighted mean of |observed rate - mean probability|.

    Bins are equal-count bins of the probabilities. Range 0-1, lower is better; 0 means every
    bin's observed rate equals its mean prediction. It grows with noise in small samples.
    """
    total, observed, expected = reliability(y, p, n_bins, w)
    keep = total > 0
    if not keep.any():
        return float("nan")
    gap = np.abs(observed[keep] - expected[keep])
    return float(np.sum(total[keep] * gap) / total[keep].sum())


def confusion(
    y: Any, p: Any, thresholds: Any, w: Any = None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Weighted TP, FP, TN, FN when a patient is flagged at ``p >= t``, for each threshold."""
    yy, pp, ww = _arrays(y, p, w)
    t = np.asarray(thresholds, dtype=np.float64)
    flagged = pp[None, :] >= t[:, None]
    tp = (flagged * (ww * yy)).sum(axis=1)
    fp = (flagged * (ww * (1 - yy))).sum(axis=1)
    return tp, fp, np.sum(ww * (1 - yy)) - fp, np.sum(ww * yy) - tp


def rates(tp: Any, fp: Any, tn: Any, fn: Any) -> dict[str, Any]:
    """Threshold metrics from confusion counts (any shape; NaN where undefined).

    * ``sensitivity`` (recall, TPR): TP / (TP + FN), the share of events flagged.
    * ``specificity`` (TNR): TN / (TN + FP), the share of non-events left alone.
    * ``ppv`` (precision): TP / (TP + FP), the share of flags that are events.
    * ``npv``: TN / (TN + FN), the share of unflagged patients without the event.
    * ``flag_rate``: (TP + FP) / n, the share of patients flagged (alert burden).
    * ``nne``: number needed to evaluate, 1 / PPV: flagged patients reviewed per event found.

    All but NNE range 0-1; NNE is at least 1, lower is better.
    """
    tp, fp, tn, fn = (np.asarray(a, dtype=np.float64) for a in (tp, fp, tn, fn))
    ppv = safe_div(tp, tp + fp)
    return {
        "sensitivity": safe_div(tp, tp + fn),
        "specificity": safe_div(tn, tn + fp),
        "ppv": ppv,
        "npv": safe_div(tn, tn + fn),
        "flag_rate": safe_div(tp + fp, tp + fp + tn + fn),
        "nne": safe_div(1.0, ppv),
    }


def net_benefit(tp: Any, fp: Any, n: Any, threshold: Any) -> Any:
    """Net benefit of acting on the model's flags at threshold probability ``pt``.

    ``NB = TP/n - FP/n * pt / (1 - pt)``: true positives per patient, minus false positives
    weighted by the odds of the threshold (the harm of an unneeded intervention relative to
    the benefit of a needed one that choosing ``pt`` implies). Units: net true positives per
    patient; treating no one scores 0; at most the prevalence.
    """
    pt = np.asarray(threshold, dtype=np.float64)
    return safe_div(tp, n) - safe_div(fp, n) * (pt / (1.0 - pt))


def treat_all_net_benefit(prevalence: Any, threshold: Any) -> Any:
    """Net benefit of intervening on everyone: ``prev - (1 - prev) * pt / (1 - pt)``."""
    pt = np.asarray(threshold, dtype=np.float64)
    prev = np.asarray(prevalence, dtype=np.float64)
    return prev - (1.0 - prev) * (pt / (1.0 - pt))
