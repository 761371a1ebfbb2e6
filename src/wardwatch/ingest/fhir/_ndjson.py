"""FHIR bulk data NDJSON: one resource per line, read in bounded chunks.

Memory stays flat in the file size: the file is read 1 MiB at a time and split into lines
there; a line only gathers pieces while it spans chunks, and once it passes
``max_record_bytes`` only its first :data:`~._stream.RAW_LIMIT` bytes are kept while the rest
is skipped up to the next newline.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection
from wardwatch.ingest.fhir._record import RecordParser
from wardwatch.ingest.fhir._refs import Resolver
from wardwatch.ingest.fhir._stream import RAW_LIMIT, gc_paused, head_resource_type, strip_start

__all__ = ["CHUNK_SIZE", "iter_lines", "parse_ndjson"]

CHUNK_SIZE = 1 << 20
"""Bytes read from the stream at a time."""

Line = tuple[int, bytes, int]
"""(1-based line number, the line or its first RAW_LIMIT bytes, its size if too large else 0)."""

Batch = tuple[int, list[bytes], int]
"""(number of the first line, lines, 0) for whole lines, which may still be longer than the
limit when they fit in a chunk; or (number, [first RAW_LIMIT bytes], size) for a line that grew
past the limit across chunks and was skipped."""


def _head(pieces: list[bytes]) -> bytes:
    """The first RAW_LIMIT bytes of a line in pieces, without joining all of them."""
    out: list[bytes] = []
    kept = 0
    for piece in pieces:
        out.append(piece[: RAW_LIMIT - kept])
        kept += len(out[-1])
        if kept >= RAW_LIMIT:
            break
    return b"".join(out)


def _batches(
    stream: BinaryIO,
    max_record_bytes: int,
    chunk_size: int,
    first_line: int = 1,
    file_start: bool = True,
) -> Iterator[Batch]:
    """The lines of ``stream`` a chunk at a time (see :data:`Batch`).

    ``first_line`` is the number of the stream's first line; ``file_start`` says whether the
    stream starts the file (only there are a byte order mark and the encoding looked at).
    """
    line_no = first_line - 1
    pending: list[bytes] = []  # pieces of a line that spans chunks
    pending_len = 0
    skipping = False  # the pending line is too large: keep its head, count its size
    head = b""
    first = file_start
    while True:
        # The first read is large enough to see a byte order mark and the first KiB.
        chunk = stream.read(max(chunk_size, 4096) if first else chunk_size)
        if not chunk:
            break
        if first:
            chunk = strip_start(chunk, "FHIR NDJSON")
            first = False
        start = 0
        if pending or skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                pending_len += len(chunk)
                if skipping:
                    if len(head) < RAW_LIMIT:
                        head += chunk[: RAW_LIMIT - len(head)]
                else:
                    pending.append(chunk)
                    if pending_len > max_record_bytes:
                        head, pending, skipping = _head(pending), [], True
                continue
            line_no += 1
            pending_len += nl
            if skipping:
                if len(head) < RAW_LIMIT:  # the head is the same wherever chunks end
                    head += chunk[: min(nl, RAW_LIMIT - len(head))]
                yield line_no, [head], pending_len
            elif pending_len > max_record_bytes:
                yield line_no, [_head([*pending, chunk[:nl]])], pending_len
            else:
                pending.append(chunk[:nl])
                yield line_no, [b"".join(pending)], 0
            pending, pending_len, skipping = [], 0, False
            start = nl + 1
        last = chunk.rfind(b"\n")
        if last >= start:
            lines = chunk[start:last].split(b"\n")
            yield line_no + 1, lines, 0
            line_no += len(lines)
            start = last + 1
        if start < len(chunk):
            rest = chunk[start:]
            pending_len = len(rest)
            if pending_len > max_record_bytes:
                head, skipping = rest[:RAW_LIMIT], True
            else:
                pending = [rest]
    if skipping:
        yield line_no + 1, [head], pending_len
    elif pending:
        yield line_no + 1, [b"".join(pending)], 0


def iter_lines(
    stream: BinaryIO, max_record_bytes: int, chunk_size: int = CHUNK_SIZE
) -> Iterator[Line]:
    """The lines of ``stream`` (without their newline), each whole unless too large.

    A line larger than ``max_record_bytes`` comes as its first ``RAW_LIMIT`` bytes with its
    size; it is never held whole in memory.

    Raises:
        InputError: the file is UTF-16/32 or binary (see ``strip_start``).
    """
    for first_no, lines, size in _batches(stream, max_record_bytes, chunk_size):
        if size:
            yield first_no, lines[0], size
            continue
        for line_no, line in enumerate(lines, first_no):
            if len(line) > max_record_bytes:
                yield line_no, line[:RAW_LIMIT], len(line)
            else:
                yield line_no, line, 0


def _too_large(head: bytes, size: int, limit: int) -> Rejection:
    """The Rejection of a line over the size limit."""
    return Rejection(
        Reason.TOO_LARGE,
        f"record of {size} bytes is over the limit of {limit} bytes; raw keeps its first "
        f"{min(len(head), RAW_LIMIT)} bytes (raise max_record_bytes if the record is genuine)",
        head_resource_type(head),
        None,
        None,
        f"at most {limit} bytes",
        f"{size} bytes",
    )


def parse_ndjson(
    stream: BinaryIO,
    sink: RecordSink,
    *,
    max_record_bytes: int = 64 * 2**20,
    first_line: int = 1,
    file_start: bool = True,
) -> None:
    """Parse FHIR bulk NDJSON from ``stream`` into ``sink``, one record per non-blank line.

    Every non-blank line is either loaded (its rows) or rejected (with a reason), under its
    1-based line number; blank lines are skipped but counted in the numbering. A UTF-8 byte
    order mark is accepted. The garbage collector is paused while parsing.

    Lines are independent records, so a file may be parsed in byte ranges that start after a
    newline: each range gives exactly the records (and numbers) it would give in a whole-file
    parse when it is told the number of its first line and whether it starts the file.

    Args:
        stream: the file, opened in binary mode (the runner handles gzip), or one byte range
            of it that starts at the beginning of a line.
        sink: receives each record.
        max_record_bytes: lines longer than this are quarantined as ``record-too-large``.
        first_line: the number of the stream's first line in the file.
        file_start: the stream starts the file: a byte order mark is dropped there, and a
            UTF-16/32 or binary start makes the whole file unreadable.

    Raises:
        InputError: the file is UTF-16/32 or binary; nothing was sent to the sink.
    """
    parse = RecordParser(Resolver()).parse
    load, reject = sink.load, sink.reject
    limit = max_record_bytes
    with gc_paused():
        batches = _batches(stream, limit, CHUNK_SIZE, first_line, file_start)
        for first_no, lines, size in batches:
            if size:
                reject(first_no, _too_large(lines[0], size, limit), lines[0])
                continue
            for line_no, line in enumerate(lines, first_no):
                if len(line) > limit:
                    reject(
                        line_no, _too_large(line[:RAW_LIMIT], len(line), limit), line[:RAW_LIMIT]
                    )
                elif line and not line.isspace():
                    result = parse(line)
                    if type(result) is list:
                        load(line_no, result)
                    else:
                        reject(line_no, result, line)  # type: ignore[arg-type]
