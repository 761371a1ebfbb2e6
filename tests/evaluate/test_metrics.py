"""Single-sample metrics against scikit-learn, with ties, weights and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    roc_auc_score,
)
from tests.evaluate.conftest import make_sample

from wardwatch.evaluate import (
    auroc,
    average_precision,
    brier_score,
    confusion,
    expected_calibration_error,
    net_benefit,
    observed_expected_ratio,
    rates,
    reliability,
    treat_all_net_benefit,
)


@pytest.mark.parametrize("decimals", [None, 2, 1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_discrimination_matches_sklearn(decimals: int | None, seed: int) -> None:
    s = make_sample(400, seed, decimals)  # decimals=1: heavy ties
    assert auroc(s.y, s.p) == pytest.approx(roc_auc_score(s.y, s.p), abs=1e-12)
    assert average_precision(s.y, s.p) == pytest.approx(
        average_precision_score(s.y, s.p), abs=1e-12
    )
    assert brier_score(s.y, s.p) == pytest.approx(brier_score_loss(s.y, s.p), abs=1e-12)


def test_weighted_metrics_match_sklearn_sample_weight() -> None:
    s = make_sample(300, 5)
    w = np.random.default_rng(5).uniform(0.1, 3.0, len(s.y))
    assert auroc(s.y, s.p, w) == pytest.approx(roc_auc_score(s.y, s.p, sample_weight=w))
    assert average_precision(s.y, s.p, w) == pytest.approx(
        average_precision_score(s.y, s.p, sample_weight=w)
    )
    assert brier_score(s.y, s.p, w) == pytest.approx(brier_score_loss(s.y, s.p, sample_weight=w))


def test_integer_weights_equal_repeated_rows() -> None:
    s = make_sample(200, 3)
    w = np.random.default_rng(3).integers(0, 4, len(s.y))
    rows = np.repeat(np.arange(len(s.y)), w)
    for metric in (auroc, average_precision, brier_score, observed_expected_ratio):
        assert metric(s.y, s.p, w) == pytest.approx(metric(s.y[rows], s.p[rows]), abs=1e-12)


def test_confusion_and_rates_match_sklearn() -> None:
    s = make_sample(500, 4)
    thresholds = [0.05, 0.1, 0.2, 0.5]
    tp, fp, tn, fn = confusion(s.y, s.p, thresholds)
    r = rates(tp, fp, tn, fn)
    for i, t in enumerate(thresholds):
        ctn, cfp, cfn, ctp = confusion_matrix(s.y, s.p >= t, labels=[0, 1]).ravel()
        assert (tp[i], fp[i], tn[i], fn[i]) == (ctp, cfp, ctn, cfn)
        assert r["sensitivity"][i] == pytest.approx(ctp / (ctp + cfn))
        assert r["specificity"][i] == pytest.approx(ctn / (ctn + cfp))
        assert r["ppv"][i] == pytest.approx(ctp / (ctp + cfp))
        assert r["npv"][i] == pytest.approx(ctn / (ctn + cfn))
        assert r["flag_rate"][i] == pytest.approx((ctp + cfp) / len(s.y))
        assert r["nne"][i] == pytest.approx((ctp + cfp) / ctp)


def test_rates_undefined_are_nan_not_errors() -> None:
    r = rates(0.0, 0.0, 5.0, 0.0)  # nobody flagged, no event
    assert np.isnan(r["sensitivity"])
    assert np.isnan(r["ppv"])
    assert np.isnan(r["nne"])
    assert r["specificity"] == 1.0


def test_reliability_and_ece_match_sklearn_calibration_curve() -> None:
    s = make_sample(1000, 6, decimals=None)
    prob_true, prob_pred = calibration_curve(s.y, s.p, n_bins=10, strategy="quantile")
    total, observed, expected = reliability(s.y, s.p, 10)
    keep = total > 0
    np.testing.assert_allclose(observed[keep], prob_true)
    np.testing.assert_allclose(expected[keep], prob_pred)
    ece = np.sum(total[keep] * np.abs(prob_true - prob_pred)) / total.sum()
    assert expected_calibration_error(s.y, s.p, 10) == pytest.approx(ece)


def test_observed_expected_ratio() -> None:
    assert observed_expected_ratio([1, 0, 0, 1], [0.5, 0.5, 0.25, 0.75]) == pytest.approx(1.0)
    assert observed_expected_ratio([1, 1, 0, 0], [0.25, 0.25, 0.25, 0.25]) == pytest.approx(2.0)


def test_undefined_discrimination_is_nan() -> None:
    assert np.isnan(auroc([0, 0, 0], [0.1, 0.2, 0.3]))
    assert np.isnan(auroc([1, 1], [0.1, 0.2]))
    assert np.isnan(average_precision([0, 0], [0.1, 0.2]))


def test_net_benefit_formulas() -> None:
    # 100 patients, 10 events; at pt = 0.2 the model flags 8 events and 12 non-events.
    # NB = 8/100 - 12/100 * 0.2/0.8 = 0.08 - 0.03 = 0.05; treat all = 0.1 - 0.9 * 0.25 = -0.125
    assert net_benefit(8, 12, 100, 0.2) == pytest.approx(0.05)
    assert treat_all_net_benefit(0.1, 0.2) == pytest.approx(-0.125)


labels_and_probs = st.integers(2, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 1.0, 0.33]), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(labels_and_probs)
def test_auroc_properties(data: tuple[list[int], list[float], list[int]]) -> None:
    y, p, w = (np.asarray(a) for a in data)
    a = auroc(y, p)
    if y.min() == y.max():
        assert np.isnan(a)
        return
    assert 0.0 <= a <= 1.0
    assert auroc(y, 1.0 - p) == pytest.approx(1.0 - a, abs=1e-12)  # reversing the ranking
    assert a == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    rows = np.repeat(np.arange(len(y)), w)
    repeated = auroc(y[rows], p[rows])
    weighted = auroc(y, p, w)
    assert (np.isnan(repeated) and np.isnan(weighted)) or weighted == pytest.approx(repeated)


@settings(max_examples=150, deadline=None)
@given(labels_and_probs)
def test_average_precision_and_brier_properties(
    data: tuple[list[int], list[float], list[int]],
) -> None:
    y, p, w = (np.asarray(a) for a in data)
    b = brier_score(y, p)
    assert 0.0 <= b <= 1.0
    assert b == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    if y.sum() > 0:
        ap = average_precision(y, p)
        assert 0.0 <= ap <= 1.0 + 1e-12
        assert ap == pytest.approx(average_precision_score(y, p), abs=1e-12)
    rows = np.repeat(np.arange(len(y)), w)
    if w.sum() and y[rows].sum():
        assert average_precision(y, p, w) == pytest.approx(average_precision(y[rows], p[rows]))
