"""The ingest run: nothing lost, exactly once, whole-file problems quarantined or reported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace
from wardwatch.errors import InputError
from wardwatch.ingest import ingest

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-05-01"}
OBS = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2020-01-01T10:00:00Z",
    "valueQuantity": {
        "value": 101.0,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    },
}


def _ndjson(path: Path, *records: object, gz: bool = False) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_counts_balance_and_rows_land(workspace: Workspace, tmp_path: Path) -> None:
    bad = dict(OBS, id="o2", status="done")  # not in the required value set
    src = _ndjson(tmp_path / "obs.ndjson", PATIENT, OBS, bad, '{"resourceType": "Obs')
    summary = ingest(workspace, [src])
    d = summary.to_dict()
    assert d["records_in"] == 4
    assert d["loaded"] == 2
    assert d["quarantined"]["total"] == 2
    assert d["balanced"] is True
    assert set(d["quarantined"]["by_reason"]) == {"invalid-value", "malformed-record"}
    lake = Lake(workspace.lake_dir)
    assert lake.count("patients") == 1
    assert lake.count("observations") == 1
    assert lake.count("quarantine") == 2


def test_reingest_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    src = _ndjson(tmp_path / "a.ndjson", PATIENT, OBS)
    first = ingest(workspace, [src])
    again = ingest(workspace, [src])
    assert [s.status for s in again.sources] == ["already-ingested"]
    assert again.records_in == 0
    assert Lake(workspace.lake_dir).count("observations") == 1
    assert first.sources[0].source_key == again.sources[0].source_key


def test_same_bytes_under_another_name_is_the_same_source(
    workspace: Workspace, tmp_path: Path
) -> None:
    a = _ndjson(tmp_path / "a.ndjson", PATIENT)
    b = tmp_path / "copy.ndjson"
    b.write_bytes(a.read_bytes())
    ingest(workspace, [a])
    assert ingest(workspace, [b]).sources[0].status == "already-ingested"


def test_gzip_and_folders(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    _ndjson(folder / "Patient.ndjson.gz", PATIENT, gz=True)
    _ndjson(folder / "Observation.ndjson", OBS)
    (folder / "README.md").write_text("not data")
    (folder / "defects.jsonl").write_text("{}\n")
    summary = ingest(workspace, [folder])
    assert sorted(Path(s.path).name for s in summary.sources) == [
        "Observation.ndjson",
        "Patient.ndjson.gz",
    ]
    assert sorted(Path(p).name for p in summary.skipped) == ["README.md", "defects.jsonl"]
    assert summary.loaded == 2


def test_garbage_file_is_quarantined_whole(workspace: Workspace, tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 64)
    summary = ingest(workspace, [junk])
    (src,) = summary.sources
    assert src.status == "unreadable"
    assert src.records_in == 1
    assert src.quarantined == 1
    (entry,) = Lake(workspace.lake_dir).read("quarantine").to_pylist()
    assert entry["reason"] == "malformed-record"
    assert "not a recognized clinical data file" in entry["message"]
    assert "\n" not in entry["message"]


def test_truncated_gzip_is_quarantined_whole(workspace: Workspace, tmp_path: Path) -> None:
    full = gzip.compress(("\n".join(json.dumps(OBS) for _ in range(2000)) + "\n").encode())
    src = tmp_path / "cut.ndjson.gz"
    src.write_bytes(full[: len(full) // 2])
    summary = ingest(workspace, [src])
    assert summary.sources[0].status == "unreadable"
    assert summary.records_in == summary.loaded + summary.quarantined == 1


def test_missing_path_is_an_input_error(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest(workspace, [tmp_path / "nope.ndjson"])


def test_csv_without_mapping_is_reported_not_lost(workspace: Workspace, tmp_path: Path) -> None:
    csv = tmp_path / "weird.csv"
    csv.write_text("a,b\n1,2\n")
    summary = ingest(workspace, [csv])
    assert summary.sources == []
    assert len(summary.errors) == 1
    assert "no mapping" in summary.errors[0]
    assert "--mapping" in summary.errors[0]


def test_progress_is_reported(workspace: Workspace, tmp_path: Path) -> None:
    src = _ndjson(tmp_path / "a.ndjson", *([OBS] * 50))
    seen: list[tuple[int, int]] = []
    ingest(workspace, [src], progress=lambda _p, done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] == src.stat().st_size


def test_runs_on_postgres_store_too(ws_any_store: Workspace, tmp_path: Path) -> None:
    src = _ndjson(tmp_path / "a.ndjson", PATIENT, OBS)
    assert ingest(ws_any_store, [src]).loaded == 2
    assert ingest(ws_any_store, [src]).sources[0].status == "already-ingested"


def test_parallel_and_serial_runs_give_the_same_rows(tmp_path: Path) -> None:
    from wardwatch.core.workspace import init_workspace

    folder = tmp_path / "export"
    folder.mkdir()
    for i in range(4):
        _ndjson(folder / f"part{i}.ndjson", dict(PATIENT, id=f"p{i}"), dict(OBS, id=f"o{i}"))
    serial = ingest(init_workspace(tmp_path / "a"), [folder], workers=1)
    parallel = ingest(init_workspace(tmp_path / "b"), [folder], workers=2)
    assert [s.path for s in serial.sources] == [s.path for s in parallel.sources]
    assert serial.rows == parallel.rows == {"observations": 4, "patients": 4}


def test_partial_raw_records_are_flagged_truncated(workspace: Workspace, tmp_path: Path) -> None:
    """Whole-file quarantines keep the first 64 KiB; the flag says the file has the rest."""
    junk = tmp_path / "big.bin"
    junk.write_bytes(b"\x00\x01" * 100_000)
    broken = tmp_path / "broken.json"
    broken.write_text('{"resourceType": "Bundle", "entry": [' + "1," * 50_000)
    small = tmp_path / "small.bin"
    small.write_bytes(b"\x00\x01")
    ingest(workspace, [junk, broken, small])
    flags = {
        Path(r["source_file"]).name: (r["raw_truncated"], len(r["raw"]))
        for r in Lake(workspace.lake_dir).read("quarantine").to_pylist()
    }
    assert flags["big.bin"][0] is True
    assert flags["broken.json"] == (True, 64 * 1024)
    assert flags["small.bin"][0] is False
