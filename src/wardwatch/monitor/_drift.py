"""Feature drift: a reference profile per column, and the drift of a current sample from it.

A :class:`ReferenceProfile` is built once from the data a model version was validated on
(numeric columns keep their sorted finite values and PSI quantile edges; categorical columns
their category counts) and can be saved next to the model as a Parquet table. A
:func:`drift_report` compares a current window with it, column by column, choosing the test
as Evidently 0.7 does by default (``method="auto"``):

============================  ==============================  ===============================
column                        reference rows <= 1000          reference rows > 1000
============================  ==============================  ===============================
numeric, > 5 distinct values  K-S, drift if p <= alpha        Wasserstein normed >= 0.1
numeric <= 5 or categorical   chi-square p < alpha (Z-test    Jensen-Shannon distance >= 0.1
                              when <= 2 distinct values)
============================  ==============================  ===============================

"Rows" and "distinct values" count non-missing values of both samples; missing values
(null, NaN, +/-inf) are dropped before any statistic, as Evidently does, and reported as
missing rates instead. Across the columns judged by a p-value, the p-values are adjusted
for multiple testing (Benjamini-Hochberg by default) and drift is decided on the adjusted
value; columns judged by a distance are decided on their threshold alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from wardwatch.monitor import _stats as st
from wardwatch.monitor._profile import (
    PROFILE_SCHEMA,
    ColumnProfile,
    Data,
    Kind,
    ReferenceProfile,
    category_counts,
    column_of,
    numeric_values,
)

__all__ = [
    "PROFILE_SCHEMA",
    "ColumnDrift",
    "ColumnProfile",
    "DriftResult",
    "ReferenceProfile",
    "drift_report",
]

Method = Literal["auto", "ks", "wasserstein", "psi", "chisquare", "z", "jensenshannon"]
TEST_METHODS = frozenset({"ks", "chisquare", "z"})
EVIDENTLY_NAMES = {
    "ks": "K-S p_value",
    "wasserstein": "Wasserstein distance (normed)",
    "psi": "PSI",
    "chisquare": "chi-square p_value",
    "z": "Z-test p_value",
    "jensenshannon": "Jensen-Shannon distance",
}
"""Evidently's display name of each method (as in ``ValueDrift(method=...)``)."""


@dataclass(frozen=True)
class ColumnDrift:
    """Drift of one column. ``method`` decided ``drifted``: for a test (ks, chisquare, z)
    ``statistic``/``p_value`` are its own and ``p_adjusted`` the multiplicity-adjusted p-value
    compared with ``threshold`` (alpha); for a distance (wasserstein, jensenshannon, psi)
    ``statistic`` is the distance, compared with ``threshold``, and the p-values are None.
    The other statistics are computed for every column of their kind (None otherwise).
    Missing rates are shares of all rows (``missing_rate_delta`` = current - reference);
    ``new_categories`` lists at most five codes unseen in the reference, most frequent
    first. ``n_*`` count rows, missing included. A column with no usable value on either
    side has NaN statistics and ``drifted=False``."""

    column: str
    kind: Kind
    method: str
    statistic: float
    p_value: float | None
    p_adjusted: float | None
    threshold: float
    drifted: bool
    psi: float
    ks_statistic: float | None = None
    ks_p_value: float | None = None
    wasserstein_normed: float | None = None
    chi2_statistic: float | None = None
    chi2_p_value: float | None = None
    jensen_shannon: float | None = None
    missing_rate_reference: float = math.nan
    missing_rate_current: float = math.nan
    missing_rate_delta: float = math.nan
    new_category_rate: float | None = None
    new_categories: tuple[str, ...] = ()
    n_reference: int = 0
    n_current: int = 0

    @property
    def score(self) -> float:
        """Evidently's drift score: the p-value of a test, else the distance."""
        return self.p_value if self.p_value is not None else self.statistic

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (aggregates and category codes only, never row values)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["new_categories"] = list(self.new_categories)
        out["score"] = self.score
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


@dataclass(frozen=True)
class DriftResult:
    """Drift of every profiled column present in the current data."""

    columns: tuple[ColumnDrift, ...]
    correction: Literal["bh", "none"]
    alpha: float

    @property
    def n_drifted(self) -> int:
        """Number of drifted columns."""
        return sum(c.drifted for c in self.columns)

    @property
    def share_drifted(self) -> float:
        """Share of drifted columns in [0, 1] (Evidently's ``DriftedColumnsCount.share``)."""
        return self.n_drifted / len(self.columns) if self.columns else math.nan

    def __getitem__(self, column: str) -> ColumnDrift:
        return next(c for c in self.columns if c.column == column)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        share = self.share_drifted
        return {
            "correction": self.correction,
            "alpha": self.alpha,
            "n_drifted": self.n_drifted,
            "share_drifted": None if math.isnan(share) else share,
            "columns": [c.to_dict() for c in self.columns],
        }


def _auto(kind: Kind, n_ref: int, n_values: int) -> str:
    # Evidently's _get_default_stattest; rows are the reference's non-missing rows.
    if kind == "numeric" and n_values > 5:
        return "ks" if n_ref <= 1000 else "wasserstein"
    if n_ref <= 1000:
        return "chisquare" if n_values > 2 else "z"
    return "jensenshannon"


def _choose(fields: dict[str, Any], method: str, rc: Any, cc: Any) -> tuple[float, float | None]:
    if method == "z":
        return st.z_test(rc, cc)
    if method == "chisquare":
        return fields["chi2_statistic"], fields["chi2_p_value"]
    name = {"ks": "ks_statistic", "wasserstein": "wasserstein_normed", "psi": "psi"}
    return fields[name.get(method, "jensen_shannon")], (
        fields["ks_p_value"] if method == "ks" else None
    )


def _numeric_drift(p: ColumnProfile, raw: Any, method: str) -> dict[str, Any]:
    x = numeric_values(raw)
    cur = x[np.isfinite(x)]
    cur.sort()
    ref = p.values if p.values is not None else np.empty(0)
    f: dict[str, Any] = {"n_current": x.size, "n_current_valid": cur.size, "method": method}
    if not (ref.size and cur.size):
        f["method"] = _auto("numeric", ref.size, 6) if method == "auto" else method
        return f | {"psi": math.nan, "ks_statistic": math.nan, "wasserstein_normed": math.nan}
    d, w = st.ks_wasserstein_sorted(ref, cur)
    edges = p.edges if p.edges is not None else np.empty(0)
    psi = st.psi_from_counts(st.bin_counts_sorted(ref, edges), st.bin_counts_sorted(cur, edges))
    f |= {"ks_statistic": d, "ks_p_value": st.ks_p_value(d, ref.size, cur.size), "psi": psi}
    f["wasserstein_normed"] = w / max(p.std, st.WASSERSTEIN_MIN_STD)
    ref_u, ref_c = p.distinct
    if method == "auto":
        few = ref_u.size <= 5
        n_values = np.union1d(ref_u, st.distinct_sorted(cur, 6)[0]).size if few else ref_u.size
        method = f["method"] = _auto("numeric", ref.size, n_values)
    rc = cc = None
    if method in ("chisquare", "z", "jensenshannon"):
        if ref_u.size > 5:  # p.distinct stops at six values
            ref_u, ref_c = st.distinct_sorted(ref)
        rc, cc = st.align_distinct(ref_u, ref_c, cur)
        f["chi2_statistic"], f["chi2_p_value"] = st.chi_square(rc, cc)
        f["jensen_shannon"] = st.jensen_shannon(rc, cc)
    f["statistic"], f["p_value"] = _choose(f, method, rc, cc)
    return f


def _categorical_drift(p: ColumnProfile, raw: Any, method: str) -> dict[str, Any]:
    n_cur, counts = category_counts(raw)
    _, rc, cc = st.align_counts(p.counts, counts)
    if method == "auto":
        method = _auto("categorical", int(rc.sum()), int(np.count_nonzero(rc + cc)))
    if method in ("ks", "wasserstein"):
        msg = f"column {p.name!r}: {method} needs a numeric column; use chisquare, z, js or psi"
        raise ValueError(msg)
    chi, chi_p = st.chi_square(rc, cc)
    new = sorted((-c, k) for k, c in counts.items() if p.counts.get(k, 0) == 0)
    f: dict[str, Any] = {
        "n_current": n_cur,
        "n_current_valid": int(cc.sum()),
        "method": method,
        "chi2_statistic": chi,
        "chi2_p_value": chi_p,
        "jensen_shannon": st.jensen_shannon(rc, cc),
        "psi": st.psi_from_counts(rc, cc),
        "new_category_rate": st.new_category_rate(p.counts, counts),
        "new_categories": tuple(k for _, k in new[:5]),
    }
    f["statistic"], f["p_value"] = _choose(f, method, rc, cc)
    return f


def _finish(p: ColumnProfile, f: dict[str, Any], alpha: float, threshold: float) -> ColumnDrift:
    test = f["method"] in TEST_METHODS
    n_cur, valid = f.pop("n_current"), f.pop("n_current_valid")
    stat, pval = float(f.pop("statistic", math.nan)), f.pop("p_value", None)
    mr_ref = p.n_missing / p.n if p.n else math.nan
    mr_cur = (n_cur - valid) / n_cur if n_cur else math.nan
    return ColumnDrift(
        column=p.name,
        kind=p.kind,
        statistic=stat,
        p_value=(math.nan if pval is None else float(pval)) if test else None,
        p_adjusted=None,
        threshold=alpha if test else threshold,
        drifted=(not test) and stat >= threshold,  # NaN compares False
        missing_rate_reference=mr_ref,
        missing_rate_current=mr_cur,
        missing_rate_delta=mr_cur - mr_ref,
        n_reference=p.n,
        n_current=n_cur,
        **f,
    )


def _decide(c: ColumnDrift, p_adjusted: float) -> ColumnDrift:
    if c.p_value is None:
        return c
    # Evidently: K-S drifts at p <= alpha, chi-square and Z at p < alpha (NaN never drifts).
    drifted = p_adjusted <= c.threshold if c.method == "ks" else p_adjusted < c.threshold
    return replace(c, p_adjusted=p_adjusted, drifted=drifted)


def drift_report(
    profile: ReferenceProfile,
    current: Data,
    *,
    correction: Literal["bh", "none"] = "bh",
    alpha: float = 0.05,
    method: Method | Mapping[str, Method] = "auto",
    threshold: float = 0.1,
    max_workers: int = 2,
) -> DriftResult:
    """Drift of ``current`` (pyarrow Table, pandas DataFrame or mapping of arrays) from the
    reference ``profile``, for every profiled column present in ``current``.

    ``method`` is ``"auto"`` (Evidently's default choice, see the module docstring), one
    method for all columns, or a mapping column -> method. Tests are judged at ``alpha`` on
    Benjamini-Hochberg adjusted p-values (``correction="bh"``, across the test-judged columns
    of this report) or on raw p-values (``"none"``, which reproduces Evidently's verdicts);
    distances are judged on ``threshold`` alone (Evidently's 0.1). Columns run on a thread
    pool of ``max_workers`` (numpy's sorts release the GIL).
    """
    if correction not in ("bh", "none"):
        raise ValueError(f"correction must be 'bh' or 'none', got {correction!r}")
    present = set(current.column_names if isinstance(current, pa.Table) else current)
    names = [n for n in profile if n in present]

    def one(name: str) -> ColumnDrift:
        p, m = profile[name], (method.get(name, "auto") if isinstance(method, Mapping) else method)
        if m != "auto" and m not in EVIDENTLY_NAMES:
            raise ValueError(
                f"column {name!r}: unknown method {m!r}; use auto or {sorted(EVIDENTLY_NAMES)}"
            )
        fn = _numeric_drift if p.kind == "numeric" else _categorical_drift
        return _finish(p, fn(p, column_of(current, name), m), alpha, threshold)

    if max_workers > 1 and len(names) > 1:
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            cols = list(pool.map(one, names))
    else:
        cols = [one(n) for n in names]
    raw = np.array([math.nan if c.p_value is None else c.p_value for c in cols])
    adj = st.bh_adjust(raw) if correction == "bh" else raw
    return DriftResult(
        tuple(_decide(c, float(a)) for c, a in zip(cols, adj, strict=True)), correction, alpha
    )
