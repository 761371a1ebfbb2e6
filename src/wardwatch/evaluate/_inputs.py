"""Checking and encoding what the caller hands in: labels, probabilities, patients, times, groups.

An evaluation of bad input would be worse than none, so anything that is not what it must be
stops the run with a one-line :class:`~wardwatch.errors.InputError` naming the argument, what
was expected and what was found (by position, never by patient id: ids are PHI).

The result is compact integer codes: patients ``0..n_patients-1`` (the unit of resampling),
calendar months of the index time in order, and the levels of each subgroup attribute
(a missing value is a level of its own, ``(missing)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from wardwatch.errors import InputError

__all__ = ["MAX_LEVELS", "MISSING_LEVEL", "Grouping", "Prepared", "prepare"]

MISSING_LEVEL = "(missing)"
MAX_LEVELS = 200
"""Most levels a subgroup attribute may have: more suggests an identifier passed by mistake
(level names are shown in the report, suppressed ones included)."""
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class Grouping:
    """Rows split into named groups: ``codes[i]`` is row i's group, ``labels[g]`` its name."""

    name: str
    codes: IntArray
    labels: list[str]


@dataclass(frozen=True)
class Prepared:
    """Validated, encoded predictions."""

    y: NDArray[np.int8]
    p: NDArray[np.float64]
    patient: IntArray
    n_patients: int
    months: Grouping | None = None
    first_time: str | None = None
    last_time: str | None = None
    span_days: float | None = None
    subgroups: list[Grouping] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.y.shape[0])


def _positions(mask: NDArray[np.bool_]) -> str:
    where = np.flatnonzero(mask)
    first = ", ".join(str(i) for i in where[:3])
    more = f" and {len(where) - 3:,} more" if len(where) > 3 else ""
    return f"{len(where):,} at positions {first}{more}"


def _one_d(name: str, values: Any, n: int | None) -> NDArray[Any]:
    if isinstance(values, pd.Series | pd.Index):
        arr: NDArray[Any] = values.to_numpy()
    else:
        try:
            arr = np.asarray(values)
        except (TypeError, ValueError) as exc:
            raise InputError(
                "cannot read as an array", field=name, found=str(exc).splitlines()[0]
            ) from None
    if arr.ndim != 1:
        raise InputError(
            "must be one-dimensional",
            field=name,
            expected="one value per prediction",
            found=f"shape {arr.shape}",
        )
    if n is not None and arr.shape[0] != n:
        raise InputError(
            "length does not match y_true",
            field=name,
            expected=f"{n:,} values",
            found=f"{arr.shape[0]:,}",
            hint="pass one value per prediction, in the same order",
        )
    return arr


def _labels(values: Any) -> NDArray[np.int8]:
    arr = _one_d("y_true", values, None)
    if arr.shape[0] == 0:
        raise InputError("no predictions to evaluate", field="y_true", expected="at least one")
    if arr.dtype == bool:
        return arr.astype(np.int8)
    try:
        num = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(
            "labels must be 0 or 1",
            field="y_true",
            expected="0/1 or booleans",
            found=str(arr.dtype),
        ) from None
    bad = ~np.isin(num, (0.0, 1.0))
    if bad.any():
        example = num[np.flatnonzero(bad)[0]]
        raise InputError(
            "labels must be 0 or 1",
            field="y_true",
            expected="0/1 or booleans",
            found=f"{example!r}: {_positions(bad)}",
        )
    return num.astype(np.int8)


def _probabilities(values: Any, n: int) -> NDArray[np.float64]:
    arr = _one_d("y_prob", values, n)
    try:
        p = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise InputError(
            "probabilities must be numbers", field="y_prob", expected="floats in [0, 1]"
        ) from None
    missing = ~np.isfinite(p)
    if missing.any():
        raise InputError(
            "probabilities must be finite",
            field="y_prob",
            expected="floats in [0, 1]",
            found=f"NaN or infinite: {_positions(missing)}",
            hint="drop or impute the rows without a prediction first",
        )
    outside = (p < 0.0) | (p > 1.0)
    if outside.any():
        example = p[np.flatnonzero(outside)[0]]
        raise InputError(
            "probabilities outside [0, 1]",
            field="y_prob",
            expected="floats in [0, 1]",
            found=f"{example:g}: {_positions(outside)}",
            hint="pass predicted probabilities (predict_proba[:, 1]), not scores or logits",
        )
    return p


def _factorize(name: str, values: Any, n: int) -> tuple[IntArray, NDArray[Any]]:
    arr = _one_d(name, values, n)
    codes, uniques = pd.factorize(pd.Series(arr, dtype=object if arr.dtype.kind == "O" else None))
    return codes.astype(np.intp), np.asarray(uniques)


def _patients(values: Any, n: int) -> tuple[IntArray, int]:
    codes, uniques = _factorize("patient_ids", values, n)
    missing = codes < 0
    if missing.any():
        raise InputError(
            "patient ids must not be missing",
            field="patient_ids",
            expected="an id for every prediction",
            found=f"missing: {_positions(missing)}",
        )
    return codes, len(uniques)


def _months(values: Any, n: int) -> tuple[Grouping, str, str, float]:
    # Datetime columns go to pandas as they are (a tz-aware one would become objects).
    arr = values if isinstance(values, pd.Series | pd.Index) else _one_d("index_times", values, n)
    if len(arr) != n:
        _one_d("index_times", values, n)
    try:
        times = pd.Series(pd.to_datetime(arr, utc=True))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(
            "cannot read index times",
            field="index_times",
            expected="datetimes or ISO 8601 strings",
            found=str(exc).splitlines()[0],
        ) from None
    missing = times.isna().to_numpy()
    if missing.any():
        raise InputError(
            "index times must not be missing",
            field="index_times",
            expected="a time for every prediction",
            found=f"missing: {_positions(missing)}",
        )
    key = (times.dt.year.to_numpy() * 12 + times.dt.month.to_numpy() - 1).astype(np.intp)
    present, codes = np.unique(key, return_inverse=True)
    labels = [f"{k // 12:04d}-{k % 12 + 1:02d}" for k in present.tolist()]
    first, last = times.min(), times.max()
    span = (last - first).total_seconds() / 86400.0
    return (
        Grouping("month", codes.astype(np.intp), labels),
        first.date().isoformat(),
        last.date().isoformat(),
        span,
    )


def _grouping(name: Any, values: Any, n: int) -> Grouping:
    if not isinstance(name, str) or not name:
        raise InputError(
            "subgroup attribute names must be non-empty strings",
            field="subgroups",
            found=repr(name),
        )
    codes, uniques = _factorize(f"subgroups[{name!r}]", values, n)
    if len(uniques) > MAX_LEVELS:
        raise InputError(
            "too many levels for a subgroup attribute",
            field=f"subgroups[{name!r}]",
            expected=f"a categorical attribute with at most {MAX_LEVELS} levels",
            found=f"{len(uniques):,} levels",
            hint="band continuous values (age bands) and never pass identifiers as subgroups",
        )
    labels = [str(u) for u in uniques.tolist()]
    order = sorted(range(len(labels)), key=lambda i: labels[i])
    remap = np.empty(len(labels) + 1, dtype=np.intp)
    remap[np.asarray(order, dtype=np.intp)] = np.arange(len(labels))
    labels = [labels[i] for i in order]
    if (codes < 0).any():
        remap[-1] = len(labels)  # code -1 (missing) is the last level
        labels.append(MISSING_LEVEL)
    return Grouping(name, remap[codes], labels)


def prepare(
    y_true: Any,
    y_prob: Any,
    patient_ids: Any,
    index_times: Any = None,
    subgroups: Mapping[str, Any] | None = None,
) -> Prepared:
    """Validate the inputs of an evaluation and encode them (see the module docstring)."""
    y = _labels(y_true)
    n = int(y.shape[0])
    p = _probabilities(y_prob, n)
    patient, n_patients = _patients(patient_ids, n)
    months = first = last = span = None
    if index_times is not None:
        months, first, last, span = _months(index_times, n)
    groups: list[Grouping] = []
    if subgroups is not None:
        if not isinstance(subgroups, Mapping):
            raise InputError(
                "subgroups must be a mapping",
                field="subgroups",
                expected="{attribute name: one value per prediction}",
                found=type(subgroups).__name__,
            )
        groups = [_grouping(k, v, n) for k, v in subgroups.items()]
    return Prepared(
        y=y,
        p=p,
        patient=patient,
        n_patients=n_patients,
        months=months,
        first_time=first,
        last_time=last,
        span_days=span,
        subgroups=groups,
    )
