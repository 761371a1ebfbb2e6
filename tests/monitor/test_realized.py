"""Realized performance per window: every metric against scikit-learn, SciPy, statsmodels or
pandas; the bootstrap interval against a plain rerun; suppression of small cells."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

from wardwatch.evaluate import Resampler
from wardwatch.monitor._realized import (
    REALIZED_METRICS,
    RealizedPerformance,
    realized_performance,
    subgroup_performance,
)

START, END = datetime(2026, 2, 1), datetime(2026, 3, 1)


def _data(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = np.clip(rng.beta(1.5, 5.0, n), 0.01, 0.99)
    y = (rng.random(n) < np.clip(1.2 * p, 0, 1)).astype(int)
    patient = np.sort(rng.integers(0, n // 2, n))
    return y, p, patient


def _real(y: object, p: object, t: float = 0.3, **kw: object) -> RealizedPerformance:
    kw.setdefault("rng", np.random.default_rng(0))
    return realized_performance(y, p, t, **kw)  # type: ignore[arg-type]


def test_point_metrics_match_references() -> None:
    y, p, _ = _data()
    r = _real(y, p, 0.3, n_boot=0)
    assert r["auroc"].value == pytest.approx(roc_auc_score(y, p), abs=1e-9)
    u = mannwhitneyu(p[y == 1], p[y == 0]).statistic
    assert r["auroc"].value == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), abs=1e-9)
    assert r["auprc"].value == pytest.approx(average_precision_score(y, p), abs=1e-9)
    assert r["brier"].value == pytest.approx(brier_score_loss(y, p), abs=1e-9)
    assert r["precision"].value == pytest.approx(precision_score(y, p >= 0.3), abs=1e-12)
    assert r["recall"].value == pytest.approx(recall_score(y, p >= 0.3), abs=1e-12)
    assert r["specificity"].value == pytest.approx(recall_score(1 - y, p < 0.3), abs=1e-12)
    assert r["flag_rate"].value == pytest.approx(np.mean(p >= 0.3), abs=1e-12)
    assert r["prevalence"].value == pytest.approx(y.mean(), abs=1e-12)
    assert r["oe_ratio"].value == pytest.approx(y.sum() / p.sum(), abs=1e-12)


def test_calibration_matches_statsmodels() -> None:
    y, p, _ = _data(seed=4)
    r = _real(y, p, n_boot=0)
    x = np.log(p / (1 - p))
    slope_fit = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit(tol=1e-12)
    assert r["calibration_slope"].value == pytest.approx(slope_fit.params[1], abs=1e-6)
    icpt_fit = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=x).fit(
        tol=1e-12
    )
    assert r["calibration_intercept"].value == pytest.approx(icpt_fit.params[0], abs=1e-6)


def test_ece_matches_pandas_deciles() -> None:
    y, p, _ = _data(seed=5)  # continuous probabilities: no ties at the decile edges
    r = _real(y, p, n_boot=0)
    frame = pd.DataFrame({"y": y, "p": p, "bin": pd.qcut(p, 10)})
    g = frame.groupby("bin", observed=True).agg(n=("y", "size"), o=("y", "mean"), e=("p", "mean"))
    ece = float((g["n"] * (g["o"] - g["e"]).abs()).sum() / len(y))
    assert r["ece"].value == pytest.approx(ece, abs=1e-9)


def test_bootstrap_interval_matches_plain_rerun() -> None:
    y, p, patient = _data(n=300, seed=2)
    r = _real(y, p, 0.3, patient_ids=patient, n_boot=60, rng=np.random.default_rng(11))
    # the same replicates, rebuilt from the seed the function draws from its generator
    seed = int(np.random.default_rng(11).integers(0, 2**63 - 1))
    codes = np.unique(patient, return_inverse=True)[1]
    res = Resampler(codes, codes.max() + 1, 60, seed)
    aucs, briers = [], []
    for k in range(60):
        rows = res.rows(k)
        aucs.append(roc_auc_score(y[rows], p[rows]))
        briers.append(brier_score_loss(y[rows], p[rows]))
    assert (r["auroc"].lower, r["auroc"].upper) == pytest.approx(
        tuple(np.percentile(aucs, [2.5, 97.5])), abs=1e-9
    )
    assert (r["brier"].lower, r["brier"].upper) == pytest.approx(
        tuple(np.percentile(briers, [2.5, 97.5])), abs=1e-9
    )
    assert r.n_patients == np.unique(patient).size


def test_calibration_interval_matches_statsmodels_rerun() -> None:
    # the replicates' slopes come from a batched Newton fit; refit each with statsmodels
    y, p, patient = _data(n=300, seed=6)
    r = _real(y, p, 0.3, patient_ids=patient, n_boot=40, rng=np.random.default_rng(2))
    seed = int(np.random.default_rng(2).integers(0, 2**63 - 1))
    codes = np.unique(patient, return_inverse=True)[1]
    res = Resampler(codes, codes.max() + 1, 40, seed)
    x = np.log(p / (1 - p))
    slopes, intercepts = [], []
    for k in range(40):
        rows = res.rows(k)
        binom = sm.families.Binomial()
        fit = sm.GLM(y[rows], sm.add_constant(x[rows]), family=binom).fit(tol=1e-12)
        slopes.append(fit.params[1])
        ones = np.ones((rows.size, 1))
        fit = sm.GLM(y[rows], ones, family=binom, offset=x[rows]).fit(tol=1e-12)
        intercepts.append(fit.params[0])
    slope, icpt = r["calibration_slope"], r["calibration_intercept"]
    assert (slope.lower, slope.upper) == pytest.approx(
        tuple(np.percentile(slopes, [2.5, 97.5])), abs=1e-6
    )
    assert (icpt.lower, icpt.upper) == pytest.approx(
        tuple(np.percentile(intercepts, [2.5, 97.5])), abs=1e-6
    )
    for name in REALIZED_METRICS:
        m = r[name]
        assert m.lower <= m.upper, name


def test_interval_covers_true_auroc_roughly() -> None:
    y, p, _ = _data(n=800, seed=9)
    r = _real(y, p, n_boot=100)
    assert r["auroc"].lower < r["auroc"].value < r["auroc"].upper


def test_one_class_gives_nan_not_error() -> None:
    p = np.linspace(0.05, 0.6, 40)
    r = _real(np.zeros(40, dtype=int), p, 0.3, n_boot=20)
    for name in ("auroc", "auprc", "calibration_slope", "recall"):
        assert math.isnan(r[name].value), name
    assert r["brier"].value == pytest.approx(brier_score_loss(np.zeros(40), p))
    assert r["precision"].value == 0.0
    metrics = {o.metric for o in r.observations("m", 1, START, END)}
    assert "realized.auroc" not in metrics
    assert "realized.brier" in metrics
    json.dumps(r.to_dict(), allow_nan=False)


def test_small_window_is_suppressed() -> None:
    r = _real([0, 1, 0, 1, 1], [0.1, 0.8, 0.2, 0.6, 0.7])
    assert r.suppressed
    assert r.n == 5
    assert r.metrics == {}
    assert r.observations("m", 1, START, END) == []
    # 30 rows, but only 5 patients: the bootstrap unit decides
    y, p, _ = _data(n=30)
    assert _real(y, p, patient_ids=np.arange(30) % 5).suppressed
    assert not _real(y, p).suppressed


def test_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match="1 of 3 probabilities are NaN"):
        _real([0, 1, 0], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="1 of 3 labels are not 0 or 1"):
        _real([0, 2, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="expected 3 labels"):
        _real([0, 1], [0.1, 0.2, 0.3])


def test_observations() -> None:
    y, p, patient = _data(n=400, seed=1)
    r = _real(y, p, 0.3, patient_ids=patient, n_boot=50)
    obs = r.observations("readmit", 2, START, END)
    names = {o.metric for o in obs}
    assert {
        "realized.auroc",
        "realized.brier",
        "calibration.slope",
        "calibration.intercept",
        "calibration.oe_ratio",
        "calibration.ece",
        "realized.precision",
        "realized.recall",
    } <= names
    by_name = {o.metric: o for o in obs}
    slope = by_name["calibration.slope"]
    assert slope.value == r["calibration_slope"].value
    assert (slope.lower, slope.upper) == (
        r["calibration_slope"].lower,
        r["calibration_slope"].upper,
    )
    assert all(o.n == 400 and o.scope == "model" and o.version == 2 for o in obs)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["metrics"]["auroc"]["value"] == pytest.approx(r["auroc"].value)


def test_subgroups_with_suppression() -> None:
    y, p, patient = _data(n=300, seed=3)
    sex = np.where(np.arange(300) < 295, "F", "M")
    site = np.where(np.arange(300) % 2 == 0, "north", "south")
    out = subgroup_performance(
        y,
        p,
        0.3,
        {"sex": sex, "site": site},
        rng=np.random.default_rng(0),
        patient_ids=patient,
        n_boot=20,
    )
    scopes = [r.scope for r in out.results]
    assert scopes == [
        "subgroup:sex=F",
        "subgroup:sex=M",
        "subgroup:site=north",
        "subgroup:site=south",
    ]
    f, m, north, _ = out.results
    assert m.suppressed
    assert m.n == 5
    assert m.metrics == {}
    assert not f.suppressed
    mask = sex == "F"
    assert f["auroc"].value == pytest.approx(roc_auc_score(y[mask], p[mask]), abs=1e-9)
    rows = site == "north"
    assert north["brier"].value == pytest.approx(brier_score_loss(y[rows], p[rows]), abs=1e-9)
    obs = out.observations("m", 1, START, END)
    assert "subgroup:sex=M" not in {o.scope for o in obs}
    assert {o.scope for o in obs} == {
        "subgroup:sex=F",
        "subgroup:site=north",
        "subgroup:site=south",
    }
    d = out.to_dict()
    assert d["min_size"] == 11
    assert d["subgroups"][1] == {**d["subgroups"][1], "suppressed": True, "n": 5, "metrics": {}}


def test_subgroup_min_size_is_configurable() -> None:
    y, p, _ = _data(n=40)
    g = np.where(np.arange(40) < 25, "a", "b")
    out = subgroup_performance(y, p, 0.3, {"g": g}, rng=np.random.default_rng(0), n_boot=0)
    assert [r.suppressed for r in out.results] == [False, False]
    out = subgroup_performance(
        y, p, 0.3, {"g": g}, rng=np.random.default_rng(0), n_boot=0, min_size=20
    )
    assert [r.suppressed for r in out.results] == [False, True]


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 1), st.floats(0.0, 1.0)), min_size=11, max_size=50),
    t=st.floats(0.0, 1.0),
)
def test_properties(data: list[tuple[int, float]], t: float) -> None:
    y = np.array([d[0] for d in data])
    p = np.array([d[1] for d in data])
    r = _real(y, p, t, n_boot=10)
    assert r["flag_rate"].value == np.mean(p >= t)
    assert r["prevalence"].value == y.mean()
    for name in ("auroc", "auprc", "brier", "ece", "precision", "recall", "specificity"):
        for v in (r[name].value, r[name].lower, r[name].upper):
            assert math.isnan(v) or -1e-12 <= v <= 1 + 1e-12, name
