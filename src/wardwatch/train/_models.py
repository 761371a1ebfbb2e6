"""Candidate models as scikit-learn pipelines: preprocessing, then the classifier.

Each model of a use case is a :class:`sklearn.pipeline.Pipeline` of two steps:

``preprocess``
    a :class:`~sklearn.compose.ColumnTransformer` that selects the feature columns by name
    (ids, times and subgroup columns are dropped). Numeric features: median imputation with
    missing-value indicators and standardisation for logistic regression; passed through
    with NaN for LightGBM (which learns where missing values go). Categorical features:
    missing values (None, NaN, ``pd.NA``) become the category ``"missing"``, then one-hot
    encoding in which categories seen fewer than ``min_frequency`` times in training are
    pooled into one "infrequent" column and categories never seen in training map to it
    (or to all zeros when no category was infrequent).
``model``
    :class:`~sklearn.linear_model.LogisticRegression` or :class:`lightgbm.LGBMClassifier`
    with the use case's parameters over wardwatch's defaults (:data:`DEFAULTS`).

Both follow the scikit-learn estimator contract (``clone``, ``get_params``/``set_params``,
``fit``, ``predict_proba``), so calibration and evaluation treat them alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from wardwatch.errors import ConfigError
from wardwatch.features._spec import FeatureSpec, ModelSpec

__all__ = [
    "DEFAULTS",
    "MIN_CATEGORY_COUNT",
    "build_estimator",
    "estimator_params",
    "fit_estimator",
]

MIN_CATEGORY_COUNT = 10
"""Categories seen fewer times than this in training share one "infrequent" column."""

DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    # lbfgs often needs more than sklearn's 100 iterations with many one-hot columns.
    "logistic_regression": {"max_iter": 1000},
    # One thread: the machines are shared and LightGBM's default threading collapses
    # throughput under load (DESIGN.md); deterministic + row-wise histograms make a seeded
    # fit reproducible bit for bit.
    "lightgbm": {
        "n_jobs": 1,
        "verbose": -1,
        "deterministic": True,
        "force_row_wise": True,
    },
}


def _classifier_class(family: str) -> Any:
    if family == "logistic_regression":
        return LogisticRegression
    if family == "lightgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier
    raise ConfigError(  # pragma: no cover - ModelSpec.family is a Literal
        f"unknown model family {family}", expected="logistic_regression | lightgbm"
    )


def estimator_params(model: ModelSpec, *, seed: int) -> dict[str, Any]:
    """The classifier's parameters: defaults, the seed, then ``model.params`` (which win).

    Raises :class:`ConfigError` naming the model and the parameter when a name is not a
    parameter of the classifier (its ``get_params()``) or a wardwatch default.
    """
    cls = _classifier_class(model.family)
    known = set(cls().get_params()) | set(DEFAULTS[model.family])
    for key in model.params:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            guess = f"did you mean {close[0]}? " if close else ""
            raise ConfigError(
                f"model {model.name}: unknown {cls.__name__} parameter {key}",
                field=f"models.{model.name}.params.{key}",
                expected=f"a parameter of {cls.__name__}",
                found=key,
                hint=f"{guess}see {cls.__name__}().get_params() for the names",
            )
    return {**DEFAULTS[model.family], "random_state": seed, **model.params}


def build_estimator(
    model: ModelSpec,
    features: Sequence[FeatureSpec],
    *,
    seed: int,
    min_frequency: int = MIN_CATEGORY_COUNT,
) -> Pipeline:
    """An unfitted pipeline for ``model`` over ``features`` (see the module docstring)."""
    if not features:
        raise ConfigError(f"model {model.name}: no features", expected="at least one feature")
    cls = _classifier_class(model.family)
    classifier = cls(**estimator_params(model, seed=seed))
    numeric = [f.name for f in features if not f.categorical]
    categorical = [f.name for f in features if f.categorical]
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        if model.family == "logistic_regression":
            num: Any = Pipeline(
                [
                    (
                        "impute",
                        SimpleImputer(
                            strategy="median", add_indicator=True, keep_empty_features=True
                        ),
                    ),
                    ("scale", StandardScaler()),
                ]
            )
        else:
            num = "passthrough"
        transformers.append(("numeric", num, numeric))
    if categorical:
        cat = Pipeline(
            [
                # pd.NA as the marker catches None, NaN and pd.NA in object and string columns
                (
                    "impute",
                    SimpleImputer(missing_values=pd.NA, strategy="constant", fill_value="missing"),
                ),
                (
                    "onehot",
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        min_frequency=min_frequency,
                        sparse_output=False,
                        dtype=np.float64,
                    ),
                ),
            ]
        )
        transformers.append(("categorical", cat, categorical))
    pre = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
    return Pipeline([("preprocess", pre), ("model", classifier)])


def fit_estimator(
    estimator: Pipeline, x: pd.DataFrame, y: np.ndarray, *, model_name: str
) -> Pipeline:
    """Fit ``estimator``; a parameter value the classifier rejects becomes a one-line
    :class:`ConfigError` naming the model."""
    from lightgbm.basic import LightGBMError

    try:
        estimator.fit(x, y)
    except (ValueError, TypeError, LightGBMError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"model {model_name}: fitting failed: {first}",
            field=f"models.{model_name}.params",
            hint="check the model's parameter values in the use case",
        ) from None
    return estimator
