"""Finding messages in a file: separators, MLLP, blank lines, batches, size limits, memory."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from tests.ingest.hl7v2.hl7_samples import adt, obx, oru, parse

from wardwatch.errors import InputError
from wardwatch.ingest import CollectingSink, Reason
from wardwatch.ingest.hl7v2 import iter_messages, parse_hl7

MESSAGES = [adt(control="1"), oru(obx("1"), obx("2", f5="7.1"), control="2"), adt("A03")]


def _join(sep: str, mllp: bool = False) -> bytes:
    out = []
    for m in MESSAGES:
        body = m.replace("\r", sep) + sep
        out.append(f"\x0b{body}\x1c\r" if mllp else body)
    return "".join(out).encode()


def test_separators_and_mllp_give_identical_rows() -> None:
    results = [parse(_join(sep)) for sep in ("\r", "\n", "\r\n")] + [
        parse(_join("\r", mllp=True)),
        parse(_join("\n", mllp=True)),
    ]
    first = results[0]
    assert (first.loaded, first.quarantined) == (3, 0)
    for r in results[1:]:
        assert r.rows == first.rows
        assert (r.loaded, r.quarantined) == (3, 0)


def test_an_mllp_block_without_msh_is_its_own_record() -> None:
    lost_msh = adt().split("\r", 1)[1]  # EVN, PID, PV1 of a message whose MSH was lost
    frames = [adt(control="1"), lost_msh, adt(control="3")]
    data = "".join(f"\x0b{m}\r\x1c\r" for m in frames)
    sink = parse(data)
    assert (sink.records_in, sink.loaded, sink.quarantined) == (3, 2, 1)
    line, rejection, _ = sink.rejected[0]
    assert (line, rejection.reason) == (2, Reason.MALFORMED)
    # Unframed, the same segments would be read as part of message 1 (ER7 has no end marker).
    assert parse("\r".join(frames)).records_in == 2


def test_blank_lines_bom_and_batch_envelope_are_not_records() -> None:
    body = "\n\n".join(MESSAGES)
    text = f"\ufeffFHS|^~\\&|X\nBHS|^~\\&|X\n\n  \n{body}\n\nBTS|3\nFTS|1\n"
    sink = parse(text)
    assert (sink.records_in, sink.loaded, sink.quarantined) == (3, 3, 0)


def test_record_numbers_are_message_positions() -> None:
    text = "\n".join([adt(control="1"), adt("A08", pv1_seg="PV1|1|Z"), adt(control="3")])
    sink = parse(text)
    assert [line for line, _, _ in sink.rejected] == [2]
    numbers = [r.number for r in iter_messages(io.BytesIO(text.encode()), max_message_bytes=99)]
    assert numbers == [1, 2, 3]


def test_truncated_file_is_still_one_record() -> None:
    # ER7 has no end-of-message marker: a cut message is read as what remains of it.
    text = adt()
    sink = parse(text[: text.index("PID|") + 30])  # cut inside PID: no PV1 left
    assert (sink.records_in, sink.quarantined) == (1, 1)
    assert sink.rejected[0][1].reason == Reason.MISSING_SEGMENT
    cut_in_msh = parse("MSH|^~")
    assert cut_in_msh.rejected[0][1].reason == Reason.MALFORMED
    assert cut_in_msh.rejected[0][1].field == "MSH-2"


def test_message_over_the_limit_is_quarantined_and_the_next_one_loads() -> None:
    big = oru(*(obx(str(i)) for i in range(1, 2000)))
    sink = parse(big + "\n" + adt(), max_message_bytes=10_000)
    assert (sink.records_in, sink.loaded, sink.quarantined) == (2, 1, 1)
    line, rejection, raw = sink.rejected[0]
    assert (line, rejection.reason) == (1, Reason.TOO_LARGE)
    assert (rejection.resource_type, rejection.record_id) == ("ORU^R01", "MSG0002")
    assert isinstance(raw, bytes)
    assert len(raw) <= 10_000
    assert raw.startswith(b"MSH|")


class _HugeSegment(io.RawIOBase):
    """A lazy stream: one message whose OBX-5 is ``size`` bytes long, then a good message."""

    def __init__(self, size: int) -> None:
        head = oru(obx("1", f2="TX", f5="")).encode()
        self._parts = [head + b"X", None, b"\r" + adt().encode() + b"\r"]
        self._left = size
        self.read_total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._parts:
            part = self._parts[0]
            if part is None:
                if self._left <= 0:
                    self._parts.pop(0)
                    continue
                n = min(len(buffer), self._left)
                buffer[:n] = b"A" * n
                self._left -= n
            else:
                n = min(len(buffer), len(part))
                buffer[:n] = part[:n]
                rest = part[n:]
                if rest:
                    self._parts[0] = rest
                else:
                    self._parts.pop(0)
            self.read_total += n
            return n
        return 0


def test_100_mb_segment_is_quarantined_in_bounded_memory() -> None:
    size = 100 * 2**20
    limit = 4 * 2**20
    stream = _HugeSegment(size)
    sink = CollectingSink()
    tracemalloc.start()
    try:
        parse_hl7(io.BufferedReader(stream, 1 << 16), sink, max_message_bytes=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.read_total > size  # the whole stream was read
    assert (sink.records_in, sink.loaded, sink.quarantined) == (2, 1, 1)
    assert sink.rejected[0][1].reason == Reason.TOO_LARGE
    assert peak < 4 * limit, f"peak {peak / 2**20:.1f} MiB for a {limit / 2**20:.0f} MiB limit"


def test_binary_garbage_never_raises() -> None:
    garbage = bytes(range(256)) * 40 + b"\rMSH\x00\xff|" + bytes(range(255, -1, -1)) * 4
    sink = parse(garbage)
    assert sink.loaded == 0
    # Its 0x0B/0x1C bytes are MLLP block marks, so the garbage splits into several records.
    expected = list(iter_messages(io.BytesIO(garbage), max_message_bytes=2**20))
    assert sink.records_in == len(expected) > 2
    assert {r.reason for _, r, _ in sink.rejected} == {Reason.MALFORMED}


def test_text_stream_is_an_input_error() -> None:
    with pytest.raises(InputError, match="binary stream"):
        parse_hl7(io.StringIO(adt()), CollectingSink())  # type: ignore[arg-type]


def test_empty_input_has_no_records() -> None:
    assert parse(b"").records_in == 0
    assert parse(b"\r\n\n  \r").records_in == 0
