"""Large FHIR NDJSON files parsed in byte ranges by several processes: same lake, exactly once."""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES
from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.ingest import _runner, ingest, quarantine_entries, quarantine_entry
from wardwatch.ingest._writer import SourceWriter
from wardwatch.synth import SynthConfig, generate

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(),
    reason="the patch reaches the workers only when they are forked",
)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small export with defects of every kind (Observation.ndjson is about 4 MB)."""
    out = tmp_path_factory.mktemp("feed")
    generate(SynthConfig(patients=40, seed=3, out=out, defects="all=0.03", claims_csv=False))
    return out


@pytest.fixture(scope="module")
def whole(feed: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The feed ingested in-process, every file parsed whole."""
    ws = init_workspace(tmp_path_factory.mktemp("whole"))
    ingest(ws, [feed], workers=1)
    return ws


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut files of a few hundred KiB already."""
    monkeypatch.setattr(_runner, "_MIN_RANGE_BYTES", 64 * 1024)


def fingerprint(ws: Workspace) -> dict[str, str]:
    """Per table: row count and a hash of all rows (provenance included), run ids left out."""
    con = Lake(ws.lake_dir).connect()
    out = {}
    for name in [*TABLES, QUARANTINE.name]:
        rows = con.execute(f"SELECT * EXCLUDE (ingest_run) FROM {name} ORDER BY ALL").fetchall()
        out[name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    return out


def _observation_source(ws: Workspace) -> Path:
    lake = Lake(ws.lake_dir)
    (key,) = [m["source_key"] for m in lake.manifests() if m["path"].endswith("Observation.ndjson")]
    return lake.source_dir(key)


@pytest.mark.usefixtures("small_ranges")
def test_ranges_give_the_lake_of_whole_files(feed: Path, whole: Workspace, tmp_path: Path) -> None:
    plan = _runner._plan(sorted(feed.glob("*.ndjson")), 2)
    assert max(plan.pieces) >= 4  # Observation.ndjson is cut
    ws = init_workspace(tmp_path / "ws")
    summary = ingest(ws, [feed], workers=2)
    assert fingerprint(ws) == fingerprint(whole)
    parts = sorted(p.name for p in (_observation_source(ws) / "observations").iterdir())
    assert len(parts) >= 4
    assert parts[0] == "part-00000.parquet"
    # Manifests (and the summary) count what the part files hold.
    ref = {m["path"]: m for m in Lake(whole.lake_dir).manifests()}
    for m in Lake(ws.lake_dir).manifests():
        same = ref[m["path"]]
        for k in ("source_key", "records_in", "loaded", "quarantined", "rows", "reasons"):
            assert m[k] == same[k], (m["path"], k)
    assert summary.records_in == summary.loaded + summary.quarantined
    lake = Lake(ws.lake_dir)
    assert summary.rows["observations"] == lake.count("observations")
    # Quarantine entries of later parts are found by their id.
    entries = quarantine_entries(lake, source="Observation", limit=1000)
    last = max(entries, key=lambda e: e["source_line"])
    entry = quarantine_entry(lake, last["id"])
    assert entry is not None
    assert entry["source_line"] == last["source_line"]


@pytest.mark.usefixtures("small_ranges")
def test_a_source_cut_in_ranges_is_the_same_source(
    feed: Path, whole: Workspace, tmp_path: Path
) -> None:
    obs = feed / "Observation.ndjson"
    ws = init_workspace(tmp_path / "ws")
    first = ingest(ws, [obs], workers=2)
    again = ingest(ws, [obs], workers=2)
    serial = ingest(ws, [obs], workers=1)
    assert [s.status for s in first.sources] == ["loaded"]
    assert [s.status for s in again.sources] == [s.status for s in serial.sources]
    assert [s.status for s in again.sources] == ["already-ingested"]
    key = first.sources[0].source_key
    assert again.sources[0].source_key == serial.sources[0].source_key == key
    assert key in {m["source_key"] for m in Lake(whole.lake_dir).manifests()}
    assert again.records_in == 0
    # And a file ingested whole is not ingested again in ranges.
    ws2 = init_workspace(tmp_path / "ws2")
    ingest(ws2, [obs], workers=1)
    assert [s.status for s in ingest(ws2, [obs], workers=2).sources] == ["already-ingested"]


@pytest.mark.usefixtures("small_ranges")
def test_an_unreadable_file_in_ranges_is_quarantined_whole(tmp_path: Path) -> None:
    src = tmp_path / "utf16.ndjson"
    src.write_bytes(('{"resourceType": "Patient", "id": "p1"}\n' * 20_000).encode("utf-16"))
    assert _runner._plan([src], 2).pieces[0] > 1
    results = {}
    for workers in (1, 2):
        ws = init_workspace(tmp_path / f"ws{workers}")
        (res,) = ingest(ws, [src], workers=workers).sources
        assert (res.status, res.records_in, res.quarantined) == ("unreadable", 1, 1)
        (row,) = Lake(ws.lake_dir).read("quarantine").to_pylist()
        results[workers] = {k: v for k, v in row.items() if k != "ingest_run"}
        assert len(list(Lake(ws.lake_dir).sources_dir.glob("*/quarantine/*.parquet"))) == 1
    assert results[1] == results[2]
    assert "UTF-16" in results[2]["message"]


def test_only_plain_fhir_ndjson_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_runner, "_MIN_RANGE_BYTES", 1024)
    line = b'{"resourceType": "Patient", "id": "p1"}\n' * 1000
    plain = tmp_path / "a.ndjson"
    plain.write_bytes(line)
    packed = tmp_path / "b.ndjson.gz"
    packed.write_bytes(gzip.compress(line * 40))
    bundle = tmp_path / "c.json"
    bundle.write_bytes(
        b'{"resourceType": "Bundle", "type": "collection", "entry": []}' + b" " * 50_000
    )
    plan = _runner._plan([plain, packed, bundle], 2)
    assert plan.pieces[0] > 1
    assert plan.pieces[1:] == [1, 1]
    assert _runner._plan([plain], 1) == _runner._Plan(1, [1], [plain.stat().st_size], [])
    assert _runner._plan([plain], 2).workers == 2


@needs_fork
@pytest.mark.usefixtures("small_ranges")
def test_a_worker_dying_in_a_range_publishes_nothing_of_its_source(
    feed: Path, whole: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = init_workspace(tmp_path / "ws")
    original = SourceWriter.load

    def dying_load(self: SourceWriter, line: int, rows: object) -> None:
        if self.part == 2 and self.loaded == 100:
            os._exit(9)  # the worker is killed in the middle of its range
        original(self, line, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(SourceWriter, "load", dying_load)
    with pytest.raises(BrokenProcessPool):
        ingest(ws, [feed / "Observation.ndjson"], workers=2)
    assert Lake(ws.lake_dir).manifests() == []  # the other ranges' parts are not visible
    monkeypatch.setattr(SourceWriter, "load", original)
    ingest(ws, [feed], workers=2)
    assert fingerprint(ws) == fingerprint(whole)


@pytest.mark.usefixtures("small_ranges")
def test_copies_in_one_run_are_ingested_once(feed: Path, tmp_path: Path) -> None:
    """Two names for the same bytes: loaded once, the other already ingested (as in-process)."""
    folder = tmp_path / "twice"
    folder.mkdir()
    for name in ("Observation.ndjson", "Patient.ndjson"):
        data = (feed / name).read_bytes()
        (folder / name).write_bytes(data)
        (folder / f"copy-{name}").write_bytes(data)
    for workers in (1, 2):
        ws = init_workspace(tmp_path / f"ws{workers}")
        summary = ingest(ws, [folder], workers=workers)
        status = {Path(s.path).name: s.status for s in summary.sources}
        assert status == {
            "Observation.ndjson": "loaded",
            "Patient.ndjson": "loaded",
            "copy-Observation.ndjson": "already-ingested",
            "copy-Patient.ndjson": "already-ingested",
        }
        assert len(Lake(ws.lake_dir).manifests()) == 2
        assert summary.records_in == summary.loaded + summary.quarantined > 0
