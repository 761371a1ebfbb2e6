"""Fixtures of the model-card tests: a real evaluation report of a seeded synthetic sample,
a training summary shaped like ``TrainingRun.to_dict()``, and card inputs built from them.

The sample's patient ids (``pt-0000`` ...) go into the evaluation only: the tests check that
none of them, and no planted id, ever reaches a card or a bundle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wardwatch.evaluate import EvaluationReport, evaluate_predictions
from wardwatch.features import UseCase, default_usecase_path, load_usecase
from wardwatch.registry.cards import CardInputs, ModelCard

CHAI_DIR = Path(__file__).parents[2] / "fixtures" / "chai-model-card"
CHAI_XSD = CHAI_DIR / "schema-v0.2.xsd"
CHAI_EXAMPLE = CHAI_DIR / "example-v0.2.xml"
PATIENT_ID = re.compile(r"pt-\d{4}")
PLANTED = "pt-PLANTED-7731"
"""A patient id planted in report rows, gate evidence and approvals: must never leave."""
GENERATED_AT = "2026-11-23T09:00:00+00:00"


@pytest.fixture(scope="session")
def usecase() -> UseCase:
    return load_usecase(default_usecase_path())


@pytest.fixture(scope="session")
def evaluation() -> EvaluationReport:
    """A real evaluation: 900 predictions of 450 patients, sex, age band, race, site."""
    rng = np.random.default_rng(7)
    n = 900
    patients = np.array([f"pt-{i // 2:04d}" for i in range(n)])
    sex = rng.choice(["female", "male"], n)
    age = rng.choice(["18-44", "45-64", "65-79", "80+"], n, p=[0.2, 0.3, 0.3, 0.2])
    race = rng.choice(["2106-3", "2054-5", "2028-9"], n, p=[0.6, 0.3, 0.1])
    site = rng.choice(["RGH", "BCH"], n)
    x = rng.normal(size=n) + 0.4 * (age == "80+")
    p = 1 / (1 + np.exp(-(x - 1.1)))
    y = (rng.random(n) < p).astype(int)
    months = rng.integers(1, 13, n)
    times = np.array([f"2025-{m:02d}-10T12:00:00" for m in months])
    return evaluate_predictions(
        y,
        p,
        patient_ids=patients,
        index_times=times,
        subgroups={"sex": sex, "age_band": age, "race": race, "site": site},
        config={"n_bootstrap": 120, "seed": 3},
        model_name="readmission-30d/logreg",
    )


TRAINING: dict[str, Any] = {
    "usecase": "readmission-30d",
    "tracking_uri": "sqlite:///ws/.wardwatch/mlflow.db",
    "experiment": "readmission-30d",
    "experiment_id": "1",
    "parent_run_id": "parent0run",
    "seed": 0,
    "best_model": "logreg",
    "selection_metric": "validation_auroc",
    "models": {
        "logreg": {
            "name": "logreg",
            "family": "logistic_regression",
            "run_id": "run0logreg",
            "model_uri": "models:/m-logreg",
            "model_id": "m-logreg",
            "params": {"C": 1.0, "max_iter": 1000, "random_state": 0},
            "metrics": {"validation_auroc": 0.71, "test_auroc": 0.7},
        },
        "lgbm": {
            "name": "lgbm",
            "family": "lightgbm",
            "run_id": "run0lgbm",
            "model_uri": "models:/m-lgbm",
            "model_id": "m-lgbm",
            "params": {"n_estimators": 300},
            "metrics": {"validation_auroc": 0.69, "test_auroc": 0.68},
        },
    },
    "split": {
        "method": "temporal",
        "group_by_patient": True,
        "fractions": {"train": 0.6, "calibration": 0.1, "validation": 0.1, "test": 0.2},
        "rows": 3000,
        "splits": {
            "train": {"rows": 1800, "patients": 1100, "positives": 400, "prevalence": 0.22,
                      "start": "2021-01-02", "end": "2023-06-30"},
            "test": {"rows": 900, "patients": 450, "positives": 230, "prevalence": 0.25,
                     "start": "2025-01-01", "end": "2025-12-31"},
        },
        "dropped": 120,
        "dropped_by_split": {"train": 100, "test": 0},
        "patient_overlap": 0,
    },
    "fingerprint": {"sha256": "ab" * 32, "table_sha256": "cd" * 32,
                    "provenance_sha256": "ef" * 32, "rows": 3000, "columns": 31},
    "code": {"version": "5139997df6ad", "source": "git", "dirty": False,
             "package_version": "0.1.0"},
    "environment": {"python": "3.11.7", "packages": {"wardwatch": "0.1.0", "numpy": "2.4.6"}},
}  # fmt: skip

GATES: dict[str, Any] = {
    "policy": "default",
    "policy_sha256": "00" * 32,
    "verdict": "fail",
    "passed": False,
    "checks": [
        {"check": "auroc_lower_ci", "status": "passed", "message": "AUROC lower bound 0.66",
         "evidence": {"auroc_low": 0.66}, "bounds": {"min": 0.6}},
        {"check": "disparity_ratio", "status": "failed", "message": "sex female 0.72x",
         "evidence": {"worst": 0.72, "patient_id": PLANTED}, "bounds": {"min": 0.8}},
        {"check": "quality_passed", "status": "not-evaluable", "message": "no quality report",
         "evidence": {}, "bounds": {}},
    ],
    "evidence_sha256": {"evaluation": "11" * 32},
}  # fmt: skip
APPROVALS: list[dict[str, Any]] = [
    {"name": "readmission-30d", "version": 3, "decision": "approve", "by": "bob",
     "role": "approver", "at": "2026-11-23T08:00:00+00:00", "comment": "reviewed the card",
     "gate_verdict": "fail", "encounter_id": PLANTED},
]  # fmt: skip
QUALITY: dict[str, Any] = {
    "verdict": "pass",
    "contract": "default",
    "engine": "duckdb",
    "as_of": "2026-11-20T00:00:00+00:00",
    "started_at": "2026-11-20T00:00:00+00:00",
    "seconds": 1.5,
    "policy": {"fail_on": "error", "warn_on": "warn"},
    "summary": {"checks_run": 2, "checks_failed": 1, "checks_errored": 0, "findings": 1,
                "failed_by_severity": {"info": 0, "warn": 1, "error": 0}},
    "rows": {"patients": 100},
    "sources": [],
    "counts": {},
    "results": [
        {"check": "codes", "table": "conditions", "severity": "warn", "description": "codes",
         "checked": 100, "failed": 1, "rate": 0.01, "max_rate": 0.05, "passed": False,
         "error": None, "by_source": {"feed.ndjson": 1}, "by_reason": {"bad_code": 1},
         "metrics": {}, "truncated": False,
         "findings": [{"check": "codes", "reason": "bad_code", "severity": "warn",
                       "table": "conditions", "record_id": "cond-1", "field": "code",
                       "expected": "ICD-10-CM", "found": "X1", "resource_type": "Condition",
                       "patient_id": PLANTED, "source": "feed.ndjson", "line": 2,
                       "related_id": None, "score": None, "message": "[masked]"}]},
        {"check": "schema", "table": "patients", "severity": "error", "description": "schema",
         "checked": 100, "failed": 0, "rate": 0.0, "max_rate": 0.0, "passed": True,
         "error": None, "by_source": {}, "by_reason": {}, "metrics": {}, "truncated": False,
         "findings": []},
    ],
}  # fmt: skip
LEAKAGE: dict[str, Any] = {
    "kind": "leakage-audit",
    "usecase": "readmission-30d",
    "verdict": "pass",
    "index_events": 3000,
    "max_auroc": 0.9,
    "features": [
        {"name": "age", "kind": "demographic", "time_basis": "recorded", "rows": 3000,
         "rows_with_source": 0, "late_rows": 0, "late_rate": 0.0, "max_late_hours": None,
         "auroc": 0.52, "status": "static", "note": "a patient attribute"},
    ],
    "split_counts": {"train": 1800, "test": 900},
    "patient_overlap": 0,
    "label_before_prediction": 0,
    "notes": [],
}  # fmt: skip


@pytest.fixture
def make_inputs(usecase: UseCase, evaluation: EvaluationReport) -> Callable[..., CardInputs]:
    """Card inputs of ``readmission-30d`` v3 with every artifact; keywords override."""

    def make(**over: Any) -> CardInputs:
        fields: dict[str, Any] = {
            "model_name": "readmission-30d",
            "version": "3",
            "usecase": usecase,
            "status": "approved",
            "aliases": ("staging",),
            "registered_by": "alice",
            "registered_at": "2026-11-22T10:00:00+00:00",
            "training": TRAINING,
            "evaluation": evaluation.to_dict(),
            "leakage": LEAKAGE,
            "quality": QUALITY,
            "gates": GATES,
            "approvals": APPROVALS,
        }
        fields.update(over)
        return CardInputs(**fields)

    return make


@pytest.fixture
def card(make_inputs: Callable[..., CardInputs]) -> ModelCard:
    return ModelCard.from_inputs(make_inputs(), generated_at=GENERATED_AT)


@pytest.fixture(autouse=True)
def _close_new_engines() -> Iterator[None]:
    """Dispose of the store engines a test opened (each test has its own SQLite file)."""
    from wardwatch.core.store import Store

    before = set(Store._engines)
    yield
    for url in set(Store._engines) - before:
        Store._engines.pop(url).dispose()


def all_text(folder: Path) -> str:
    """Every file under ``folder``, as one text."""
    return "\n".join(p.read_text("utf-8", "replace") for p in sorted(folder.rglob("*"))
                     if p.is_file())  # fmt: skip
