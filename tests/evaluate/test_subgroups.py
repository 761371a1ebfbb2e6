"""Subgroups: metrics per level against scikit-learn, paired disparity ratios, suppression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from wardwatch.evaluate import evaluate_predictions


@pytest.fixture(scope="module")
def data() -> dict:
    rng = np.random.default_rng(21)
    n = 4000
    patient = rng.integers(0, 2500, n)
    site = np.where(patient % 2 == 0, "North", "South")
    site[patient % 500 == 1] = "Tiny"  # a few patients: must be suppressed
    p = rng.beta(1.2, 6, n)
    p[site == "South"] = np.clip(p[site == "South"] * 1.8, 0, 1)  # worse calibrated there
    y = (rng.random(n) < np.clip(p * 1.1, 0, 1)).astype(int)
    return {"y": y, "p": p, "patient": patient, "site": site}


@pytest.fixture(scope="module")
def report(data: dict):
    return evaluate_predictions(
        data["y"],
        data["p"],
        patient_ids=data["patient"],
        subgroups={"site": data["site"]},
        config={"n_bootstrap": 120, "seed": 4},
    )


def test_levels_and_metrics_match_scikit_learn(data: dict, report) -> None:
    (section,) = report.subgroups
    assert section["attribute"] == "site"
    levels = {lv["level"]: lv for lv in section["levels"]}
    assert set(levels) == {"North", "South", "Tiny"}
    for name in ("North", "South"):
        rows = data["site"] == name
        lv = levels[name]
        assert lv["predictions"] == rows.sum()
        assert lv["patients"] == len(np.unique(data["patient"][rows]))
        assert lv["positives"] == data["y"][rows].sum()
        expected = roc_auc_score(data["y"][rows], data["p"][rows])
        assert lv["metrics"]["auroc"]["value"] == pytest.approx(expected, abs=1e-12)
        lo, hi = lv["metrics"]["auroc"]["ci"]
        assert lo < expected < hi


def test_small_levels_are_suppressed_without_numbers(report) -> None:
    tiny = next(lv for lv in report.subgroups[0]["levels"] if lv["level"] == "Tiny")
    assert tiny == {"level": "Tiny", "suppressed": True, "reason": "fewer than 11 patients"}
    assert report.subgroups[0]["suppressed"] == 1


def test_disparity_ratio_is_level_over_overall(report) -> None:
    overall = {o["name"]: o for o in report.operating_points}
    for lv in report.subgroups[0]["levels"]:
        if lv["suppressed"]:
            continue
        ratio = lv["disparity"]["auroc"]["value"]
        assert ratio == pytest.approx(lv["metrics"]["auroc"]["value"] / report.auroc.value)
        for name, rates in lv["operating_points"].items():
            for metric in ("sensitivity", "ppv", "flag_rate"):
                expected = rates[metric]["value"] / overall[name][metric]["value"]
                got = lv["disparity"][name][metric]["value"]
                assert got == pytest.approx(expected)
                lo, hi = lv["disparity"][name][metric]["ci"]
                assert lo <= got <= hi


def test_disparities_outside_bounds_are_listed(report) -> None:
    south = next(lv for lv in report.subgroups[0]["levels"] if lv["level"] == "South")
    flagged = [
        (name, m)
        for name, ratios in south["disparity"].items()
        if name != "auroc"
        for m, r in ratios.items()
        if r["value"] is not None and not 0.8 <= r["value"] <= 1.25
    ]
    assert flagged  # South's inflated risks flag far more of its patients
    assert len(south["disparities"]) == len(flagged)
    assert all("x overall" in text for text in south["disparities"])


def test_min_group_size_is_configurable(data: dict) -> None:
    report = evaluate_predictions(
        data["y"],
        data["p"],
        patient_ids=data["patient"],
        subgroups={"site": data["site"]},
        config={"n_bootstrap": 0, "min_group_size": 3000},
    )
    assert all(lv["suppressed"] for lv in report.subgroups[0]["levels"])
    assert any("Every level of 'site' is suppressed" in n for n in report.notes)
