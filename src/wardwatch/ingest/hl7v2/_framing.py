"""Split a byte stream of HL7 v2 ER7 messages into records, in constant memory.

A file holds any number of messages, one after the other. Segments end with CR, LF or CRLF
(any mix); a message starts at each segment that begins with ``MSH``. MLLP framing is
tolerated: its start-block (``0x0B``) and end-block (``0x1C``) bytes end a segment and also end
the message, so framed and unframed files give the same records, and in a framed file a
message that lost its MSH cannot merge into the one before it. Blank lines, a UTF-8 byte order
mark at the start of the file and the batch envelope segments ``FHS``/``BHS``/``BTS``/``FTS``
(which carry no clinical data) are skipped and are not records.

Records are numbered from 1 in file order. Content that is not inside a message (before the
first ``MSH``, or in an MLLP block that does not start with one) is a record of its own, which
the parser quarantines as malformed, so no byte of the file goes unaccounted for.

The stream is read in chunks; a record keeps at most ``max_message_bytes`` bytes. A longer
record (or a single segment longer than that, even without any separator) is marked
``truncated``, keeps its beginning only and the rest is read and dropped, so a 100 MB segment
costs no more memory than the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from wardwatch.errors import InputError

__all__ = ["RawMessage", "iter_messages"]

_CHUNK = 1 << 16
# CR is the ER7 segment terminator; LF becomes CR. Each MLLP block byte becomes CR + 0x0B: a
# line that starts with 0x0B starts after a message boundary.
_LF_TO_CR = bytes.maketrans(b"\n\x1c", b"\r\x0b")
_BLOCK = b"\x0b"
_ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One record of an HL7 v2 file, as bytes.

    Attributes:
        number: 1-based position of the record in the file (the ``source_line`` of its rows).
        segments: the segments, without separators; only the first ``max_message_bytes`` bytes
            when ``truncated``.
        truncated: the record was longer than ``max_message_bytes``; the file has it whole.
    """

    number: int
    segments: tuple[bytes, ...]
    truncated: bool

    @property
    def raw(self) -> bytes:
        """The record as received, segments joined by CR (the ER7 separator)."""
        return b"\r".join(self.segments)


def _is_envelope(line: bytes) -> bool:
    return line[:3] in _ENVELOPE and (len(line) == 3 or not line[3:4].isalnum())


class _Assembler:
    """Collects lines into records; bounded by ``limit`` bytes per record."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.number = 0
        self.lines: list[bytes] = []
        self.size = 0
        self.truncated = False
        self.started = False  # a record is open
        self.first_line = True

    def add(self, line: bytes, *, boundary: bool, overlong: bool) -> RawMessage | None:
        """Add one line (after an MLLP block byte when ``boundary``); return the record it
        closes, if any."""
        done = self.close() if boundary else None
        if self.first_line:
            self.first_line = False
            if line.startswith(_BOM):
                line = line[3:]
        if not overlong and (not line or line.isspace()):
            return done
        if line.startswith(b"MSH"):
            done = self.close() or done
            self._open(line, overlong)
            return done
        if _is_envelope(line):
            return done
        if not self.started:
            self._open(line, overlong)
            return done
        if self.truncated:
            return done
        room = self.limit - self.size - 1
        if overlong or len(line) > room:
            self.truncated = True
            if room > 0:
                self.lines.append(line[:room])
                self.size += room + 1
        else:
            self.lines.append(line)
            self.size += len(line) + 1
        return done

    def _open(self, line: bytes, overlong: bool) -> None:
        self.started = True
        self.truncated = overlong or len(line) > self.limit
        self.lines = [line[: self.limit]]
        self.size = len(self.lines[0])

    def close(self) -> RawMessage | None:
        if not self.started:
            return None
        self.number += 1
        done = RawMessage(self.number, tuple(self.lines), self.truncated)
        self.started = False
        self.lines = []
        self.size = 0
        self.truncated = False
        return done


def iter_messages(stream: BinaryIO, *, max_message_bytes: int) -> Iterator[RawMessage]:
    """Yield the records of an HL7 v2 byte stream, one per message, in file order.

    Raises:
        InputError: the stream cannot be read, or is not a binary stream.
    """
    if max_message_bytes < 1:
        raise ValueError("max_message_bytes must be positive")
    asm = _Assembler(max_message_bytes)
    pending: list[bytes] = []  # pieces of the line being read (no separator seen yet)
    pending_len = 0
    boundary = False  # the line being read starts after an MLLP block byte
    skipping = False  # the line being read was already cut at the limit; drop the rest
    while chunk := _read(stream):
        parts = chunk.translate(_LF_TO_CR).replace(_BLOCK, b"\r" + _BLOCK).split(b"\r")
        for i, part in enumerate(parts):
            if i:  # a separator: the line read so far is complete
                if not skipping:
                    line = b"".join(pending)
                    if done := asm.add(line, boundary=boundary, overlong=False):
                        yield done
                pending, pending_len, boundary, skipping = [], 0, False, False
                if part.startswith(_BLOCK):
                    part, boundary = part[1:], True
            if skipping or not part:
                continue
            pending.append(part)
            pending_len += len(part)
            if pending_len > max_message_bytes:
                line = b"".join(pending)
                pending, pending_len, skipping = [], 0, True
                if done := asm.add(line, boundary=boundary, overlong=True):
                    yield done
                boundary = False
    last = b"".join(pending)
    if (
        (last or boundary)
        and not skipping
        and (done := asm.add(last, boundary=boundary, overlong=False))
    ):
        yield done
    if done := asm.close():
        yield done


def _read(stream: BinaryIO) -> bytes:
    try:
        chunk = stream.read(_CHUNK)
    except OSError as exc:
        raise InputError("cannot read HL7 v2 input", found=f"{type(exc).__name__}: {exc}") from None
    if chunk is None:  # a non-blocking raw stream with nothing available yet
        return b""
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise InputError(
            "HL7 v2 input must be a binary stream",
            expected="bytes from read()",
            found=type(chunk).__name__,
            hint="open the file in binary mode ('rb')",
        )
    return bytes(chunk)
