"""What both FHIR parsers do with the file itself: its first bytes, raw excerpts, the GC.

A file that is UTF-16 (or UTF-32) by its byte order mark, or binary (a NUL byte in its first
KiB), cannot hold FHIR JSON at all: that raises :class:`~wardwatch.errors.InputError` (the
runner quarantines the whole file). A UTF-8 byte order mark is dropped.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager

from wardwatch.errors import InputError

__all__ = ["RAW_LIMIT", "gc_paused", "head_resource_type", "strip_start"]

RAW_LIMIT = 64 * 1024
"""Bytes of a record kept as ``raw`` when the record is cut (too large, or a broken file)."""

_UTF8_BOM = b"\xef\xbb\xbf"
_HEAD_TYPE = re.compile(rb'\s*\{\s*"resourceType"\s*:\s*"([A-Za-z]{1,64})"')


def strip_start(first: bytes, what: str) -> bytes:
    """Check the first chunk of a file; return it without a UTF-8 byte order mark.

    Raises:
        InputError: the file is UTF-16/UTF-32 or binary.
    """
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"cannot read the file as {what}",
            expected="UTF-8",
            found=f"UTF-16 or UTF-32 (byte order mark {first[:2].hex(' ').upper()})",
            hint="convert it to UTF-8 first, e.g. iconv -f UTF-16 -t UTF-8",
        )
    nul = first.find(b"\x00", 0, 1024)
    if nul >= 0:
        raise InputError(
            f"cannot read the file as {what}",
            expected="UTF-8 text",
            found=f"binary data (NUL byte at offset {nul})",
            hint="check that this is the right file and that it is not compressed",
        )
    return first[len(_UTF8_BOM) :] if first.startswith(_UTF8_BOM) else first


def head_resource_type(head: bytes) -> str | None:
    """The resourceType of a record cut short, when it opens the JSON object."""
    m = _HEAD_TYPE.match(head)
    return None if m is None else m.group(1).decode()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (parsed objects kept alive make it cost ~10x)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
