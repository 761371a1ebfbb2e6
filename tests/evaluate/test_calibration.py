"""Calibration intercept and slope against scikit-learn and SciPy; Taylor-expanded replicates."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from tests.evaluate.conftest import make_sample

from wardwatch.evaluate import calibration_intercept, calibration_slope
from wardwatch.evaluate._calibration import (
    ORDER,
    _derivatives,
    logit,
    newton_intercept,
    newton_slope,
    taylor_features,
    taylor_solve,
)


def _sklearn_slope(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    x = logit(p)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no penalty: C=inf
        model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000)
        model.fit(x, y, sample_weight=w)
    return float(model.coef_[0, 0])


def _scipy_intercept(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> float:
    # The offset model logit P(y) = a + logit(p): its score sum w (y - expit(a + x)) = 0.
    x = logit(p)
    ww = np.ones_like(x) if w is None else w
    return float(brentq(lambda a: float(np.sum(ww * (y - expit(a + x)))), -30, 30, xtol=1e-14))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_slope_matches_unpenalized_logistic_regression(seed: int) -> None:
    s = make_sample(800, seed, decimals=None)
    assert calibration_slope(s.y, s.p) == pytest.approx(_sklearn_slope(s.y, s.p), abs=1e-5)


def test_probabilities_of_exactly_zero_and_one_still_fit() -> None:
    # isotonic calibration maps the lowest and highest scores to exactly 0 and 1: the logit
    # is then +-16 after clipping, and the fit must still find the finite maximum
    rng = np.random.default_rng(4)
    p = np.round(rng.beta(1.2, 6, 600), 2)
    p[:120] = 0.0
    p[-15:] = 1.0
    y = (rng.random(600) < np.clip(p, 0.05, 0.9)).astype(np.int8)
    y[:10] = 1  # some events among the zeros: not separable
    slope = calibration_slope(y, p)
    assert np.isfinite(slope)
    assert slope == pytest.approx(_sklearn_slope(y, p), abs=1e-5)
    assert calibration_intercept(y, p) == pytest.approx(_scipy_intercept(y, p), abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_intercept_matches_scipy_root(seed: int) -> None:
    s = make_sample(800, seed, decimals=None)
    assert calibration_intercept(s.y, s.p) == pytest.approx(_scipy_intercept(s.y, s.p), abs=1e-9)


def test_weighted_fits_match_oracles_and_repeated_rows() -> None:
    s = make_sample(500, 4, decimals=None)
    w = np.random.default_rng(4).integers(0, 4, len(s.y)).astype(float)
    rows = np.repeat(np.arange(len(s.y)), w.astype(int))
    slope = calibration_slope(s.y, s.p, w)
    assert slope == pytest.approx(_sklearn_slope(s.y, s.p, w), abs=1e-5)
    assert slope == pytest.approx(calibration_slope(s.y[rows], s.p[rows]), abs=1e-9)
    intercept = calibration_intercept(s.y, s.p, w)
    assert intercept == pytest.approx(_scipy_intercept(s.y, s.p, w), abs=1e-9)
    assert intercept == pytest.approx(calibration_intercept(s.y[rows], s.p[rows]), abs=1e-9)


def test_perfectly_calibrated_model_has_slope_one_intercept_zero() -> None:
    rng = np.random.default_rng(9)
    p = rng.uniform(0.02, 0.6, 200_000)
    y = (rng.random(len(p)) < p).astype(int)
    assert calibration_slope(y, p) == pytest.approx(1.0, abs=0.03)
    assert calibration_intercept(y, p) == pytest.approx(0.0, abs=0.02)


def test_overconfident_model_has_slope_below_one() -> None:
    rng = np.random.default_rng(10)
    true = rng.uniform(0.05, 0.5, 100_000)
    y = (rng.random(len(true)) < true).astype(int)
    extreme = expit(2.0 * logit(true))  # the same ranking, twice the log-odds
    assert calibration_slope(y, extreme) == pytest.approx(0.5, abs=0.03)


def test_separation_and_missing_labels_give_nan() -> None:
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1])
    assert np.isnan(calibration_slope(y, p))  # infinite slope: perfectly separated
    assert np.isnan(calibration_slope(np.zeros(6), p))
    assert np.isnan(calibration_intercept(np.zeros(6), p))


def test_logistic_derivatives_match_finite_differences() -> None:
    eta = np.linspace(-6, 6, 41)
    h = 1e-3
    d = _derivatives(eta)
    for m in range(1, ORDER + 1):
        # d[m] = sigma^(m) / m!; central difference of sigma^(m-1) / (m-1)!
        lower = _derivatives(eta - h)[m - 1]
        upper = _derivatives(eta + h)[m - 1]
        numeric = (upper - lower) / (2 * h) / m
        np.testing.assert_allclose(d[m], numeric, atol=1e-6)


@pytest.mark.parametrize("n", [3000, 20_000])
def test_taylor_replicates_match_exact_refits(n: int) -> None:
    rng = np.random.default_rng(n)
    p = expit(rng.normal(-2.0, 0.9, n))
    y = (rng.random(n) < expit(0.2 + 0.9 * logit(p))).astype(float)
    x = logit(p)
    a0, b0 = newton_slope(x, y, np.ones((n, 1)))
    i0 = newton_intercept(x, y, np.ones((n, 1)))
    fit = (float(a0[0]), float(b0[0]), float(i0[0]))
    w = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(60)], axis=1)
    w = w.astype(float)
    sums = taylor_features(x, y, *fit, float(x.mean())).T @ w
    intercept, a, slope, ok = taylor_solve(sums, y @ w, fit, float(x.mean()))
    exact_a, exact_b = newton_slope(x, y, w, np.full(60, fit[0]), np.full(60, fit[1]))
    exact_i = newton_intercept(x, y, w, np.full(60, fit[2]))
    assert ok.mean() > 0.9
    np.testing.assert_allclose(slope[ok], exact_b[ok], atol=2e-5)
    np.testing.assert_allclose(a[ok], exact_a[ok], atol=2e-5)
    np.testing.assert_allclose(intercept[ok], exact_i[ok], atol=2e-5)
