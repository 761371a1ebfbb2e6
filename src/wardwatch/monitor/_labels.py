"""Outcomes for scored rows, once they are known.

A 30-day readmission label exists only 30 days after discharge. The use case's feature set
(rebuilt as new data is ingested) holds every index event with its label and subgroup
attributes; the prediction log names the patient by the workspace's keyed pseudonym. A
prediction is matched to the index event of the same pseudonymous patient whose index time
is nearest to the prediction time, within ``tolerance``; its label counts only when the
outcome window has closed by ``as_of`` (index time + the label's ``window_days``), so an
unfinished window never reads as "not readmitted".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pyarrow as pa

from wardwatch.audit import pseudonym

__all__ = ["Outcomes", "join_outcomes"]


@dataclass(frozen=True)
class Outcomes:
    """Index events of a use case keyed by patient pseudonym: ``patient``, ``index_time``,
    ``label`` and the ``group_*`` columns. ``window_days`` is the label's horizon."""

    table: pa.Table
    window_days: int

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, secret: bytes, window_days: int) -> Outcomes:
        groups = [str(c) for c in frame.columns if str(c).startswith("group_")]
        out = pd.DataFrame(
            {
                "patient": [pseudonym(str(p), secret) for p in frame["patient_id"]],
                "index_time": pd.to_datetime(frame["index_time"], utc=True).astype(
                    "datetime64[us, UTC]"
                ),
                "label": frame["label"].astype("int8"),
                **{g: frame[g].astype("string") for g in groups},
            }
        )
        return cls(pa.Table.from_pandas(out, preserve_index=False), window_days)

    @property
    def groups(self) -> list[str]:
        return [c for c in self.table.column_names if c.startswith("group_")]


def join_outcomes(
    rows: pa.Table,
    outcomes: Outcomes,
    *,
    as_of: datetime,
    tolerance: timedelta = timedelta(days=1),
) -> pa.Table:
    """``rows`` (a prediction-log window with ``at`` and ``patient``) with
    ``label`` (null until known by ``as_of``) and the ``group_*`` columns (null when no
    index event matches), in the order of ``rows``."""
    groups = outcomes.groups
    select_groups = "".join(f', o."{g}"' for g in groups)
    with duckdb.connect() as db:
        keyed = rows.select(["at", "patient"]).append_column(
            "pos", pa.array(range(rows.num_rows), pa.int64())
        )
        db.register("r", keyed)
        db.register("o", outcomes.table)
        matched = db.sql(
            f"""
            WITH m AS (
              SELECT r.pos, o.index_time, o.label{select_groups},
                     row_number() OVER (
                       PARTITION BY r.pos
                       ORDER BY abs(epoch(o.index_time) - epoch(r."at"))) AS k
              FROM r JOIN o ON o.patient = r.patient
               AND o.index_time BETWEEN r."at" - ?::INTERVAL AND r."at" + ?::INTERVAL
            )
            SELECT r.pos,
                   CASE WHEN m.index_time + ?::INTERVAL <= ? THEN m.label END AS label
                   {"".join(f', m."{g}"' for g in groups)}
            FROM r LEFT JOIN (SELECT * FROM m WHERE k = 1) m USING (pos)
            ORDER BY r.pos
            """,
            params=[
                _interval(tolerance),
                _interval(tolerance),
                f"{outcomes.window_days} days",
                as_of,
            ],
        ).to_arrow_table()
    assert matched is not None
    out = rows
    for name in ["label", *groups]:
        out = out.append_column(name, matched.column(name))
    return out


def _interval(delta: timedelta) -> str:
    return f"{int(delta.total_seconds())} seconds"
