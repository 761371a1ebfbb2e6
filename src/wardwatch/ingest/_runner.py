"""An ingest run: files in, canonical tables and quarantine out, nothing lost, exactly once.

For each source file the run computes its SHA-256; a source already in the lake (same bytes,
same format, same mapping) is skipped, so re-ingesting adds nothing. Otherwise its records are
parsed into a :class:`~wardwatch.ingest._writer.SourceWriter` and published by one atomic
rename. A run killed at any point leaves only staging folders, which the next run removes
before redoing the unfinished sources, so it ends with exactly the rows of an uninterrupted run.

With several workers, sources are parsed at once in child processes, and a large plain FHIR
NDJSON file is cut into byte ranges at newlines (see :mod:`~wardwatch.ingest._ranges`) that are
parsed at once too, each into its own part files of the source's one staging folder; the
source is published once every range is done, so it is still all or nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.abc
import multiprocessing
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from wardwatch.core.lake import Lake
from wardwatch.core.store import INGEST_RUNS, INGEST_SOURCES, Store
from wardwatch.core.workspace import Workspace
from wardwatch.errors import InputError, WardwatchError
from wardwatch.ingest._detect import DATA_SUFFIXES, Format, detect_format, is_gzip, strip_gz
from wardwatch.ingest._ranges import RangeTask, Scan, parse_range, scan
from wardwatch.ingest._source import (
    ProgressFn,
    SourceResult,
    already_ingested,
    quarantine_file,
    result_of,
    run_source,
    sha256_file,
    source_key,
)
from wardwatch.ingest._writer import PartCounts, fresh_staging, publish, staging_dir

__all__ = ["IngestSummary", "ProgressFn", "SourceResult", "ingest", "run_source"]

_NOT_DATA = frozenset({"defects.jsonl", "drift.json", "synth.json"})
"""Manifests that ``wardwatch synth`` writes beside its data: not clinical records."""

_MIN_RANGE_BYTES = 8 * 2**20
"""A file is cut only into ranges at least this large (each range costs part files)."""
_MAX_RANGE_BYTES = 64 * 2**20
_RANGES_PER_WORKER = 8
"""Work is cut into about this many pieces per worker, so that workers finish together."""


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

    ``workers`` > 1 parses that many sources (or byte ranges of a large FHIR NDJSON file) at
    once in child processes; the default is one per core, up to 8, when there is more than one
    piece of work. Children are killed with the parent, so a killed run leaves no writer behind.
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
    settings = workspace.settings.ingest
    plan = _plan(files, workers)

    def record(result: SourceResult | str) -> None:
        if not isinstance(result, str):
            _record_source(store, result)

    if plan.workers > 1:  # each source is recorded as soon as it is published
        outcomes = _run_parallel(
            lake, files, plan, summary.run_id, mapping, settings, progress, record
        )
    else:
        outcomes = []
        for path in files:
            outcomes.append(_guarded(lake, path, summary.run_id, mapping, settings, progress))
            record(outcomes[-1])
    for path, result in zip(files, outcomes, strict=True):
        if isinstance(result, str):
            summary.errors.append(f"{path}: {result}")
        else:
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


@dataclass(frozen=True)
class _Plan:
    """How a run spreads its files over processes.

    ``pieces[i]``: 1 when file ``i`` is parsed whole by one process, n > 1 when it is cut into
    at most n byte ranges. ``workers`` is 1 for an in-process run.
    """

    workers: int
    pieces: list[int]
    sizes: list[int]
    formats: list[Format]


def _plan(files: list[Path], requested: int | None) -> _Plan:
    cap = max(1, requested if requested is not None else min(os.cpu_count() or 1, 8))
    sizes = [f.stat().st_size for f in files]
    if cap == 1 or not files:
        return _Plan(1, [1] * len(files), sizes, [])
    formats = [detect_format(f) for f in files]
    range_bytes = sum(sizes) // (cap * _RANGES_PER_WORKER)
    range_bytes = min(max(range_bytes, _MIN_RANGE_BYTES), _MAX_RANGE_BYTES)
    pieces = [
        max(1, size // range_bytes) if fmt == "fhir-ndjson" and not is_gzip(f) else 1
        for f, size, fmt in zip(files, sizes, formats, strict=True)
    ]
    return _Plan(min(cap, sum(pieces)), pieces, sizes, formats)


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


@dataclass
class _Split:
    """A source being parsed in byte ranges: what its parts have given so far."""

    path: Path
    key: str
    scan: Scan
    started: float
    parts: list[PartCounts | str | None]
    done_bytes: int = 0


def _run_parallel(
    lake: Lake,
    files: list[Path],
    plan: _Plan,
    run_id: str,
    mapping: Path | None,
    settings: Any,
    progress: ProgressFn | None,
    record: Callable[[SourceResult | str], None],
) -> list[SourceResult | str]:
    """Run the plan in a pool of child processes; ``record`` is called with each file's result
    as soon as it is known (the source is then published)."""
    results: list[SourceResult | str | None] = [None] * len(files)
    _preload(plan.formats)
    copies = _copies(files, plan)
    by_size = [
        i for i in sorted(range(len(files)), key=lambda i: -plan.sizes[i]) if i not in copies
    ]
    with ProcessPoolExecutor(
        plan.workers, mp_context=_pool_context(), initializer=_init_worker
    ) as pool:
        try:
            jobs: dict[Future[Any], tuple[int, int]] = {}  # -> (file, range or -1 if whole)
            for i in by_size:  # whole files first, largest first, while ranges are planned
                if plan.pieces[i] == 1:
                    whole = pool.submit(_guarded, lake, files[i], run_id, mapping, settings)
                    jobs[whole] = (i, -1)
            splits: dict[int, _Split] = {}
            ranges: list[tuple[int, RangeTask]] = []
            for i in by_size:
                if plan.pieces[i] == 1:
                    continue
                started = _start_split(lake, files[i], plan.pieces[i], run_id)
                if isinstance(started, SourceResult):
                    results[i] = started
                    record(started)
                    continue
                splits[i] = started
                for j, rng in enumerate(started.scan.ranges):
                    task = RangeTask(files[i], started.key, started.scan.sha256, run_id, j, rng)
                    ranges.append((i, task))
            ranges.sort(key=lambda r: r[1].range.start - r[1].range.end)  # largest first
            for i, task in ranges:
                jobs[pool.submit(parse_range, lake, task, settings)] = (i, task.part)
            for job in as_completed(jobs):
                i, j = jobs[job]
                if j < 0:
                    whole_result = results[i] = job.result()
                    record(whole_result)
                    if progress:
                        progress(str(files[i]), plan.sizes[i], plan.sizes[i])
                    continue
                split = splits[i]
                split.parts[j] = job.result()
                rng = split.scan.ranges[j]
                split.done_bytes += rng.end - rng.start
                if progress:
                    progress(str(split.path), split.done_bytes, split.scan.size)
                if all(p is not None for p in split.parts):
                    finished = results[i] = _finish_split(lake, split, run_id)
                    record(finished)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    for i, first in copies.items():  # now in the lake (or refused as their original was)
        original = results[first]
        if isinstance(original, SourceResult):
            results[i] = already_ingested(lake, files[i], original.source_key, time.perf_counter())
        else:
            results[i] = original
    done: list[SourceResult | str] = []
    for r in results:
        assert r is not None  # every file had a job or was found already ingested
        done.append(r)
    return done


def _copies(files: list[Path], plan: _Plan) -> dict[int, int]:
    """Files of this run that repeat an earlier one byte for byte (same format): index -> the
    earlier one's index. Parsed at once they would race for one staging folder; parsed once,
    a copy is then already ingested, as in an in-process run. Only files of equal size are
    hashed for this."""
    by_size: dict[tuple[int, str], list[int]] = {}
    for i, size in enumerate(plan.sizes):
        by_size.setdefault((size, plan.formats[i]), []).append(i)
    copies: dict[int, int] = {}
    for same_size in by_size.values():
        if len(same_size) < 2:
            continue
        seen: dict[str, int] = {}
        for i in same_size:
            first = seen.setdefault(sha256_file(files[i]), i)
            if first != i:
                copies[i] = first
    return copies


def _start_split(lake: Lake, path: Path, pieces: int, run_id: str) -> _Split | SourceResult:
    """Hash and cut a FHIR NDJSON file; the result when the lake already holds it."""
    t0 = time.perf_counter()
    sc = scan(path, pieces)
    key = source_key(sc.sha256, "fhir-ndjson")
    done = already_ingested(lake, path, key, t0)
    if done is not None:
        return done
    fresh_staging(lake, key, run_id)
    return _Split(path, key, sc, t0, [None] * len(sc.ranges))


def _finish_split(lake: Lake, split: _Split, run_id: str) -> SourceResult:
    """Publish a source whose ranges are all parsed (or quarantine it whole, as a whole-file
    parse would, when a range found the file unreadable)."""
    path, key, sha = split.path, split.key, split.scan.sha256
    errors = [p for p in split.parts if isinstance(p, str)]
    if errors:
        manifest = quarantine_file(lake, path, key, sha, "fhir-ndjson", run_id, errors[0])
        return result_of(path, manifest, "unreadable", time.perf_counter() - split.started)
    counts = PartCounts.total(p for p in split.parts if isinstance(p, PartCounts))
    staging = staging_dir(lake, key, run_id)
    manifest = publish(lake, key, staging, (str(path), sha, "fhir-ndjson", run_id), counts)
    return result_of(path, manifest, "loaded", time.perf_counter() - split.started)


def _pool_context() -> BaseContext:
    """``fork`` where the platform has it, else ``forkserver`` or ``spawn``.

    A forked child starts with every module of the parent already imported, where a
    ``forkserver`` or ``spawn`` child imports pyarrow, SQLAlchemy, DuckDB and the parsers
    again, which costs seconds of every run. The hazard of forking a process with threads (a
    lock held by another thread at the fork) is kept away from what the children use: they
    only parse and write files, and :func:`_init_worker` gives them their own std streams.
    """
    methods = multiprocessing.get_all_start_methods()
    for method in ("fork", "forkserver", "spawn"):
        if method in methods:
            return multiprocessing.get_context(method)
    return multiprocessing.get_context()  # pragma: no cover


def _preload(formats: Iterable[Format]) -> None:
    """Import what the children need before they are forked (once, not once each)."""
    import pyarrow.compute  # noqa: F401  # the writer's casts of times and dates

    wanted = set(formats)
    if wanted & {"fhir-ndjson", "fhir-bundle"}:
        import wardwatch.ingest.fhir
    if "hl7v2" in wanted:
        import wardwatch.ingest.hl7v2  # noqa: F401


def _init_worker() -> None:
    _die_with_parent()
    _own_std_streams()
    _skip_pandas_probe()


def _die_with_parent() -> None:
    """Linux: a child gets SIGKILL when its parent dies (no orphan keeps writing)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: staging of an orphan is still never published half-done
        pass
    if os.getppid() == 1:
        os._exit(1)


def _own_std_streams() -> None:
    """New stdout/stderr objects over the same file descriptors.

    A forked child inherits the parent's stream objects with their locks as they were at the
    fork; one held by another thread of the parent (a progress bar writing) would never be
    released, and the child would hang when it flushes its streams at exit.
    """
    for name, fd in (("stdout", 1), ("stderr", 2)):
        with contextlib.suppress(OSError, ValueError):
            stream = open(fd, "w", closefd=False, errors="backslashreplace")  # noqa: SIM115
            setattr(sys, name, stream)


def _skip_pandas_probe() -> None:
    """Spare a worker the import of pandas (seconds on a cold start).

    pyarrow imports pandas on its first conversion of Python objects, only to learn whether
    they are pandas objects; a worker never hands it any. The probe is made once with pandas
    hidden, so pyarrow records it as absent; code that asks for pandas explicitly (``to_pandas``)
    still imports it then.
    """
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    hide = _HidePandas()
    sys.meta_path.insert(0, hide)
    try:
        pa.array([0], pa.int8())
    finally:
        sys.meta_path.remove(hide)


class _HidePandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] == "pandas":
            raise ImportError("pandas is not needed by an ingest worker")


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


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
