"""Properties of the HL7 v2 parser over generated input (hypothesis)."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ingest.hl7v2.hl7_samples import adt, obx, only, oru, parse, pid

from wardwatch.ingest import CollectingSink
from wardwatch.ingest.hl7v2 import iter_messages

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_accounting(sink: CollectingSink, expected_records: int) -> None:
    """Every record reported exactly once, numbered 1..n, and no parser bug surfaced."""
    numbers = [line for line, _, _ in sink.rejected]
    assert sink.records_in == expected_records
    assert len(set(numbers)) == len(numbers)
    assert all(1 <= n <= expected_records for n in numbers)
    assert not any("report it" in r.message for _, r, _ in sink.rejected)


@SETTINGS
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    sink = parse(data)
    expected = sum(1 for _ in iter_messages(io.BytesIO(data), max_message_bytes=16 * 2**20))
    _check_accounting(sink, expected)


_TOKENS = [b"MSH|^~\\&|", b"MSH|", b"\r", b"\n", b"|", b"^", b"~", b"&", b"\\", b"\\X", b"PID|1||",
           b"PV1|1|", b"OBR|1|", b"OBX|1|NM|", b"ORU^R01", b"ADT^A01", b"|2.5", b"20240101",
           b"\x0b", b"\x1c", b"\xff", b"\xc3", b"EVN|"]  # fmt: skip


@SETTINGS
@given(st.lists(st.one_of(st.binary(max_size=12), st.sampled_from(_TOKENS)), max_size=60))
def test_hl7_like_token_soup_never_raises(parts: list[bytes]) -> None:
    data = b"".join(parts)
    sink = parse(data)
    expected = sum(1 for _ in iter_messages(io.BytesIO(data), max_message_bytes=16 * 2**20))
    _check_accounting(sink, expected)


_SEPARATORS = st.sampled_from(["\r", "\n", "\r\n"])
_GOOD = [adt(), adt("A08"), oru(obx("1"), obx("2", f5="3.5")), adt(pid_seg=pid(f7="bad"))]


@st.composite
def _file(draw: st.DrawFn) -> tuple[bytes, int]:
    """A file of n messages, valid or mutated, with random separators, framing and blanks."""
    messages = draw(st.lists(st.sampled_from(_GOOD), max_size=8))
    chunks: list[str] = []
    for m in messages:
        if draw(st.booleans()):  # mutate one character after MSH, keeping the message a record
            i = draw(st.integers(min_value=8, max_value=len(m) - 1))
            m = m[:i] + draw(st.sampled_from(["|", "^", "~", "\\", "&", "x", "\x00", "é"])) + m[i:]
        sep = draw(_SEPARATORS)
        body = m.replace("\r", sep) + sep + draw(st.sampled_from(["", "\n", "\r\n\r\n", "  \n"]))
        chunks.append(f"\x0b{body}\x1c\r" if draw(st.booleans()) else body)
    return "".join(chunks).encode(), len(messages)


@SETTINGS
@given(_file())
def test_records_in_equals_messages_written(case: tuple[bytes, int]) -> None:
    data, n = case
    sink = parse(data)
    _check_accounting(sink, n)
    assert sink.loaded + sink.quarantined == n


_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch in "\r\n\x0b\x1c":
            out.append(f"\\X{ord(ch):02X}\\")
        else:
            out.append(ch)
    return "".join(out)


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_escaped_text_round_trips(text: str) -> None:
    sink = parse(adt(pid_seg=pid(f5=_escape(text) + "^Jo")))
    assert sink.quarantined == 0, sink.rejected
    expected = text.strip() or None
    if expected == '""':  # the HL7 null, not text
        expected = None
    assert only(sink, "patients")["family_name"] == expected
