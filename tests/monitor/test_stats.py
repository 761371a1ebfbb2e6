"""Drift statistics against SciPy and hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays
from scipy import stats
from scipy.spatial import distance

from wardwatch.monitor import _stats as st

TOL = {"rtol": 1e-6, "atol": 1e-6}
finite = hs.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, hs.integers(1, 60), elements=finite)
tied = arrays(np.float64, hs.integers(1, 60), elements=hs.integers(-3, 3).map(float))


@pytest.mark.parametrize(
    ("n1", "n2", "shift", "decimals"),
    [(30, 40, 0.0, 3), (500, 500, 0.2, 1), (800, 1200, 0.1, 2), (20_000, 15_000, 0.03, 3)],
)
def test_ks_matches_scipy(n1: int, n2: int, shift: float, decimals: int) -> None:
    rng = np.random.default_rng(n1)
    a, b = rng.normal(size=n1).round(decimals), rng.normal(shift, size=n2).round(decimals)
    ours, ref = st.ks_2samp(a, b), stats.ks_2samp(a, b, method="auto")
    np.testing.assert_allclose([ours.statistic, ours.p_value], [ref.statistic, ref.pvalue], **TOL)


@pytest.mark.parametrize("n", [141, 1_000, 40_000, 500_000])
@pytest.mark.parametrize("nx2", [2.2, 5.0, 30.0, 200.0])
def test_ks_large_n_p_value_matches_kstwo(n: int, nx2: float) -> None:
    d = math.sqrt(nx2 / n)
    assert st._kstwo_sf(d, n) == pytest.approx(stats.kstwo.sf(d, n), rel=1e-6, abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_ks_and_wasserstein_property(a: np.ndarray, b: np.ndarray) -> None:
    ks = st.ks_2samp(a, b)
    ref = stats.ks_2samp(a, b)
    assert 0.0 <= ks.statistic <= 1.0
    assert 0.0 <= ks.p_value <= 1.0
    np.testing.assert_allclose([ks.statistic, ks.p_value], [ref.statistic, ref.pvalue], **TOL)
    norm = max(float(np.std(a)), 0.001)
    expected = stats.wasserstein_distance(a, b) / norm
    np.testing.assert_allclose(st.wasserstein_normed(a, b), expected, **TOL)


@settings(max_examples=40, deadline=None)
@given(tied, tied)
def test_ties_match_scipy(a: np.ndarray, b: np.ndarray) -> None:
    ks = st.ks_2samp(a, b)
    assert ks.statistic == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)
    w = st.wasserstein_normed(a, b)
    assert w == pytest.approx(stats.wasserstein_distance(a, b) / max(np.std(a), 1e-3), abs=1e-9)


def test_constant_reference_uses_evidently_floor() -> None:
    ref, cur = np.full(50, 3.0), np.full(50, 3.5)
    # std 0 -> Evidently divides by 0.001.
    assert st.wasserstein_normed(ref, cur) == pytest.approx(0.5 / 0.001)
    assert st.ks_2samp(ref, cur).statistic == 1.0


def test_psi_hand_computed() -> None:
    ref = np.array([1.0, 2.0, 3.0, 4.0])
    cur = np.array([1.0, 1.0, 1.0, 4.0])
    # two quantile bins: edge at the median 2.5 -> ref shares (.5, .5), current (.75, .25)
    expected = (0.75 - 0.5) * math.log(0.75 / 0.5) + (0.25 - 0.5) * math.log(0.25 / 0.5)
    assert st.psi(ref, cur, n_bins=2) == pytest.approx(expected, rel=1e-12)
    # an empty current bin takes eps = 1e-4
    cur2 = np.array([1.0, 1.0, 1.0, 1.0])
    expected2 = (1 - 0.5) * math.log(1 / 0.5) + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
    assert st.psi(ref, cur2, n_bins=2) == pytest.approx(expected2, rel=1e-12)
    assert st.psi(ref, ref, n_bins=2) == 0.0


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_psi_non_negative(a: np.ndarray, b: np.ndarray) -> None:
    assert st.psi(a, b) >= -1e-12
    assert st.psi(a, b, bins="evidently") >= -1e-12


def test_psi_evidently_mode_matches_its_binning() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=700), rng.normal(0.3, 1.2, size=900)
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
    e = np.histogram(a, edges)[0] / a.size
    q = np.histogram(b, edges)[0] / b.size
    e = np.where(e == 0, min(e[e > 0]) / 1e6 if min(e[e > 0]) <= 1e-4 else 1e-4, e)
    q = np.where(q == 0, min(q[q > 0]) / 1e6 if min(q[q > 0]) <= 1e-4 else 1e-4, q)
    assert st.psi(a, b, bins="evidently") == pytest.approx(
        float(np.sum((e - q) * np.log(e / q))), rel=1e-9
    )


def test_chi_square_matches_scipy() -> None:
    ref, cur = np.array([50, 30, 20]), np.array([40, 45, 15])
    expected = stats.chisquare(cur, ref * cur.sum() / ref.sum())
    ours = st.chi_square(ref, cur)
    np.testing.assert_allclose(
        [ours.statistic, ours.p_value], [expected.statistic, expected.pvalue], **TOL
    )


def test_chi_square_new_category_is_infinite() -> None:
    ours = st.chi_square([10, 0], [5, 5])
    assert math.isinf(ours.statistic)
    assert ours.p_value == 0.0


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int64, 4, elements=hs.integers(0, 50)),
    arrays(np.int64, 4, elements=hs.integers(0, 50)),
)
def test_jensen_shannon_matches_scipy(p: np.ndarray, q: np.ndarray) -> None:
    if p.sum() == 0 or q.sum() == 0:
        assert math.isnan(st.jensen_shannon(p, q))
        return
    ours = st.jensen_shannon(p, q)
    assert 0.0 <= ours <= math.sqrt(math.log(2)) + 1e-12
    np.testing.assert_allclose(ours, distance.jensenshannon(p, q), **TOL)
    np.testing.assert_allclose(
        st.jensen_shannon(p, q, base=2), distance.jensenshannon(p, q, base=2), **TOL
    )


def test_z_test_matches_two_proportion_formula() -> None:
    ref, cur = np.array([120, 80]), np.array([90, 110])
    p1, p2, pooled = 80 / 200, 110 / 200, 190 / 400
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (2 / 200))
    ours = st.z_test(ref, cur)
    assert ours.statistic == pytest.approx(z)
    assert ours.p_value == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert st.z_test([10, 0], [7, 0]).p_value == 1.0


def test_missing_and_new_category_rates() -> None:
    assert st.missing_rate(np.array([1.0, np.nan, np.inf, 2.0])) == 0.5
    assert st.missing_rate(np.array(["a", None, "b", None], dtype=object)) == 0.5
    assert math.isnan(st.missing_rate(np.array([])))
    assert st.new_category_rate({"a": 3, "b": 1}, {"a": 2, "c": 1, "d": 1}) == 0.5
    assert math.isnan(st.new_category_rate({"a": 1}, {}))
    keys, r, c = st.align_counts({"b": 1, "a": 2}, {"c": 3})
    assert keys == ["a", "b", "c"]
    assert r.tolist() == [2, 1, 0]
    assert c.tolist() == [0, 0, 3]


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, hs.integers(1, 30), elements=hs.floats(0, 1)))
def test_bh_matches_scipy(p: np.ndarray) -> None:
    np.testing.assert_allclose(st.bh_adjust(p), stats.false_discovery_control(p), **TOL)


def test_bh_ignores_nan() -> None:
    out = st.bh_adjust([0.01, math.nan, 0.04])
    assert math.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], stats.false_discovery_control([0.01, 0.04]))


def test_empty_samples_give_nan() -> None:
    assert math.isnan(st.ks_2samp([], [1.0]).statistic)
    assert math.isnan(st.wasserstein_normed([1.0], []))
    assert math.isnan(st.psi([], [1.0]))
    assert math.isnan(st.chi_square([0, 0], [1, 2]).p_value)
