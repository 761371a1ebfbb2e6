"""A FHIR NDJSON file parsed in byte ranges gives exactly what a whole-file parse gives."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ingest.fhir._fhir_cases import minimal

from wardwatch.errors import InputError
from wardwatch.ingest._ranges import ByteRange, RangeReader, scan
from wardwatch.ingest._sink import Rejection, Row
from wardwatch.ingest.fhir import _ndjson, parse_ndjson

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class EventSink:
    """Every call a parser makes, in order, with its line number."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def load(self, line: int, rows: Any) -> None:
        self.events.append(("load", line, [tuple(r) for r in rows]))

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        self.events.append(("reject", line, rejection, raw))


def _obs(i: int) -> bytes:
    return json.dumps(minimal("Observation", id=f"o{i}")).encode()


# Lines of every kind: valid records, broken JSON, invalid records, blank lines, a line that
# is too large (max_record_bytes below), CRLF endings.
LINES = [
    _obs(1),
    _obs(2) + b"\r",
    json.dumps(minimal("Patient", id="p1")).encode(),
    b'{"resourceType": "Observation", "id": "broken", "status": ',
    b"not json at all",
    json.dumps(dict(minimal("Observation", id="bad"), status="done")).encode(),
    b"",
    b"   ",
    b'{"resourceType": "Observation", "id": "big", "note": "' + b"x" * 3000 + b'"}',
    json.dumps(minimal("Encounter", id="e1")).encode(),
]
MAX_RECORD = 2048


def _whole(data: bytes, chunk: int = _ndjson.CHUNK_SIZE) -> list[tuple[Any, ...]]:
    sink = EventSink()
    with _chunks_of(chunk):
        parse_ndjson(io.BytesIO(data), sink, max_record_bytes=MAX_RECORD)
    return sink.events


def _in_ranges(
    data: bytes, ranges: tuple[ByteRange, ...], chunk: int = _ndjson.CHUNK_SIZE
) -> list[tuple[Any, ...]]:
    sink = EventSink()
    raw = io.BytesIO(data)
    with _chunks_of(chunk):
        for rng in ranges:
            parse_ndjson(
                RangeReader(raw, rng.start, rng.end),  # type: ignore[arg-type]
                sink,
                max_record_bytes=MAX_RECORD,
                first_line=rng.first_line,
                file_start=rng.start == 0,
            )
    return sink.events


@contextmanager
def _chunks_of(size: int) -> Iterator[None]:
    """Read streams ``size`` bytes at a time (lines then span chunks, as in big files)."""
    saved = _ndjson.CHUNK_SIZE
    _ndjson.CHUNK_SIZE = size
    try:
        yield
    finally:
        _ndjson.CHUNK_SIZE = saved


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "f.ndjson"
    path.write_bytes(data)
    return path


ndjson_files = st.builds(
    lambda picks, bom, last_newline: (
        (b"\xef\xbb\xbf" if bom else b"")
        + b"\n".join(LINES[i] for i in picks)
        + (b"\n" if last_newline else b"")
    ),
    st.lists(st.integers(0, len(LINES) - 1), min_size=0, max_size=40),
    st.booleans(),
    st.booleans(),
)


@SETTINGS
@given(data=ndjson_files, pieces=st.integers(1, 9), block=st.integers(1, 600))
def test_scan_cuts_at_line_starts_and_numbers_them(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, pieces: int, block: int
) -> None:
    path = _file(tmp_path_factory.mktemp("scan"), data)
    result = scan(path, pieces, block=block)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size == len(data)
    ranges = result.ranges
    assert 1 <= len(ranges) <= pieces
    assert ranges[0].start == 0
    assert ranges[-1].end == len(data)
    for a, b in itertools.pairwise(ranges):
        assert a.end == b.start
        assert a.start < a.end
        assert data[b.start - 1 : b.start] == b"\n"  # a cut is just after a newline
    for rng in ranges:
        assert rng.first_line == data[: rng.start].count(b"\n") + 1


@SETTINGS
@given(
    data=ndjson_files,
    pieces=st.integers(1, 9),
    block=st.integers(1, 600),
    chunk=st.sampled_from([1, 7, 64, 1000, _ndjson.CHUNK_SIZE]),
)
def test_ranges_give_exactly_the_records_of_a_whole_parse(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, pieces: int, block: int, chunk: int
) -> None:
    """Same loads and rejections (reason, line number, raw), in the same order."""
    path = _file(tmp_path_factory.mktemp("ranges"), data)
    ranges = scan(path, pieces, block=block).ranges
    assert _in_ranges(data, ranges, chunk) == _whole(data, chunk) == _whole(data)


def test_a_cut_aimed_inside_a_malformed_line_moves_past_it(tmp_path: Path) -> None:
    broken = b'{"resourceType": "Observation", "id": "cut-here", ' + b'"x": 1, ' * 50
    data = b"\n".join([_obs(1), broken, _obs(2), _obs(3)]) + b"\n"
    middle = data.index(b"cut-here")
    # Two pieces put the one target at the middle of the file: inside the broken line.
    path = _file(tmp_path, data)
    assert data.index(broken) < len(data) // 2 < data.index(broken) + len(broken)
    ranges = scan(path, 2).ranges
    assert len(ranges) == 2
    assert ranges[1].start == data.index(broken) + len(broken) + 1 > middle
    assert ranges[1].first_line == 3
    events = _in_ranges(data, ranges)
    assert events == _whole(data)
    assert [(e[0], e[1]) for e in events] == [("load", 1), ("reject", 2), ("load", 3), ("load", 4)]
    assert events[1][2].reason == "malformed-record"


def test_only_the_first_range_looks_at_the_start_of_the_file(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + _obs(1) + b"\n" + _obs(2) + b"\n"
    ranges = scan(_file(tmp_path, data), 2).ranges
    assert len(ranges) == 2
    assert _in_ranges(data, ranges) == _whole(data)
    # A range that does not start the file is not checked for a byte order mark or NUL bytes:
    # a whole-file parse looks only at the file's first bytes too.
    odd = b"\x00" + _obs(3)
    sink = EventSink()
    parse_ndjson(io.BytesIO(odd), sink, first_line=7, file_start=False)
    assert [(e[0], e[1]) for e in sink.events] == [("reject", 7)]
    with pytest.raises(InputError):
        parse_ndjson(io.BytesIO(odd), EventSink())


def test_a_file_without_newlines_is_one_range(tmp_path: Path) -> None:
    data = _obs(1)
    assert scan(_file(tmp_path, data), 4).ranges == (ByteRange(0, len(data), 1),)
    empty = _file(tmp_path, b"")
    assert scan(empty, 3).ranges == (ByteRange(0, 0, 1),)


def test_range_reader_stops_at_the_end_of_its_range() -> None:
    reader = RangeReader(io.BytesIO(b"0123456789"), 2, 7)  # type: ignore[arg-type]
    assert reader.read(3) == b"234"
    assert reader.read(10) == b"56"
    assert reader.read(10) == b""
    assert RangeReader(io.BytesIO(b"0123456789"), 8, 10).read() == b"89"  # type: ignore[arg-type]


def _rows_of(events: list[tuple[Any, ...]]) -> list[Row]:
    return [row for e in events if e[0] == "load" for row in e[2]]


def test_the_line_pool_covers_every_outcome() -> None:
    events = _whole(b"\n".join(LINES))
    kinds = {e[0] for e in events}
    assert kinds == {"load", "reject"}
    reasons = {str(e[2].reason) for e in events if e[0] == "reject"}
    assert {"malformed-record", "invalid-value", "record-too-large"} <= reasons
    assert _rows_of(events)
