"""The vectorized engine, replicate by replicate, against scikit-learn on the resampled rows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    roc_auc_score,
)
from tests.evaluate.conftest import Sample, make_sample

from wardwatch.evaluate import (
    Resampler,
    auroc,
    average_precision,
    brier_score,
    confusion,
    percentile_ci,
)
from wardwatch.evaluate._calibration import logit
from wardwatch.evaluate._engine import GroupSpec, run_engine
from wardwatch.evaluate._summary import group_metrics, threshold_metrics

THRESHOLDS = np.array([0.05, 0.1, 0.2, 0.35])


def _plain(y: np.ndarray, p: np.ndarray, edges: np.ndarray) -> dict[str, float]:
    """The oracle: every metric of one replicate from scikit-learn and SciPy."""
    x = logit(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(x[:, None], y)
    bins = np.searchsorted(edges[1:-1], p)  # the sample's bins (fixed across replicates)
    total = np.bincount(bins, minlength=10)
    gap = np.abs(np.bincount(bins, y, 10) - np.bincount(bins, p, 10))
    out = {
        "auroc": roc_auc_score(y, p),
        "auprc": average_precision_score(y, p),
        "brier": brier_score_loss(y, p),
        "oe_ratio": y.sum() / p.sum(),
        "ece": gap.sum() / total.sum(),
        "calibration_slope": lr.coef_[0, 0],
        "calibration_intercept": brentq(
            lambda a: float(np.sum(y - expit(x + a))), -30, 30, xtol=1e-13
        ),
    }
    for t in THRESHOLDS:
        _tn, fp, fn, tp = confusion_matrix(y, p >= t, labels=[0, 1]).ravel()
        out[f"sensitivity@{t}"] = tp / (tp + fn)
        out[f"ppv@{t}"] = tp / (tp + fp) if tp + fp else np.nan
        out[f"flag_rate@{t}"] = (tp + fp) / len(y)
        out[f"net_benefit@{t}"] = tp / len(y) - fp / len(y) * t / (1 - t)
    return out


def _engine(s: Sample, rows: np.ndarray, n_bootstrap: int, seed: int = 11):
    rs = Resampler(s.patient, int(s.patient.max()) + 1, n_bootstrap, seed)
    spec = GroupSpec(("g", "x"), rows, THRESHOLDS, 10)
    stats, refits = run_engine(s.y.astype(float), s.p, rs, [spec])
    metrics = group_metrics(stats[0])
    metrics["refits"] = np.array([refits])
    at = threshold_metrics(stats[0], THRESHOLDS)
    for i, t in enumerate(THRESHOLDS):
        for m in ("sensitivity", "ppv", "flag_rate", "net_benefit"):
            metrics[f"{m}@{t}"] = at[m][i]
    return rs, metrics


# Sums of p (Brier, O/E, ECE) come from a float32 matrix product: about 1e-7 relative.
TOLERANCE = {
    "calibration_slope": 1e-4,
    "calibration_intercept": 1e-4,
    "brier": 1e-6,
    "oe_ratio": 1e-6,
    "ece": 1e-6,
}


@pytest.mark.parametrize("subgroup", [False, True])
def test_every_replicate_matches_scikit_learn(subgroup: bool) -> None:
    s = make_sample(1500, 2, decimals=2)  # ties between and within labels
    rows = np.flatnonzero(s.group == "a") if subgroup else np.arange(len(s.y))
    rs, metrics = _engine(s, rows, 12)
    in_group = np.zeros(len(s.y), dtype=bool)
    in_group[rows] = True
    edges = np.percentile(s.p[rows], np.linspace(0, 100, 11))
    if subgroup:  # ~500 rows: some replicates need the exact refit, which is checked too
        assert metrics["refits"][0] > 0
    for col, r in enumerate([-1, *range(12)]):
        taken = rs.rows(r)
        taken = taken[in_group[taken]]
        expected = _plain(s.y[taken].astype(float), s.p[taken], edges)
        for key, value in expected.items():
            tol = TOLERANCE.get(key, 1e-9)
            assert metrics[key][col] == pytest.approx(value, abs=tol, nan_ok=True), (key, r)


def test_percentile_interval_matches_a_plain_bootstrap_loop() -> None:
    s = make_sample(800, 8, decimals=3)
    rs, metrics = _engine(s, np.arange(len(s.y)), 200, seed=5)
    plain = np.array(
        [roc_auc_score(s.y[rs.rows(r)], s.p[rs.rows(r)]) for r in range(200)]
    )  # the same resampled indices, one scikit-learn call each
    np.testing.assert_allclose(metrics["auroc"][1:], plain, atol=1e-12)
    lo, hi = np.percentile(plain, [2.5, 97.5])
    ci = percentile_ci(metrics["auroc"][1:][None, :], 0.95, 0.9)
    assert (ci[0][0], ci[1][0]) == pytest.approx((lo, hi), abs=1e-12)
    assert lo < metrics["auroc"][0] < hi  # a sane case: the interval holds the estimate


def test_groups_without_events_stay_defined_where_they_can() -> None:
    s = make_sample(300, 1)
    s.y[:] = 0
    _, metrics = _engine(s, np.arange(len(s.y)), 5)
    assert np.isnan(metrics["auroc"]).all()
    assert np.isnan(metrics["calibration_slope"]).all()
    assert np.isfinite(metrics["brier"]).all()
    assert (metrics["flag_rate@0.05"] >= 0).all()


def test_results_do_not_depend_on_threads() -> None:
    s = make_sample(900, 4)
    rs = Resampler(s.patient, int(s.patient.max()) + 1, 30, 2)
    specs = [
        GroupSpec(("all", ""), np.arange(len(s.y)), THRESHOLDS, 10),
        GroupSpec(("g", "a"), np.flatnonzero(s.group == "a"), THRESHOLDS, 10),
        GroupSpec(("g", "b"), np.flatnonzero(s.group == "b"), THRESHOLDS, 10),
    ]
    one, _ = run_engine(s.y.astype(float), s.p, rs, specs, n_jobs=1)
    two, _ = run_engine(s.y.astype(float), s.p, rs, specs, n_jobs=2)
    for a, b in zip(one, two, strict=True):
        for key, value in group_metrics(a).items():
            np.testing.assert_array_equal(value, group_metrics(b)[key], err_msg=key)


small_data = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(
            st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.9, 1.0]), min_size=n, max_size=n
        ),
        st.lists(st.integers(0, 9), min_size=n, max_size=n),
        st.integers(0, 1000),
    )
)


@settings(max_examples=80, deadline=None)
@given(small_data)
def test_engine_equals_weighted_metrics(
    data: tuple[list[int], list[float], list[int], int],
) -> None:
    """Property: every replicate equals the single-sample metrics with its row weights."""
    y, p, patients = (np.asarray(a) for a in data[:3])
    seed = data[3]
    _, patient = np.unique(patients, return_inverse=True)
    rs = Resampler(patient, int(patient.max()) + 1, 4, int(seed))
    spec = GroupSpec(("all", ""), np.arange(len(y)), THRESHOLDS, 4)
    stats, _ = run_engine(y.astype(float), p.astype(float), rs, [spec])
    m = group_metrics(stats[0])
    counts = rs.counts([-1, 0, 1, 2, 3]).astype(float)
    for col in range(5):
        w = counts[patient, col]
        assert m["auroc"][col] == pytest.approx(auroc(y, p, w), nan_ok=True)
        assert m["auprc"][col] == pytest.approx(average_precision(y, p, w), nan_ok=True)
        assert m["brier"][col] == pytest.approx(brier_score(y, p, w), nan_ok=True, rel=1e-6)
        tp, fp, _, _ = confusion(y, p, THRESHOLDS, w)
        np.testing.assert_array_equal(stats[0].tp[:, col], tp)
        np.testing.assert_array_equal(stats[0].fp[:, col], fp)
