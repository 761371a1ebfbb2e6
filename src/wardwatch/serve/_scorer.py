"""A trained wardwatch model compiled for serving: exact scores and explanations, fast.

The training stage saves a scikit-learn object: a :class:`~sklearn.pipeline.Pipeline`
(``preprocess`` -> ``model``), usually wrapped in a
:class:`~sklearn.calibration.CalibratedClassifierCV` around a frozen copy. Calling it per
request costs milliseconds of pandas and validation. :class:`Scorer` reads the fitted
parameters once and scores plain dict rows with NumPy and the LightGBM booster directly:

1. **vectorize**: numeric features as floats (missing = NaN); for logistic regression the
   median imputation, missing-value indicators and standardisation of the pipeline; for
   categorical features the one-hot rows the fitted encoder produces for each category it
   knows, for ``missing`` and for an unseen category (computed once by the encoder itself);
2. **model response**: the logistic regression's decision function, or LightGBM's raw
   score (log-odds) and its exact TreeSHAP contributions (``pred_contrib``);
3. **calibration**: the fitted calibrator applied to the response it was fitted on (the
   decision function, i.e. log-odds, when the classifier has one, as both logistic
   regression and LightGBM do; else the probability).

The tests hold the compiled scores equal to the pipeline's ``predict_proba`` (the oracle).

Contributions are in log-odds of the uncalibrated model, per feature (one-hot columns and
missing indicators summed into their feature): for LightGBM the TreeSHAP values (they add up
to the raw score with the bias); for logistic regression coefficient x standardised value,
i.e. relative to the training mean for numeric features and relative to "none of the
categories" for one-hot columns. Positive raises the risk, negative lowers it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wardwatch.errors import InputError

__all__ = ["Explained", "Scorer"]

_F = npt.NDArray[np.float64]
MISSING = "missing"
_UNSEEN = "\x00unseen-category\x00"


@dataclass(frozen=True)
class Explained:
    """Scores of a batch: calibrated risks, the model's raw responses, and per-feature
    contributions (rows x features, log-odds; ``None`` when not asked for)."""

    risk: _F
    raw: _F
    contributions: _F | None
    bias: float


def _unwrap(model: Any) -> tuple[Any, Any | None, str]:
    """``(pipeline, calibrator, response)``: the fitted pipeline inside ``model``, the
    calibrator (None when uncalibrated) and the response it was fitted on."""
    calibrated = getattr(model, "calibrated_classifiers_", None)
    if calibrated is None:
        return model, None, "proba"
    if len(calibrated) != 1:
        raise InputError(
            "cannot serve an ensemble of calibrated models",
            expected="CalibratedClassifierCV on a frozen estimator (one calibrator)",
            found=f"{len(calibrated)} calibrated classifiers",
        )
    inner = calibrated[0]
    pipeline = getattr(inner.estimator, "estimator", inner.estimator)  # FrozenEstimator
    has_decision = hasattr(pipeline[-1], "decision_function")
    return pipeline, inner.calibrators[0], "decision" if has_decision else "proba"


class Scorer:
    """A fitted pipeline compiled for serving (see the module docstring).

    Args:
        model: what training saved (a calibrated classifier or a bare pipeline).
        features: the use case's feature names, in the order rows are given.
        categorical: which of them are categorical.
    """

    def __init__(self, model: Any, features: Sequence[str], categorical: Sequence[str]) -> None:
        pipeline, self._calibrator, self._response = _unwrap(model)
        self.model = model
        self.features = tuple(features)
        self.categorical = frozenset(categorical)
        pre, clf = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
        self.family = "lightgbm" if hasattr(clf, "booster_") else "logistic_regression"
        # One thread per prediction (DESIGN.md: LightGBM's default threading collapses a
        # server's throughput). Booster.reset_parameter segfaults on a booster loaded from
        # its model string, so the thread count goes with each predict call instead.
        self._booster = clf.booster_ if self.family == "lightgbm" else None
        self._coef = None if self._booster is not None else np.asarray(clf.coef_[0], np.float64)
        self._intercept = 0.0 if self._booster is not None else float(clf.intercept_[0])
        self._compile(pre)

    # -- compile ------------------------------------------------------------------------------

    def _compile(self, pre: Any) -> None:
        index = {name: i for i, name in enumerate(self.features)}
        self.numeric: list[str] = []
        self._numeric_plan: tuple[Any, ...] | None = None
        self._onehot: dict[str, tuple[dict[str, _F], _F]] = {}
        owners: list[int] = []  # output column -> feature index
        for name, transformer, columns in pre.transformers_:
            if name == "remainder" or transformer == "drop":
                continue
            cols = list(columns)
            missing = [c for c in cols if c not in index]
            if missing:
                raise InputError(
                    "the model uses a feature the use case does not define",
                    field=missing[0],
                    expected=", ".join(self.features)[:120],
                )
            if name == "numeric":
                self.numeric = cols
                owners += self._compile_numeric(transformer, cols, index)
            elif name == "categorical":
                for c in cols:
                    lookup, unseen = _onehot_rows(transformer, cols, c)
                    self._onehot[c] = (lookup, unseen)
                    owners += [index[c]] * len(unseen)
            else:
                raise InputError("unknown preprocessing step", found=str(name)[:40])
        self.width = len(owners)
        self._owners = np.asarray(owners, dtype=np.intp)
        # features -> output columns, for summing contributions per feature
        self._group = np.zeros((self.width, len(self.features)), dtype=np.float64)
        self._group[np.arange(self.width), self._owners] = 1.0

    def _compile_numeric(
        self, transformer: Any, cols: list[str], index: dict[str, int]
    ) -> list[int]:
        if not hasattr(transformer, "named_steps"):
            # "passthrough" (fitted: an identity FunctionTransformer)
            if getattr(transformer, "func", None) is not None:
                raise InputError("unknown numeric transform", found=type(transformer).__name__)
            self._numeric_plan = None
            return [index[c] for c in cols]
        imputer = transformer.named_steps["impute"]
        scaler = transformer.named_steps["scale"]
        medians = np.asarray(imputer.statistics_, dtype=np.float64)
        flagged = (
            np.asarray(imputer.indicator_.features_, dtype=np.intp)
            if imputer.indicator_ is not None
            else np.zeros(0, dtype=np.intp)
        )
        self._numeric_plan = (
            medians,
            flagged,
            np.asarray(scaler.mean_, np.float64),
            np.asarray(scaler.scale_, np.float64),
        )
        return [index[c] for c in cols] + [index[cols[j]] for j in flagged]

    # -- score --------------------------------------------------------------------------------

    def vectorize(self, rows: Sequence[Mapping[str, Any]]) -> _F:
        """The model's input matrix for ``rows`` (dicts of feature name -> value)."""
        n = len(rows)
        numeric = np.full((n, len(self.numeric)), np.nan)
        for i, row in enumerate(rows):
            for j, name in enumerate(self.numeric):
                v = row.get(name)
                if v is not None:
                    numeric[i, j] = v
        parts: list[_F] = []
        if self.numeric:
            parts.append(self._numeric_out(numeric))
        for name, (lookup, unseen) in self._onehot.items():
            block = np.empty((n, len(unseen)))
            for i, row in enumerate(rows):
                v = row.get(name)
                key = MISSING if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                block[i] = lookup.get(key, unseen)
            parts.append(block)
        return np.hstack(parts) if len(parts) > 1 else parts[0]

    def _numeric_out(self, x: _F) -> _F:
        if self._numeric_plan is None:
            return x
        medians, flagged, mean, scale = self._numeric_plan
        missing = np.isnan(x)
        filled = np.where(missing, medians, x)
        out = np.hstack([filled, missing[:, flagged].astype(np.float64)])
        return (out - mean) / scale  # type: ignore[no-any-return]

    def score(self, rows: Sequence[Mapping[str, Any]], *, explain: bool = True) -> Explained:
        """Calibrated risks (and contributions per feature when ``explain``) of ``rows``."""
        x = self.vectorize(rows)
        contrib: _F | None
        if self._booster is not None:
            if explain:
                full = np.asarray(
                    self._booster.predict(x, pred_contrib=True, num_threads=1), dtype=np.float64
                )
                raw = full.sum(axis=1)
                bias = float(full[0, -1]) if len(full) else 0.0
                contrib = full[:, :-1] @ self._group
            else:
                raw = np.asarray(
                    self._booster.predict(x, raw_score=True, num_threads=1), dtype=np.float64
                )
                contrib, bias = None, 0.0
            response = raw if self._response == "decision" else 1.0 / (1.0 + np.exp(-raw))
        else:
            assert self._coef is not None
            terms = x * self._coef
            raw = terms.sum(axis=1) + self._intercept
            response = raw if self._response == "decision" else 1.0 / (1.0 + np.exp(-raw))
            contrib = terms @ self._group if explain else None
            bias = self._intercept
        risk = self._calibrate(response) if self._calibrator is not None else _expit(raw)
        return Explained(np.clip(risk, 0.0, 1.0), raw, contrib, bias)

    def _calibrate(self, response: _F) -> _F:
        """The fitted calibrator's map, in closed form for the two sklearn calibrators
        (sklearn's ``predict`` validates its input at a cost larger than the map itself)."""
        cal: Any = self._calibrator
        if hasattr(cal, "a_") and hasattr(cal, "b_"):  # Platt: expit(-(a f + b))
            return _expit(-(float(cal.a_) * response + float(cal.b_)))
        if hasattr(cal, "X_thresholds_") and getattr(cal, "out_of_bounds", None) == "clip":
            x = np.clip(response, cal.X_min_, cal.X_max_)
            out: _F = np.interp(x, cal.X_thresholds_, cal.y_thresholds_).astype(np.float64)
            return out
        return np.asarray(cal.predict(response), dtype=np.float64)

    def loggable(self, name: str, value: Any) -> Any:
        """``value`` of feature ``name`` as the prediction log may keep it: numbers and the
        categories the model was trained on as they are; any other text as ``(unseen)``, so
        that free text a caller put in a field (a name, a note) is never written down."""
        if name not in self._onehot:
            return value if value is None or isinstance(value, int | float) else None
        if value is None or str(value) in self._onehot[name][0]:
            return value
        return "(unseen)"

    def oracle(self, rows: Sequence[Mapping[str, Any]]) -> _F:
        """The saved model's own ``predict_proba`` on ``rows`` (slow; for tests and checks)."""
        frame = pd.DataFrame([{f: r.get(f) for f in self.features} for r in rows])
        for c in self.features:
            if c in self.categorical:
                frame[c] = frame[c].astype("object")
            else:
                frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
        return np.asarray(self.model.predict_proba(frame)[:, 1], dtype=np.float64)


def _expit(x: _F) -> _F:
    out: _F = 1.0 / (1.0 + np.exp(-x))
    return out


def _onehot_rows(transformer: Any, cols: list[str], column: str) -> tuple[dict[str, _F], _F]:
    """The fitted encoder's output for ``column``'s every known category, ``missing`` and an
    unseen category, by running the fitted transformer itself on one row per category."""
    encoder = transformer.named_steps["onehot"]
    j = cols.index(column)
    known = [str(c) for c in encoder.categories_[j]]
    values = [*dict.fromkeys([*known, MISSING]), _UNSEEN]
    probe = pd.DataFrame({c: [known[0] if known else MISSING] * len(values) for c in cols})
    probe[column] = values
    probe = probe.astype("object")
    out = np.asarray(transformer.transform(probe), dtype=np.float64)
    starts = np.cumsum([0, *[len(_output_categories(encoder, k)) for k in range(len(cols))]])
    block = out[:, starts[j] : starts[j + 1]]
    lookup = {v: block[i].copy() for i, v in enumerate(values[:-1])}
    return lookup, block[-1].copy()


def _output_categories(encoder: Any, k: int) -> list[Any]:
    """The output columns of feature ``k`` of a fitted one-hot encoder (frequent categories,
    then one infrequent column when there are infrequent categories)."""
    infrequent = getattr(encoder, "infrequent_categories_", None)
    cats = list(encoder.categories_[k])
    if infrequent is not None and infrequent[k] is not None:
        kept = [c for c in cats if c not in set(infrequent[k])]
        drop_idx = getattr(encoder, "drop_idx_", None)
        if drop_idx is not None and drop_idx[k] is not None:
            kept = kept[1:]
        return [*kept, "infrequent"]
    return cats
