"""Read a CSV file through a mapping, one record per data row, in bounded memory.

The header row is read first (so that columns the mapping needs but the file lacks are named
at once), then the rows stream through ``pyarrow.csv.open_csv`` in blocks, every column read as
text so that a bad value only rejects its row. Record numbers count data rows from 1 (the header
is not a record; blank lines are skipped and not counted). Quoted values may span lines.

Bytes are handed to Arrow as Latin-1, which maps every byte to a character, and each non-ASCII
cell is decoded with the file's real encoding afterwards: a cell that does not decode rejects
its row (ENCODING) instead of failing the file, and a row with the wrong number of fields is
quarantined (MALFORMED) with its text, whatever bytes it holds.

One thing cannot be kept per row: a single row longer than ``block_size`` (most often an
unterminated quote that runs to the end of the file) stops Arrow's reader, and the file is
reported unreadable (InputError) with the last good record number.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wardwatch.errors import InputError
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection
from wardwatch.ingest.tabular._batch import BadCell, BatchMapper, Pending
from wardwatch.ingest.tabular._mapping import TableMapping

__all__ = ["parse_csv", "read_header"]

_CHUNK = 1 << 16
_MAX_HEADER = 1 << 20
_ASCII_PROBE = 'az09,;|\t"\r\n'


def _ascii_compatible(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
        return _ASCII_PROBE.encode(encoding) == _ASCII_PROBE.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def _header_end(data: bytes, quote: int = 0x22) -> int:
    """Index just past the header row's line end, or -1 if it is not in ``data`` yet."""
    inside = False
    for i, b in enumerate(data):
        if b == quote:
            inside = not inside
        elif b in (0x0A, 0x0D) and not inside:
            if b == 0x0D and i + 1 < len(data) and data[i + 1] == 0x0A:
                return i + 2
            if b == 0x0D and i + 1 == len(data):
                return -1  # a CR at the end of what was read: an LF may follow
            return i + 1
    return -1


def read_header(stream: BinaryIO, delimiter: str, encoding: str) -> tuple[list[str], bytes]:
    """The header's column names, and the bytes read past it (the start of the data).

    Raises:
        InputError: no header (empty file), a header over 1 MiB, or one that does not decode.
    """
    data = b""
    end = -1
    while end < 0:
        chunk = stream.read(_CHUNK)
        if not chunk:
            end = len(data)
            break
        data += chunk
        end = _header_end(data)
        if end < 0 and len(data) > _MAX_HEADER:
            raise InputError("CSV header row is longer than 1 MiB", expected="a header row")
    head, rest = data[:end], data[end:]
    if head.startswith(codecs.BOM_UTF8) and encoding.lower().replace("_", "-") in (
        "utf-8", "utf8", "utf-8-sig",
    ):  # fmt: skip
        head = head[3:]
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            "CSV header row is not text in the given encoding",
            expected=f"{encoding} text",
            found=repr(head[exc.start : exc.end]),
            hint="pass the file's encoding",
        ) from None
    if not text.strip():
        raise InputError("empty CSV file: no header row", expected="a header row of column names")
    names = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return [n.strip() for n in names], rest


class _Chained(io.RawIOBase):
    """A read-only stream: ``prefix``, then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _decode(arr: pa.Array, encoding: str, source: str, bad: dict[int, BadCell]) -> pa.Array:
    """Undo the Latin-1 reading of a column: decode its non-ASCII cells with ``encoding``."""
    if encoding == "iso8859-1" or pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        return arr
    values: list[str | None] = arr.to_pylist()
    for i, v in enumerate(values):
        if v is not None and not v.isascii():
            raw = v.encode("latin-1")
            try:
                values[i] = raw.decode(encoding)
            except UnicodeDecodeError:
                bad.setdefault(i, BadCell(source, raw.decode(encoding, "replace"), encoding))
                values[i] = None
    return pa.array(values, pa.string())


def _line(cells: list[str | None], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(cells)
    return out.getvalue()


class _RaggedRows:
    """Arrow's handler for rows with the wrong number of fields, and their record numbers.

    Arrow skips such rows and reports each with its data row number while it parses a block,
    before the block's good rows are handed over; :meth:`number` interleaves the two so that
    every data row gets its number, in order and without gaps.
    """

    def __init__(self, mapping: TableMapping, header: list[str], delimiter: str, encoding: str):
        self.table = mapping.table
        self.id_index = header.index(mapping.record_id) if mapping.record_id else None
        self.delimiter = delimiter
        self.encoding = encoding
        self.waiting: deque[Pending] = deque()
        self.next = 1  # the next free record number

    def __call__(self, row: pacsv.InvalidRow) -> str:
        text = row.text.encode("latin-1", "replace").decode(self.encoding, "replace")
        cells = next(csv.reader([text], delimiter=self.delimiter), [])
        i = self.id_index
        record_id = (cells[i].strip() or None) if i is not None and i < len(cells) else None
        rejection = Rejection(
            Reason.MALFORMED,
            f"CSV row has {row.actual_columns} fields, the header has {row.expected_columns}",
            resource_type=self.table,
            record_id=record_id,
            expected=f"{row.expected_columns} fields",
            found=f"{row.actual_columns} fields",
        )
        self.waiting.append(Pending(row.number if row.number is not None else -1, rejection, text))
        return "skip"

    def number(self, rows: int) -> tuple[list[int], list[Pending]]:
        """Record numbers for the next ``rows`` good rows, and the ragged rows among them."""
        numbers: list[int] = []
        due: list[Pending] = []
        for _ in range(rows):
            # An unknown (-1) or stale number takes the next free one.
            while self.waiting and self.waiting[0].number <= self.next:
                due.append(replace(self.waiting.popleft(), number=self.next))
                self.next += 1
            numbers.append(self.next)
            self.next += 1
        return numbers, due

    def flush(self, sink: RecordSink) -> None:
        """Reject the ragged rows after the last good row."""
        for p in self.waiting:
            number = max(p.number, self.next)
            sink.reject(number, p.rejection, p.raw)
            self.next = number + 1
        self.waiting.clear()


def _check_header(mapping: TableMapping, header: list[str]) -> None:
    missing = [s for s in mapping.sources if s not in header]
    repeated = [s for s in mapping.sources if header.count(s) > 1]
    if missing or repeated:
        raise InputError(
            "CSV header does not fit the mapping: "
            + ("missing " + ", ".join(missing) if missing else "repeated " + ", ".join(repeated)),
            record=mapping.origin,
            expected="columns " + ", ".join(mapping.sources),
            found="header " + ",".join(header)[:200],
            hint="fix the mapping's source column names or use another mapping",
        )


def _unreadable(mapping: TableMapping, after: int, exc: Exception, block_size: int) -> InputError:
    return InputError(
        f"CSV cannot be read past data row {after}: {exc}",
        record=mapping.origin,
        hint=f"look for an unterminated quote, or a row longer than {block_size} bytes",
    )


def parse_csv(
    stream: BinaryIO,
    sink: RecordSink,
    mapping: TableMapping,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    block_size: int = 4 << 20,
) -> None:
    """Parse a CSV file into rows of ``mapping.table``, one record per data row.

    Each row is loaded (``sink.load``) or quarantined (``sink.reject``) with the first problem
    in mapping order: MALFORMED (wrong number of fields), ENCODING, MISSING_REQUIRED,
    MAPPING_ERROR or INVALID_DATETIME, the field being the source column. ``encoding`` must be
    ASCII-compatible (UTF-8, Latin-1, cp1252...). Memory is bounded by ``block_size``.

    Raises:
        InputError: the file cannot be mapped (no header, columns the mapping needs are
            missing or repeated) or read past a row longer than ``block_size``.
        ValueError: ``delimiter`` is not one ASCII character, or ``encoding`` is unusable.
    """
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n':
        raise ValueError(
            f"delimiter must be one ASCII character other than quote/CR/LF: {delimiter!r}"
        )
    if not _ascii_compatible(encoding):
        raise ValueError(f"encoding {encoding!r} is unknown or not ASCII-compatible")
    encoding = codecs.lookup(encoding).name
    header, rest = read_header(stream, delimiter, encoding)
    _check_header(mapping, header)
    names = [f"c{i}" for i in range(len(header))]  # header names may repeat or be empty
    where = {h: names[header.index(h)] for h in mapping.sources}
    ragged = _RaggedRows(mapping, header, delimiter, encoding)
    try:
        reader = pacsv.open_csv(
            _Chained(rest, stream),
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=block_size, column_names=names, encoding="latin-1"
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=ragged
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return  # a header and no data rows
        raise _unreadable(mapping, 0, exc, block_size) from None
    mapper = BatchMapper(mapping)
    batches = iter(reader)
    while True:
        try:
            batch = next(batches, None)
        except pa.ArrowInvalid as exc:
            raise _unreadable(mapping, ragged.next - 1, exc, block_size) from None
        if batch is None:
            break
        numbers, due = ragged.number(batch.num_rows)
        bad: dict[int, BadCell] = {}
        cells = {s: _decode(batch.column(where[s]), encoding, s, bad) for s in mapping.sources}
        raw = _raw_of(batch, encoding, delimiter)
        mapper.emit(sink, numbers, cells, raw, bad_cells=bad, pending=due)
    ragged.flush(sink)


def _raw_of(batch: pa.RecordBatch, encoding: str, delimiter: str) -> Callable[[int], str]:
    """The row at an index as received (re-encoded as one CSV line), for quarantine."""

    def raw(i: int) -> str:
        cells = [batch.column(c)[i].as_py() for c in range(batch.num_columns)]
        return _line(
            [v.encode("latin-1").decode(encoding, "replace") if v else v for v in cells], delimiter
        )

    return raw
