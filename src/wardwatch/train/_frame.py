"""The training frame: checks of the input contract and the model's feature matrix.

The frame comes from ``wardwatch.features.build_features``: one row per index event with
``index_id``, ``patient_id``, ``index_time``, ``label`` (0/1), ``group_<name>`` subgroup
columns and one column per feature (float64 with NaN for numeric features; strings with
None for categorical ones).

Errors name the column and the row *position* (0-based) — never an id or a value of a
patient, so that messages can go to logs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.features._spec import FeatureSpec

__all__ = [
    "ID_COLUMNS",
    "check_core_columns",
    "feature_matrix",
    "group_columns",
    "labels",
]

ID_COLUMNS = ("index_id", "patient_id", "index_time")
"""Columns that identify a patient or an event: never passed to a model nor to MLflow."""


def check_core_columns(frame: pd.DataFrame) -> None:
    """Raise :class:`InputError` unless ``frame`` has usable ids, times and 0/1 labels."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            "the training input is not a table",
            expected="a pandas DataFrame from build_features",
            found=type(frame).__name__,
        )
    if len(frame) == 0:
        raise InputError(
            "the training frame has no rows",
            expected="one row per index event",
            found="0 rows",
            hint="check the cohort definition and the data period",
        )
    for col in (*ID_COLUMNS, "label"):
        if col not in frame.columns:
            raise InputError(
                "a required column is missing from the training frame",
                field=col,
                expected="columns index_id, patient_id, index_time, label",
                found=f"{len(frame.columns)} columns without {col}",
                hint="build the frame with wardwatch.features.build_features",
            )
    for col in ("index_id", "patient_id", "index_time"):
        missing = frame[col].isna().to_numpy()
        if missing.any():
            raise InputError(
                "a required value is missing",
                record=f"row {int(np.argmax(missing))}",
                field=col,
                expected="a value in every row",
                found=f"{int(missing.sum())} missing",
            )
    if not pd.api.types.is_datetime64_any_dtype(frame["index_time"]):
        raise InputError(
            "index times are not timestamps",
            field="index_time",
            expected="datetime64 (UTC)",
            found=str(frame["index_time"].dtype),
        )
    dup = frame["index_id"].duplicated().to_numpy()
    if dup.any():
        raise InputError(
            "index ids are not unique",
            record=f"row {int(np.argmax(dup))}",
            field="index_id",
            expected="one row per index event",
            found=f"{int(dup.sum())} repeated ids",
        )
    labels(frame)


def labels(frame: pd.DataFrame) -> np.ndarray:
    """The ``label`` column as an int64 array of 0/1; :class:`InputError` otherwise."""
    col = frame["label"]
    if pd.api.types.is_bool_dtype(col) and not col.isna().any():
        return np.asarray(col.to_numpy(dtype=np.int64))
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = (values == 0.0) | (values == 1.0)
    else:  # object labels: accept the numbers 0 and 1 (and booleans), nothing else
        raw = col.to_numpy(dtype=object)
        ok = np.fromiter((_is_binary(v) for v in raw), dtype=bool, count=len(raw))
        values = np.where(ok, raw, 0).astype(np.float64)
    if not ok.all():
        bad = pd.Series(col.to_numpy(dtype=object)[~ok]).astype(str).unique()[:3]
        raise InputError(
            "labels must be 0 or 1",
            record=f"row {int(np.argmax(~ok))}",
            field="label",
            expected="0 or 1 in every row",
            found=f"{int((~ok).sum())} other values such as {', '.join(bad)} ({col.dtype})",
        )
    return np.asarray(values, dtype=np.int64)


def _is_binary(value: object) -> bool:
    return isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_)) and bool(
        value == 0 or value == 1
    )


def group_columns(frame: pd.DataFrame) -> list[str]:
    """The ``group_<name>`` subgroup columns present in ``frame``, in frame order."""
    return [str(c) for c in frame.columns if str(c).startswith("group_")]


def feature_matrix(frame: pd.DataFrame, features: Sequence[FeatureSpec]) -> pd.DataFrame:
    """The model's input: one column per feature, numeric as float64, categorical as object.

    Numeric columns must have a numeric dtype (NaN = missing). Categorical values are turned
    into strings with ``None`` for missing (None, NaN and ``pd.NA`` alike). No id or time
    column is carried over.
    """
    out: dict[str, pd.Series] = {}
    for feat in features:
        if feat.name not in frame.columns:
            raise InputError(
                "a feature column is missing from the training frame",
                field=feat.name,
                expected="one column per feature of the use case",
                found="no such column",
                hint="rebuild the features with the same use case",
            )
        col = frame[feat.name]
        if feat.categorical:
            obj = col.astype(object)
            present = obj.notna().to_numpy()
            values = np.empty(len(obj), dtype=object)
            values[:] = None
            values[present] = [str(v) for v in obj.to_numpy()[present]]
            out[feat.name] = pd.Series(values, index=frame.index, dtype=object)
        else:
            if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
                raise InputError(
                    "a numeric feature has non-numeric values",
                    field=feat.name,
                    expected="float64 (NaN = missing)",
                    found=str(col.dtype),
                    hint="check the feature definition (kind and field) in the use case",
                )
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            inf = np.isinf(values)
            if inf.any():
                raise InputError(
                    "a numeric feature has infinite values",
                    record=f"row {int(np.argmax(inf))}",
                    field=feat.name,
                    expected="finite numbers or NaN (missing)",
                    found=f"{int(inf.sum())} infinite values",
                    hint="check the feature definition (a ratio dividing by zero?)",
                )
            out[feat.name] = pd.Series(values, index=frame.index)
    return pd.DataFrame(out, index=frame.index)
