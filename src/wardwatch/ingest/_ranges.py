"""A large NDJSON file parsed in byte ranges at once, each range into its own part files.

NDJSON records are lines and a line does not depend on the lines around it, so a file can be cut
at newlines into ranges that are parsed in parallel and still give exactly the rows, line
numbers and quarantine of a whole-file parse. :func:`scan` reads the file once for its SHA-256
(the source key needs it anyway) and, in the same pass, finds the cut points and counts the
newlines before each, which gives every range the number of its first line.

Only plain (uncompressed) FHIR NDJSON is cut: a gzip stream cannot be entered in the middle, and
a Bundle is one JSON document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from wardwatch.core.lake import Lake
from wardwatch.errors import InputError
from wardwatch.ingest._writer import PartCounts, SourceWriter

__all__ = ["ByteRange", "RangeReader", "RangeTask", "Scan", "parse_range", "scan"]

_BLOCK = 1 << 22
"""Bytes read at a time while scanning."""


@dataclass(frozen=True)
class ByteRange:
    """``[start, end)`` of a file, starting at the beginning of line ``first_line``."""

    start: int
    end: int
    first_line: int


@dataclass(frozen=True)
class Scan:
    """A file's SHA-256 (hex), size and ranges (in order, covering the file)."""

    sha256: str
    size: int
    ranges: tuple[ByteRange, ...]


def scan(path: Path, pieces: int, *, block: int = _BLOCK) -> Scan:
    """SHA-256 of ``path`` and its cut into at most ``pieces`` ranges of about equal size.

    Each cut is just after the first newline at or after its target offset, so a range never
    splits a line; targets that fall in the same line give one cut. Reads the file once.
    """
    size = path.stat().st_size
    targets = [size * i // pieces for i in range(1, max(pieces, 1))]
    h = hashlib.sha256()
    cuts: list[tuple[int, int]] = [(0, 1)]  # (offset, number of the line starting there)
    pos = newlines = 0
    t = 0
    with path.open("rb", buffering=0) as fh:
        while chunk := fh.read(block):
            h.update(chunk)
            end = pos + len(chunk)
            while t < len(targets) and targets[t] < end:
                nl = chunk.find(b"\n", max(targets[t] - pos, 0))
                if nl < 0:
                    break  # the line goes on in the next block: the cut is there
                cut = pos + nl + 1
                cuts.append((cut, newlines + chunk.count(b"\n", 0, nl + 1) + 1))
                while t < len(targets) and targets[t] < cut:
                    t += 1
            newlines += chunk.count(b"\n")
            pos = end
    size = pos  # what was hashed is what the ranges cover, should the file have changed
    bounds = [c for c in cuts if c[0] < size] or [(0, 1)]
    ranges = tuple(
        ByteRange(start, bounds[i + 1][0] if i + 1 < len(bounds) else size, line)
        for i, (start, line) in enumerate(bounds)
    )
    return Scan(h.hexdigest(), size, ranges)


class RangeReader:
    """A binary stream over ``[start, end)`` of an open file (its ``read`` stops at ``end``)."""

    def __init__(self, raw: BinaryIO, start: int, end: int) -> None:
        self._raw = raw
        self._left = end - start
        raw.seek(start)

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if n < 0 else min(n, self._left)
        parts: list[bytes] = []
        while want > 0:  # a raw read may return less than asked before the end
            data = self._raw.read(want)
            if not data:
                break
            parts.append(data)
            want -= len(data)
        out = b"".join(parts) if len(parts) != 1 else parts[0]
        self._left -= len(out)
        return out


@dataclass(frozen=True)
class RangeTask:
    """One range of a source, as a child process needs it."""

    path: Path
    source_key: str
    source_hash: str
    run_id: str
    part: int
    range: ByteRange


def parse_range(lake: Lake, task: RangeTask, settings: Any) -> PartCounts | str:
    """Parse one range of a FHIR NDJSON file into its own part files of the source's staging.

    Returns what the part took in, or the message of an :class:`InputError` (the file cannot
    be read: the runner then quarantines it whole, as a whole-file parse would).
    """
    from wardwatch.ingest.fhir import parse_ndjson

    writer = SourceWriter(
        lake,
        source_key=task.source_key,
        source_hash=task.source_hash,
        source_file=str(task.path),
        source_format="fhir-ndjson",
        run_id=task.run_id,
        row_group_rows=settings.row_group_rows,
        part=task.part,
    )
    rng = task.range
    try:
        with task.path.open("rb", buffering=0) as raw:
            parse_ndjson(
                cast(BinaryIO, RangeReader(cast(BinaryIO, raw), rng.start, rng.end)),
                writer,
                max_record_bytes=settings.max_record_bytes,
                first_line=rng.first_line,
                file_start=rng.start == 0,
            )
    except InputError as exc:
        writer.abort()
        return str(exc)
    except OSError as exc:
        writer.abort()
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        found = f"{type(exc).__name__}: {exc}"
        return str(InputError("cannot read file", record=str(task.path), found=found))
    except BaseException:
        writer.abort()
        raise
    return writer.finish()
