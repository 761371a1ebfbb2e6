"""Temporal, patient-grouped splits: train on earlier index events, test on later ones.

Index events are ordered by ``index_time`` (ties broken by ``index_id``, so the order does
not depend on the row order of the input) and cut by the cumulative fractions of
:class:`~wardwatch.features.SplitSpec` into train, calibration, validation and test: row
``k`` of ``n`` (0-based, in time order) goes to the first split whose cumulative bound
``round(n * cumulative fraction)`` is above ``k``.

With ``group_by_patient`` a patient belongs to the split of their *last* index event; their
earlier events that fall in an earlier split are assigned ``"dropped"`` (and counted per split
they would have gone to). So no patient appears in two splits, and the later splits (test
above all) keep every patient they see, with the whole history as features: a test set of
only first-time patients would leave out the frequent readmitters a model exists for. Train
loses the early stays of patients who come back later. :attr:`SplitResult.patient_overlap` is
counted from the assignment, not assumed, so the report can show it is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.features._spec import SplitSpec
from wardwatch.train._frame import check_core_columns, labels

__all__ = ["DROPPED", "SPLITS", "SplitCounts", "SplitResult", "temporal_split"]

SPLITS = ("train", "calibration", "validation", "test")
"""The splits in time order."""
DROPPED = "dropped"
"""Assignment of an earlier event of a patient who belongs to a later split."""

DateResolution = Literal["day", "month"]


@dataclass(frozen=True)
class SplitCounts:
    """Size of one split: index events, distinct patients, positive labels and time span."""

    name: str
    rows: int
    patients: int
    positives: int
    start: pd.Timestamp | None
    """Earliest ``index_time`` in the split (None when empty)."""
    end: pd.Timestamp | None
    """Latest ``index_time`` in the split (None when empty)."""

    @property
    def prevalence(self) -> float | None:
        """Share of positive labels (0 to 1); None for an empty split."""
        return self.positives / self.rows if self.rows else None

    def to_dict(self, *, dates: DateResolution = "day") -> dict[str, Any]:
        fmt = "%Y-%m-%d" if dates == "day" else "%Y-%m"
        return {
            "rows": self.rows,
            "patients": self.patients,
            "positives": self.positives,
            "prevalence": None if self.prevalence is None else round(self.prevalence, 6),
            "start": None if self.start is None else self.start.strftime(fmt),
            "end": None if self.end is None else self.end.strftime(fmt),
        }


@dataclass(frozen=True)
class SplitResult:
    """Which split each row belongs to, and what that gives per split."""

    spec: SplitSpec
    assignment: pd.Series
    """Per input row (same index and order as the frame): train | calibration | validation |
    test | dropped."""
    counts: dict[str, SplitCounts]
    """Per split, in time order."""
    dropped: int
    """Rows dropped because their patient belongs to a later split."""
    dropped_by_split: dict[str, int]
    """Dropped rows by the split they would have gone to."""
    patient_overlap: int
    """Patients with rows in more than one split (dropped rows aside); 0 with grouping."""

    def mask(self, name: str) -> np.ndarray:
        """Boolean mask over the frame's rows (positional) of split ``name``."""
        if name not in (*SPLITS, DROPPED):
            raise KeyError(name)
        return np.asarray(self.assignment.to_numpy() == name, dtype=bool)

    def to_dict(self, *, dates: DateResolution = "day") -> dict[str, Any]:
        """Plain summary (no ids). ``dates="month"`` coarsens the split time spans, since the
        first and last date of a split are single patients' dates."""
        return {
            "method": self.spec.method,
            "group_by_patient": self.spec.group_by_patient,
            "fractions": {s: getattr(self.spec, s) for s in SPLITS},
            "rows": len(self.assignment),
            "splits": {s: c.to_dict(dates=dates) for s, c in self.counts.items()},
            "dropped": self.dropped,
            "dropped_by_split": dict(self.dropped_by_split),
            "patient_overlap": self.patient_overlap,
        }


def temporal_split(frame: pd.DataFrame, spec: SplitSpec) -> SplitResult:
    """Assign every row of ``frame`` to a split (see the module docstring).

    ``frame`` needs ``index_id``, ``patient_id``, ``index_time`` and a 0/1 ``label``. Raises
    :class:`InputError` when a split with a fraction above 0 ends up empty, or without a
    positive or a negative label (its metrics and calibration would be undefined).
    """
    check_core_columns(frame)
    y = labels(frame)
    n = len(frame)
    times = _utc(frame["index_time"])
    keys = pd.DataFrame(
        {"t": times.dt.tz_localize(None).to_numpy(), "i": frame["index_id"].astype(str).to_numpy()}
    )
    order = keys.sort_values(["t", "i"], kind="stable").index.to_numpy()
    fractions = np.array([getattr(spec, s) for s in SPLITS], dtype=np.float64)
    bounds = np.rint(np.cumsum(fractions) * n).astype(np.int64)
    bounds[-1] = n
    by_position = np.searchsorted(bounds, np.arange(n), side="right")
    split_idx = np.empty(n, dtype=np.int64)
    split_idx[order] = by_position

    dropped_idx = np.zeros(n, dtype=bool)
    if spec.group_by_patient:
        patients = frame["patient_id"].to_numpy()[order]
        last = pd.Series(by_position).groupby(patients, sort=False).transform("max")
        earlier = by_position != last.to_numpy()
        dropped_idx[order[earlier]] = True

    names = np.array(SPLITS, dtype=object)[split_idx]
    names[dropped_idx] = DROPPED
    assignment = pd.Series(names, index=frame.index, name="split", dtype=object)

    counts: dict[str, SplitCounts] = {}
    pid = frame["patient_id"].to_numpy()
    for i, name in enumerate(SPLITS):
        m = (split_idx == i) & ~dropped_idx
        rows = int(m.sum())
        counts[name] = SplitCounts(
            name=name,
            rows=rows,
            patients=int(pd.unique(pid[m]).size),
            positives=int(y[m].sum()),
            start=times[m].min() if rows else None,
            end=times[m].max() if rows else None,
        )
    dropped_by_split = {
        name: int(((split_idx == i) & dropped_idx).sum()) for i, name in enumerate(SPLITS)
    }
    kept = ~dropped_idx
    per_patient = pd.Series(split_idx[kept]).groupby(pid[kept], sort=False).nunique()
    result = SplitResult(
        spec=spec,
        assignment=assignment,
        counts=counts,
        dropped=int(dropped_idx.sum()),
        dropped_by_split=dropped_by_split,
        patient_overlap=int((per_patient > 1).sum()),
    )
    _check_usable(result)
    return result


def _utc(times: pd.Series) -> pd.Series:
    """Index times as UTC (naive times are taken as UTC), positional index."""
    s = times.reset_index(drop=True)
    return s.dt.tz_localize("UTC") if s.dt.tz is None else s.dt.tz_convert("UTC")


def _check_usable(result: SplitResult) -> None:
    spec = result.spec
    used = {n: c for n, c in result.counts.items() if getattr(spec, n) > 0}
    for name, c in used.items():  # emptiness first: it is the more basic problem
        fraction = getattr(spec, name)
        if c.rows == 0:
            lost = result.dropped_by_split[name]
            why = f"; {lost} events dropped as their patients are in later splits" if lost else ""
            raise InputError(
                f"split {name} is empty",
                field=f"split.{name}",
                expected="at least one index event per split",
                found=f"0 of {len(result.assignment)} events (fraction {fraction:g}){why}",
                hint=f"use more data or a larger split.{name} fraction",
            )
    for name, c in used.items():
        if c.positives == 0 or c.positives == c.rows:
            which = "positive" if c.positives == 0 else "negative"
            raise InputError(
                f"split {name} has no {which} labels",
                field=f"split.{name}",
                expected="both outcomes in every split",
                found=f"{c.positives} positives in {c.rows} events",
                hint=f"use a longer data period or a larger split.{name} fraction",
            )
