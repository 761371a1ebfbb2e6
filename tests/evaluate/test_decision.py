"""Decision curve: a case worked out by hand, and the useful range."""

from __future__ import annotations

import numpy as np
import pytest

from wardwatch.evaluate import evaluate_predictions


def test_net_benefit_hand_computed() -> None:
    # 10 patients, 3 events (prevalence 0.3).
    y = [1, 1, 0, 0, 0, 1, 0, 0, 0, 0]
    p = [0.9, 0.6, 0.7, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05, 0.02]
    # pt = 0.10: flagged p >= 0.1 -> 8 patients, TP 3, FP 5
    #   NB = 3/10 - 5/10 * 0.1/0.9 = 0.3 - 0.05556 = 0.24444; all = 0.3 - 0.7/9 = 0.22222
    # pt = 0.25: flagged 0.9, 0.6, 0.7, 0.4, 0.3 -> TP 2, FP 3
    #   NB = 2/10 - 3/10 * 1/3 = 0.1; all = 0.3 - 0.7 * 1/3 = 0.06667
    # pt = 0.50: flagged 0.9, 0.6, 0.7 -> TP 2, FP 1
    #   NB = 0.2 - 0.1 * 1 = 0.1; all = 0.3 - 0.7 = -0.4, so the best default is none (0)
    report = evaluate_predictions(
        y,
        p,
        patient_ids=list(range(10)),
        config={"n_bootstrap": 0, "decision_thresholds": [0.1, 0.25, 0.5]},
    )
    rows = {r["threshold"]: r for r in report.decision_curve}
    expected = {0.1: (0.244444, 0.222222), 0.25: (0.1, 0.066667), 0.5: (0.1, -0.4)}
    for pt, (model, everyone) in expected.items():
        assert rows[pt]["net_benefit"]["value"] == pytest.approx(model, abs=1e-6)
        assert rows[pt]["treat_all"]["value"] == pytest.approx(everyone, abs=1e-6)
        assert rows[pt]["treat_none"] == 0.0
        best_default = max(everyone, 0.0)
        assert rows[pt]["advantage"]["value"] == pytest.approx(model - best_default, abs=1e-6)
        assert rows[pt]["net_benefit"]["ci"] is None  # no bootstrap asked for


def test_useful_range_is_stated_in_the_checklist() -> None:
    rng = np.random.default_rng(3)
    p = rng.beta(1, 6, 3000)
    y = (rng.random(3000) < p).astype(int)
    report = evaluate_predictions(y, p, patient_ids=np.arange(3000), config={"n_bootstrap": 50})
    useful = [r["threshold"] for r in report.decision_curve if r["advantage"]["value"] > 0]
    assert useful  # an informative model beats both defaults somewhere
    item = next(t for t in report.tripod if t["id"] == "15")
    assert f"from {min(useful):g} to {max(useful):g}" in item["text"]
    for r in report.decision_curve:
        lo, hi = r["net_benefit"]["ci"]
        assert lo <= r["net_benefit"]["value"] <= hi
