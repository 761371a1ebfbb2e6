"""An ingest run: files in, canonical tables and quarantine out, nothing lost, exactly once.

For each source file the run computes its SHA-256; a source already in the lake (same bytes,
same format, same mapping) is skipped, so re-ingesting adds nothing. Otherwise its records are
parsed into a :class:`~wardwatch.ingest._writer.SourceWriter` and published by one atomic
rename. A run killed at any point leaves only staging folders, which the next run removes
before redoing the unfinished sources, so it ends with exactly the rows of an uninterrupted run.
"""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import io
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast

from sqlalchemy.exc import IntegrityError

from wardwatch.core.lake import Lake
from wardwatch.core.store import INGEST_RUNS, INGEST_SOURCES, Store
from wardwatch.core.workspace import Workspace
from wardwatch.errors import InputError, WardwatchError
from wardwatch.ingest._detect import DATA_SUFFIXES, Format, detect_format, is_gzip, strip_gz
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import RecordSink, Rejection
from wardwatch.ingest._writer import SourceWriter

__all__ = ["IngestSummary", "ProgressFn", "SourceResult", "ingest", "run_source"]

ProgressFn = Callable[[str, int, int], None]
"""Called with (source path, bytes read, bytes total) while a source is parsed."""

_HEAD_BYTES = 64 * 1024
_NOT_DATA = frozenset({"defects.jsonl", "drift.json", "synth.json"})
"""Manifests that ``wardwatch synth`` writes beside its data: not clinical records."""


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


@dataclass
class IngestSummary:
    """The result of an ingest run. ``records_in == loaded + quarantined`` always holds."""

    run_id: str
    started_at: str
    finished_at: str = ""
    sources: list[SourceResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def records_in(self) -> int:
        return sum(s.records_in for s in self._new)

    @property
    def loaded(self) -> int:
        return sum(s.loaded for s in self._new)

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self._new)

    @property
    def reasons(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for s in self._new:
            total.update(s.reasons)
        return dict(sorted(total.items()))

    @property
    def rows(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for s in self._new:
            total.update(s.rows)
        return dict(sorted(total.items()))

    @property
    def _new(self) -> list[SourceResult]:
        return [s for s in self.sources if s.status != "already-ingested"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary; counts cover the sources loaded by this run."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "records_in": self.records_in,
            "loaded": self.loaded,
            "quarantined": {"total": self.quarantined, "by_reason": self.reasons},
            "rows": self.rows,
            "sources": [asdict(s) for s in self.sources],
            "skipped": self.skipped,
            "errors": self.errors,
            "balanced": self.records_in == self.loaded + self.quarantined,
        }


def ingest(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    progress: ProgressFn | None = None,
    workers: int | None = None,
) -> IngestSummary:
    """Ingest files (or folders, recursively) into the workspace's lake.

    Raises :class:`InputError` only when a given path does not exist. A file that cannot be
    parsed at all is quarantined whole; a tabular file with no mapping is reported in
    ``errors`` and left for a later run with ``mapping``.

    ``workers`` > 1 parses that many sources at once in child processes (default: one per
    core when there are several files; a bulk FHIR export has one file per resource type).
    Children are killed with the parent, so a killed run leaves no writer behind.
    """
    files, skipped = _expand(paths)
    lake = Lake(workspace.lake_dir)
    store = Store(workspace.store_url)
    store.create_all()
    lake.clean_staging()
    summary = IngestSummary(run_id=_new_run_id(), started_at=_now())
    with store.begin() as conn:
        conn.execute(
            INGEST_RUNS.insert().values(
                run_id=summary.run_id,
                started_at=datetime.now(UTC),
                status="running",
                records_in=0,
                loaded=0,
                quarantined=0,
            )
        )
    summary.skipped = skipped
    n_workers = _workers(workers, len(files))
    outcomes = (
        _run_parallel(
            lake, files, summary.run_id, mapping, workspace.settings.ingest, n_workers, progress
        )
        if n_workers > 1
        else (
            _guarded(lake, path, summary.run_id, mapping, workspace.settings.ingest, progress)
            for path in files
        )
    )
    for path, result in zip(files, outcomes, strict=True):
        if isinstance(result, str):
            summary.errors.append(f"{path}: {result}")
            continue
        _record_source(store, result)
        summary.sources.append(result)
    summary.finished_at = _now()
    with store.begin() as conn:
        conn.execute(
            INGEST_RUNS.update()
            .where(INGEST_RUNS.c.run_id == summary.run_id)
            .values(
                finished_at=datetime.now(UTC),
                status="completed",
                records_in=summary.records_in,
                loaded=summary.loaded,
                quarantined=summary.quarantined,
                summary={k: v for k, v in summary.to_dict().items() if k != "sources"},
            )
        )
    return summary


def _workers(requested: int | None, n_files: int) -> int:
    if requested is not None:
        return max(1, min(requested, n_files))
    return max(1, min(os.cpu_count() or 1, n_files, 8))


def _guarded(
    lake: Lake,
    path: Path,
    run_id: str,
    mapping: Path | None,
    settings: Any,
    progress: ProgressFn | None = None,
) -> SourceResult | str:
    """:func:`run_source`, with a file that cannot be ingested as an error string."""
    try:
        return run_source(
            lake, path, run_id=run_id, mapping=mapping, progress=progress, settings=settings
        )
    except WardwatchError as exc:
        return str(exc)


def _run_parallel(
    lake: Lake,
    files: list[Path],
    run_id: str,
    mapping: Path | None,
    settings: Any,
    workers: int,
    progress: ProgressFn | None,
) -> list[SourceResult | str]:
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_die_with_parent) as pool:
        futures = [pool.submit(_guarded, lake, p, run_id, mapping, settings) for p in files]
        results: list[SourceResult | str] = []
        for path, future in zip(files, futures, strict=True):
            results.append(future.result())
            if progress:
                size = path.stat().st_size
                progress(str(path), size, size)
        return results


def _die_with_parent() -> None:
    """Linux: a child gets SIGKILL when its parent dies (no orphan keeps writing)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: staging of an orphan is still never published half-done
        pass
    if os.getppid() == 1:
        os._exit(1)


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
    content_hash = _sha256(path)
    tabular = _tabular_mapping(path, fmt, mapping) if fmt in ("csv", "tsv", "parquet") else None
    key_material = f"{content_hash}|{fmt}|{tabular.fingerprint if tabular else ''}"
    source_key = hashlib.sha256(key_material.encode()).hexdigest()[:32]
    if lake.has_source(source_key):
        m = lake.manifest(source_key)
        return SourceResult(
            str(path),
            fmt,
            source_key,
            content_hash,
            m["run_id"],
            "already-ingested",
            m["records_in"],
            m["loaded"],
            m["quarantined"],
            m["rows"],
            m["reasons"],
            time.perf_counter() - t0,
        )
    writer = SourceWriter(
        lake,
        source_key=source_key,
        source_hash=content_hash,
        source_file=str(path),
        source_format=fmt,
        run_id=run_id,
        row_group_rows=settings.row_group_rows,
    )
    status: Literal["loaded", "unreadable"] = "loaded"
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
        writer = SourceWriter(
            lake,
            source_key=source_key,
            source_hash=content_hash,
            source_file=str(path),
            source_format=fmt,
            run_id=run_id,
        )
        writer.reject(
            1,
            Rejection(
                Reason.MALFORMED,
                str(exc),
                resource_type="file",
                record_id=path.name,
                raw_truncated=path.stat().st_size > _HEAD_BYTES,
            ),
            _read_head(path),
        )
        status = "unreadable"
    except BaseException:
        writer.abort()
        raise
    manifest = writer.commit()
    return SourceResult(
        str(path),
        fmt,
        source_key,
        content_hash,
        run_id,
        status,
        manifest["records_in"],
        manifest["loaded"],
        manifest["quarantined"],
        manifest["rows"],
        manifest["reasons"],
        time.perf_counter() - t0,
    )


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


def _expand(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    skipped: list[str] = []
    for p in paths:
        if not p.exists():
            raise InputError(
                "no such file or folder", record=str(p), hint="check the path given to ingest"
            )
        if p.is_dir():
            for child in sorted(_walk(p)):
                if strip_gz(child).suffix.lower() in DATA_SUFFIXES and child.name not in _NOT_DATA:
                    files.append(child)
                else:
                    skipped.append(str(child))
        else:
            files.append(p)
    return files, skipped


def _walk(root: Path) -> Iterable[Path]:
    for child in root.rglob("*"):
        if child.is_file() and not any(
            part.startswith(".") for part in child.relative_to(root).parts
        ):
            yield child


def _record_source(store: Store, r: SourceResult) -> None:
    if r.status == "already-ingested":
        return
    try:
        with store.begin() as conn:
            conn.execute(
                INGEST_SOURCES.insert().values(
                    source_key=r.source_key,
                    source_hash=r.source_hash,
                    path=r.path,
                    format=r.format,
                    run_id=r.run_id,
                    records_in=r.records_in,
                    loaded=r.loaded,
                    quarantined=r.quarantined,
                    rows=r.rows,
                    reasons=r.reasons,
                    committed_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        pass  # recorded by an earlier (killed) run after its commit: the lake is the truth


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


def _sha256(path: Path) -> str:
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


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
