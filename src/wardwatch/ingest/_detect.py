"""Which parser a source file needs, from its name and, failing that, its first bytes."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Literal

__all__ = ["DATA_SUFFIXES", "Format", "detect_format", "is_gzip", "strip_gz"]

Format = Literal["fhir-ndjson", "fhir-bundle", "hl7v2", "csv", "tsv", "parquet", "unknown"]

_BY_SUFFIX: dict[str, Format] = {
    ".ndjson": "fhir-ndjson",
    ".jsonl": "fhir-ndjson",
    ".json": "fhir-bundle",
    ".hl7": "hl7v2",
    ".er7": "hl7v2",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
}
DATA_SUFFIXES = frozenset(_BY_SUFFIX)
"""Suffixes ingested when a folder is given (other files in it are listed as skipped)."""

_GZIP_MAGIC = b"\x1f\x8b"


def strip_gz(path: Path) -> Path:
    return path.with_suffix("") if path.suffix.lower() == ".gz" else path


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def detect_format(path: Path) -> Format:
    """The format of ``path``: by suffix (``.gz`` looked through), else by content sniffing."""
    fmt = _BY_SUFFIX.get(strip_gz(path).suffix.lower())
    if fmt is not None:
        return fmt
    return _sniff(_head(path))


def _head(path: Path, size: int = 8192) -> bytes:
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as gz:
                return gz.read(size)
        with path.open("rb") as fh:
            return fh.read(size)
    except (OSError, EOFError):
        return b""


def _sniff(head: bytes) -> Format:
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"MSH", b"\x0bMSH")):
        return "hl7v2"
    if text.startswith(b"{"):
        first, _, rest = text.partition(b"\n")
        # NDJSON: the first line is a whole object and another object follows.
        if first.rstrip().endswith(b"}") and rest.lstrip().startswith(b"{"):
            return "fhir-ndjson"
        return "fhir-bundle"
    return "unknown"
