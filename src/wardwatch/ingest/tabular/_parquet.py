"""Read a Parquet file through a mapping, one record per row, batch by batch.

Only the columns the mapping reads are read, in batches (``ParquetFile.iter_batches``), so
memory follows the batch size, not the file. Record numbers are row index + 1.

The file's schema is checked before any row is read: a source column must be missing from
none and must hold a type that can become its canonical column's (text for text; numbers or
text for numbers; timestamps, dates or text for times; lists of text or text for lists). A
column of another type (a struct where a number is expected, a boolean where a time is) makes
the whole file unmappable, so it raises InputError naming the column and both types, rather
than quarantining every row for the same reason. Values are then read as for CSV: a native
timestamp is read as ISO 8601 whatever ``format`` the mapping gives (a naive one is taken in the
mapping's time zone), binary columns are decoded as UTF-8 cell by cell.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wardwatch.core.schemas import Kind
from wardwatch.errors import InputError
from wardwatch.ingest._sink import RecordSink
from wardwatch.ingest.tabular._batch import BadCell, BatchMapper
from wardwatch.ingest.tabular._mapping import TableMapping
from wardwatch.ingest.tabular._values import ColumnReader

__all__ = ["parse_parquet"]

_LIST_SEP = "\x1f"  # joins the items of a Parquet list column for the list reader


def _family(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return _family(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "binary"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "time"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list" if _family(t.value_type) in ("text", "binary") else "other"
    return "other"


_FITS: dict[Kind, frozenset[str]] = {
    "str": frozenset({"text", "binary", "number", "bool", "time"}),
    "float": frozenset({"text", "binary", "number"}),
    "int": frozenset({"text", "binary", "number"}),
    "bool": frozenset({"text", "binary", "bool", "number"}),
    "ts": frozenset({"text", "binary", "time"}),
    "date": frozenset({"text", "binary", "time"}),
    "list_str": frozenset({"text", "binary", "list"}),
}
_EXPECTED: dict[Kind, str] = {
    "str": "text, number, boolean or time",
    "float": "number or text",
    "int": "integer or text",
    "bool": "boolean, integer or text",
    "ts": "timestamp, date or text",
    "date": "date, timestamp or text",
    "list_str": "list of text, or text",
}


def _readers(mapping: TableMapping, schema: pa.Schema) -> list[ColumnReader]:
    """Check the schema against the mapping and adapt each column reader to its source type."""
    missing = [s for s in mapping.sources if s not in schema.names]
    if missing:
        raise InputError(
            "Parquet file lacks columns the mapping reads: " + ", ".join(missing),
            record=mapping.origin,
            expected="columns " + ", ".join(mapping.sources),
            found="columns " + ",".join(schema.names)[:200],
            hint="fix the mapping's source column names or use another mapping",
        )
    readers = []
    for name in mapping.columns:
        reader = ColumnReader.for_column(mapping, name)
        family = _family(schema.field(reader.source).type)
        if family not in _FITS[reader.kind]:
            raise InputError(
                f"Parquet column {reader.source} cannot fill {mapping.table}.{name}",
                record=mapping.origin,
                field=reader.source,
                expected=_EXPECTED[reader.kind],
                found=str(schema.field(reader.source).type),
            )
        if family == "time" and reader.kind in ("ts", "date"):
            reader = replace(reader, fmt="iso")
        elif family == "list":
            reader = replace(reader, split=_LIST_SEP)
        readers.append(reader)
    return readers


def _text(arr: pa.Array, source: str, bad: dict[int, BadCell]) -> pa.Array:
    """A column as an Arrow string array, as the column readers take it."""
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        if _family(t.value_type) == "binary":
            arr = pc.cast(arr, pa.list_(pa.string()))
        return pc.cast(pc.binary_join(arr, _LIST_SEP), pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        values: list[Any] = arr.to_pylist()
        for i, v in enumerate(values):
            if v is not None:
                try:
                    values[i] = v.decode("utf-8")
                except UnicodeDecodeError:
                    bad.setdefault(i, BadCell(source, v.decode("utf-8", "replace"), "utf-8"))
                    values[i] = None
        return pa.array(values, pa.string())
    if pa.types.is_timestamp(t) and t.tz is not None:
        arr = pc.cast(arr, pa.timestamp(t.unit, "UTC"))  # printed with Z, not ±hhmm
    return pc.cast(arr, pa.string())


def parse_parquet(
    source: str | Path | BinaryIO,
    sink: RecordSink,
    mapping: TableMapping,
    *,
    batch_size: int = 16_384,
) -> None:
    """Parse a Parquet file into rows of ``mapping.table``, one record per row.

    Each row is loaded or quarantined (MISSING_REQUIRED, MAPPING_ERROR, INVALID_DATETIME,
    ENCODING for binary columns), the field being the source column.

    Raises:
        InputError: the file is not Parquet or cannot be read, or its columns do not fit the
            mapping (missing, or of a type that cannot become the canonical column's).
    """
    try:
        pf = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            "cannot read Parquet file", record=str(source), found=f"{type(exc).__name__}: {exc}"
        ) from None
    mapper = BatchMapper(mapping, _readers(mapping, pf.schema_arrow))
    sources = mapping.sources
    number = 0
    batches = pf.iter_batches(batch_size=batch_size, columns=sources)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"Parquet file cannot be read past row {number}",
                record=str(source),
                found=f"{type(exc).__name__}: {exc}",
            ) from None
        if batch is None:
            break
        bad: dict[int, BadCell] = {}
        cells = {s: _text(batch.column(s), s, bad) for s in sources}

        def raw(i: int, batch: pa.RecordBatch = batch) -> str:
            row = {s: batch.column(s)[i].as_py() for s in sources}
            return orjson.dumps(row, default=str).decode()

        numbers = range(number + 1, number + batch.num_rows + 1)
        mapper.emit(sink, numbers, cells, raw, bad_cells=bad)
        number += batch.num_rows
