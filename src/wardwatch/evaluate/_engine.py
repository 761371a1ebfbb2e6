"""Every metric, for every group, in every bootstrap replicate at once (vectorized).

The work is laid out so that a replicate costs a few passes over the rows, not a call per
metric. For each group the rows are sorted once by probability (highest first) and split into
positives and negatives. A chunk of replicates arrives as a patients x replicates matrix of
counts (see :class:`~._bootstrap.Resampler`); then, for all replicates of the chunk at once:

* one sparse product sums the negatives' weights between the positions where running sums
  are read (at each positive, threshold and calibration-bin edge), and running sums of those
  and of the positives' weights give the TP and FP counts at every threshold, the counts of
  every calibration bin, the negatives ranked above each positive (AUROC, ties one half) and
  the precision at each positive (average precision);
* one dense product of per-patient terms with the counts gives the Brier score's sum, the sum
  of probabilities per bin and the terms of the Taylor-expanded calibration equations (see
  :mod:`._calibration`), whose small systems are solved per replicate at the end.

Counts are small integers stored as float32, so the running sums, and with them the counts,
AUROC and AUPRC, are exact (the last two finished in float64); the dense product is a float32
matrix product, so the Brier score, O/E ratio and ECE carry a relative error near 1e-7.
Column 0 of every result is the original sample (every count 1): point estimates and
replicates come from the same code. BLAS runs on
one thread here (when threadpoolctl, which scikit-learn brings, is present): these products
are small and many, and a BLAS thread pool on a busy machine made them several times slower.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from wardwatch.evaluate._bootstrap import IDENTITY, Resampler
from wardwatch.evaluate._calibration import (
    TAYLOR_COLUMNS,
    logit,
    newton_intercept,
    newton_slope,
    taylor_features,
    taylor_solve,
)
from wardwatch.evaluate._metrics import bin_edges, bin_ids

__all__ = ["GroupSpec", "GroupStats", "run_engine"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
_CHUNK_BYTES = 16 * 2**20
"""Budget of the patients x replicates count matrix of one chunk (float32)."""
_BLOCK = 16
_TRIANGLE = np.tril(np.ones((_BLOCK, _BLOCK), dtype=np.float32))


@dataclass(frozen=True)
class GroupSpec:
    """One group to evaluate: its rows, the thresholds to count at, how many calibration bins."""

    key: tuple[str, str]
    rows: IntArray
    thresholds: FloatArray
    n_bins: int
    calibrate: bool = True


@dataclass
class GroupStats:
    """Sufficient statistics of a group per replicate (last axis; column 0 the sample itself).

    ``pos``/``neg``: weight of positive/negative labels; ``auc_num``: weighted pairs ranked
    right (ties one half); ``ap_num``: the sum over positives of weight x precision at their
    rank; ``sq_err``: sum of w (y - p)^2; ``p_sum``: sum of w p; ``tp``/``fp``: flagged
    positive/negative weight per threshold; ``bin_*``: per calibration bin, positive and
    negative weight and sum of w p; ``intercept``/``slope``: calibration fits (NaN: none).
    """

    pos: FloatArray
    neg: FloatArray
    auc_num: FloatArray
    ap_num: FloatArray
    sq_err: FloatArray
    p_sum: FloatArray
    tp: FloatArray
    fp: FloatArray
    bin_pos: FloatArray
    bin_neg: FloatArray
    bin_p: FloatArray
    intercept: FloatArray
    slope: FloatArray
    refits: int = 0
    """Replicates whose calibration fits were refitted exactly (see :mod:`._calibration`)."""
    taylor: FloatArray | None = None
    """Column sums of the Taylor terms per replicate, until the fits are solved."""


@dataclass
class _Layout:
    spec: GroupSpec
    pat_pos: IntArray
    """Patient of each positive row, highest probability first."""
    pos_ge: IntArray
    """Positives ranked at or above each positive (its block of tied ones included)."""
    neg_ge: IntArray
    """Index into the negatives' running sums: negatives at or above each positive."""
    neg_gt: IntArray | None
    """The same, strictly above (only where a positive ties with a negative)."""
    thr_pos: IntArray
    thr_neg: IntArray
    bnd_pos: IntArray
    bnd_neg: IntArray
    segments: sparse.csr_matrix
    """Patients -> the negatives' weight in each segment between read positions."""
    pats: IntArray | None
    """The group's patients (None: every patient, in order)."""
    f_pat: NDArray[np.float32]
    """Per-row terms summed per patient: the Brier term, p in each bin, the Taylor terms."""
    fit: tuple[float, float, float] | None
    """``(slope-model a, slope b, calibration intercept)`` on the sample, if they exist."""
    center: float
    x: FloatArray
    """logit(p) of the group's rows (for exact refits), with their labels and patients."""
    y: FloatArray
    patients: IntArray


def _fit(x: FloatArray, y: FloatArray) -> tuple[float, float, float] | None:
    ones = np.ones((x.shape[0], 1))
    a, b = newton_slope(x, y, ones)
    i = newton_intercept(x, y, ones)
    if not (np.isfinite(a[0]) and np.isfinite(b[0]) and np.isfinite(i[0])):
        return None
    return float(a[0]), float(b[0]), float(i[0])


def _layout(
    spec: GroupSpec, y: FloatArray, p: FloatArray, patient: IntArray, n_patients: int
) -> _Layout:
    rows = spec.rows[np.argsort(-p[spec.rows], kind="stable")]
    ys, ps = y[rows], p[rows]
    is_pos = ys == 1
    pos, neg = rows[is_pos], rows[~is_pos]
    p_pos, p_neg = ps[is_pos], ps[~is_pos]
    n_neg, k = len(neg), spec.n_bins
    # Positions in the (descending) negatives where running sums are read: at each positive
    # (ties: both ends of the tied block), at each threshold and at each bin boundary.
    neg_ge = np.searchsorted(-p_neg, -p_pos, side="right")
    neg_gt = np.searchsorted(-p_neg, -p_pos, side="left")
    thr_neg = np.searchsorted(-p_neg, -spec.thresholds, side="right")
    edges = bin_edges(ps, k) if len(rows) else np.zeros(k + 1)
    ids = bin_ids(ps, edges)
    levels = np.arange(k + 1)
    bnd_neg = (ids[~is_pos][None, :] >= levels[:, None]).sum(axis=1)
    bounds = np.unique(np.concatenate([[0, n_neg], neg_ge, neg_gt, thr_neg, bnd_neg]))
    segment = np.searchsorted(bounds, np.arange(n_neg), side="right") - 1
    segments = sparse.csr_matrix(
        (np.ones(n_neg, dtype=np.float32), (segment, patient[neg])),
        shape=(len(bounds) - 1, n_patients),
        dtype=np.float32,
    )
    x = logit(ps)
    center = float(x.mean()) if len(x) else 0.0
    fit = _fit(x, ys) if spec.calibrate and len(pos) and n_neg else None
    by_bin = np.zeros((len(rows), k))
    by_bin[np.arange(len(rows)), ids] = ps
    terms = [((ys - ps) ** 2)[:, None], by_bin]
    if fit is not None:
        terms.append(taylor_features(x, ys, fit[0], fit[1], fit[2], center))
    pats, inverse = np.unique(patient[rows], return_inverse=True)
    per_patient = sparse.csr_matrix(
        (np.ones(len(rows)), (inverse, np.arange(len(rows)))), shape=(len(pats), len(rows))
    )
    f_pat = per_patient @ np.concatenate(terms, axis=1)
    return _Layout(
        spec=spec,
        pat_pos=patient[pos],
        pos_ge=np.searchsorted(-p_pos, -p_pos, side="right"),
        neg_ge=np.searchsorted(bounds, neg_ge),
        neg_gt=np.searchsorted(bounds, neg_gt) if np.any(neg_gt != neg_ge) else None,
        thr_pos=np.searchsorted(-p_pos, -spec.thresholds, side="right"),
        thr_neg=np.searchsorted(bounds, thr_neg),
        bnd_pos=(ids[is_pos][None, :] >= levels[:, None]).sum(axis=1),
        bnd_neg=np.searchsorted(bounds, bnd_neg),
        segments=segments,
        pats=None if len(pats) == n_patients else pats,
        f_pat=np.ascontiguousarray(f_pat.T, dtype=np.float32),
        fit=fit,
        center=center,
        x=x if fit is not None else np.zeros(0),
        y=ys if fit is not None else np.zeros(0),
        patients=patient[rows] if fit is not None else np.zeros(0, dtype=np.intp),
    )


def _empty(lay: _Layout, n_cols: int) -> GroupStats:
    t, k = len(lay.spec.thresholds), lay.spec.n_bins

    def z(*shape: int) -> FloatArray:
        return np.zeros((*shape, n_cols))

    return GroupStats(
        pos=z(),
        neg=z(),
        auc_num=z(),
        ap_num=z(),
        sq_err=z(),
        p_sum=z(),
        tp=z(t),
        fp=z(t),
        bin_pos=z(k),
        bin_neg=z(k),
        bin_p=z(k),
        intercept=np.full(n_cols, np.nan),
        slope=np.full(n_cols, np.nan),
        taylor=None if lay.fit is None else np.zeros((TAYLOR_COLUMNS, n_cols)),
    )


def _running_sums(w: NDArray[np.float32]) -> NDArray[np.float32]:
    """Running sums down the rows, with a leading row of zeros: ``out[i] = w[:i].sum(0)``.

    ``np.cumsum`` along rows runs one column at a time; summing within blocks of 16 rows by
    a (batched) matrix product and then carrying block totals is several times faster.
    """
    n, b = w.shape
    m = -(-n // _BLOCK)
    out = np.zeros((m * _BLOCK + 1, b), dtype=np.float32)
    if n < 4 * _BLOCK:
        np.cumsum(w, axis=0, out=out[1 : n + 1])
        return out[: n + 1]
    out[1 : n + 1] = w
    blocks = out[1:].reshape(m, _BLOCK, b)
    blocks[:] = np.matmul(_TRIANGLE, blocks)
    carry = np.cumsum(blocks[:, -1, :], axis=0)
    blocks[1:] += carry[:-1, None, :]
    return out[: n + 1]


def _accumulate(lay: _Layout, st: GroupStats, counts: NDArray[np.float32], cols: slice) -> None:
    k = lay.spec.n_bins
    mine = counts if lay.pats is None else np.take(counts, lay.pats, axis=0)
    sums = lay.f_pat @ mine
    st.sq_err[cols] = sums[0]
    st.bin_p[:, cols] = sums[1 : k + 1]
    cn = _running_sums(lay.segments @ counts)  # negatives above each read position
    wp = np.take(counts, lay.pat_pos, axis=0)
    cp = _running_sums(wp)
    n_pos, n_neg = cp[-1].astype(np.float64), cn[-1].astype(np.float64)
    st.pos[cols], st.neg[cols] = n_pos, n_neg
    st.p_sum[cols] = st.bin_p[:, cols].sum(axis=0)
    fp_ge = cn[lay.neg_ge]  # negatives ranked at or above each positive
    above = fp_ge if lay.neg_gt is None else (fp_ge + cn[lay.neg_gt]) * np.float32(0.5)
    st.auc_num[cols] = n_pos * n_neg - np.einsum("ij,ij->j", wp, above, dtype=np.float64)
    tp_ge = cp[lay.pos_ge].astype(np.float64)  # float64: precision feeds AUPRC unrounded
    precision = tp_ge / np.maximum(tp_ge + fp_ge, 1.0)
    st.ap_num[cols] = np.einsum("ij,ij->j", wp, precision)
    st.tp[:, cols] = cp[lay.thr_pos]
    st.fp[:, cols] = cn[lay.thr_neg]
    st.bin_pos[:, cols] = cp[lay.bnd_pos[:-1]] - cp[lay.bnd_pos[1:]]
    st.bin_neg[:, cols] = cn[lay.bnd_neg[:-1]] - cn[lay.bnd_neg[1:]]
    if st.taylor is not None:
        st.taylor[:, cols] = sums[k + 1 :]


_Refit = tuple[IntArray, FloatArray, FloatArray]
"""Replicates to refit exactly, with starting values for ``a`` and ``b``."""


def _solve(lay: _Layout, st: GroupStats) -> _Refit:
    """A group's calibration fits from its Taylor sums; returns what must be refitted."""
    none = np.zeros(0, dtype=np.intp)
    if lay.fit is None or st.taylor is None:
        return none, np.zeros(0), np.zeros(0)
    intercept, a, b, ok = taylor_solve(st.taylor, st.pos, lay.fit, lay.center)
    intercept[0], b[0], ok[0] = lay.fit[2], lay.fit[1], True  # the sample: its exact fit
    st.intercept[:], st.slope[:] = intercept, b
    bad = np.flatnonzero(~ok)
    usable = np.isfinite(a[bad]) & np.isfinite(b[bad])
    start_a = np.where(usable, a[bad], lay.fit[0])
    start_b = np.where(usable, b[bad], lay.fit[1])
    return bad, start_a, start_b


def _refit(
    layouts: list[_Layout],
    stats: list[GroupStats],
    todo: list[_Refit],
    resampler: Resampler,
    replicates: list[int],
    chunk: int,
) -> None:
    """Exact calibration fits for the replicates the expansion did not settle."""
    needed = np.unique(np.concatenate([np.zeros(0, dtype=np.intp), *(t[0] for t in todo)]))
    for first in range(0, len(needed), chunk):
        cols = needed[first : first + chunk]
        counts = resampler.counts([replicates[c] for c in cols])
        for lay, st, (want, start_a, start_b) in zip(layouts, stats, todo, strict=True):
            sel = np.flatnonzero(np.isin(cols, want))
            if not sel.size or lay.fit is None:
                continue
            c = cols[sel]
            at = np.searchsorted(want, c)
            w = np.take(counts[:, sel], lay.patients, axis=0).astype(np.float64)
            st.slope[c] = newton_slope(lay.x, lay.y, w, start_a[at], start_b[at])[1]
            st.intercept[c] = newton_intercept(lay.x, lay.y, w, np.full(c.size, lay.fit[2]))
            st.refits += int(c.size)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:  # pragma: no cover  (scikit-learn depends on it)
        yield
        return
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield


def run_engine(
    y: FloatArray,
    p: FloatArray,
    resampler: Resampler,
    groups: Sequence[GroupSpec],
    n_jobs: int = 1,
) -> tuple[list[GroupStats], int]:
    """Statistics of every group for the sample (column 0) and every bootstrap replicate.

    Returns the statistics, in the order of ``groups``, and the number of calibration fits
    that were refitted exactly (see :mod:`._calibration`). With ``n_jobs`` > 1, that many
    threads share the groups of each chunk (the results do not depend on it).
    """
    replicates = [IDENTITY, *range(resampler.n_bootstrap)]
    chunk = int(np.clip(_CHUNK_BYTES // (4 * max(resampler.n_patients, 1)), 8, 256))
    with contextlib.ExitStack() as stack:
        stack.enter_context(_one_blas_thread())
        run: Callable[..., Iterable[Any]] = map
        if n_jobs > 1:
            run = stack.enter_context(ThreadPoolExecutor(n_jobs)).map
        layouts = list(
            run(lambda g: _layout(g, y, p, resampler.patient, resampler.n_patients), groups)
        )
        stats = [_empty(lay, len(replicates)) for lay in layouts]
        for start in range(0, len(replicates), chunk):
            cols = slice(start, min(start + chunk, len(replicates)))
            counts = resampler.counts(replicates[cols])
            list(run(partial(_accumulate, counts=counts, cols=cols), layouts, stats))
        todo = [_solve(lay, st) for lay, st in zip(layouts, stats, strict=True)]
        _refit(layouts, stats, todo, resampler, replicates, chunk)
    for st in stats:
        st.taylor = None
    return stats, sum(st.refits for st in stats)
