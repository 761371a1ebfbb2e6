"""Row-level checks on hand-built lakes: each rule fires on exactly the rows built to break it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.quality._lake import d, make_lake, ts

from wardwatch.quality import CheckContext, Finding, contract_from_dict, open_engine, run_gate
from wardwatch.quality._registry import CHECKS
from wardwatch.quality._report import QualityReport

AS_OF = ts("2026-01-01")

PATIENTS = [
    {"patient_id": "p1", "birth_date": d("1950-03-04"), "sex": "female", "family_name": "Doe"},
    {"patient_id": "p2", "birth_date": d("1980-01-01"), "sex": "male",
     "death_time": ts("2024-05-01")},
]  # fmt: skip
ENCOUNTERS = [
    {"encounter_id": "e1", "patient_id": "p1", "status": "finished",
     "start_time": ts("2024-01-10 08:00"), "end_time": ts("2024-01-12 10:00")},
    {"encounter_id": "e2", "patient_id": "p2", "status": "finished",
     "start_time": ts("2024-02-10 08:00"), "end_time": ts("2024-02-09 10:00")},
]  # fmt: skip


def obs(oid: str, **kw: Any) -> dict[str, Any]:
    row = {
        "observation_id": oid, "patient_id": "p1", "encounter_id": "e1", "code": "2345-7",
        "code_system": "http://loinc.org", "status": "final", "value_num": 95.0,
        "value_unit": "mg/dL", "effective_time": ts("2024-01-11 09:00"),
        "recorded_time": ts("2024-01-11 11:00"),
    }  # fmt: skip
    row.update(kw)
    return row


def gate(tmp_path: Path, tables: dict[str, list[dict[str, Any]]], *checks: str, **params: Any):
    lake = make_lake(tmp_path / "lake", tables)
    spec = [{"check": c, "params": params.get(c, {})} for c in checks]
    return run_gate(lake, contract_from_dict({"name": "t", "checks": spec}), as_of=AS_OF,
                    max_findings=None)  # fmt: skip


Key = tuple[str, str | None, str | None]


def found(report: QualityReport, table: str | None = None) -> set[Key]:
    return {(f.reason, f.record_id, f.field) for f in report.findings
            if table is None or f.table == table}  # fmt: skip


def test_required_flags_null_and_blank(tmp_path: Path) -> None:
    rows = [obs("o1"), obs("o2", code=None), obs("o3", code="  "), obs("o4", patient_id=None)]
    r = gate(tmp_path, {"observations": rows}, "required")
    assert found(r) == {
        ("missing-required", "o2", "observations.code"),
        ("missing-required", "o3", "observations.code"),
        ("missing-required", "o4", "observations.patient_id"),
    }
    res = r.result("required", "observations")
    assert res is not None
    assert res.checked == 4
    assert res.failed == 3
    assert res.by_source == {"src1/observations.ndjson": 3}
    f = next(f for f in r.findings if f.record_id == "o2")
    assert (f.source, f.line, f.resource_type) == ("src1/observations.ndjson", 2, "Observation")


def test_allowed_values_and_unique_keys(tmp_path: Path) -> None:
    rows = [obs("o1"), obs("o2", status="done"), obs("o2"), obs("o3", status=None), obs("o1")]
    r = gate(tmp_path, {"observations": rows}, "allowed-values", "unique-keys")
    assert found(r) == {
        ("invalid-value", "o2", "observations.status"),
        ("duplicate-key", "o2", "observations.observation_id"),
    }
    dup = r.result("unique-keys", "observations")
    assert dup is not None
    assert dup.failed == 2  # both rows sharing the id are listed; o1 sent twice unchanged is not


def test_death_certification_may_follow_death(tmp_path: Path) -> None:
    encounters = [
        {"encounter_id": "cert", "patient_id": "p2", "type_code": "308646001",
         "start_time": ts("2024-05-08"), "end_time": ts("2024-05-08 01:00")},
        {"encounter_id": "visit", "patient_id": "p2", "type_code": "185349003",
         "start_time": ts("2024-05-08"), "end_time": ts("2024-05-08 01:00")},
    ]  # fmt: skip
    rows = [
        obs("cause", patient_id="p2", encounter_id="cert", effective_time=ts("2024-05-08"),
            recorded_time=ts("2024-05-08")),
        obs("care", patient_id="p2", encounter_id="visit", effective_time=ts("2024-05-08"),
            recorded_time=ts("2024-05-08")),
    ]  # fmt: skip
    tables = {"patients": PATIENTS, "encounters": encounters, "observations": rows}
    r = gate(tmp_path, tables, "times")
    assert {(f.reason, f.record_id) for f in r.findings} == {
        ("after-death", "visit"),
        ("after-death", "care"),
    }


def test_references(tmp_path: Path) -> None:
    rows = [
        obs("o1"),
        obs("o2", patient_id="ghost"),
        obs("o3", encounter_id="nowhere"),
        obs("o4", patient_id="p2"),  # e1 belongs to p1
        obs("o5", encounter_id=None),
    ]
    tables = {"patients": PATIENTS, "encounters": ENCOUNTERS, "observations": rows}
    r = gate(tmp_path, tables, "references")
    assert found(r, "observations") == {
        ("dangling-reference", "o2", "observations.patient_id"),
        ("dangling-reference", "o3", "observations.encounter_id"),
        ("encounter-patient-mismatch", "o4", "observations.encounter_id"),
    }
    mismatch = next(f for f in r.findings if f.record_id == "o4")
    assert mismatch.related_id == "p1"
    assert found(r, "encounters") == set()


def test_times(tmp_path: Path) -> None:
    rows = [
        obs("ok"),
        obs("future", effective_time=ts("2027-03-01"), recorded_time=ts("2027-03-01 01:00")),
        obs("prebirth", effective_time=ts("1949-01-01"), recorded_time=ts("1949-01-01 01:00"),
            encounter_id=None),
        obs("issued", recorded_time=ts("2024-01-11 08:00")),
        obs("early", effective_time=ts("2024-01-08 07:00"), recorded_time=ts("2024-01-08 08:00")),
        obs("slack", effective_time=ts("2024-01-13 09:00"), recorded_time=ts("2024-01-13 10:00")),
        obs("late", effective_time=ts("2024-01-14 09:00"), recorded_time=ts("2024-01-14 10:00")),
        obs("dead", patient_id="p2", encounter_id=None, effective_time=ts("2024-05-03"),
            recorded_time=ts("2024-05-03 01:00")),
        obs("justdead", patient_id="p2", encounter_id=None, effective_time=ts("2024-05-01 20:00"),
            recorded_time=ts("2024-05-01 21:00")),
    ]  # fmt: skip
    tables = {"patients": PATIENTS, "encounters": ENCOUNTERS, "observations": rows}
    r = gate(tmp_path, tables, "times")
    assert found(r, "observations") == {
        ("future-date", "future", "observations.effective_time"),
        ("future-date", "future", "observations.recorded_time"),
        ("outside-encounter", "future", "observations.effective_time"),
        ("before-birth", "prebirth", "observations.effective_time"),
        ("issued-before-effective", "issued", "observations.recorded_time"),
        ("outside-encounter", "early", "observations.effective_time"),
        ("outside-encounter", "late", "observations.effective_time"),
        ("after-death", "dead", "observations.effective_time"),
    }
    assert found(r, "encounters") == {("end-before-start", "e2", "encounters.end_time")}


def test_times_tolerances_are_parameters(tmp_path: Path) -> None:
    late = ts("2024-01-14 09:00")
    rows = [obs("late", effective_time=late, recorded_time=ts("2024-01-14 10:00"))]
    tables = {"patients": PATIENTS, "encounters": ENCOUNTERS, "observations": rows}
    r = gate(tmp_path, tables, "times", times={"window_tolerance_hours": 72})
    assert found(r, "observations") == set()


def test_codes(tmp_path: Path) -> None:
    icd = "http://hl7.org/fhir/sid/icd-10-cm"
    conditions = [
        {"condition_id": "c1", "patient_id": "p1", "code": "E11.9", "code_system": icd},
        {"condition_id": "c2", "patient_id": "p1", "code": "Z99.999", "code_system": icd},
        {"condition_id": "c3", "patient_id": "p1", "code": "E11", "code_system": icd},
        {"condition_id": "c4", "patient_id": "p1", "code": "2345-7", "code_system": icd},
        {"condition_id": "c5", "patient_id": "p1", "code": "X1", "code_system": "urn:local"},
    ]
    rows = [obs("o1"), obs("o2", code="2345-8"), obs("o3", value_unit="mgs/dl")]
    practitioners = [{"practitioner_id": "pr1", "npi": "1234567893"},
                     {"practitioner_id": "pr2", "npi": "1234567890"},
                     {"practitioner_id": "pr3", "npi": "520"}]  # fmt: skip
    claims = [
        {"claim_id": "cl1", "patient_id": "p1", "diagnosis_codes": ["E11.9", "Q00.0X"]},
        {"claim_id": "cl2", "patient_id": "p1", "diagnosis_codes": ["38341003", "1234"]},
    ]
    tables = {"conditions": conditions, "observations": rows, "practitioners": practitioners,
              "claims": claims}  # fmt: skip
    r = gate(tmp_path, tables, "codes")
    assert found(r) == {
        ("unknown-code", "c2", "conditions.code"),
        ("header-code", "c3", "conditions.code"),
        ("system-mismatch", "c4", "conditions.code"),
        ("bad-check-digit", "o2", "observations.code"),
        ("bad-unit", "o3", "observations.value_unit"),
        ("bad-check-digit", "pr2", "practitioners.npi"),
        ("unknown-code", "cl1", "claims.diagnosis_codes"),
        ("bad-format", "cl2", "claims.diagnosis_codes"),  # SNOMED CT ids have 6+ digits
        ("bad-format", "pr3", "practitioners.npi"),  # a fixed-system column: no "mismatch"
    }
    o2 = next(f for f in r.findings if f.record_id == "o2")
    assert o2.found == "2345-8"
    assert o2.expected is not None
    assert "check digit" in o2.expected


def test_charting_delay_and_its_distribution(tmp_path: Path) -> None:
    delays = [1.0, 2.0, 5.0, 80.0, 200.0]
    rows = [
        obs(f"o{i}", recorded_time=ts("2024-01-11 09:00") + np.timedelta64(int(h * 60), "m").item())
        for i, h in enumerate(delays)
    ]
    r = gate(tmp_path, {"observations": rows}, "charting-delay")
    assert found(r) == {
        ("charting-delay", "o3", "observations.recorded_time"),
        ("charting-delay", "o4", "observations.recorded_time"),
    }
    res = r.result("charting-delay", "observations")
    assert res is not None
    stats = res.metrics["delay_hours"]
    assert stats["n"] == 5
    assert stats["max_h"] == pytest.approx(200.0)
    assert stats["mean_h"] == pytest.approx(np.mean(delays))
    # exact quantiles, interpolated linearly between the delays (numpy's default), to 3 decimals
    for key, q in (("p50_h", 0.5), ("p95_h", 0.95), ("p99_h", 0.99)):
        assert stats[key] == round(float(np.quantile(delays, q)), 3), key
    assert list(stats) == ["n", "mean_h", "p50_h", "p95_h", "p99_h", "max_h"]


def test_quarantine_findings_hide_found_values(tmp_path: Path) -> None:
    q = [{"reason": "malformed-record", "resource_type": "Observation", "record_id": None,
          "field": None, "expected": "JSON", "found": "{\"name\": \"Jane", "message": "bad json",
          "raw": "{\"name\": \"Jane"}]  # fmt: skip
    r = gate(tmp_path, {"quarantine": q, "observations": [obs("o1")]}, "quarantine")
    [f] = r.findings
    assert (f.reason, f.line, f.found) == ("malformed-record", 1, None)
    res = r.result("quarantine", "quarantine")
    assert res is not None
    assert (res.checked, res.failed) == (2, 1)
    assert "Jane" not in r.to_json().decode()


def test_sources_restrict_the_rows_checked(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake", {"observations": [obs("a", code=None)]}, source="labs")
    make_lake(tmp_path / "lake", {"observations": [obs("b", code=None)]}, source="vitals")
    c = contract_from_dict({"name": "t", "sources": ["labs/*"], "checks": [{"check": "required"}]})
    r = run_gate(lake, c, as_of=AS_OF)
    assert {f.record_id for f in r.findings} == {"a"}


def test_schema_check_finds_missing_extra_and_retyped_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    lake = make_lake(tmp_path / "lake", {"practitioners": [{"practitioner_id": "x"}]})
    bad = pa.table({"practitioner_id": ["y"], "npi": [1234567893], "shoe_size": [9],
                    "source_file": ["f"], "source_line": [1], "source_hash": ["h"],
                    "source_format": ["csv"], "ingest_run": ["r"]})  # fmt: skip
    folder = lake.sources_dir / "other" / "practitioners"
    folder.mkdir(parents=True)
    pq.write_table(bad, folder / "part-00000.parquet")
    r = run_gate(lake, contract_from_dict({"name": "t", "checks": [{"check": "schema"}]}))
    res = r.result("schema", "practitioners")
    assert res is not None
    assert {(f.reason, f.field) for f in res.findings} >= {
        ("column-extra", "practitioners.shoe_size"),
    }
    assert res.failed >= 1


def test_every_check_is_safe_on_an_empty_lake(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake", {})
    with open_engine("duckdb", lake) as eng:
        ctx = CheckContext(engine=eng, as_of=AS_OF)
        for name, check in CHECKS.items():
            for table in check.tables:
                result = check.fn(ctx, table, check.params())
                assert result.failed == 0, (name, table)
                assert result.error is None, (name, table)


def test_finding_limit_counts_everything_but_lists_some(tmp_path: Path) -> None:
    rows = [obs(f"o{i}", code=None) for i in range(30)]
    lake = make_lake(tmp_path / "lake", {"observations": rows})
    c = contract_from_dict({"name": "t", "max_findings": 5, "checks": [{"check": "required"}]})
    res = run_gate(lake, c).result("required", "observations")
    assert res is not None
    assert (res.failed, len(res.findings), res.truncated) == (30, 5, True)
    assert all(isinstance(f, Finding) for f in res.findings)
