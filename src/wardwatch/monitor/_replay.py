"""Scoring past index events into the prediction log, as the service would have.

A backfill answers "what would monitoring have said": the feature rows of a period are
scored by a registered version (the same compiled scorer the service uses) and written to
``lake/predictions`` with the prediction time set to each row's index time, the patient as
the workspace pseudonym, and the model inputs as the service logs them (unseen categories
as ``(unseen)``). Rows are marked with caller ``replay``; one audit event records the
backfill (no per-row events: these are not decisions anyone saw).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.audit import AuditLog, pseudonym
from wardwatch.core.workspace import Workspace
from wardwatch.serve import PREDICTION_LOG_SCHEMA, ServedModel

__all__ = ["ReplaySummary", "replay_predictions"]

CALLER = "replay"


@dataclass(frozen=True)
class ReplaySummary:
    """How many rows were scored into the log, over which days, by which version."""

    model: str
    version: int
    rows: int
    first: datetime | None
    last: datetime | None
    files: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "rows": self.rows,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "files": self.files,
        }


def replay_predictions(
    ws: Workspace,
    served: ServedModel,
    frame: pd.DataFrame,
    *,
    alias: str = "champion",
    latency_ms: float | Sequence[float] | None = None,
    actor: str = "wardwatch-monitor",
    batch: int = 20_000,
) -> ReplaySummary:
    """Score ``frame`` (a feature-set frame: ``patient_id``, ``index_time`` and the model's
    feature columns) with ``served`` into the prediction log; see the module docstring.

    ``latency_ms`` sets the logged latency (one value, or one per row); by default each row
    gets its batch's scoring time per row.
    """
    secret = ws.secret()
    times = pd.to_datetime(frame["index_time"], utc=True)
    order = np.argsort(times.to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    times = times.iloc[order].reset_index(drop=True)
    given_latency = None
    if latency_ms is not None:
        given = np.asarray(latency_ms, dtype=np.float64)
        given_latency = np.full(len(order), float(given)) if given.ndim == 0 else given[order]
    features = list(served.features)
    lake = ws.lake_dir / "predictions"
    rows_out: list[dict[str, Any]] = []
    for lo in range(0, len(frame), batch):
        part = frame.iloc[lo : lo + batch]
        records = [
            {f: _value(v) for f, v in zip(features, values, strict=True)}
            for values in part[features].itertuples(index=False, name=None)
        ]
        t0 = datetime.now(UTC)
        preds = served.predict(records, top=0)
        per_row = (datetime.now(UTC) - t0).total_seconds() * 1000 / max(len(records), 1)
        for i, (row, pred) in enumerate(zip(records, preds, strict=True)):
            k = lo + i
            kept = {f: served.scorer.loggable(f, v) for f, v in row.items()}
            rows_out.append(
                {
                    "request_id": uuid.uuid4().hex,
                    "at": times.iloc[k].to_pydatetime(),
                    "model": served.name,
                    "version": served.version,
                    "alias": alias,
                    "shadow": False,
                    "patient": pseudonym(str(part["patient_id"].iloc[i]), secret),
                    "caller": CALLER,
                    "features": orjson.dumps(kept, option=orjson.OPT_SORT_KEYS).decode(),
                    "risk": pred.risk,
                    "band": pred.band,
                    "decision": pred.decision,
                    "latency_ms": float(given_latency[k]) if given_latency is not None else per_row,
                    "input_hash": hashlib.sha256(
                        orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
                    ).hexdigest(),
                }
            )
    files = _write(lake, rows_out)
    summary = ReplaySummary(
        served.name,
        served.version,
        len(rows_out),
        times.iloc[0].to_pydatetime() if len(times) else None,
        times.iloc[-1].to_pydatetime() if len(times) else None,
        files,
    )
    log = AuditLog.from_workspace(ws)
    try:
        subject = f"model:{served.name}@{served.version}"
        log.append(actor, "monitor.replay", subject, summary.to_dict())
    finally:
        log.store.dispose()
    return summary


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _write(lake: Path, rows: list[dict[str, Any]]) -> int:
    by_day: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_day.setdefault(f"{r['at']:%Y-%m-%d}", []).append(r)
    for day, part in by_day.items():
        folder = lake / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-replay-{uuid.uuid4().hex}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(pa.Table.from_pylist(part, schema=PREDICTION_LOG_SCHEMA), tmp)
        tmp.replace(folder / name)
    return len(by_day)
