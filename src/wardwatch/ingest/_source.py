"""One source file into the lake, exactly once: identify it, parse it, publish it.

A source is identified by the SHA-256 of its bytes, its format and (for tables) its mapping; a
source already in the lake is skipped. Otherwise its records are parsed into a
:class:`~wardwatch.ingest._writer.SourceWriter` and published by one atomic rename. A file that
cannot be read at all is quarantined whole, as one record.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

from wardwatch.core.lake import Lake
from wardwatch.errors import InputError
from wardwatch.ingest._detect import Format, detect_format, is_gzip
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection
from wardwatch.ingest._writer import SourceWriter

__all__ = [
    "ProgressFn",
    "SourceResult",
    "already_ingested",
    "quarantine_file",
    "run_source",
    "sha256_file",
    "source_key",
]

ProgressFn = Callable[[str, int, int], None]
"""Called with (source path, bytes read, bytes total) while a source is parsed."""

_HEAD_BYTES = 64 * 1024


@dataclass
class SourceResult:
    """What happened to one source file.

    ``status``: ``loaded`` (parsed now), ``already-ingested`` (same bytes seen before: nothing
    added) or ``unreadable`` (the whole file went to quarantine as one record).
    """

    path: str
    format: str
    source_key: str
    source_hash: str
    run_id: str
    status: Literal["loaded", "already-ingested", "unreadable"]
    records_in: int
    loaded: int
    quarantined: int
    rows: dict[str, int]
    reasons: dict[str, int]
    seconds: float = 0.0


def source_key(content_hash: str, fmt: str, mapping_fingerprint: str = "") -> str:
    """The key of a source in the lake: the same bytes, format and mapping give the same key."""
    material = f"{content_hash}|{fmt}|{mapping_fingerprint}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def result_of(
    path: Path,
    manifest: dict[str, Any],
    status: Literal["loaded", "already-ingested", "unreadable"],
    seconds: float,
) -> SourceResult:
    """The SourceResult told by a source's manifest."""
    return SourceResult(
        str(path),
        manifest["format"],
        manifest["source_key"],
        manifest["source_hash"],
        manifest["run_id"],
        status,
        manifest["records_in"],
        manifest["loaded"],
        manifest["quarantined"],
        manifest["rows"],
        manifest["reasons"],
        seconds,
    )


def already_ingested(lake: Lake, path: Path, key: str, t0: float) -> SourceResult | None:
    """The result for a source the lake already holds, or None when it does not."""
    if not lake.has_source(key):
        return None
    m = lake.manifest(key)
    return result_of(path, m, "already-ingested", time.perf_counter() - t0)


def run_source(
    lake: Lake,
    path: Path,
    *,
    run_id: str,
    mapping: Path | None = None,
    progress: ProgressFn | None = None,
    settings: Any = None,
) -> SourceResult:
    """Ingest one file into ``lake`` (exactly once) and say what happened."""
    from wardwatch.core.settings import IngestSettings

    settings = settings or IngestSettings()
    t0 = time.perf_counter()
    fmt = detect_format(path)
    content_hash = sha256_file(path)
    tabular = _tabular_mapping(path, fmt, mapping) if fmt in ("csv", "tsv", "parquet") else None
    key = source_key(content_hash, fmt, tabular.fingerprint if tabular else "")
    done = already_ingested(lake, path, key, t0)
    if done is not None:
        return done
    writer = SourceWriter(
        lake,
        source_key=key,
        source_hash=content_hash,
        source_file=str(path),
        source_format=fmt,
        run_id=run_id,
        row_group_rows=settings.row_group_rows,
    )
    try:
        if fmt == "unknown":
            raise InputError(
                "not a recognized clinical data file",
                record=str(path),
                expected="FHIR JSON/NDJSON, HL7 v2 ER7, CSV or Parquet",
                found=_describe(path),
            )
        _parse(path, fmt, writer, tabular, settings, progress)
    except InputError as exc:
        writer.abort()
        manifest = quarantine_file(lake, path, key, content_hash, fmt, run_id, str(exc))
        return result_of(path, manifest, "unreadable", time.perf_counter() - t0)
    except BaseException:
        writer.abort()
        raise
    manifest = writer.commit()
    return result_of(path, manifest, "loaded", time.perf_counter() - t0)


def quarantine_file(
    lake: Lake, path: Path, key: str, content_hash: str, fmt: str, run_id: str, message: str
) -> dict[str, Any]:
    """Publish a source that cannot be read as one quarantined record; returns its manifest."""
    writer = SourceWriter(
        lake,
        source_key=key,
        source_hash=content_hash,
        source_file=str(path),
        source_format=fmt,
        run_id=run_id,
    )
    writer.reject(
        1,
        Rejection(
            Reason.MALFORMED,
            message,
            resource_type="file",
            record_id=path.name,
            raw_truncated=path.stat().st_size > _HEAD_BYTES,
        ),
        _read_head(path),
    )
    return writer.commit()


def _parse(
    path: Path,
    fmt: Format,
    sink: RecordSink,
    tabular: Any,
    settings: Any,
    progress: ProgressFn | None,
) -> None:
    if fmt == "parquet":
        from wardwatch.ingest.tabular import parse_parquet

        parse_parquet(path, sink, tabular.mapping)
        return
    raw = io.FileIO(path, "r")
    total = path.stat().st_size
    stop = threading.Event()
    poller = _start_poller(raw, str(path), total, progress, stop) if progress else None
    try:
        buffered = io.BufferedReader(raw, buffer_size=1 << 20)
        stream = cast(BinaryIO, gzip.GzipFile(fileobj=buffered) if is_gzip(path) else buffered)
        with stream:
            _dispatch(fmt, stream, sink, tabular, settings)
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise InputError(
            "cannot read compressed file", record=str(path), found=f"{type(exc).__name__}: {exc}"
        ) from None
    finally:
        stop.set()
        if poller:
            poller.join()
        raw.close()
    if progress:
        progress(str(path), total, total)


def _dispatch(fmt: Format, stream: BinaryIO, sink: RecordSink, tabular: Any, settings: Any) -> None:
    if fmt == "fhir-ndjson":
        from wardwatch.ingest.fhir import parse_ndjson

        parse_ndjson(stream, sink, max_record_bytes=settings.max_record_bytes)
    elif fmt == "fhir-bundle":
        from wardwatch.ingest.fhir import parse_bundle

        parse_bundle(stream, sink, max_bytes=settings.max_bundle_bytes)
    elif fmt == "hl7v2":
        from wardwatch.ingest.hl7v2 import parse_hl7

        parse_hl7(stream, sink, max_message_bytes=settings.max_record_bytes)
    else:
        from wardwatch.ingest.tabular import parse_csv

        parse_csv(stream, sink, tabular.mapping, delimiter="\t" if fmt == "tsv" else ",")


@dataclass(frozen=True)
class _Tabular:
    mapping: Any
    fingerprint: str


def _tabular_mapping(path: Path, fmt: Format, mapping: Path | None) -> _Tabular:
    from wardwatch.ingest.tabular import load_mapping, match_builtin

    if mapping is not None:
        m = load_mapping(mapping)
        return _Tabular(m, hashlib.sha256(mapping.read_bytes()).hexdigest())
    header = _header(path, fmt)
    found = match_builtin(header)
    if found is None:
        raise InputError(
            "no mapping for this table",
            record=str(path),
            expected="a mapping YAML (--mapping FILE)",
            found=f"columns {','.join(header)[:200]}",
            hint="write a mapping from these columns to a canonical table",
        )
    return _Tabular(found, "builtin:" + ",".join(header))


def _header(path: Path, fmt: Format) -> list[str]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = fh.readline(1 << 16).rstrip("\r\n")
    import csv

    return next(csv.reader([first], delimiter="\t" if fmt == "tsv" else ","), [])


def _start_poller(
    raw: io.FileIO, path: str, total: int, progress: ProgressFn, stop: threading.Event
) -> threading.Thread:
    def poll() -> None:
        while not stop.wait(0.2):
            try:
                progress(path, raw.tell(), total)
            except (OSError, ValueError):
                return

    thread = threading.Thread(target=poll, daemon=True, name="ingest-progress")
    thread.start()
    return thread


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _read_head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(_HEAD_BYTES)


def _describe(path: Path) -> str:
    head = _read_head(path)[:16]
    return f"{path.suffix or 'no suffix'}, first bytes {head!r}"
