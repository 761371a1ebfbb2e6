"""CBPE: expected counts by hand, expected AUROC against a hand trapezoid and against the mean
of scikit-learn's AUROC over labels drawn from p, and interval coverage."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import auc, precision_score, recall_score, roc_auc_score

from wardwatch.monitor._estimate import (
    EstimatedPerformance,
    estimate_performance,
    expected_auroc,
    subgroup_prediction_drift,
)

START, END = datetime(2026, 1, 1), datetime(2026, 1, 8)


def _est(p: object, t: float = 0.5, seed: int = 0, n_draws: int = 200) -> EstimatedPerformance:
    return estimate_performance(
        np.asarray(p, dtype=float), t, rng=np.random.default_rng(seed), n_draws=n_draws
    )


def test_expected_confusion_by_hand() -> None:
    # flagged: 0.9, 0.6. TP = 0.9 + 0.6, FP = 0.1 + 0.4, FN = 0.4 + 0.1, TN = 0.6 + 0.9
    e = _est([0.9, 0.6, 0.4, 0.1], 0.5)
    assert (e.tp, e.fp, e.fn, e.tn) == pytest.approx((1.5, 0.5, 0.5, 1.5), abs=1e-12)
    assert e.precision.value == pytest.approx(0.75)
    assert e.recall.value == pytest.approx(0.75)
    assert e.specificity.value == pytest.approx(0.75)
    assert e.flag_rate.value == 0.5
    assert e.prevalence.value == pytest.approx(0.5)
    assert e.n == 4
    assert e.threshold == 0.5


def test_threshold_is_inclusive() -> None:
    e = _est([0.5, 0.2], 0.5)
    assert e.flag_rate.value == 0.5
    assert e.tp == pytest.approx(0.5)


def test_expected_auroc_hand_case() -> None:
    # P = 2, N = 2; blocks (0.9: .1*(0 + .45)), (0.6: .4*(.9 + .3)), (0.4: .6*(1.5 + .2)),
    # (0.1: .9*(1.9 + .05)) sum to 3.3; 3.3 / (2 * 2) = 0.825
    p = np.array([0.9, 0.6, 0.4, 0.1])
    assert expected_auroc(p) == pytest.approx(0.825, abs=1e-12)
    tpr = np.r_[0, np.cumsum(p) / p.sum()]
    fpr = np.r_[0, np.cumsum(1 - p) / (1 - p).sum()]
    assert auc(fpr, tpr) == pytest.approx(0.825, abs=1e-12)
    assert _est(p).auroc.value == pytest.approx(0.825, abs=1e-12)


def test_expected_auroc_groups_ties() -> None:
    # Two rows at 0.8 form one point of the curve: (0.4 / 1.1, 1.6 / 1.9), then (1, 1).
    p = [0.8, 0.8, 0.3]
    by_hand = (0.4 * 0.8 + 0.7 * (1.6 + 0.15)) / (1.9 * 1.1)
    fpr, tpr = [0, 0.4 / 1.1, 1], [0, 1.6 / 1.9, 1]
    assert auc(fpr, tpr) == pytest.approx(by_hand, abs=1e-12)
    assert expected_auroc(p) == pytest.approx(by_hand, abs=1e-12)
    # the same as a weighted data set: each row a positive (weight p) and a negative (1 - p)
    pp = np.asarray(p)
    weighted = roc_auc_score(
        np.r_[np.ones(3), np.zeros(3)], np.r_[pp, pp], sample_weight=np.r_[pp, 1 - pp]
    )
    assert expected_auroc(p) == pytest.approx(weighted, abs=1e-12)


def test_expected_auroc_is_mean_realized_auroc() -> None:
    rng = np.random.default_rng(7)
    p = rng.beta(1.2, 5.0, 600)
    draws = []
    for _ in range(800):
        y = rng.random(p.size) < p
        draws.append(roc_auc_score(y, p))
    mean, se = np.mean(draws), np.std(draws) / math.sqrt(len(draws))
    # the closed form is a ratio of expectations: its O(1/n) gap allows 1e-3 on top of MC error
    assert abs(expected_auroc(p) - mean) < 4 * se + 1e-3


def test_expected_counts_are_mean_realized_counts() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, 300)
    e = _est(p, 0.4)
    y = rng.random((4000, p.size)) < p
    flag = p >= 0.4
    assert (y & flag).sum(axis=1).mean() == pytest.approx(e.tp, rel=0.01)
    assert (~y & flag).sum(axis=1).mean() == pytest.approx(e.fp, rel=0.01)
    assert (y & ~flag).sum(axis=1).mean() == pytest.approx(e.fn, rel=0.01)


def test_intervals_cover_realized_metrics() -> None:
    hits = {"auroc": 0, "precision": 0, "recall": 0}
    for seed in range(50):
        rng = np.random.default_rng(1000 + seed)
        p = rng.beta(1.5, 4.0, 500)
        y = (rng.random(p.size) < p).astype(int)
        e = estimate_performance(p, 0.35, rng=rng)
        realized = {
            "auroc": roc_auc_score(y, p),
            "precision": precision_score(y, p >= 0.35),
            "recall": recall_score(y, p >= 0.35),
        }
        for name, value in realized.items():
            m = getattr(e, name)
            hits[name] += m.lower <= value <= m.upper
    for name, count in hits.items():
        assert count >= 45, (name, count)


def test_reproducible_with_seed() -> None:
    p = np.random.default_rng(0).uniform(size=200)
    assert _est(p, 0.3, seed=5) == _est(p, 0.3, seed=5)
    assert _est(p, 0.3, seed=5).auroc != _est(p, 0.3, seed=6).auroc


def test_empty_window() -> None:
    e = _est([], 0.5)
    assert e.n == 0
    for name in ("auroc", "precision", "recall", "flag_rate", "prevalence"):
        assert math.isnan(getattr(e, name).value)
    assert e.observations("m", 1, START, END) == []
    json.dumps(e.to_dict(), allow_nan=False)


def test_all_probabilities_equal() -> None:
    e = _est(np.full(50, 0.2), 0.5)
    assert e.auroc.value == pytest.approx(0.5)
    assert e.auroc.lower == pytest.approx(0.5)
    assert e.auroc.upper == pytest.approx(0.5)
    assert e.flag_rate.value == 0.0
    assert math.isnan(e.precision.value)  # nobody flagged
    assert e.recall.value == 0.0
    assert e.prevalence.value == pytest.approx(0.2)


def test_zero_and_one_probabilities() -> None:
    e = _est([0.0, 0.0, 1.0, 1.0], 0.5)
    assert e.auroc.value == 1.0
    assert (e.auroc.lower, e.auroc.upper) == (1.0, 1.0)
    assert e.precision.value == 1.0
    assert e.recall.value == 1.0
    none = _est([0.0, 0.0], 0.5)
    assert math.isnan(none.auroc.value)
    assert math.isnan(none.recall.value)
    assert none.prevalence.value == 0.0


def test_rejects_nan_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="2 of 5 probabilities are NaN"):
        _est([0.1, np.nan, 0.3, np.nan, 0.5])
    with pytest.raises(ValueError, match="1 of 2 probabilities are outside"):
        _est([0.1, 1.5])
    with pytest.raises(ValueError, match="threshold"):
        _est([0.1], 1.5)


def test_observations_and_dict() -> None:
    p = np.random.default_rng(1).beta(2, 5, 400)
    e = _est(p, 0.3)
    obs = e.observations("readmit", 3, START, END)
    assert [o.metric for o in obs] == [
        "estimated.auroc",
        "estimated.precision",
        "estimated.recall",
        "estimated.flag_rate",
        "estimated.prevalence",
    ]
    for o in obs:
        assert (o.scope, o.model, o.version, o.n) == ("model", "readmit", 3, 400)
        assert o.lower is not None
        assert o.upper is not None
        assert o.lower <= o.upper
    assert obs[0].value == e.auroc.value
    sub = e.observations("readmit", 3, START, END, scope="subgroup:sex=F")
    assert {o.scope for o in sub} == {"subgroup:sex=F"}
    d = json.loads(json.dumps(e.to_dict(), allow_nan=False))
    assert d["auroc"]["value"] == pytest.approx(e.auroc.value)
    assert d["expected_confusion"]["tp"] == pytest.approx(e.tp)


@settings(max_examples=60, deadline=None)
@given(
    p=st.lists(st.floats(0.0, 1.0), min_size=0, max_size=60),
    t=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_properties(p: list[float], t: float, seed: int) -> None:
    e = _est(p, t, seed=seed, n_draws=20)
    arr = np.asarray(p, dtype=float)
    if arr.size:
        assert e.flag_rate.value == np.mean(arr >= t)
        assert e.tp + e.fp + e.tn + e.fn == pytest.approx(arr.size)
    for name in ("auroc", "precision", "recall", "specificity", "flag_rate", "prevalence"):
        m = getattr(e, name)
        for v in (m.value, m.lower, m.upper):
            assert math.isnan(v) or -1e-12 <= v <= 1 + 1e-12
        if math.isfinite(m.lower) and math.isfinite(m.upper):
            assert m.lower <= m.upper


def test_subgroup_prediction_drift() -> None:
    p = np.r_[np.full(20, 0.4), np.full(5, 0.9)]
    sex = np.r_[["F"] * 20, ["M"] * 5]
    ref_p = np.r_[np.full(30, 0.2), np.full(30, 0.6)]
    ref_sex = np.r_[["F"] * 30, ["M"] * 30]
    out = subgroup_prediction_drift(
        p, {"sex": sex}, 0.5, reference_p=ref_p, reference_groups={"sex": ref_sex}
    )
    f, m = out
    assert (f.scope, f.n, f.suppressed) == ("subgroup:sex=F", 20, False)
    assert f.mean_risk == pytest.approx(0.4)
    assert f.reference_mean_risk == pytest.approx(0.2)
    assert (f.flag_rate, f.reference_flag_rate) == (0.0, 0.0)
    assert (m.scope, m.n, m.suppressed) == ("subgroup:sex=M", 5, True)
    assert m.observations("m", 1, START, END) == []
    assert m.to_dict() == {"scope": "subgroup:sex=M", "n": 5, "suppressed": True}
    obs = f.observations("m", 1, START, END)
    assert [o.metric for o in obs] == ["subgroup.mean_risk", "subgroup.flag_rate"]
    assert obs[0].detail["difference"] == pytest.approx(0.2)


def test_subgroup_drift_small_reference() -> None:
    out = subgroup_prediction_drift(
        np.full(15, 0.3),
        {"site": ["a"] * 15},
        0.5,
        reference_p=np.full(4, 0.3),
        reference_groups={"site": ["a"] * 4},
    )
    assert math.isnan(out[0].reference_mean_risk)
    assert out[0].to_dict()["reference_mean_risk"] is None
    assert out[0].reference_n == 0
