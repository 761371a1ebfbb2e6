"""Outcomes join predictions by patient pseudonym and nearest index time, once known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa

from wardwatch.audit import pseudonym
from wardwatch.monitor import Outcomes, join_outcomes

SECRET = b"s" * 32
T = datetime(2026, 1, 10, 12, tzinfo=UTC)


def test_labels_join_nearest_event_and_only_when_known() -> None:
    frame = pd.DataFrame(
        {
            "patient_id": ["a", "a", "b", "c"],
            "index_time": [
                T - timedelta(hours=3),
                T + timedelta(days=40),
                T,
                T - timedelta(days=5),
            ],
            "label": [1, 0, 0, 1],
            "group_sex": ["f", "f", "m", "m"],
        }
    )
    outcomes = Outcomes.from_frame(frame, SECRET, window_days=30)
    rows = pa.table(
        {
            "at": pa.array([T, T + timedelta(days=40), T, T, T], pa.timestamp("us", tz="UTC")),
            "patient": [pseudonym(p, SECRET) if p else None for p in ["a", "a", "b", "c", None]],
        }
    )
    as_of = T + timedelta(days=45)
    out = join_outcomes(rows, outcomes, as_of=as_of)
    # a@T matches the event 3 h earlier (label known: 30 days passed); a@T+40d matches the
    # later event whose 30 days have not passed by as_of; b matches exactly; c's only event is
    # 5 days away, beyond the 1-day tolerance; the last row has no patient
    assert out.column("label").to_pylist() == [1, None, 0, None, None]
    assert out.column("group_sex").to_pylist() == ["f", "f", "m", None, None]
    assert out.num_rows == rows.num_rows


def test_a_wider_tolerance_finds_the_event() -> None:
    frame = pd.DataFrame({"patient_id": ["c"], "index_time": [T - timedelta(days=5)], "label": [1]})
    rows = pa.table(
        {"at": pa.array([T], pa.timestamp("us", tz="UTC")), "patient": [pseudonym("c", SECRET)]}
    )
    out = join_outcomes(
        rows,
        Outcomes.from_frame(frame, SECRET, 30),
        as_of=T + timedelta(days=60),
        tolerance=timedelta(days=6),
    )
    assert out.column("label").to_pylist() == [1]
