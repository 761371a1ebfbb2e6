"""parse_ndjson: line numbering, blank lines, encodings, bad files, huge lines in bounded memory."""

from __future__ import annotations

import gc
import io
import random
import tracemalloc
from typing import Any

import orjson
import pytest
from tests.ingest.fhir._fhir_cases import minimal, run_ndjson

from wardwatch.errors import InputError
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import CollectingSink
from wardwatch.ingest.fhir import RAW_LIMIT, parse_ndjson
from wardwatch.ingest.fhir._ndjson import iter_lines


def _parse(data: bytes, **kwargs: Any) -> CollectingSink:
    sink = CollectingSink()
    parse_ndjson(io.BytesIO(data), sink, **kwargs)
    assert sink.records_in == sink.loaded + sink.quarantined
    return sink


class _LineNumbers(CollectingSink):
    """Also keeps the line number of each loaded record."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded_lines: list[int] = []

    def load(self, line: int, rows: Any) -> None:
        super().load(line, rows)
        self.loaded_lines.append(line)


def test_line_numbers_and_blank_lines() -> None:
    p1, p2 = orjson.dumps(minimal("Patient")), orjson.dumps(minimal("Patient", id="p2"))
    data = b"\n".join([p1, b"", b"   \t", p2, b'{"resourceType":"Patient"}', b"", b""])
    sink = _LineNumbers()
    parse_ndjson(io.BytesIO(data), sink)
    assert sink.loaded_lines == [1, 4]
    assert [(line, r.reason) for line, r, _ in sink.rejected] == [(5, Reason.MISSING_REQUIRED)]
    assert sink.records_in == 3  # blank lines are not records


def test_crlf_bom_and_no_final_newline() -> None:
    p1, p2 = orjson.dumps(minimal("Patient")), orjson.dumps(minimal("Patient", id="p2"))
    sink = _parse(b"\xef\xbb\xbf" + p1 + b"\r\n\r\n" + p2)
    assert (sink.loaded, sink.quarantined) == (2, 0)


def test_bom_inside_the_file_is_a_bad_record() -> None:
    p1 = orjson.dumps(minimal("Patient"))
    sink = _parse(p1 + b"\n\xef\xbb\xbf" + p1)
    assert sink.loaded == 1
    assert sink.rejected[0][1].reason is Reason.MALFORMED


def test_empty_file() -> None:
    assert _parse(b"").records_in == 0
    assert _parse(b"\n\n  \n").records_in == 0


@pytest.mark.parametrize(
    ("data", "found"),
    [
        ("\ufeff{}\n".encode("utf-16-le"), "UTF-16 or UTF-32 (byte order mark FF FE)"),
        ('{"a": 1}\n'.encode("utf-16-be").join([b"\xfe\xff", b""]), "byte order mark FE FF"),
        ('{"resourceType": "Patient"}'.encode("utf-16-le"), "binary data (NUL byte at offset 1)"),
        (b"\x1f\x8b\x08\x00" + bytes(50), "binary data (NUL byte at offset 3)"),
    ],
    ids=["utf16-le-bom", "utf16-be-bom", "utf16-no-bom", "gzip-not-opened"],
)
def test_unreadable_files_raise_one_line_input_error(data: bytes, found: str) -> None:
    sink = CollectingSink()
    with pytest.raises(InputError) as info:
        parse_ndjson(io.BytesIO(data), sink)
    message = str(info.value)
    assert "\n" not in message
    assert found in message
    assert "expected UTF-8" in message
    assert sink.records_in == 0


def test_latin1_line_is_quarantined_alone() -> None:
    good = orjson.dumps(minimal("Patient"))
    bad = '{"resourceType":"Patient","id":"p2","name":[{"family":"Gonzàlez"}]}'.encode("latin-1")
    sink = _parse(good + b"\n" + bad + b"\n" + good)
    assert sink.loaded == 2
    ((line, rej, raw),) = sink.rejected
    assert (line, rej.reason, raw) == (2, Reason.ENCODING, bad)


def test_binary_garbage_without_nul_never_raises() -> None:
    rng = random.Random(7)
    data = bytes(rng.randrange(1, 256) for _ in range(200_000))
    sink = _parse(data)
    n_lines = sum(1 for line in data.split(b"\n") if line.strip())
    assert sink.records_in == sink.quarantined == n_lines
    assert set(sink.reasons()) <= {"bad-encoding", "malformed-record", "not-a-resource"}


def test_truncated_file() -> None:
    full = orjson.dumps(minimal("Observation"))
    sink = _parse(full + b"\n" + full[: len(full) // 2])
    assert sink.loaded == 1
    ((line, rej, _),) = sink.rejected
    assert (line, rej.reason, rej.found) == (2, Reason.MALFORMED, "Input data was truncated")


def test_deeply_nested_line() -> None:
    deep = b"[" * 10_000 + b"]" * 10_000
    sink = _parse(deep + b"\n" + b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    # A top-level array is not a resource before it is deep; a deep object is too deep.
    assert sink.reasons() == {"not-a-resource": 1, "too-deeply-nested": 1}


def test_gc_state_is_restored() -> None:
    data = orjson.dumps(minimal("Patient"))
    assert gc.isenabled()
    _parse(data)
    assert gc.isenabled()
    gc.disable()
    try:
        _parse(data)
        assert not gc.isenabled()
    finally:
        gc.enable()


class _HugeLineStream(io.RawIOBase):
    """A 200 MB first line made on the fly (never in memory), then a valid line."""

    def __init__(self, size: int, tail: bytes) -> None:
        self._head = b'{"resourceType":"Patient","id":"big","text":"'
        self._size = size
        self._tail = b'"}\n' + tail + b"\n"
        self._pos = 0
        self._block = b"x" * (1 << 20)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        n = 0
        while n < len(view):
            if self._pos < len(self._head):
                src = self._head[self._pos :]
            elif self._pos < self._size:
                src = self._block[: self._size - self._pos]
            elif self._pos < self._size + len(self._tail):
                src = self._tail[self._pos - self._size :]
            else:
                break
            k = min(len(src), len(view) - n)
            view[n : n + k] = src[:k]
            n += k
            self._pos += k
        return n


def _huge_line_peak(size: int, **kwargs: Any) -> tuple[CollectingSink, int]:
    tail = orjson.dumps(minimal("Patient", id="after"))
    stream = io.BufferedReader(_HugeLineStream(size, tail), buffer_size=1 << 16)
    sink = CollectingSink()
    tracemalloc.start()
    try:
        parse_ndjson(stream, sink, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return sink, peak


def test_huge_line_small_limit_constant_memory() -> None:
    sink, peak = _huge_line_peak(200_000_000, max_record_bytes=1 << 20)
    assert sink.loaded == 1  # the line after it
    ((line, rej, raw),) = sink.rejected
    assert (line, rej.reason, rej.resource_type) == (1, Reason.TOO_LARGE, "Patient")
    assert rej.found == "200000002 bytes"
    assert isinstance(raw, bytes)
    assert len(raw) == RAW_LIMIT
    assert raw.startswith(b'{"resourceType":"Patient"')
    assert peak < 8 << 20, peak  # a few chunks, not the line


@pytest.mark.slow
def test_huge_line_default_limit_bounded_memory() -> None:
    sink, peak = _huge_line_peak(200_000_000)
    assert sink.loaded == 1
    assert sink.rejected[0][1].reason is Reason.TOO_LARGE
    assert peak < (64 << 20) + (8 << 20), peak  # the 64 MiB limit, never the 200 MB line


def _reference_lines(data: bytes, limit: int) -> list[tuple[int, bytes, int]]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [
        (i, line[:RAW_LIMIT], len(line)) if len(line) > limit else (i, line, 0)
        for i, line in enumerate(lines, 1)
    ]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("limit", [0, 5, 40, 1 << 20])
def test_iter_lines_across_chunk_boundaries(chunk_size: int, limit: int) -> None:
    rng = random.Random(chunk_size * 1000 + limit)
    parts = [b"a" * rng.choice([0, 1, 2, 5, 39, 40, 41, 100]) for _ in range(60)]
    data = b"{" + b"\n".join(parts) + rng.choice([b"", b"\n"])
    got = list(iter_lines(io.BytesIO(data), limit, chunk_size))
    assert got == _reference_lines(data, limit)


def test_records_in_counts_many_lines() -> None:
    lines = [minimal("Observation", id=f"o{i}") for i in range(2000)]
    lines[7]["status"] = "bogus"
    sink = run_ndjson(*lines)
    assert (sink.loaded, sink.quarantined) == (1999, 1)
    assert sink.rejected[0][0] == 8
