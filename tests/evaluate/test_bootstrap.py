"""The patient-level bootstrap: seeded, reproducible, patients kept whole; percentile intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.evaluate import Resampler, percentile_ci
from wardwatch.evaluate._bootstrap import IDENTITY


def _resampler(seed: int = 0, n_bootstrap: int = 20) -> Resampler:
    patient = np.array([0, 0, 1, 2, 2, 2, 3, 4, 4, 5])
    return Resampler(patient, 6, n_bootstrap, seed)


def test_same_seed_same_replicates_other_seed_differs() -> None:
    a, b, c = _resampler(1), _resampler(1), _resampler(2)
    for r in range(20):
        np.testing.assert_array_equal(a.patients(r), b.patients(r))
    assert any(not np.array_equal(a.patients(r), c.patients(r)) for r in range(20))
    np.testing.assert_array_equal(a.counts(range(20)), b.counts(range(20)))


def test_replicates_do_not_depend_on_batching_or_count() -> None:
    small, large = _resampler(3, 5), _resampler(3, 50)
    whole = large.counts(list(range(10)))
    np.testing.assert_array_equal(whole[:, 3:7], large.counts([3, 4, 5, 6]))
    np.testing.assert_array_equal(whole[:, :5], small.counts(list(range(5))))
    np.testing.assert_array_equal(large.counts([7, 2])[:, 0], whole[:, 7])


def test_identity_replicate_counts_everyone_once() -> None:
    rs = _resampler()
    np.testing.assert_array_equal(rs.counts([IDENTITY])[:, 0], np.ones(6))
    np.testing.assert_array_equal(np.sort(rs.rows(IDENTITY)), np.arange(10))


def test_counts_are_a_resample_of_patients() -> None:
    rs = _resampler(n_bootstrap=200)
    counts = rs.counts(range(200))
    assert counts.shape == (6, 200)
    assert counts.dtype == np.float32
    np.testing.assert_array_equal(counts.sum(axis=0), np.full(200, 6))  # n patients drawn
    assert counts.mean() == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 7), min_size=1, max_size=40),
    st.integers(0, 2**31),
    st.integers(0, 9),
)
def test_rows_keep_each_patient_whole(patients: list[int], seed: int, r: int) -> None:
    """Property: a replicate holds every row of a drawn patient, as often as it was drawn."""
    codes, patient = np.unique(np.asarray(patients), return_inverse=True)
    rs = Resampler(patient, len(codes), 10, seed)
    rows = rs.rows(r)
    drawn = np.bincount(rs.patients(r), minlength=len(codes))
    per_row = np.bincount(rows, minlength=len(patient))
    np.testing.assert_array_equal(per_row, drawn[patient])  # row count == patient's draws
    np.testing.assert_array_equal(rs.counts([r])[:, 0], drawn)


def test_percentile_ci_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3, 500))
    lo, hi = percentile_ci(values, 0.95, 0.9)
    np.testing.assert_allclose(lo, np.percentile(values, 2.5, axis=1))
    np.testing.assert_allclose(hi, np.percentile(values, 97.5, axis=1))


def test_percentile_ci_ignores_undefined_replicates_up_to_a_share() -> None:
    values = np.arange(100, dtype=float)
    values[:5] = np.nan  # 95% defined: enough for min_defined=0.9
    lo, hi = percentile_ci(values[None, :], 0.9, 0.9)
    assert lo[0] == pytest.approx(np.percentile(values[5:], 5))
    assert hi[0] == pytest.approx(np.percentile(values[5:], 95))
    values[:20] = np.nan  # 80% defined: no interval
    lo, hi = percentile_ci(values[None, :], 0.9, 0.9)
    assert np.isnan(lo[0])
    assert np.isnan(hi[0])
