"""Temporal stability: metrics per calendar month, small months suppressed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from wardwatch.evaluate import evaluate_predictions


def test_metrics_per_month() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    times = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 90 * 24, n), unit="h"
    )
    times = times.append(pd.DatetimeIndex([pd.Timestamp("2025-07-15", tz="UTC")] * 5))
    n = len(times)
    p = rng.beta(1.2, 6, n)
    y = (rng.random(n) < p).astype(int)
    report = evaluate_predictions(
        y,
        p,
        patient_ids=np.arange(n),
        index_times=times,
        config={"n_bootstrap": 50, "census_per_day": 40},
    )
    temporal = report.temporal
    assert temporal is not None
    months = [lv["level"] for lv in temporal["levels"]]
    assert months == ["2025-01", "2025-02", "2025-03", "2025-07"]
    july = temporal["levels"][-1]
    assert july["suppressed"]
    assert july["reason"] == "fewer than 11 patients"
    labels = pd.Series(times).dt.strftime("%Y-%m").to_numpy()
    for lv in temporal["levels"][:3]:
        rows = labels == lv["level"]
        expected = roc_auc_score(y[rows], p[rows])
        assert lv["metrics"]["auroc"]["value"] == pytest.approx(expected, abs=1e-12)
    assert report.data["period"] == {"first_month": "2025-01", "last_month": "2025-07", "months": 4}
    assert report.data["census_per_day"] == 40
    # alerts per day = flag rate x census
    op = report.operating_points[0]
    assert op["alerts_per_day"]["value"] == pytest.approx(op["flag_rate"]["value"] * 40)


def test_census_is_derived_from_the_period() -> None:
    times = pd.date_range("2026-01-01", periods=200, freq="12h", tz="UTC")  # 99.5 days
    p = np.linspace(0.01, 0.9, 200)
    y = (np.arange(200) % 5 == 0).astype(int)
    report = evaluate_predictions(
        y, p, patient_ids=np.arange(200), index_times=times, config={"n_bootstrap": 0}
    )
    assert report.data["census_per_day"] == pytest.approx(200 / 99.5)
    assert "over 99.5 days" in report.data["census_source"]
