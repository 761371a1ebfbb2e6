"""evaluate_predictions end to end: the report, its reproducibility, tiny data, no PHI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from wardwatch.evaluate import EvaluationReport, evaluate_predictions


def _data(n: int = 3000, seed: int = 5) -> dict:
    rng = np.random.default_rng(seed)
    patient = np.array([f"MRN{100000 + i}" for i in rng.integers(0, n // 2, n)])
    p = rng.beta(1.3, 7, n)
    y = (rng.random(n) < p * 1.15).astype(int)
    times = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 180 * 24, n), unit="h"
    )
    sex = rng.choice(["F", "M"], n)
    return {"y": y, "p": p, "patient": patient, "times": times, "sex": sex}


def _evaluate(d: dict, **config: object) -> EvaluationReport:
    return evaluate_predictions(
        d["y"],
        d["p"],
        patient_ids=d["patient"],
        index_times=d["times"],
        subgroups={"sex": d["sex"]},
        config={"n_bootstrap": 100, **config},
        model_name="readmit",
    )


@pytest.fixture(scope="module")
def data() -> dict:
    return _data()


@pytest.fixture(scope="module")
def report(data: dict) -> EvaluationReport:
    return _evaluate(data)


def test_headline_numbers_match_scikit_learn(data: dict, report: EvaluationReport) -> None:
    assert report.auroc.value == pytest.approx(roc_auc_score(data["y"], data["p"]), abs=1e-12)
    assert report.auprc.value == pytest.approx(
        average_precision_score(data["y"], data["p"]), abs=1e-12
    )
    assert report.calibration["brier"]["value"] == pytest.approx(
        brier_score_loss(data["y"], data["p"]), rel=1e-6
    )
    for e in (report.auroc, report.auprc):
        assert e.ci is not None
        assert e.ci[0] < e.value < e.ci[1]
    assert report.data["predictions"] == len(data["y"])
    assert report.data["patients"] == len(np.unique(data["patient"]))
    assert report.notes == []


def test_report_sections(report: EvaluationReport) -> None:
    d = report.to_dict()
    assert d["kind"] == "evaluation"
    assert len(d["thresholds"]) == 19
    assert len(d["decision_curve"]) == 50
    assert [o["name"] for o in d["operating_points"]] == [
        "catch 80% of events",
        "PPV at least 30%",
        "flag at most 10%",
    ]
    catch = d["operating_points"][0]
    assert catch["sensitivity"]["value"] >= 0.8
    assert catch["alerts_per_day"]["value"] > 0
    assert len(d["calibration"]["reliability"]) == 10
    assert d["temporal"]["attribute"] == "month"
    assert len(d["temporal"]["levels"]) == 6
    assert d["bootstrap"]["unit"] == "patient"
    assert len(d["tripod"]) == 52


def test_json_has_no_nan_and_no_patient_ids(data: dict, report: EvaluationReport) -> None:
    text = report.to_json().decode()
    assert "NaN" not in text
    assert "MRN" not in text  # patient ids never reach the report
    assert orjson.loads(report.to_json())["model"] == "readmit"
    page = report.to_html()
    assert "MRN" not in page
    assert "<script" not in page.lower()


def test_reproducible_for_a_seed(data: dict, report: EvaluationReport) -> None:
    again = _evaluate(data).to_dict()
    first = report.to_dict()
    for d in (again, first):
        d.pop("created_at"), d.pop("seconds")
    assert again == first
    other = _evaluate(data, seed=1)
    assert other.auroc.value == report.auroc.value
    assert other.auroc.ci != report.auroc.ci


def test_threads_do_not_change_results(data: dict, report: EvaluationReport) -> None:
    threaded = evaluate_predictions(
        data["y"],
        data["p"],
        patient_ids=data["patient"],
        index_times=data["times"],
        subgroups={"sex": data["sex"]},
        config={"n_bootstrap": 100},
        model_name="readmit",
        n_jobs=2,
    ).to_dict()
    first = report.to_dict()
    for d in (threaded, first):
        d.pop("created_at"), d.pop("seconds")
    assert threaded == first


def test_files_and_notebook(report: EvaluationReport, tmp_path: Path) -> None:
    json_path, html_path = report.write(tmp_path / "out")
    assert orjson.loads(json_path.read_bytes())["data"]["predictions"] == 3000
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert report.save_html(tmp_path / "a.html").exists()
    assert report.save_json(tmp_path / "a.json").exists()
    frame = report._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    assert 'sandbox=""' in frame
    assert "<script" not in frame.lower()


def test_ten_predictions_one_positive_never_crash() -> None:
    y = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    p = [0.1, 0.2, 0.05, 0.4, 0.3, 0.1, 0.15, 0.2, 0.25, 0.02]
    report = evaluate_predictions(
        y, p, patient_ids=list("abcdefghij"), subgroups={"sex": ["F", "M"] * 5}
    )
    notes = " ".join(report.notes)
    assert "Too few positive labels (1) for a calibration curve" in notes
    assert "at least 10 are needed" in notes
    assert "AUROC: no 95% interval" in notes
    assert "Every level of 'sex' is suppressed" in notes
    assert "Alerts per day are not computed" in notes
    assert report.auroc.value == pytest.approx(roc_auc_score(y, p))
    assert report.auroc.ci is None
    assert report.calibration["calibration_slope"]["value"] is None
    assert report.calibration["reliability"] == []
    assert report.to_html()  # the page renders too


def test_no_positive_labels() -> None:
    report = evaluate_predictions([0] * 30, np.linspace(0.01, 0.3, 30), patient_ids=range(30))
    notes = " ".join(report.notes)
    assert "AUROC and AUPRC are undefined: there are no positive labels." in notes
    assert "Operating point 'catch 80% of events': no threshold reaches" in notes
    assert report.auroc.value is None
    assert report.operating_points[0]["threshold"] is None
    assert report.to_html()


def test_single_prediction() -> None:
    report = evaluate_predictions([1], [0.3], patient_ids=["x"], config={"n_bootstrap": 20})
    assert report.data["predictions"] == 1
    assert report.auroc.value is None
    assert report.to_json()


def test_no_bootstrap() -> None:
    d = _data(600, 1)
    report = evaluate_predictions(
        d["y"], d["p"], patient_ids=d["patient"], config={"n_bootstrap": 0}
    )
    assert report.auroc.ci is None
    assert any("n_bootstrap = 0" in n for n in report.notes)
