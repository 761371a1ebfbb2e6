"""Prediction records written off the request path: audit events and the prediction log.

Each prediction puts one :class:`Record` on a queue (constant time for the request). A
writer thread takes what is queued, up to ``batch`` records or ``interval_s`` seconds, and
writes it in two steps: the audit events in one transaction (:meth:`AuditLog.append_many`),
then the rows of the prediction log as one Parquet file in the lake
(``predictions/date=YYYY-MM-DD/part-<time>-<uuid>.parquet``) that monitoring reads.
:meth:`close` (called on shutdown, SIGTERM included) stops taking records and drains the
queue, so a clean shutdown loses nothing.

Rows hold no direct identifier: the patient appears only as a keyed pseudonym, features
are the model's inputs (no names, no MRNs), and the caller by key id.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.audit import AuditLog, PendingEvent

__all__ = ["PREDICTION_LOG_SCHEMA", "PredictionSink", "Record"]

log = logging.getLogger("wardwatch.serve")

PREDICTION_LOG_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("model", pa.string()),
        ("version", pa.int32()),
        ("alias", pa.string()),
        ("shadow", pa.bool_()),
        ("patient", pa.string()),
        ("caller", pa.string()),
        ("features", pa.string()),
        ("risk", pa.float64()),
        ("band", pa.string()),
        ("decision", pa.bool_()),
        ("latency_ms", pa.float64()),
        ("input_hash", pa.string()),
    ]
)
"""The prediction log's columns (``features`` is the model input as JSON)."""


@dataclass(frozen=True)
class Record:
    """One scored row: its audit event (None for shadow scores) and its log row."""

    event: PendingEvent | None
    row: Mapping[str, Any]


class PredictionSink:
    """Batched writer (see the module docstring)."""

    def __init__(
        self,
        audit: AuditLog,
        lake_dir: Path,
        *,
        batch: int = 2000,
        interval_s: float = 0.25,
        max_queue: int = 200_000,
    ) -> None:
        self.audit = audit
        self.folder = lake_dir / "predictions"
        self.batch = batch
        self.interval_s = interval_s
        self._queue: queue.Queue[Record] = queue.Queue(maxsize=max_queue)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wardwatch-sink", daemon=True)
        self.written = 0
        self.events = 0
        self.failures = 0
        self._thread.start()

    def put(self, record: Record) -> bool:
        """Queue a record; False when the sink is closed or full (the caller answers 503)."""
        if self._closed.is_set():
            return False
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            return False
        return True

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def _take(self, wait: float) -> list[Record]:
        """Up to ``batch`` records: waits for the first, then collects until the batch is
        full or ``wait`` seconds have passed since the first (each write has a fixed cost,
        so small batches under load waste it); on close, takes what is queued at once."""
        out: list[Record] = []
        try:
            out.append(self._queue.get(timeout=wait))
        except queue.Empty:
            return out
        deadline = time.monotonic() + wait
        while len(out) < self.batch:
            try:
                out.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed.is_set():
                break
            try:
                out.append(self._queue.get(timeout=min(remaining, 0.02)))
            except queue.Empty:
                continue
        return out

    def _run(self) -> None:
        while not (self._closed.is_set() and self._queue.empty()):
            records = self._take(self.interval_s)
            if records:
                self._write(records)

    def _write(self, records: list[Record]) -> None:
        events = [r.event for r in records if r.event is not None]
        for attempt in range(3):
            try:
                if events:
                    self.audit.append_many(events)
                break
            except Exception as exc:
                log.error("audit write failed (%s), attempt %d", type(exc).__name__, attempt + 1)
                time.sleep(0.2 * (attempt + 1))
        else:
            self.failures += len(events)
        self.events += len(events)
        rows = [dict(r.row) for r in records]
        for row in rows:
            if not isinstance(row.get("features"), str):
                row["features"] = orjson.dumps(
                    row.get("features"), option=orjson.OPT_SORT_KEYS
                ).decode()
        now = datetime.now(UTC)
        folder = self.folder / f"date={now:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{now:%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
        table = pa.Table.from_pylist(rows, schema=PREDICTION_LOG_SCHEMA)
        tmp = folder / f".{name}.tmp"
        pq.write_table(table, tmp)
        tmp.replace(folder / name)  # readers never see half a file
        self.written += len(rows)

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking records and write everything queued (waits up to ``timeout``)."""
        self._closed.set()
        self._thread.join(timeout=timeout)
