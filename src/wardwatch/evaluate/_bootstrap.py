"""The patient-level (cluster) bootstrap: seeded, reproducible replicate by replicate.

A patient may contribute several predictions (one per admission), and those are not
independent, so a replicate resamples *patients* with replacement (as many as there are) and
keeps every prediction of each drawn patient: a patient drawn twice counts twice. A replicate
is therefore a vector of per-patient counts, and every metric is computed with row weights
``count[patient of row]``, never by copying rows.

Replicate ``r`` draws from its own generator, spawned from ``SeedSequence(seed)``, so it is the
same whatever the chunking, the number of replicates asked for, or the order they are
computed in; :meth:`Resampler.rows` gives the row indices of one replicate, which is how the
tests and the benchmark rerun the same replicates with plain scikit-learn.

Intervals are percentile intervals over the replicates in which the metric is defined; when it
is undefined in too many (a subgroup replicate with no event, say) there is no interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["IDENTITY", "Resampler", "percentile_ci"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
IDENTITY = -1
"""Replicate id of the original sample (every patient counted once)."""


class Resampler:
    """Draws patient-level bootstrap replicates for ``patient`` codes (one per row)."""

    def __init__(self, patient: IntArray, n_patients: int, n_bootstrap: int, seed: int) -> None:
        self.patient = np.asarray(patient, dtype=np.intp)
        self.n_patients = int(n_patients)
        self.n_bootstrap = int(n_bootstrap)
        self.seed = int(seed)
        self._seeds = np.random.SeedSequence(self.seed).spawn(self.n_bootstrap)
        order = np.argsort(self.patient, kind="stable")
        self._by_patient = order
        self._starts = np.searchsorted(self.patient[order], np.arange(self.n_patients + 1))

    def patients(self, r: int) -> IntArray:
        """The patients (codes) drawn by replicate ``r`` (0-based), in drawing order."""
        if r == IDENTITY:
            return np.arange(self.n_patients, dtype=np.intp)
        if not 0 <= r < self.n_bootstrap:
            raise IndexError(f"replicate {r} out of range 0..{self.n_bootstrap - 1}")
        rng = np.random.default_rng(self._seeds[r])
        drawn: IntArray = rng.integers(0, self.n_patients, self.n_patients, dtype=np.intp)
        return drawn

    def rows(self, r: int) -> IntArray:
        """Row indices of replicate ``r``: all rows of each drawn patient, repeats included."""
        drawn = self.patients(r)
        starts, ends = self._starts[drawn], self._starts[drawn + 1]
        lengths = ends - starts
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        rows: IntArray = self._by_patient[offsets + np.arange(lengths.sum())]
        return rows

    def counts(self, replicates: Sequence[int], dtype: type = np.float32) -> NDArray[np.floating]:
        """Per-patient counts, ``n_patients x len(replicates)``, C-ordered (rows gather fast)."""
        out: NDArray[np.floating] = np.empty((len(replicates), self.n_patients), dtype=dtype)
        for j, r in enumerate(replicates):
            if r == IDENTITY:
                out[j] = 1
            else:
                out[j] = np.bincount(self.patients(r), minlength=self.n_patients)
        return np.ascontiguousarray(out.T)


def percentile_ci(
    values: FloatArray, level: float, min_defined: float
) -> tuple[FloatArray, FloatArray]:
    """Percentile interval over the last axis (replicates), NaN-aware.

    ``values[..., r]`` is a metric in replicate r (NaN where undefined). The interval is the
    ``(1-level)/2`` and ``(1+level)/2`` quantiles (linear interpolation, as ``np.percentile``)
    of the defined values, and NaN where fewer than ``min_defined`` of them are defined.
    """
    v = np.asarray(values, dtype=np.float64)
    lead = v.shape[:-1]
    flat = v.reshape(-1, v.shape[-1]) if v.shape[-1] else np.zeros((int(np.prod(lead)), 0))
    lo = np.full(flat.shape[0], np.nan)
    hi = np.full(flat.shape[0], np.nan)
    if flat.shape[1]:
        defined = np.isfinite(flat)
        share = defined.mean(axis=1)
        q = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
        full = share == 1.0
        if full.any():
            lo[full], hi[full] = np.percentile(flat[full], q, axis=1)
        part = (share >= min_defined) & ~full
        for i in np.flatnonzero(part):
            lo[i], hi[i] = np.percentile(flat[i][defined[i]], q)
    return lo.reshape(lead), hi.reshape(lead)
