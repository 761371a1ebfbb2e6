"""Temporal, patient-grouped splits: order, zero overlap, dropped counts, determinism."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from tests.train._data import make_frame

from wardwatch.errors import InputError
from wardwatch.features import SplitSpec
from wardwatch.train import DROPPED, SPLITS, temporal_split

BASE = pd.Timestamp("2022-01-01", tz="UTC")

# (position in time, patient, label, expected split) with fractions 0.5/0.1/0.2/0.2 of 20
# events: positions 0-9 train, 10-11 calibration, 12-15 validation, 16-19 test.
HAND = [
    (0, "A", 1, DROPPED),  # A belongs to test (its last event)
    (1, "B", 0, DROPPED),  # B belongs to validation
    (2, "C", 0, "train"),
    (3, "D", 1, "train"),
    (4, "E", 0, "train"),
    (5, "F", 0, "train"),
    (6, "A", 0, DROPPED),  # A again
    (7, "G", 1, "train"),
    (8, "H", 0, "train"),
    (9, "I", 0, "train"),
    (10, "P", 1, "calibration"),
    (11, "K", 0, "calibration"),
    (12, "B", 1, "validation"),
    (13, "L", 1, DROPPED),  # L belongs to test
    (14, "M", 0, "validation"),
    (15, "J", 0, "validation"),
    (16, "N", 1, "test"),
    (17, "O", 0, "test"),
    (18, "A", 1, "test"),
    (19, "L", 0, "test"),
]
HAND_SPEC = SplitSpec(train=0.5, calibration=0.1, validation=0.2, test=0.2)


def hand_frame(seed: int = 0) -> pd.DataFrame:
    rows = [
        {
            "index_id": f"ix-{pos:02d}",
            "patient_id": patient,
            "index_time": BASE + pd.Timedelta(hours=pos),
            "label": label,
            "expected": expected,
        }
        for pos, patient, label, expected in HAND
    ]
    frame = pd.DataFrame(rows)
    frame["index_time"] = frame["index_time"].astype("datetime64[us, UTC]")
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_hand_built_case_assignment_and_counts() -> None:
    frame = hand_frame()
    result = temporal_split(frame, HAND_SPEC)
    assert result.assignment.tolist() == frame["expected"].tolist()
    assert result.dropped == 4
    assert result.dropped_by_split == {"train": 3, "calibration": 0, "validation": 1, "test": 0}
    assert result.patient_overlap == 0
    train = result.counts["train"]
    assert (train.rows, train.patients, train.positives) == (7, 7, 2)
    assert train.start == BASE + pd.Timedelta(hours=2)
    assert train.end == BASE + pd.Timedelta(hours=9)
    sizes = {n: (c.rows, c.patients, c.positives) for n, c in result.counts.items()}
    assert sizes["calibration"] == (2, 2, 1)
    assert sizes["validation"] == (3, 3, 1)
    assert sizes["test"] == (4, 4, 2)  # every test patient kept, A and L included
    assert result.counts["test"].prevalence == 0.5


def test_without_grouping_nothing_is_dropped_and_overlap_is_reported() -> None:
    frame = hand_frame()
    spec = HAND_SPEC.model_copy(update={"group_by_patient": False})
    result = temporal_split(frame, spec)
    assert result.dropped == 0
    assert DROPPED not in set(result.assignment)
    # A (train, test), B (train, validation), L (validation, test)
    assert result.patient_overlap == 3


def test_time_order_and_zero_patient_overlap_on_straddling_patients() -> None:
    frame, _ = make_frame(800, seed=1)
    result = temporal_split(frame, SplitSpec())
    kept = frame.assign(split=result.assignment.to_numpy())
    kept = kept[kept["split"] != DROPPED]
    # patients do straddle the cuts here, so grouping had work to do
    assert result.dropped > 0
    # overlap counted independently of the implementation
    splits_per_patient = kept.groupby("patient_id")["split"].nunique()
    assert int((splits_per_patient > 1).sum()) == 0 == result.patient_overlap
    # earlier splits hold earlier events
    for earlier, later in itertools.pairwise(SPLITS):
        a = kept.loc[kept["split"] == earlier, "index_time"]
        b = kept.loc[kept["split"] == later, "index_time"]
        assert a.max() <= b.min()
    assert result.counts["train"].end <= result.counts["test"].start
    # the counts add up: every row is in exactly one split or dropped
    assert sum(c.rows for c in result.counts.values()) + result.dropped == len(frame)
    for name, c in result.counts.items():
        part = kept[kept["split"] == name]
        assert c.rows == len(part)
        assert c.patients == part["patient_id"].nunique()
        assert c.positives == int(part["label"].sum())


def test_deterministic_and_independent_of_row_order() -> None:
    frame, _ = make_frame(500, seed=2)
    first = temporal_split(frame, SplitSpec())
    again = temporal_split(frame, SplitSpec())
    shuffled = frame.sample(frac=1.0, random_state=7)
    other = temporal_split(shuffled, SplitSpec())
    by_id = dict(zip(frame["index_id"], first.assignment, strict=True))
    assert first.assignment.equals(again.assignment)
    assert list(other.assignment.index) == list(shuffled.index)
    assert [by_id[i] for i in shuffled["index_id"]] == other.assignment.tolist()
    assert first.to_dict() == other.to_dict()


def test_ties_in_time_are_broken_by_index_id() -> None:
    frame = hand_frame()
    # give positions 9 and 10 (the train/calibration cut) the same time
    tie = frame["index_id"].isin(["ix-09", "ix-10"])
    frame.loc[tie, "index_time"] = BASE + pd.Timedelta(hours=9)
    for seed in range(3):
        shuffled = frame.sample(frac=1.0, random_state=seed)
        result = temporal_split(shuffled, HAND_SPEC)
        got = dict(zip(shuffled["index_id"], result.assignment, strict=True))
        assert got["ix-09"] == "train"
        assert got["ix-10"] == "calibration"


def test_to_dict_is_plain_and_month_resolution_hides_days() -> None:
    result = temporal_split(hand_frame(), HAND_SPEC)
    summary = result.to_dict()
    assert summary["splits"]["train"]["start"] == "2022-01-01"
    assert summary["patient_overlap"] == 0
    assert summary["rows"] == 20
    assert result.to_dict(dates="month")["splits"]["train"]["start"] == "2022-01"
    assert np.array_equal(result.mask("test"), (result.assignment == "test").to_numpy())


def test_naive_times_are_taken_as_utc() -> None:
    frame = hand_frame()
    naive = frame.assign(index_time=frame["index_time"].dt.tz_localize(None))
    assert temporal_split(naive, HAND_SPEC).assignment.equals(
        temporal_split(frame, HAND_SPEC).assignment
    )


def test_empty_split_is_a_one_line_error() -> None:
    frame = hand_frame().head(3)
    with pytest.raises(InputError, match=r"split \w+ is empty") as err:
        temporal_split(frame, SplitSpec())
    assert "\n" not in str(err.value)
    assert "fraction" in str(err.value)


def test_split_emptied_by_grouping_says_why() -> None:
    frame = hand_frame()
    # both calibration patients come back in the test period: they belong to test
    frame.loc[frame["index_id"] == "ix-16", "patient_id"] = "P"
    frame.loc[frame["index_id"] == "ix-17", "patient_id"] = "K"
    with pytest.raises(InputError, match="split calibration is empty") as err:
        temporal_split(frame, HAND_SPEC)
    assert "dropped" in str(err.value)


def test_split_without_positives_names_the_split() -> None:
    frame = hand_frame()
    frame.loc[frame["index_id"] == "ix-12", "label"] = 0
    with pytest.raises(InputError, match="split validation has no positive labels") as err:
        temporal_split(frame, HAND_SPEC)
    assert "split.validation" in str(err.value)


@pytest.mark.parametrize(("label", "dtype"), [(2, "int64"), (np.nan, "float64"), ("yes", "object")])
def test_labels_must_be_zero_or_one(label: object, dtype: str) -> None:
    frame = hand_frame()
    frame["label"] = frame["label"].astype(dtype)
    frame.loc[3, "label"] = label
    with pytest.raises(InputError, match="labels must be 0 or 1") as err:
        temporal_split(frame, HAND_SPEC)
    assert "record row 3" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_column_and_duplicate_ids_are_input_errors() -> None:
    frame = hand_frame()
    with pytest.raises(InputError, match="field patient_id"):
        temporal_split(frame.drop(columns="patient_id"), HAND_SPEC)
    dup = frame.copy()
    dup.loc[5, "index_id"] = dup.loc[4, "index_id"]
    with pytest.raises(InputError, match="index ids are not unique") as err:
        temporal_split(dup, HAND_SPEC)
    assert "ix-" not in str(err.value)  # no id in the message
    with pytest.raises(InputError, match="index times are not timestamps"):
        temporal_split(frame.assign(index_time="2022-01-01"), HAND_SPEC)
