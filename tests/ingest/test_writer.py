from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import TABLES, arrow_schema
from wardwatch.ingest import Reason, Rejection, row_from_mapping
from wardwatch.ingest._writer import (
    MAX_RAW_BYTES,
    PartCounts,
    SourceWriter,
    fresh_staging,
    publish,
)


def _writer(lake: Lake, key: str = "k" * 32, rows: int = 1000) -> SourceWriter:
    return SourceWriter(
        lake,
        source_key=key,
        source_hash="h" * 64,
        source_file="in.ndjson",
        source_format="fhir-ndjson",
        run_id="run1",
        row_group_rows=rows,
    )


def _obs(i: int) -> tuple[str, tuple[object, ...]]:
    return row_from_mapping(
        "observations",
        {
            "observation_id": f"o{i}",
            "patient_id": "p1",
            "code": "2345-7",
            "code_system": "http://loinc.org",
            "value_num": float(i),
            "value_unit": "mg/dL",
            "effective_time": "2020-01-01T10:00:00+02:00",
            "recorded_time": "2020-01-01T12:00:00Z",
        },
    )


def test_rows_and_provenance_round_trip(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake, rows=7)  # several row groups
    for i in range(20):
        w.load(i + 1, [_obs(i)])
    w.reject(
        21,
        Rejection(
            Reason.MISSING_REQUIRED,
            "Observation.code is required",
            "Observation",
            "o20",
            "Observation.code",
            "a CodeableConcept",
            "nothing",
        ),
        b'{"resourceType":"Observation"}',
    )
    manifest = w.commit()
    assert manifest["records_in"] == 21
    assert manifest["loaded"] == 20
    assert manifest["quarantined"] == 1
    assert manifest["rows"]["observations"] == 20
    assert manifest["reasons"] == {"missing-required": 1}
    table = lake.read("observations")
    assert table.schema == arrow_schema("observations")
    assert table.num_rows == 20
    first = table.slice(0, 1).to_pylist()[0]
    assert first["effective_time"].isoformat() == "2020-01-01T08:00:00+00:00"
    assert first["source_line"] == 1
    assert first["ingest_run"] == "run1"
    assert first["source_hash"] == "h" * 64
    q = lake.read("quarantine").to_pylist()
    assert q[0]["reason"] == "missing-required"
    assert q[0]["source_line"] == 21
    assert q[0]["raw"] == '{"resourceType":"Observation"}'
    assert q[0]["raw_truncated"] is False
    assert lake.count("observations") == 20


def test_nothing_visible_before_commit_and_abort_leaves_nothing(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake, rows=1000)
    for i in range(2500):  # two row groups already on disk in staging
        w.load(i + 1, [_obs(i)])
    assert lake.files("observations") == []
    assert not lake.has_source("k" * 32)
    w.abort()
    assert lake.files("observations") == []
    assert not any(lake.staging_dir.iterdir()) if lake.staging_dir.exists() else True


def test_second_commit_of_same_source_adds_nothing(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    for _ in range(2):
        w = _writer(lake)
        w.load(1, [_obs(1)])
        w.commit()
    assert lake.count("observations") == 1


def test_raw_is_truncated_and_flagged(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake)
    w.reject(1, Rejection(Reason.TOO_LARGE, "line too long"), b"x" * (MAX_RAW_BYTES + 10))
    w.commit()
    row = lake.read("quarantine").to_pylist()[0]
    assert row["raw_truncated"] is True
    assert len(row["raw"]) == MAX_RAW_BYTES


def test_invalid_utf8_raw_is_kept_readable(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake)
    w.reject(1, Rejection(Reason.ENCODING, "bad bytes"), b"ok \xff\xfe end")
    w.commit()
    assert lake.read("quarantine").to_pylist()[0]["raw"] == "ok \ufffd\ufffd end"


def test_duckdb_views_exist_for_every_table(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake)
    w.load(1, [_obs(1)])
    w.commit()
    con = lake.connect()
    assert con.execute("SELECT count(*) FROM observations").fetchone() == (1,)
    for name in TABLES:
        con.execute(f"SELECT * FROM {name} LIMIT 0")  # typed, even when empty
    empty = con.sql("SELECT * FROM patients").to_arrow_table()
    assert empty.num_rows == 0
    assert pa.schema(empty.schema).names == arrow_schema("patients").names


def test_wrong_row_width_is_a_bug_not_data(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake)
    w.load(1, [("observations", ("too", "short"))])
    with pytest.raises(ValueError, match="rows for observations do not fit its columns"):
        w.commit()


def test_too_large_records_are_always_flagged(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    w = _writer(lake)
    w.reject(1, Rejection(Reason.TOO_LARGE, "line too long"), b"the first bytes")
    w.commit()
    assert lake.read("quarantine").to_pylist()[0]["raw_truncated"] is True


def _part(lake: Lake, part: int, rows: int = 1000) -> SourceWriter:
    return SourceWriter(
        lake,
        source_key="k" * 32,
        source_hash="h" * 64,
        source_file="in.ndjson",
        source_format="fhir-ndjson",
        run_id="run1",
        row_group_rows=rows,
        part=part,
    )


def test_parts_of_a_source_are_published_together(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    staging = fresh_staging(lake, "k" * 32, "run1")
    counts = []
    for part, lines in enumerate([range(1, 30), range(30, 41)]):
        w = _part(lake, part, rows=7)
        for line in lines:
            w.load(line, [_obs(line)])
        w.reject(lines[-1] + 1000, Rejection(Reason.MALFORMED, "not JSON"), b"{")
        counts.append(w.finish())
        assert not lake.has_source("k" * 32)  # nothing visible before publish
    with pytest.raises(RuntimeError):
        _part(lake, 2).commit()
    total = PartCounts.total(counts)
    assert (total.loaded, total.quarantined, total.records_in) == (40, 2, 42)
    manifest = publish(
        lake, "k" * 32, staging, ("in.ndjson", "h" * 64, "fhir-ndjson", "run1"), total
    )
    assert manifest["rows"] == {"observations": 40, "quarantine": 2}
    assert manifest["reasons"] == {"malformed-record": 2}
    assert lake.manifest("k" * 32)["records_in"] == 42
    names = sorted(p.name for p in lake.files("observations"))
    assert names == ["part-00000.parquet", "part-00001.parquet"]
    lines = sorted(lake.read("observations", ["source_line"]).column(0).to_pylist())
    assert lines == list(range(1, 41))
    assert lake.count("quarantine") == 2


def test_aborting_a_part_removes_only_its_files(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    staging = fresh_staging(lake, "k" * 32, "run1")
    keep, drop = _part(lake, 0, rows=5), _part(lake, 1, rows=5)
    for i in range(12):
        keep.load(i + 1, [_obs(i)])
        drop.load(i + 100, [_obs(i)])
    keep.finish()
    drop.abort()
    assert sorted(p.name for p in staging.rglob("*.parquet")) == ["part-00000.parquet"]
