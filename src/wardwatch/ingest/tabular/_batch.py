"""Turn a batch of source cells into canonical rows and quarantine entries, row by row.

Shared by the CSV and Parquet readers: they hand over, per batch, the record number of every
row, the mapped source columns as Arrow string arrays, the rows whose bytes could not be decoded
and a way to rebuild a row as received. Every row ends up in exactly one ``sink.load`` or
``sink.reject`` call, in record order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection
from wardwatch.ingest.tabular._mapping import TableMapping
from wardwatch.ingest.tabular._values import ColumnReader, ValueProblem

__all__ = ["BadCell", "BatchMapper", "Pending"]

_WHY = {
    Reason.MISSING_REQUIRED: "is empty, and {table}.{column} requires a value",
    Reason.MAPPING_ERROR: "cannot be read as {table}.{column}",
    Reason.INVALID_DATETIME: "is not a valid date/time for {table}.{column}",
}


@dataclass(frozen=True, slots=True)
class BadCell:
    """A cell whose bytes are not text in the file's encoding."""

    source: str
    found: str
    encoding: str


@dataclass(frozen=True, slots=True)
class Pending:
    """A record rejected before conversion (a ragged CSV row), waiting for its turn."""

    number: int
    rejection: Rejection
    raw: str


class BatchMapper:
    """Applies one mapping to batches of source cells."""

    def __init__(self, mapping: TableMapping, readers: Sequence[ColumnReader] | None = None):
        self.mapping = mapping
        self.table = mapping.table
        self.readers = list(
            readers or [ColumnReader.for_column(mapping, n) for n in mapping.columns]
        )
        constants = {
            n: ColumnReader.for_constant(mapping, n).convert(v)
            for n, v in mapping.constants.items()
        }
        self._names = [c.name for c in mapping.spec.columns]
        self._constants = constants

    def emit(
        self,
        sink: RecordSink,
        numbers: Sequence[int],
        cells: dict[str, pa.Array],
        raw: Callable[[int], str],
        *,
        bad_cells: dict[int, BadCell] | None = None,
        pending: Iterable[Pending] = (),
    ) -> None:
        """Load or reject each row of a batch; ``pending`` rejections are sent in order among them.

        Args:
            numbers: the record number of each row of the batch.
            cells: source column name -> Arrow string array, one value per row.
            raw: the row at an index as received, for quarantine.
            bad_cells: rows whose bytes could not be decoded, by index.
            pending: rejections decided earlier, sorted by record number.
        """
        n = len(numbers)
        converted: dict[str, list[Any]] = {}
        problems: dict[int, tuple[ColumnReader, ValueProblem]] = {}
        for reader in self.readers:
            values, found = reader.read(cells[reader.source])
            converted[reader.name] = values
            for i, p in found.items():
                problems.setdefault(i, (reader, p))
        columns: list[Iterable[Any]] = [
            converted[name] if name in converted else repeat(self._constants.get(name))
            for name in self._names
        ]
        ids = self._record_ids(cells, n)
        waiting = iter(pending)
        nxt = next(waiting, None)
        bad_cells = bad_cells or {}
        for i, row in zip(range(n), zip(*columns, strict=False), strict=False):
            number = numbers[i]
            while nxt is not None and nxt.number < number:
                sink.reject(nxt.number, nxt.rejection, nxt.raw)
                nxt = next(waiting, None)
            if i in bad_cells:
                sink.reject(number, self._encoding(bad_cells[i], ids[i]), raw(i))
            elif i in problems:
                reader, p = problems[i]
                found = cells[reader.source][i].as_py()
                sink.reject(number, self._rejection(reader, p, ids[i], found), raw(i))
            else:
                sink.load(number, [(self.table, row)])
        while nxt is not None:
            sink.reject(nxt.number, nxt.rejection, nxt.raw)
            nxt = next(waiting, None)

    def _record_ids(self, cells: dict[str, pa.Array], n: int) -> list[str | None]:
        if self.mapping.record_id is None:
            return [None] * n
        ids = pc.utf8_trim_whitespace(cells[self.mapping.record_id]).to_pylist()
        return [v or None for v in ids]

    def _rejection(
        self, reader: ColumnReader, p: ValueProblem, record_id: str | None, found: str | None
    ) -> Rejection:
        why = _WHY[p.reason].format(table=self.table, column=reader.name)
        return Rejection(
            p.reason,
            f"source column {reader.source} {why}",
            resource_type=self.table,
            record_id=record_id,
            field=reader.source,
            expected=p.expected,
            found=found,
        )

    def _encoding(self, bad: BadCell, record_id: str | None) -> Rejection:
        return Rejection(
            Reason.ENCODING,
            f"source column {bad.source} holds bytes that are not {bad.encoding} text",
            resource_type=self.table,
            record_id=record_id,
            field=bad.source,
            expected=f"{bad.encoding} text",
            found=bad.found,
        )
