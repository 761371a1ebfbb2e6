"""Calibration on a held-out split repairs a deliberately miscalibrated model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import brier_score_loss, roc_auc_score
from tests.train._data import make_frame, make_usecase

from wardwatch.errors import InputError
from wardwatch.features import ModelSpec
from wardwatch.train import build_estimator, calibrate, feature_matrix

FEATURES = list(make_usecase().features)
# class weights "balanced" inflate every probability towards 0.5: a miscalibrated model
SKEWED = ModelSpec(name="skewed", family="logistic_regression", params={"class_weight": "balanced"})


@pytest.fixture(scope="module")
def parts() -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    frame, _ = make_frame(2500, seed=5)
    x = feature_matrix(frame, FEATURES)
    y = frame["label"].to_numpy()
    n = len(frame)
    a, b = int(n * 0.5), int(n * 0.75)
    return {"train": (x[:a], y[:a]), "cal": (x[a:b], y[a:b]), "test": (x[b:], y[b:])}


@pytest.fixture(scope="module")
def skewed(parts):
    x, y = parts["train"]
    return build_estimator(SKEWED, FEATURES, seed=0).fit(x, y)


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibration_improves_brier_on_a_miscalibrated_model(method, parts, skewed) -> None:
    x_test, y_test = parts["test"]
    raw = skewed.predict_proba(x_test)[:, 1]
    assert raw.mean() > y_test.mean() + 0.1  # the model overstates risk
    model = calibrate(skewed, *parts["cal"], method)
    assert isinstance(model, CalibratedClassifierCV)
    cal = model.predict_proba(x_test)[:, 1]
    assert brier_score_loss(y_test, cal) < brier_score_loss(y_test, raw) - 0.02
    assert abs(cal.mean() - y_test.mean()) < 0.05
    # a monotone map keeps the ranking (isotonic may merge ties)
    assert roc_auc_score(y_test, cal) > roc_auc_score(y_test, raw) - 0.02
    # the fitted model was not refitted: its own probabilities are unchanged
    assert np.array_equal(skewed.predict_proba(x_test)[:, 1], raw)


def test_calibrated_model_follows_the_estimator_contract(parts, skewed) -> None:
    model = calibrate(skewed, *parts["cal"], "sigmoid")
    twin = clone(model)
    assert twin.get_params()["method"] == "sigmoid"
    assert model.predict(parts["test"][0]).shape == (len(parts["test"][0]),)
    assert list(model.classes_) == [0, 1]


def test_none_returns_the_model_itself(parts, skewed) -> None:
    assert calibrate(skewed, *parts["cal"], "none") is skewed


def test_single_outcome_calibration_split_is_an_input_error(parts, skewed) -> None:
    x, y = parts["cal"]
    with pytest.raises(InputError, match="calibration split needs both outcomes") as err:
        calibrate(skewed, x[y == 0], y[y == 0], "isotonic")
    assert "\n" not in str(err.value)
