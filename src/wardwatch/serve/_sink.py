"""Records written off the request path: audit events, the prediction log, the request log.

Each prediction puts one :class:`Record` on a queue (constant time for the request). A
writer thread takes what is queued, up to ``batch`` records or ``interval_s`` seconds, and
writes it in two steps: the audit events in one transaction (:meth:`AuditLog.append_many`),
then the rows of the prediction log as one Parquet file in the lake
(``predictions/date=YYYY-MM-DD/part-<time>-<uuid>.parquet``) that monitoring reads.
:meth:`close` (called on shutdown, SIGTERM included) stops taking records and drains the
queue, so a clean shutdown loses nothing.

The same thread writes the request log (``requests/date=YYYY-MM-DD/part-*.parquet``,
:data:`REQUEST_LOG_SCHEMA`): one :data:`RequestRow` tuple per HTTP request the service
answers, appended by :meth:`PredictionSink.put_request` to a deque (one append, no lock
taken by the request) and written at least every ``interval_s`` seconds, partitioned by
the day of each row's ``at``. Service SLIs (volume, error rates, latency percentiles) are
computed from it by :mod:`wardwatch.monitor._slis`.

Rows hold no direct identifier: the patient appears only as a keyed pseudonym, features
are the model's inputs (no names, no MRNs), and the caller by key id. A request-log row
holds the route template (``/v1/models/{name}/predict``), never the raw path, query,
headers or body.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.audit import AuditLog, PendingEvent

__all__ = ["PREDICTION_LOG_SCHEMA", "REQUEST_LOG_SCHEMA", "PredictionSink", "Record", "RequestRow"]

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

REQUEST_LOG_SCHEMA = pa.schema(
    [
        ("at", pa.timestamp("us", tz="UTC")),
        ("route", pa.string()),
        ("method", pa.string()),
        ("status", pa.int16()),
        ("latency_ms", pa.float64()),
        ("model", pa.string()),
        ("request_id", pa.string()),
    ]
)
"""The request log's columns: when the request arrived (UTC), its route template (or
``unmatched``), HTTP method, response status, latency in milliseconds from arrival to the
last byte sent, the served model it addressed (null when the route names none or the name
is not served) and the service's request id (null when the response carries none)."""

RequestRow = tuple[float, str, str, int, float, str | None, str | None]
"""One request-log row as queued: ``(at, route, method, status, latency_ms, model,
request_id)`` with ``at`` in seconds since the epoch (converted in the writer thread)."""

_US = pa.timestamp("us", tz="UTC")


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
        self.requests_folder = lake_dir / "requests"
        self.batch = batch
        self.interval_s = interval_s
        self.max_queue = max_queue
        self._queue: queue.Queue[Record] = queue.Queue(maxsize=max_queue)
        self._requests: deque[RequestRow] = deque()
        self._requests_at = time.monotonic()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wardwatch-sink", daemon=True)
        self.written = 0
        self.events = 0
        self.failures = 0
        self.requests_written = 0
        self.requests_dropped = 0
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

    def put_request(self, row: RequestRow) -> bool:
        """Queue a request-log row (one deque append); False, and the row counted in
        ``requests_dropped``, when the sink is closed or ``max_queue`` rows wait."""
        if self._closed.is_set() or len(self._requests) >= self.max_queue:
            self.requests_dropped += 1
            return False
        self._requests.append(row)
        return True

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def requests_pending(self) -> int:
        return len(self._requests)

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
            if len(self._requests) >= self.batch or (
                self._requests and time.monotonic() - self._requests_at >= self.interval_s
            ):
                self._write_requests()
        self._write_requests()  # closed: what the last requests appended

    def _write_requests(self) -> None:
        """Write the queued request rows, one file per day of ``at`` (errors are logged and
        the rows counted as dropped: the writer thread must outlive a full disk)."""
        self._requests_at = time.monotonic()
        rows: list[RequestRow] = []
        try:
            while True:
                rows.append(self._requests.popleft())
        except IndexError:
            pass
        if not rows:
            return
        by_day: dict[int, list[RequestRow]] = {}
        for row in rows:
            by_day.setdefault(int(row[0] // 86400), []).append(row)
        for day_rows in by_day.values():
            try:
                self._write_request_file(day_rows)
            except Exception as exc:
                log.error("request log write failed (%s)", type(exc).__name__)
                self.requests_dropped += len(day_rows)
            else:
                self.requests_written += len(day_rows)

    def _write_request_file(self, rows: list[RequestRow]) -> None:
        at, route, method, status, latency, model, request_id = zip(*rows, strict=True)
        micros = pa.array([round(t * 1_000_000) for t in at], pa.int64()).cast(_US)
        table = pa.Table.from_arrays(
            [
                micros,
                pa.array(route, pa.string()),
                pa.array(method, pa.string()),
                pa.array(status, pa.int16()),
                pa.array(latency, pa.float64()),
                pa.array(model, pa.string()),
                pa.array(request_id, pa.string()),
            ],
            schema=REQUEST_LOG_SCHEMA,
        )
        self._publish(table, self.requests_folder, datetime.fromtimestamp(at[0], UTC))

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
        table = pa.Table.from_pylist(rows, schema=PREDICTION_LOG_SCHEMA)
        self._publish(table, self.folder, datetime.now(UTC))
        self.written += len(rows)

    @staticmethod
    def _publish(table: pa.Table, root: Path, day: datetime) -> None:
        """Write ``table`` as a new part file of ``root/date=<day>``."""
        now = datetime.now(UTC)
        folder = root / f"date={day:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"part-{now:%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(table, tmp)
        tmp.replace(folder / name)  # readers never see half a file

    def close(self, timeout: float = 30.0) -> None:
        """Stop taking records and write everything queued (waits up to ``timeout``)."""
        self._closed.set()
        self._thread.join(timeout=timeout)
