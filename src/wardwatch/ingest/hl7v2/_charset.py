"""Character sets of HL7 v2 messages (MSH-18), and where undecodable bytes are."""

from __future__ import annotations

from collections.abc import Sequence

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest.hl7v2._problem import Hl7Problem

__all__ = ["CHARSETS", "charset_of", "encoding_problem"]

CHARSETS: dict[str, str] = {
    "": "utf-8",
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "8859/1": "latin-1",
    "ISO IR100": "latin-1",
    "8859/2": "iso8859-2",
    "8859/3": "iso8859-3",
    "8859/4": "iso8859-4",
    "8859/5": "iso8859-5",
    "8859/6": "iso8859-6",
    "8859/7": "iso8859-7",
    "8859/8": "iso8859-8",
    "8859/9": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "ISO IR192": "utf-8",
    # HL7 2.3's "UNICODE" names no encoding form; in a file split on ASCII bytes it can only be
    # the ASCII-compatible one.
    "UNICODE": "utf-8",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "BIG-5": "big5",
}
"""MSH-18 values (HL7 table 0211) wardwatch reads, and the Python codec for each.

UTF-16 and UTF-32 are left out: messages are found by their ASCII ``MSH`` bytes."""


def charset_of(msh: bytes, fs: bytes, rep: bytes, comp: bytes) -> tuple[str, str]:
    """(MSH-18 name, Python codec) read from the raw MSH segment; the first repetition counts.

    Raises:
        Hl7Problem: ENCODING when the named character set is not in :data:`CHARSETS`.
    """
    parts = msh.split(fs)
    value = parts[17] if len(parts) > 17 else b""
    name = value.split(rep, 1)[0].split(comp, 1)[0].decode("latin-1").strip().upper()
    codec = CHARSETS.get(name)
    if codec is None:
        raise Hl7Problem(
            Reason.ENCODING,
            f"character set {name!r} in MSH-18 is not supported",
            field="MSH-18",
            expected="empty (UTF-8) or one of " + ", ".join(k for k in CHARSETS if k),
            found=name,
        )
    return name, codec


def encoding_problem(
    segments: Sequence[bytes], exc: UnicodeDecodeError, fs: bytes, charset: str
) -> Hl7Problem:
    """The ENCODING problem for bytes of the joined ``segments`` that did not decode, located
    at the segment and field that hold them (``PID-5``) and showing them in hex."""
    offset = exc.start
    for seg in segments:
        if offset <= len(seg):
            break
        offset -= len(seg) + 1
    name = seg[:3].decode("latin-1")
    n = seg[:offset].count(fs) + (1 if name == "MSH" else 0)
    bad = exc.object[exc.start : exc.end]
    return Hl7Problem(
        Reason.ENCODING,
        f"bytes that are not valid {charset or 'UTF-8'} text",
        field=f"{name}-{n}",
        expected=f"{charset or 'UTF-8'} text (MSH-18 {charset or 'empty'})",
        found="0x" + bad.hex().upper(),
    )
