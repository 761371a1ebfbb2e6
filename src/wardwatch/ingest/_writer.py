"""SourceWriter: the sink that streams one source's records into the lake, atomically.

Rows are buffered per table and written as Parquet row groups once ``row_group_rows`` are
buffered, so memory stays flat whatever the file size. Nothing is visible to readers until the
staging folder is renamed into place in one step (:meth:`SourceWriter.commit`, or
:func:`publish` for a source written in parts).

A large source may be written by several writers at once, one per byte range of the file
(``part=0, 1, ...``), each into its own ``part-NNNNN.parquet`` files of the same staging folder;
the runner then sums their :class:`PartCounts` into one manifest and publishes the folder once.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.core.lake import MANIFEST, Lake, fsync_dir
from wardwatch.core.schemas import QUARANTINE, TABLES, TableSpec
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Rejection, Row

__all__ = [
    "MAX_RAW_BYTES",
    "PartCounts",
    "SourceWriter",
    "fresh_staging",
    "publish",
    "staging_dir",
]

MAX_RAW_BYTES = 8 * 2**20
"""Quarantined records keep at most this much of their raw text (the source file has it all)."""


@dataclass
class PartCounts:
    """What one writer (a whole source, or one part of it) took in."""

    loaded: int = 0
    quarantined: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def records_in(self) -> int:
        return self.loaded + self.quarantined

    @classmethod
    def total(cls, parts: Iterable[PartCounts]) -> PartCounts:
        """The sum of several parts' counts."""
        rows: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        loaded = quarantined = 0
        for p in parts:
            loaded += p.loaded
            quarantined += p.quarantined
            rows.update(p.rows)
            reasons.update(p.reasons)
        return cls(loaded, quarantined, dict(rows), dict(reasons))


def staging_dir(lake: Lake, source_key: str, run_id: str) -> Path:
    """Where a run writes a source before publishing it."""
    return lake.staging_dir / f"{source_key}-{run_id}"


def fresh_staging(lake: Lake, source_key: str, run_id: str) -> Path:
    """An empty staging folder for a source (what a previous attempt left is removed)."""
    path = staging_dir(lake, source_key, run_id)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def publish(
    lake: Lake,
    source_key: str,
    staging: Path,
    provenance: tuple[str, str, str, str],
    counts: PartCounts,
    *,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the manifest into ``staging`` and rename it into place. Returns the manifest.

    Every part file must be closed. When the source was committed meanwhile by another run,
    ``staging`` is dropped and that run's manifest returned.
    """
    source_file, source_hash, source_format, run_id = provenance
    manifest = {
        "source_key": source_key,
        "source_hash": source_hash,
        "path": source_file,
        "format": source_format,
        "run_id": run_id,
        "records_in": counts.records_in,
        "loaded": counts.loaded,
        "quarantined": counts.quarantined,
        "rows": dict(sorted(counts.rows.items())),
        "reasons": dict(sorted(counts.reasons.items())),
        "committed_at": datetime.now(UTC).isoformat(),
        **(extra or {}),
    }
    (staging / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    target = lake.source_dir(source_key)
    target.parent.mkdir(parents=True, exist_ok=True)
    if lake.has_source(source_key):  # committed meanwhile by another run
        shutil.rmtree(staging, ignore_errors=True)
        return lake.manifest(source_key)
    if target.exists():  # a folder without manifest cannot exist, but never trust it
        shutil.rmtree(target, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:
        # another process published the same source between the check and the rename
        # (two files with the same bytes in one run): keep its copy, drop ours
        if not lake.has_source(source_key):
            raise
        shutil.rmtree(staging, ignore_errors=True)
        return lake.manifest(source_key)
    fsync_dir(target.parent)
    return manifest


class SourceWriter:
    """A :class:`~wardwatch.ingest._sink.RecordSink` writing one source file into the lake.

    With ``part=None`` the writer owns the source: it starts from an empty staging folder and
    :meth:`commit` publishes it. With ``part=N`` it writes only the ``part-N`` files of a
    staging folder shared with the writers of the other parts; :meth:`finish` closes them and
    says what was written, and the runner publishes the folder once every part is finished.
    """

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
        part: int | None = None,
    ) -> None:
        self.lake = lake
        self.source_key = source_key
        self.provenance = (source_file, source_hash, source_format, run_id)
        self.row_group_rows = row_group_rows
        self.part = part
        if part is None:
            self.staging = fresh_staging(lake, source_key, run_id)
        else:
            self.staging = staging_dir(lake, source_key, run_id)
            self.staging.mkdir(parents=True, exist_ok=True)
        self._file_name = f"part-{part or 0:05d}.parquet"
        # Per table: (rows, their line numbers); rows are the parsers' tuples, made columns
        # in C when a row group is written (see _to_arrow).
        self._buffers: dict[str, tuple[list[tuple[Any, ...]], list[int]]] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.rows: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.loaded = 0
        self.quarantined = 0

    # -- RecordSink ---------------------------------------------------------------------------
    def load(self, line: int, rows: Sequence[Row]) -> None:
        buffers = self._buffers
        for table, values in rows:
            buf = buffers.get(table)
            if buf is None:
                buf = buffers[table] = ([], [])
            held = buf[0]
            held.append(values)
            buf[1].append(line)
            if len(held) >= self.row_group_rows:
                self._flush(table)
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
        self.quarantined += 1
        self.reasons[str(rejection.reason)] += 1
        buf = self._buffers.get(QUARANTINE.name)
        if buf is None:
            buf = self._buffers[QUARANTINE.name] = ([], [])
        buf[0].append(values)
        buf[1].append(line)
        if len(buf[0]) >= self.row_group_rows:
            self._flush(QUARANTINE.name)

    # -- life cycle -----------------------------------------------------------------------------
    @property
    def records_in(self) -> int:
        return self.loaded + self.quarantined

    def counts(self) -> PartCounts:
        """What this writer took in so far (rows count only those written to files)."""
        return PartCounts(self.loaded, self.quarantined, dict(self.rows), dict(self.reasons))

    def finish(self) -> PartCounts:
        """Write what is buffered and close the files; nothing is published."""
        for table in list(self._buffers):
            self._flush(table)
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        return self.counts()

    def commit(self, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write what is buffered, then publish the source in one rename. Returns its manifest."""
        if self.part is not None:
            raise RuntimeError("a part is published by the runner once every part is finished")
        counts = self.finish()
        return publish(
            self.lake, self.source_key, self.staging, self.provenance, counts, extra=extra
        )

    def abort(self) -> None:
        """Drop what was written: the staging folder, or for a part, its own files."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        if self.part is None:
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            for path in self.staging.glob(f"*/{self._file_name}"):
                path.unlink(missing_ok=True)

    # -- internals -----------------------------------------------------------------------------
    def _flush(self, table: str) -> None:
        buf = self._buffers.get(table)
        if not buf or not buf[0]:
            return
        rows, lines = buf
        spec = QUARANTINE if table == QUARANTINE.name else TABLES[table]
        batch = _to_arrow(spec, rows, lines, self.provenance)
        writer = self._writers.get(table)
        if writer is None:
            path = self.staging / table / self._file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = self._writers[table] = pq.ParquetWriter(
                path, batch.schema, compression="zstd", write_statistics=True
            )
        writer.write_table(batch, row_group_size=max(len(rows), 1))
        self.rows[table] += len(rows)
        self._buffers[table] = ([], [])


@cache
def _layout(spec: TableSpec) -> tuple[pa.StructType, tuple[pa.DataType | None, ...], pa.Schema]:
    """(struct the row tuples convert to, the type each column is cast to, the table schema).

    Times and dates arrive as ISO-8601 strings and are cast in bulk.
    """
    as_text = ("ts", "date")
    struct = pa.struct(
        [pa.field(c.name, pa.string() if c.kind in as_text else c.arrow_type) for c in spec.columns]
    )
    casts = tuple(c.arrow_type if c.kind in as_text else None for c in spec.columns)
    schema = pa.schema(
        [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in spec.all_columns]
    )
    return struct, casts, schema


def _to_arrow(
    spec: TableSpec,
    rows: list[tuple[Any, ...]],
    lines: list[int],
    provenance: tuple[str, str, str, str],
) -> pa.Table:
    """The rows as an Arrow table of ``spec``, provenance columns last.

    The row tuples convert in one pass as a struct array (faster than transposing them in
    Python). A tuple of the wrong length or a value of the wrong type raises ValueError.
    """
    n = len(rows)
    struct, casts, schema = _layout(spec)
    try:
        columns = pa.array(rows, struct).flatten()
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # a parser's bug, never bad data
        raise ValueError(f"rows for {spec.name} do not fit its columns: {exc}") from exc
    arrays: list[pa.Array] = [
        col if to is None else col.cast(to) for col, to in zip(columns, casts, strict=True)
    ]
    source_file, source_hash, source_format, run_id = provenance
    arrays += [
        pa.repeat(pa.scalar(source_file, pa.string()), n),
        pa.array(lines, pa.int64()),
        pa.repeat(pa.scalar(source_hash, pa.string()), n),
        pa.repeat(pa.scalar(source_format, pa.string()), n),
        pa.repeat(pa.scalar(run_id, pa.string()), n),
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _raw_text(raw: str | bytes | None) -> tuple[str | None, bool]:
    if raw is None:
        return None, False
    if isinstance(raw, bytes):
        truncated = len(raw) > MAX_RAW_BYTES
        return raw[:MAX_RAW_BYTES].decode("utf-8", errors="replace"), truncated
    if len(raw) > MAX_RAW_BYTES:
        return raw[:MAX_RAW_BYTES], True
    return raw, False
