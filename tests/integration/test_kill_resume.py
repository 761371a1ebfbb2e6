"""A run killed at any point, then run again, ends with exactly the rows of an unkilled run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES
from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.ingest import _runner, ingest
from wardwatch.ingest._writer import SourceWriter
from wardwatch.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feed")
    generate(SynthConfig(patients=300, seed=11, out=out, defects="all=0.01"))
    return out


@pytest.fixture(scope="module")
def reference(feed: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An uninterrupted run, in-process: every file parsed whole (the runs below cut large
    NDJSON files into byte ranges parsed by several processes)."""
    ws = init_workspace(tmp_path_factory.mktemp("ref"))
    ingest(ws, [feed], workers=1)
    return fingerprint(ws)


def fingerprint(ws: Workspace) -> dict[str, str]:
    """Per table: row count and a hash of all rows, ingest-run ids left out."""
    lake = Lake(ws.lake_dir)
    con = lake.connect()
    out = {}
    for name in [*TABLES, QUARANTINE.name]:
        rows = con.execute(f"SELECT * EXCLUDE (ingest_run) FROM {name} ORDER BY ALL").fetchall()
        out[name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    return out


def test_crash_in_the_middle_of_a_source(
    feed: Path, reference: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = init_workspace(tmp_path / "ws")
    calls = {"n": 0}
    original = SourceWriter.load

    def dying_load(self: SourceWriter, line: int, rows: object) -> None:
        calls["n"] += 1
        if calls["n"] == 5000:
            raise KeyboardInterrupt  # like a kill: not an error the runner may handle
        original(self, line, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(SourceWriter, "load", dying_load)
    with pytest.raises(KeyboardInterrupt):
        ingest(ws, [feed], workers=1)  # in-process, where the patch applies
    monkeypatch.setattr(SourceWriter, "load", original)
    ingest(ws, [feed])
    assert fingerprint(ws) == reference


def test_crash_between_publish_and_bookkeeping(
    feed: Path, reference: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = init_workspace(tmp_path / "ws")

    def dying_record(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_runner, "_record_source", dying_record)
    with pytest.raises(KeyboardInterrupt):
        ingest(ws, [feed])
    monkeypatch.undo()
    again = ingest(ws, [feed])
    assert "already-ingested" in {s.status for s in again.sources}
    assert fingerprint(ws) == reference


@pytest.mark.slow
@pytest.mark.parametrize("delays", [(0.8,), (1.2, 0.5), (1.8,), (2.6, 1.0, 3.2)])
def test_sigkill_at_random_points(
    feed: Path, reference: dict[str, str], tmp_path: Path, delays: tuple[float, ...]
) -> None:
    ws = init_workspace(tmp_path / "ws")
    cmd = [sys.executable, "-m", "wardwatch", "ingest", str(feed), "-w", str(ws.root), "--json"]
    for delay in delays:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert fingerprint(ws) == reference


# Ingest with two workers and Observation.ndjson (~35 MB) cut into 1 MiB ranges, whatever
# the number of cores: many part files are being written at any moment of a kill.
RANGED = """
import sys
from pathlib import Path
from wardwatch.core.workspace import open_workspace
from wardwatch.ingest import _runner, ingest
_runner._MIN_RANGE_BYTES = 1 << 20
ingest(open_workspace(Path(sys.argv[1])), [Path(sys.argv[2])], workers=2)
"""


def _parts_in(staging: Path) -> int:
    """Part files under staging now. ``os.walk`` skips directories that vanish while it reads
    them (a run publishing its staging directory), where ``Path.glob`` raises."""
    return sum(
        name.startswith("part-") and name.endswith(".parquet")
        for _root, _dirs, names in os.walk(staging)
        for name in names
    )


def _kill_when(proc: subprocess.Popen[bytes], staging: Path, parts: int) -> bool:
    """SIGKILL ``proc`` once ``parts`` part files are being written in staging; whether it was
    killed then (rather than having finished first)."""
    deadline = time.monotonic() + 120
    seen = False
    while proc.poll() is None and time.monotonic() < deadline:
        if _parts_in(staging) >= parts:
            seen = True
            break
        time.sleep(0.02)
    killed = seen and proc.poll() is None
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return killed


@pytest.mark.slow
@pytest.mark.parametrize("parts", [(1,), (3, 1), (6,)])
def test_sigkill_while_ranges_are_parsed(
    feed: Path, reference: dict[str, str], tmp_path: Path, parts: tuple[int, ...]
) -> None:
    ws = init_workspace(tmp_path / "ws")
    cmd = [sys.executable, "-c", RANGED, str(ws.root), str(feed)]
    staging = Lake(ws.lake_dir).staging_dir
    killed = []
    for n in parts:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed.append(_kill_when(proc, staging, n))
    assert any(killed)  # at least one kill landed while part files were being written
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert fingerprint(ws) == reference
