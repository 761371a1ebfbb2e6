"""Probability calibration of a fitted model on a held-out calibration split.

A model can rank patients well and still be wrong about how likely the outcome is (a
LightGBM model or a class-weighted regression routinely over- or under-states risk). The
calibration split was not used to fit the model; on it, a monotone map from the model's
score to a probability is fitted:

``isotonic``
    a non-decreasing step function (:class:`~sklearn.isotonic.IsotonicRegression`); no
    shape assumed, needs a few hundred events to be stable.
``sigmoid``
    Platt scaling, a logistic curve of the score; two parameters, stable on small splits.
``none``
    the model's own probabilities.

The model itself is wrapped in :class:`~sklearn.frozen.FrozenEstimator`, so
:class:`~sklearn.calibration.CalibratedClassifierCV` fits only the map, on all the data it
is given (scikit-learn 1.6+ replaced ``cv="prefit"`` by this).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from wardwatch.errors import InputError

__all__ = ["CalibrationMethod", "calibrate"]

CalibrationMethod = Literal["isotonic", "sigmoid", "none"]


def calibrate(fitted: Any, x: pd.DataFrame, y: np.ndarray, method: CalibrationMethod) -> Any:
    """``fitted`` with its probabilities calibrated on ``(x, y)`` by ``method``.

    Returns a fitted :class:`CalibratedClassifierCV` (an ordinary scikit-learn classifier:
    ``predict_proba``, ``predict``, ``clone``), or ``fitted`` itself for ``"none"``. ``y``
    needs both outcomes.
    """
    check_is_fitted(fitted)
    if method == "none":
        return fitted
    y = np.asarray(y)
    if len(y) == 0 or np.unique(y).size < 2:
        raise InputError(
            "the calibration split needs both outcomes",
            field="split.calibration",
            expected="positive and negative labels",
            found=f"{int(y.sum())} positives in {len(y)} events",
            hint="use a larger calibration fraction or calibration method none",
        )
    calibrated = CalibratedClassifierCV(FrozenEstimator(fitted), method=method)
    return calibrated.fit(x, y)
