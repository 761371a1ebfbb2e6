"""The readmission signal is learnable from the FHIR output alone, at the documented strength.

Features are computed from the NDJSON files (tests/synth/_features.py), not from generator
internals; the model is scikit-learn's LogisticRegression with patient-grouped 5-fold
cross-validation, so no patient is in both the training and the held-out fold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.synth._features import discharge_table
from wardwatch.synth import SynthConfig, generate

NOW = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)


def _held_out(folder: Path) -> tuple[float, float, float, int]:
    features, y, groups, _ = discharge_table(folder, NOW)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = GroupKFold(n_splits=5)
    p = cross_val_predict(model, features, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
    noise = np.random.default_rng(0).normal(size=(len(y), 3))
    p_noise = cross_val_predict(model, noise, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, p)), float(roc_auc_score(y, p_noise)), float(y.mean()), len(y)


def _check(folder: Path) -> None:
    auroc, auroc_noise, rate, n = _held_out(folder)
    assert n > 1000
    assert 0.10 <= rate <= 0.22, rate
    assert 0.68 <= auroc <= 0.85, auroc
    assert 0.40 <= auroc_noise <= 0.60, auroc_noise


def test_readmission_signal(tmp_path: Path) -> None:
    generate(SynthConfig(patients=1500, seed=21, out=tmp_path, hl7=False, claims_csv=False))
    _check(tmp_path)


@pytest.mark.slow
def test_readmission_signal_3000_patients(tmp_path: Path) -> None:
    generate(SynthConfig(patients=3000, seed=22, out=tmp_path, hl7=False, claims_csv=False))
    _check(tmp_path)
