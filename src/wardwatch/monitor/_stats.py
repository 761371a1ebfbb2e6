"""Drift statistics over numpy arrays: pure functions, no tables, no I/O.

Each function compares a *reference* sample (what the model was validated on) with a
*current* sample (what it sees now). The definitions follow Evidently 0.7 where Evidently
has one (its defaults are what clinical teams already read in dashboards), and every value
equals SciPy's to 1e-6. Missing values (NaN, and +/-inf, which Evidently also drops) are
removed by the caller; these functions see finite values only.

Numeric statistics take sorted arrays (``assume_sorted=True``) so that a reference profile,
sorted once when it is built, is reused by every report: only the current side is sorted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy import stats as sps

__all__ = [
    "KSResult",
    "TestResult",
    "align_counts",
    "align_distinct",
    "bh_adjust",
    "bin_counts_sorted",
    "chi_square",
    "distinct_sorted",
    "jensen_shannon",
    "ks_2samp",
    "ks_p_value",
    "ks_wasserstein_sorted",
    "missing_rate",
    "new_category_rate",
    "psi",
    "psi_from_counts",
    "quantile_edges",
    "wasserstein_normed",
    "z_test",
]

FloatArray = npt.NDArray[np.float64]
PSI_BINS = 10
"""Default number of reference quantile bins for PSI (deciles)."""
PSI_EPS = 1e-4
"""Share given to an empty bin before taking logarithms (PSI would be infinite otherwise)."""
WASSERSTEIN_MIN_STD = 0.001
"""Evidently's floor on the reference standard deviation used to normalize Wasserstein."""
KS_MAX_EXACT_N = 10_000
"""``scipy.stats.ks_2samp(method="auto")`` uses the exact distribution up to this size."""


class KSResult(NamedTuple):
    """Two-sample Kolmogorov-Smirnov statistic and its two-sided p-value."""

    statistic: float
    p_value: float


class TestResult(NamedTuple):
    """A test statistic and its p-value."""

    statistic: float
    p_value: float


def _as_float(values: npt.ArrayLike, assume_sorted: bool) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    return arr if assume_sorted else np.sort(arr)


def ks_p_value(statistic: float, n_reference: int, n_current: int) -> float:
    """Two-sided p-value of the K-S statistic ``D`` for sample sizes ``n_reference``,
    ``n_current``, exactly as ``scipy.stats.ks_2samp(method="auto")``: the exact null
    distribution when both sizes are at most 10,000 (falling back as SciPy does), else
    Smirnov's asymptotic ``kstwo.sf(D, round(n*m/(n+m)))``."""
    n1, n2 = int(n_reference), int(n_current)
    mode = "exact" if max(n1, n2) <= KS_MAX_EXACT_N else "asymp"
    if mode == "exact":
        # SciPy's exact path is private; its public function is the fallback (same value).
        exact: Any = getattr(sps._stats_py, "_attempt_exact_2kssamp", None)
        if exact is None:  # pragma: no cover - depends on the SciPy version
            raise RuntimeError("scipy.stats lacks _attempt_exact_2kssamp; upgrade SciPy")
        success, _, prob = exact(n1, n2, math.gcd(n1, n2), float(statistic), "two-sided")
        if success:
            return float(np.clip(prob, 0.0, 1.0))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(_kstwo_sf(float(statistic), float(np.round(m * n / (m + n)))), 0.0, 1.0))


def _kstwo_sf(d: float, n: float) -> float:
    # SciPy's kstwo.sf takes 2 * special.smirnov(n, d) when n > 140 and 2.2 <= n d^2 < 370;
    # that is O(n) scalar work (seconds at n = 500,000). The same Birnbaum-Tingey sum,
    # summed over the terms that matter in log space, agrees to ~1e-10 relative.
    if n > 140 and 1.0 < n * d < n - 1 and d < 0.5 and 2.2 <= n * d * d < 370.0:
        return min(2.0 * _smirnov(n, d), 1.0)
    return float(sps.kstwo.sf(d, n))


def _smirnov(n: float, x: float) -> float:
    """One-sided P(D+_n >= x) = x * sum_j C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1)."""

    def log_terms(j: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            out = special.gammaln(n + 1) - special.gammaln(j + 1) - special.gammaln(n - j + 1)
            out += (n - j) * np.log1p(np.maximum(-x - j / n, -1.0)) + (j - 1) * np.log(x + j / n)
        return np.asarray(out, dtype=np.float64)

    m = int(np.floor(n * (1 - x)))
    step = max(1, m // 4096)
    coarse = np.arange(0, m + 1, step, dtype=np.float64)
    lc = log_terms(coarse)
    # The terms are unimodal in j: keep the window where they are within e^-40 of the peak.
    keep = np.flatnonzero(lc > lc.max() - 40.0)
    lo, hi = max(0.0, coarse[keep[0]] - step), min(float(m), coarse[keep[-1]] + step)
    logs = log_terms(np.arange(lo, hi + 1, dtype=np.float64))
    top = float(logs.max())
    return float(x * np.exp(top) * np.exp(logs - top).sum())


def ks_wasserstein_sorted(reference: FloatArray, current: FloatArray) -> tuple[float, float]:
    """K-S statistic and (un-normalized) first Wasserstein distance of two **sorted**,
    non-empty samples, from one linear merge of the two.

    ``D = sup_x |F_ref(x) - F_cur(x)|`` over the data points (range [0, 1], 0 = identical
    empirical distributions); ``W = integral |F_ref - F_cur| dx`` (in the variable's units,
    0 = identical). Both equal SciPy's ``ks_2samp`` and ``wasserstein_distance``.
    """
    n1, n2 = reference.size, current.size
    merged = np.concatenate((reference, current))
    # Timsort finds the two sorted runs and merges them in linear time.
    order = np.argsort(merged, kind="stable")
    values = merged[order]
    del merged
    is_ref = order < n1
    del order
    # |F_ref - F_cur| at every merged position, in place to spare memory traffic.
    gap = np.cumsum(is_ref, dtype=np.float64)
    del is_ref
    gap *= 1.0 / n1 + 1.0 / n2
    step = np.arange(1, n1 + n2 + 1, dtype=np.float64)
    step *= 1.0 / n2
    gap -= step
    del step
    np.abs(gap, out=gap)
    deltas = np.diff(values)
    wasserstein = float(np.dot(gap[:-1], deltas))
    # Within a run of tied values only the last position carries the CDFs' true values.
    ties = deltas == 0.0
    if ties.any():
        gap[:-1][ties] = 0.0
    # i/n1 + j/n2 arithmetic can overshoot 1 by an ulp when the samples do not overlap
    return min(float(gap.max()), 1.0), wasserstein


def ks_2samp(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, assume_sorted: bool = False
) -> KSResult:
    """Two-sample Kolmogorov-Smirnov test, two-sided, as ``scipy.stats.ks_2samp``.

    The statistic is the largest gap between the two empirical CDFs, in [0, 1] (0: the
    samples have the same empirical distribution). A small p-value means the samples are
    unlikely to come from one distribution; Evidently flags drift when ``p <= 0.05``.
    """
    ref, cur = _as_float(reference, assume_sorted), _as_float(current, assume_sorted)
    if ref.size == 0 or cur.size == 0:
        return KSResult(math.nan, math.nan)
    d, _ = ks_wasserstein_sorted(ref, cur)
    return KSResult(d, ks_p_value(d, ref.size, cur.size))


def wasserstein_normed(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    assume_sorted: bool = False,
    reference_std: float | None = None,
) -> float:
    """First Wasserstein (earth mover's) distance divided by the reference's population
    standard deviation, as Evidently: ``wasserstein_distance(ref, cur) / max(std(ref),
    0.001)``. Range [0, inf), 0 = identical distributions; 0.1 means the current sample's
    mass moved on average a tenth of a reference standard deviation (Evidently's threshold,
    drift when ``>= 0.1``). A constant reference uses the 0.001 floor, as Evidently does.
    """
    ref, cur = _as_float(reference, assume_sorted), _as_float(current, assume_sorted)
    if ref.size == 0 or cur.size == 0:
        return math.nan
    std = float(np.std(ref)) if reference_std is None else reference_std
    _, w = ks_wasserstein_sorted(ref, cur)
    return w / max(std, WASSERSTEIN_MIN_STD)


def quantile_edges(reference_sorted: FloatArray, n_bins: int = PSI_BINS) -> FloatArray:
    """Inner edges of ``n_bins`` equal-frequency bins of the reference (linear-interpolated
    quantiles at k/n_bins, duplicates removed, so a tied reference gets fewer bins). The
    outer bins are open: values beyond the reference range fall into the first or last."""
    if reference_sorted.size == 0:
        return np.empty(0, dtype=np.float64)
    qs = np.arange(1, n_bins, dtype=np.float64) / n_bins
    return np.unique(np.quantile(reference_sorted, qs))


def bin_counts_sorted(sorted_values: FloatArray, edges: FloatArray) -> npt.NDArray[np.int64]:
    """Counts of a sorted array in the bins ``(-inf, e0), [e0, e1), ..., [e_last, inf)``
    cut by the sorted inner ``edges`` (``len(edges)`` binary searches)."""
    cuts = np.searchsorted(sorted_values, edges, side="left")
    bounds = np.concatenate(([0], cuts, [sorted_values.size]))
    return np.diff(bounds).astype(np.int64)


def psi_from_counts(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike, *, eps: float = PSI_EPS
) -> float:
    """Population stability index of aligned bin (or category) counts:
    ``sum((a - e) * ln(a / e))`` with ``e``, ``a`` the reference and current shares, an
    empty bin's share replaced by ``eps`` (1e-4). Range [0, inf), 0 = same shares; the
    usual reading is < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift."""
    e = np.asarray(reference_counts, dtype=np.float64)
    a = np.asarray(current_counts, dtype=np.float64)
    if e.sum() == 0 or a.sum() == 0:
        return math.nan
    e = np.where(e > 0, e / e.sum(), eps)
    a = np.where(a > 0, a / a.sum(), eps)
    return float(np.sum((a - e) * np.log(a / e)))


def _evidently_fill(shares: FloatArray) -> FloatArray:
    nonzero = shares[shares != 0]
    low = float(nonzero.min()) if nonzero.size else 0.0
    fill = low / 10**6 if low <= 0.0001 else 0.0001
    return np.where(shares == 0, fill, shares)


def psi(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    n_bins: int = PSI_BINS,
    eps: float = PSI_EPS,
    bins: Literal["quantile", "evidently"] = "quantile",
    assume_sorted: bool = False,
) -> float:
    """Population stability index of a numeric variable (see :func:`psi_from_counts`).

    ``bins="quantile"`` (default): ``n_bins`` reference quantile bins, empty shares ->
    ``eps``. ``bins="evidently"`` reproduces Evidently's ``psi`` stattest: when the reference
    has more than 20 distinct values, Sturges equal-width bins over the pooled range
    (``np.histogram_bin_edges(pooled, "sturges")``), otherwise one bin per distinct value;
    empty shares -> ``min(nonzero share) / 1e6`` if that is <= 1e-4 else 1e-4.
    """
    ref, cur = _as_float(reference, assume_sorted), _as_float(current, assume_sorted)
    if ref.size == 0 or cur.size == 0:
        return math.nan
    if bins == "quantile":
        edges = quantile_edges(ref, n_bins)
        return psi_from_counts(
            bin_counts_sorted(ref, edges), bin_counts_sorted(cur, edges), eps=eps
        )
    if np.count_nonzero(np.diff(ref)) + 1 > 20:
        lo, hi = min(ref[0], cur[0]), max(ref[-1], cur[-1])
        # np.histogram_bin_edges(pooled, "sturges"), step by step (it depends on range and size).
        width = (hi - lo) / (np.log2(ref.size + cur.size) + 1.0)
        n_edges = int(np.ceil((hi - lo) / width)) + 1 if width else 2
        edges = np.linspace(lo, hi, n_edges)
        ref_share = bin_counts_sorted(ref, edges[1:-1]) / ref.size
        cur_share = bin_counts_sorted(cur, edges[1:-1]) / cur.size
    else:
        keys = np.union1d(ref, cur)
        ref_share = bin_counts_sorted(ref, keys[1:]) / ref.size
        cur_share = bin_counts_sorted(cur, keys[1:]) / cur.size
    e, a = _evidently_fill(ref_share), _evidently_fill(cur_share)
    return float(np.sum((e - a) * np.log(e / a)))


def align_counts(
    reference: Mapping[str, int], current: Mapping[str, int]
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Counts of both samples on the sorted union of their categories (0 where absent)."""
    keys = sorted(set(reference) | set(current))
    ref = np.array([reference.get(k, 0) for k in keys], dtype=np.int64)
    cur = np.array([current.get(k, 0) for k in keys], dtype=np.int64)
    return keys, ref, cur


def distinct_sorted(
    values: FloatArray, limit: int | None = None
) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Distinct values of a sorted array and how often each occurs. With ``limit``, stops
    after ``limit + 1`` distinct values (one binary search each), enough to tell "few"."""
    if values.size == 0:
        return values, np.empty(0, dtype=np.int64)
    if limit is not None:
        starts: list[int] = []
        i = 0
        while i < values.size and len(starts) <= limit:
            starts.append(i)
            i = int(np.searchsorted(values, values[i], side="right"))
        ends = [*starts[1:], i]
        return values[starts], np.subtract(ends, starts).astype(np.int64)
    starts_a = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts_a], np.diff(np.append(starts_a, values.size)).astype(np.int64)


def align_distinct(
    ref_values: FloatArray, ref_counts: npt.NDArray[np.int64], current_sorted: FloatArray
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Counts of a numeric variable treated as categories (one per distinct value), both
    samples on the sorted union of their distinct values (as Evidently does for numeric
    columns with few distinct values)."""
    cur_values, cur_counts = distinct_sorted(current_sorted)
    keys = np.union1d(ref_values, cur_values)
    ref, cur = np.zeros(keys.size, np.int64), np.zeros(keys.size, np.int64)
    ref[np.searchsorted(keys, ref_values)] = ref_counts
    cur[np.searchsorted(keys, cur_values)] = cur_counts
    return ref, cur


def chi_square(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> TestResult:
    """Pearson chi-square goodness of fit of the current counts to the reference shares,
    as Evidently: expected = reference count * n_current / n_reference over the union of
    categories, ``scipy.stats.chisquare(observed, expected)`` with k-1 degrees of freedom.
    Statistic in [0, inf) (0 = same shares); a category absent from the reference makes it
    infinite (p = 0). Evidently flags drift when ``p < 0.05``."""
    ref = np.asarray(reference_counts, dtype=np.float64)
    obs = np.asarray(current_counts, dtype=np.float64)
    if ref.sum() == 0 or obs.sum() == 0:
        return TestResult(math.nan, math.nan)
    expected = ref * (obs.sum() / ref.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.sum((obs - expected) ** 2 / expected))
    return TestResult(stat, float(sps.chi2.sf(stat, obs.size - 1)))


def z_test(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> TestResult:
    """Two-proportion Z-test for a binary variable (counts of its two categories), as
    Evidently: pooled-variance z of the share of the first category, two-sided
    ``p = 2 * (1 - Phi(|z|))``; p = 1 when both samples hold the same single category.
    Evidently flags drift when ``p < 0.05``."""
    ref = np.asarray(reference_counts, dtype=np.float64)
    cur = np.asarray(current_counts, dtype=np.float64)
    n1, n2 = ref.sum(), cur.sum()
    if n1 == 0 or n2 == 0:
        return TestResult(math.nan, math.nan)
    if np.count_nonzero(ref + cur) <= 1:
        return TestResult(0.0, 1.0)
    p1, p2 = (n1 - ref[0]) / n1, (n2 - cur[0]) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return TestResult(float(z), float(2 * (1 - sps.norm.cdf(np.abs(z)))))


def jensen_shannon(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike, *, base: float | None = None
) -> float:
    """Jensen-Shannon *distance* (square root of the divergence) between the two frequency
    vectors, as Evidently (``scipy.spatial.distance.jensenshannon``, natural log, no
    smoothing). Range [0, sqrt(ln 2)] ~ [0, 0.83] (0 = same shares); Evidently flags drift
    when ``>= 0.1``."""
    p = np.asarray(reference_counts, dtype=np.float64)
    q = np.asarray(current_counts, dtype=np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return math.nan
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2.0
    js = (special.rel_entr(p, m).sum() + special.rel_entr(q, m).sum()) / 2.0
    if base is not None:
        js /= np.log(base)
    return float(np.sqrt(max(js, 0.0)))


def missing_rate(values: npt.ArrayLike) -> float:
    """Share of values that are missing (None, NaN or +/-inf), in [0, 1]; NaN when empty."""
    arr = np.asarray(values)
    if arr.size == 0:
        return math.nan
    if arr.dtype.kind in "fc":
        return float(np.count_nonzero(~np.isfinite(arr)) / arr.size)
    missing = sum(
        1 for v in arr.ravel() if v is None or (isinstance(v, float) and not math.isfinite(v))
    )
    return missing / arr.size


def new_category_rate(reference: Mapping[str, int], current: Mapping[str, int]) -> float:
    """Share of current (non-missing) rows whose category never appears in the reference,
    in [0, 1]; 0 = no unseen codes. NaN when the current sample is empty."""
    total = sum(current.values())
    if total == 0:
        return math.nan
    return sum(n for k, n in current.items() if reference.get(k, 0) == 0) / total


def bh_adjust(p_values: Sequence[float] | npt.ArrayLike) -> FloatArray:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``):
    ``p_(i) * m / i`` made monotone from the largest down, capped at 1. Rejecting where the
    adjusted value is below alpha controls the false discovery rate at alpha. NaN inputs
    stay NaN and do not count towards m."""
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    vals = p[ok]
    order = np.argsort(vals)
    ranked = vals[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.clip(ranked, 0.0, 1.0)
    out[ok] = adjusted
    return out
