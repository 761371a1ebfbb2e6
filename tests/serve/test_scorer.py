"""The compiled scorer equals the saved model's ``predict_proba`` (the oracle), and its
contributions add up: TreeSHAP to LightGBM's raw score, coefficient terms to the logit."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.train._data import make_frame, make_usecase

from wardwatch.serve._scorer import Scorer
from wardwatch.train import build_estimator, calibrate, feature_matrix

USECASE = make_usecase()
NAMES = [f.name for f in USECASE.features]
CATEGORICAL = [f.name for f in USECASE.features if f.categorical]


def _rows(x: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
            for k, v in r.items()
        }
        for r in x.to_dict("records")
    ]


@pytest.fixture(scope="module", params=["logreg", "lgbm"])
def fitted(request: pytest.FixtureRequest) -> tuple[Any, list[dict[str, Any]], str]:
    frame, _ = make_frame(600, seed=4)
    x = feature_matrix(frame, USECASE.features)
    y = frame["label"].to_numpy()
    model = next(m for m in USECASE.models if m.name == request.param)
    est = build_estimator(model, USECASE.features, seed=1, min_frequency=5)
    est.fit(x.iloc[:900], y[:900])
    method = "sigmoid" if request.param == "lgbm" else "isotonic"
    return calibrate(est, x.iloc[900:], y[900:], method), _rows(x.iloc[:300]), request.param


def test_scores_equal_the_saved_models_predict_proba(fitted: Any) -> None:
    model, rows, _ = fitted
    scorer = Scorer(model, NAMES, CATEGORICAL)
    rows = [dict(r) for r in rows]
    rows[0]["disposition"] = "a category never seen in training"
    rows[1]["sex"] = None
    rows[2]["sodium_last"] = None
    out = scorer.score(rows)
    np.testing.assert_allclose(out.risk, scorer.oracle(rows), rtol=0, atol=1e-12)
    # one row at a time gives the same
    single = np.array([scorer.score([r]).risk[0] for r in rows[:20]])
    np.testing.assert_allclose(single, out.risk[:20], atol=1e-12)


def test_contributions_add_up_to_the_raw_score(fitted: Any) -> None:
    model, rows, name = fitted
    scorer = Scorer(model, NAMES, CATEGORICAL)
    out = scorer.score(rows)
    assert out.contributions is not None
    assert out.contributions.shape == (len(rows), len(NAMES))
    np.testing.assert_allclose(out.contributions.sum(axis=1) + out.bias, out.raw, atol=1e-9)
    pipeline = model.calibrated_classifiers_[0].estimator.estimator
    if name == "lgbm":
        booster = pipeline.named_steps["model"].booster_
        xt = pipeline.named_steps["preprocess"].transform(scorer_frame(rows))
        np.testing.assert_allclose(out.raw, booster.predict(xt, raw_score=True), atol=1e-9)
    else:
        np.testing.assert_allclose(
            out.raw, pipeline.decision_function(scorer_frame(rows)), atol=1e-9
        )
    assert scorer.score(rows, explain=False).contributions is None


def scorer_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)[NAMES]
    for c in NAMES:
        frame[c] = frame[c].astype("object") if c in CATEGORICAL else frame[c].astype("float64")
    return frame


_VALUE = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-100, 100))
_CAT = st.one_of(st.none(), st.sampled_from(["female", "male", "home", "snf", "x", ""]))


@settings(max_examples=40, deadline=None)
@given(st.fixed_dictionaries({n: (_CAT if n in CATEGORICAL else _VALUE) for n in NAMES}))
def test_any_row_scores_like_the_oracle(row: dict[str, Any]) -> None:
    """Arbitrary values (missing, huge, unseen categories) score exactly as sklearn does."""
    model, _, _ = _lgbm()
    scorer = Scorer(model, NAMES, CATEGORICAL)
    np.testing.assert_allclose(scorer.score([row]).risk, scorer.oracle([row]), atol=1e-12)


@functools.cache
def _lgbm() -> tuple[Any, list[dict[str, Any]], str]:
    frame, _ = make_frame(400, seed=5)
    x = feature_matrix(frame, USECASE.features)
    y = frame["label"].to_numpy()
    model = next(m for m in USECASE.models if m.name == "lgbm")
    est = build_estimator(model, USECASE.features, seed=1, min_frequency=5).fit(x, y)
    return calibrate(est, x, y, "sigmoid"), [], "lgbm"
