"""Candidate pipelines: missing values, unseen categories, the estimator contract, params."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from tests.train._data import make_frame, make_usecase

from wardwatch.errors import ConfigError, InputError
from wardwatch.features import ModelSpec
from wardwatch.train import DEFAULTS, build_estimator, estimator_params, feature_matrix
from wardwatch.train._models import fit_estimator

USECASE = make_usecase()
FEATURES = list(USECASE.features)
LOGREG = ModelSpec(name="logreg", family="logistic_regression", params={"C": 0.5})
LGBM = ModelSpec(
    name="lgbm",
    family="lightgbm",
    params={"n_estimators": 80, "learning_rate": 0.05, "num_leaves": 7},
)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray, np.ndarray]:
    frame, prob = make_frame(3000, seed=4)
    frame = frame.assign(true=prob).sort_values("index_time").reset_index(drop=True)
    x = feature_matrix(frame, FEATURES)
    y = frame["label"].to_numpy()
    cut = int(len(frame) * 0.7)
    true = frame["true"].to_numpy()
    return x.iloc[:cut], y[:cut], x.iloc[cut:], y[cut:], true[cut:]


@pytest.mark.parametrize("spec", [LOGREG, LGBM], ids=["logreg", "lgbm"])
def test_fits_with_missing_values_and_predicts_unseen_categories(spec, data) -> None:
    x_train, y_train, x_test, _, _ = data
    assert x_train.isna().any().all() or x_train["sodium_last"].isna().any()
    model = fit_estimator(build_estimator(spec, FEATURES, seed=0), x_train, y_train, model_name="m")
    unseen = x_test.copy()
    unseen["disposition"] = "never-seen-before"
    unseen["sex"] = None
    unseen.loc[unseen.index[:5], "age"] = np.nan
    for x in (x_test, unseen):
        p = model.predict_proba(x)
        assert p.shape == (len(x), 2)
        assert np.all((p >= 0) & (p <= 1))
        assert np.allclose(p.sum(axis=1), 1)


@pytest.mark.parametrize("spec", [LOGREG, LGBM], ids=["logreg", "lgbm"])
def test_pandas_string_columns_with_na(spec, data) -> None:
    x_train, y_train, x_test, _, _ = data
    model = fit_estimator(build_estimator(spec, FEATURES, seed=0), x_train, y_train, model_name="m")
    as_string = x_test.astype({"sex": "string", "disposition": "string"})
    assert as_string["disposition"].isna().any()
    assert np.allclose(model.predict_proba(as_string), model.predict_proba(x_test))


@pytest.mark.parametrize("spec", [LOGREG, LGBM], ids=["logreg", "lgbm"])
def test_estimator_contract(spec, data) -> None:
    x_train, y_train, x_test, _, _ = data
    est = build_estimator(spec, FEATURES, seed=3)
    params = est.get_params()
    assert params["model__random_state"] == 3
    twin = clone(est)
    assert twin is not est
    assert twin.get_params()["model__random_state"] == 3
    key = "model__C" if spec.family == "logistic_regression" else "model__num_leaves"
    twin.set_params(**{key: 5})
    assert twin.get_params()[key] == 5
    assert est.get_params()[key] != 5
    a = clone(est).fit(x_train, y_train).predict_proba(x_test)
    b = clone(est).fit(x_train, y_train).predict_proba(x_test)
    assert np.array_equal(a, b)  # seeded and deterministic


def test_lightgbm_learns_the_signal(data) -> None:
    x_train, y_train, x_test, y_test, true = data
    model = fit_estimator(build_estimator(LGBM, FEATURES, seed=0), x_train, y_train, model_name="m")
    auroc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
    oracle = roc_auc_score(y_test, true)
    assert oracle > 0.78
    assert auroc > 0.75
    assert auroc > oracle - 0.06


def test_logistic_regression_learns_the_signal(data) -> None:
    x_train, y_train, x_test, y_test, true = data
    model = fit_estimator(
        build_estimator(LOGREG, FEATURES, seed=0), x_train, y_train, model_name="m"
    )
    auroc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
    assert auroc > roc_auc_score(y_test, true) - 0.05


def test_params_defaults_seed_and_overrides() -> None:
    params = estimator_params(LGBM, seed=11)
    assert params["random_state"] == 11
    assert params["n_jobs"] == 1
    assert params["verbose"] == -1
    assert params["n_estimators"] == 80
    mine = ModelSpec(name="x", family="lightgbm", params={"n_jobs": 2, "random_state": 5})
    assert estimator_params(mine, seed=0)["n_jobs"] == 2
    assert estimator_params(mine, seed=0)["random_state"] == 5
    assert (
        estimator_params(LOGREG, seed=0)["max_iter"] == DEFAULTS["logistic_regression"]["max_iter"]
    )


@pytest.mark.parametrize(
    ("family", "param", "suggestion"),
    [("logistic_regression", "c", None), ("lightgbm", "n_estimator", "n_estimators")],
)
def test_unknown_param_is_a_one_line_config_error(family, param, suggestion) -> None:
    spec = ModelSpec(name="candidate", family=family, params={param: 1})
    with pytest.raises(ConfigError) as err:
        build_estimator(spec, FEATURES, seed=0)
    text = str(err.value)
    assert "\n" not in text
    assert "model candidate" in text
    assert f"parameter {param}" in text
    if suggestion:
        assert f"did you mean {suggestion}?" in text


def test_rejected_param_value_is_a_config_error(data) -> None:
    x_train, y_train, _, _, _ = data
    spec = ModelSpec(name="bad", family="logistic_regression", params={"C": -1.0})
    with pytest.raises(ConfigError, match="model bad: fitting failed") as err:
        fit_estimator(build_estimator(spec, FEATURES, seed=0), x_train, y_train, model_name="bad")
    assert "\n" not in str(err.value)


def test_feature_matrix_converts_and_checks() -> None:
    frame, _ = make_frame(50, seed=0)
    frame["sex"] = frame["sex"].astype("string")
    frame["disposition"] = pd.Series(
        [1, None, 3] * (len(frame) // 3) + [1] * (len(frame) % 3), dtype="Int64"
    )
    x = feature_matrix(frame, FEATURES)
    assert list(x.columns) == [f.name for f in FEATURES]
    assert "index_id" not in x.columns
    assert x["disposition"].dtype == object
    assert x["disposition"].iloc[0] == "1"
    assert x["disposition"].iloc[1] is None
    assert x["sex"].dtype == object
    assert x["age"].dtype == np.float64
    with pytest.raises(InputError, match="field age; expected float64"):
        feature_matrix(frame.assign(age="old"), FEATURES)
    with pytest.raises(InputError, match="infinite values; record row 2; field los_days"):
        feature_matrix(
            frame.assign(los_days=[1.0, 2.0, np.inf] + [1.0] * (len(frame) - 3)), FEATURES
        )
    with pytest.raises(InputError, match="field charlson"):
        feature_matrix(frame.drop(columns="charlson"), FEATURES)
