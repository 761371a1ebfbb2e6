"""SourceWriter: the sink that streams one source's records into the lake, atomically.

Rows are buffered per table and written as Parquet row groups once ``row_group_rows`` are
buffered, so memory stays flat whatever the file size. Nothing is visible to readers until
:meth:`SourceWriter.commit` renames the staging folder into place in one step.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.core.lake import MANIFEST, Lake, fsync_dir
from wardwatch.core.schemas import QUARANTINE, TABLES, Column, TableSpec
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Rejection, Row

__all__ = ["MAX_RAW_BYTES", "SourceWriter"]

MAX_RAW_BYTES = 8 * 2**20
"""Quarantined records keep at most this much of their raw text (the source file has it all)."""


class SourceWriter:
    """A :class:`~wardwatch.ingest._sink.RecordSink` writing one source file into the lake."""

    def __init__(
        self,
        lake: Lake,
        *,
        source_key: str,
        source_hash: str,
        source_file: str,
        source_format: str,
        run_id: str,
        row_group_rows: int = 32_768,
    ) -> None:
        self.lake = lake
        self.source_key = source_key
        self.provenance = (source_file, source_hash, source_format, run_id)
        self.row_group_rows = row_group_rows
        self.staging = lake.staging_dir / f"{source_key}-{run_id}"
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        self._buffers: dict[str, list[tuple[Any, ...]]] = {}
        self._lines: dict[str, list[int]] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.loaded = 0
        self.quarantined = 0

    # -- RecordSink ---------------------------------------------------------------------------
    def load(self, line: int, rows: Sequence[Row]) -> None:
        for table, values in rows:
            self._append(table, values, line)
        self.loaded += 1

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        text, cut_here = _raw_text(raw)
        # A too-large record is, by definition, only its beginning.
        truncated = cut_here or rejection.raw_truncated or rejection.reason is Reason.TOO_LARGE
        values = (
            str(rejection.reason),
            rejection.resource_type,
            rejection.record_id,
            rejection.field,
            rejection.expected,
            rejection.found,
            rejection.message,
            text,
            truncated,
        )
        self._append(QUARANTINE.name, values, line)
        self.quarantined += 1
        self.reasons[str(rejection.reason)] += 1

    # -- life cycle -----------------------------------------------------------------------------
    @property
    def records_in(self) -> int:
        return self.loaded + self.quarantined

    def commit(self, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write what is buffered, then publish the source in one rename. Returns its manifest."""
        for table in list(self._buffers):
            self._flush(table)
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        source_file, source_hash, source_format, run_id = self.provenance
        manifest = {
            "source_key": self.source_key,
            "source_hash": source_hash,
            "path": source_file,
            "format": source_format,
            "run_id": run_id,
            "records_in": self.records_in,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "rows": dict(sorted(self.rows.items())),
            "reasons": dict(sorted(self.reasons.items())),
            "committed_at": datetime.now(UTC).isoformat(),
            **(extra or {}),
        }
        (self.staging / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        target = self.lake.source_dir(self.source_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.lake.has_source(self.source_key):  # committed meanwhile by another run
            shutil.rmtree(self.staging, ignore_errors=True)
            return self.lake.manifest(self.source_key)
        if target.exists():  # a folder without manifest cannot exist, but never trust it
            shutil.rmtree(target)
        self.staging.rename(target)
        fsync_dir(target.parent)
        return manifest

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        shutil.rmtree(self.staging, ignore_errors=True)

    # -- internals -----------------------------------------------------------------------------
    def _append(self, table: str, values: tuple[Any, ...], line: int) -> None:
        buf = self._buffers.get(table)
        if buf is None:
            buf = self._buffers[table] = []
            self._lines[table] = []
        buf.append(values)
        self._lines[table].append(line)
        if len(buf) >= self.row_group_rows:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self._buffers.get(table)
        if not rows:
            return
        lines = self._lines[table]
        spec = QUARANTINE if table == QUARANTINE.name else TABLES[table]
        batch = _to_arrow(spec, rows, lines, self.provenance)
        writer = self._writers.get(table)
        if writer is None:
            path = self.staging / table / "part-00000.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = self._writers[table] = pq.ParquetWriter(
                path, batch.schema, compression="zstd", write_statistics=True
            )
        writer.write_table(batch, row_group_size=max(len(rows), 1))
        self.rows[table] += len(rows)
        self._buffers[table] = []
        self._lines[table] = []


def _to_arrow(
    spec: TableSpec,
    rows: list[tuple[Any, ...]],
    lines: list[int],
    provenance: tuple[str, str, str, str],
) -> pa.Table:
    n = len(rows)
    columns = list(zip(*rows, strict=True))
    arrays = [_array(col, values) for col, values in zip(spec.columns, columns, strict=True)]
    source_file, source_hash, source_format, run_id = provenance
    arrays += [
        pa.array([source_file] * n, pa.string()),
        pa.array(lines, pa.int64()),
        pa.array([source_hash] * n, pa.string()),
        pa.array([source_format] * n, pa.string()),
        pa.array([run_id] * n, pa.string()),
    ]
    schema = pa.schema(
        [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in spec.all_columns]
    )
    return pa.Table.from_arrays(arrays, schema=schema)


def _array(column: Column, values: Sequence[Any]) -> pa.Array:
    if column.kind in ("ts", "date"):
        return pa.array(values, pa.string()).cast(column.arrow_type)
    return pa.array(values, column.arrow_type)


def _raw_text(raw: str | bytes | None) -> tuple[str | None, bool]:
    if raw is None:
        return None, False
    if isinstance(raw, bytes):
        truncated = len(raw) > MAX_RAW_BYTES
        return raw[:MAX_RAW_BYTES].decode("utf-8", errors="replace"), truncated
    if len(raw) > MAX_RAW_BYTES:
        return raw[:MAX_RAW_BYTES], True
    return raw, False
