"""Table profiles against an independent oracle (numpy on the rows written), and profile drift:
a feed that stops sending a field, new / vanished / retyped columns, and nothing at all when a
profile is compared with itself."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.quality._lake import make_lake, ts

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import TABLES, arrow_schema
from wardwatch.errors import ConfigError
from wardwatch.quality import (
    CHECKS,
    CheckContext,
    CheckResult,
    Severity,
    Verdict,
    contract_from_dict,
    open_engine,
    run_gate,
)
from wardwatch.quality.checks.profile import (
    PROFILE_VERSION,
    load_reference,
    profile_table,
    profile_tables,
    save_reference,
)

T0 = ts("2024-01-01 08:00")


def feed(
    source: str, site: str, n: int, seed: int, *, interpretation: float = 1.0
) -> dict[str, list[dict[str, Any]]]:
    """``n`` observations of one source, its patients at ``site``, one encounter each.

    A share ``interpretation`` of the rows carries an interpretation code.
    """
    rng = np.random.default_rng(seed)
    patients = [{"patient_id": f"{source}-p{i}", "site_id": site} for i in range(5)]
    encounters = [
        {"encounter_id": f"{source}-e{i}", "patient_id": f"{source}-p{i}", "site_id": site,
         "start_time": T0}
        for i in range(5)
    ]  # fmt: skip
    observations = []
    for j in range(n):
        value = None if j % 10 == 3 else float(np.round(rng.normal(140, 4), 1))
        observations.append(
            {
                "observation_id": f"{source}-o{j}", "patient_id": f"{source}-p{j % 5}",
                "encounter_id": f"{source}-e{j % 5}", "code": ("2951-2", "2823-3")[j % 2],
                "code_system": "http://loinc.org", "value_num": value, "value_unit": "mmol/L",
                "display": ("Sodium", "  ", None)[j % 3],
                "interpretation": "N" if j < interpretation * n else None,
                "effective_time": T0 + timedelta(hours=j), "reference_low": float(j % 7),
            }
        )  # fmt: skip
    return {"patients": patients, "encounters": encounters, "observations": observations}


def two_feeds(root: Path, *, b_interpretation: float = 1.0) -> Lake:
    make_lake(root, feed("labA", "S1", 60, seed=1), source="labA")
    return make_lake(root, feed("labB", "S2", 40, seed=2, interpretation=b_interpretation),
                     source="labB")  # fmt: skip


def profile_of(lake: Lake, table: str | None = None, engine: str = "duckdb",
               session: Any = None) -> dict[str, Any]:  # fmt: skip
    with open_engine(engine, lake, spark_session=session) as eng:
        ctx = CheckContext(engine=eng)
        return profile_table(ctx, table) if table else profile_tables(ctx)


def run(lake: Lake, check: str, table: str, reference: dict[str, Any] | None,
        **params: Any) -> CheckResult:  # fmt: skip
    definition = CHECKS[check]
    with open_engine("duckdb", lake) as eng:
        ctx = CheckContext(engine=eng, reference=reference, max_findings=None)
        return definition.fn(ctx, table, definition.params.model_validate(params))


# --- the profile ------------------------------------------------------------------------------


def test_numeric_summaries_match_numpy(tmp_path: Path) -> None:
    lake = two_feeds(tmp_path)
    prof = profile_of(lake, "observations")
    rows = (
        feed("labA", "S1", 60, seed=1)["observations"]
        + feed("labB", "S2", 40, seed=2)["observations"]
    )
    assert prof["rows"] == len(rows) == 100
    values = np.array([r["value_num"] for r in rows if r["value_num"] is not None])
    col = prof["columns"]["value_num"]
    assert col["type"] == "float64"
    assert col["missing_count"] == 10
    assert col["missing"] == pytest.approx(0.10)
    assert col["min"] == pytest.approx(values.min())
    assert col["max"] == pytest.approx(values.max())
    assert col["mean"] == pytest.approx(values.mean(), rel=1e-12)
    assert col["std"] == pytest.approx(values.std(ddof=1), rel=1e-9)
    low = np.array([r["reference_low"] for r in rows])
    assert prof["columns"]["reference_low"]["std"] == pytest.approx(low.std(ddof=1), rel=1e-9)
    lines = prof["columns"]["source_line"]  # an int column: 1..60 and 1..40
    expected_lines = np.array([*range(1, 61), *range(1, 41)])
    assert lines["type"] == "int64"
    assert (lines["min"], lines["max"]) == (1, 60)
    assert lines["mean"] == pytest.approx(expected_lines.mean())
    assert lines["std"] == pytest.approx(expected_lines.std(ddof=1))
    # Blank text counts as missing: display is "Sodium", "  ", None in turn.
    blank = sum(1 for r in rows if r["display"] is None or not r["display"].strip())
    assert prof["columns"]["display"]["missing_count"] == blank
    assert prof["columns"]["code"]["distinct"] == 2
    exact = len({r["observation_id"] for r in rows})
    assert abs(prof["columns"]["observation_id"]["distinct"] - exact) <= 0.05 * exact
    times = prof["columns"]["effective_time"]
    assert times["type"] == "timestamp"
    assert datetime.fromisoformat(times["min"]) == T0
    assert datetime.fromisoformat(times["max"]) == T0 + timedelta(hours=59)
    assert "mean" not in prof["columns"]["code"]


def test_missingness_per_source_and_site(tmp_path: Path) -> None:
    prof = profile_of(two_feeds(tmp_path, b_interpretation=0.25), "observations")
    assert prof["columns"]["interpretation"]["missing"] == pytest.approx(30 / 100)
    by_source = prof["by_source"]
    assert set(by_source) == {"labA/observations.ndjson", "labB/observations.ndjson"}
    assert by_source["labB/observations.ndjson"]["rows"] == 40
    assert by_source["labB/observations.ndjson"]["missing"]["interpretation"] == 0.75
    assert by_source["labA/observations.ndjson"]["missing"]["interpretation"] == 0.0
    # Observations take their encounter's site.
    assert {k: v["rows"] for k, v in prof["by_site"].items()} == {"S1": 60, "S2": 40}
    assert prof["by_site"]["S2"]["missing"]["interpretation"] == 0.75
    patients = profile_of(two_feeds(tmp_path / "again"), "patients")
    assert {k: v["rows"] for k, v in patients["by_site"].items()} == {"S1": 5, "S2": 5}


def test_profile_is_json_with_a_version(tmp_path: Path) -> None:
    values = [1.0, math.inf, math.nan, None]
    rows = [{"observation_id": f"o{i}", "value_num": v} for i, v in enumerate(values)]
    lake = make_lake(tmp_path, {"observations": rows})
    prof = profile_of(lake)
    text = json.dumps(prof, allow_nan=False)  # no NaN or infinity sneaks in
    assert json.loads(text) == prof
    assert prof["version"] == PROFILE_VERSION
    assert datetime.fromisoformat(prof["created_at"]).tzinfo is not None
    assert set(prof["tables"]) == set(TABLES)
    value_num = prof["tables"]["observations"]["columns"]["value_num"]
    assert (value_num["min"], value_num["max"], value_num["missing_count"]) == (1.0, "inf", 2)
    empty = prof["tables"]["claims"]
    assert empty["rows"] == 0
    assert empty["columns"]["total_amount"]["missing"] is None
    assert set(empty["columns"]) == set(arrow_schema("claims").names)
    assert empty["columns"]["diagnosis_codes"]["type"] == "array<string>"


def test_profile_check_reports_the_profile(tmp_path: Path) -> None:
    lake = two_feeds(tmp_path)
    result = run(lake, "profile", "observations", None)
    assert result.severity is Severity.INFO
    assert CHECKS["profile"].severity is Severity.INFO
    assert (result.findings, result.failed, result.error) == ([], 0, None)
    assert result.checked == 100
    # Equal up to the last bits of parallel float sums.
    assert rounded(result.metrics) == rounded(profile_of(lake, "observations"))


def rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.12g}")
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    return obj


# --- drift ------------------------------------------------------------------------------------


def test_no_reference_means_skipped(tmp_path: Path) -> None:
    result = run(two_feeds(tmp_path), "profile-drift", "observations", None)
    assert result.metrics == {"skipped": "no reference profile"}
    assert (result.findings, result.failed, result.error) == ([], 0, None)
    assert CHECKS["profile-drift"].severity is Severity.WARN


def test_a_profile_has_no_drift_from_itself(tmp_path: Path) -> None:
    lake = two_feeds(tmp_path, b_interpretation=0.5)
    reference = load_reference(save_reference(profile_of(lake), tmp_path / "ref" / "p.json"))
    for table in TABLES:
        result = run(lake, "profile-drift", table, reference)
        assert (result.findings, result.error) == ([], None), table
    assert run(lake, "profile-drift", "observations", reference).checked > 22


def test_missingness_jump_when_a_feed_stops_sending_a_field(tmp_path: Path) -> None:
    reference = profile_of(two_feeds(tmp_path / "before"))
    after = two_feeds(tmp_path / "after", b_interpretation=0.0)  # labB stops sending it
    result = run(after, "profile-drift", "observations", reference)
    jumps = {(f.reason, f.field, f.source, f.expected, f.found) for f in result.findings}
    field = "observations.interpretation"
    assert jumps == {
        ("missingness-jump", field, None, "missing 0.0%", "missing 40.0%"),
        ("missingness-jump", field, "labB/observations.ndjson", "missing 0.0%", "missing 100.0%"),
        ("missingness-jump", field, None, "missing 0.0%", "missing 100.0%"),  # site S2
    }
    assert all(f.record_id is None for f in result.findings)
    site = next(f for f in result.findings if f.message and "at site" in f.message)
    assert site.message == f"{field} missing 0.0% -> 100.0% at site S2"
    assert result.by_source == {"labB/observations.ndjson": 1}
    # labB missing 20% is 8% overall: within the default allowance for the table, not for labB.
    slight = two_feeds(tmp_path / "slight", b_interpretation=0.8)
    found = {(f.source, f.found) for f in run(slight, "profile-drift", "observations", reference)
             .findings}  # fmt: skip
    assert found == {("labB/observations.ndjson", "missing 20.0%"), (None, "missing 20.0%")}
    overall = run(slight, "profile-drift", "observations", reference, max_missing_increase=0.05)
    assert ("missingness-jump", field, None, "missing 0.0%", "missing 8.0%") in {
        (f.reason, f.field, f.source, f.expected, f.found) for f in overall.findings
    }


def test_groups_below_min_rows_are_not_compared(tmp_path: Path) -> None:
    reference = profile_of(two_feeds(tmp_path / "before"))
    after = two_feeds(tmp_path / "after", b_interpretation=0.0)
    result = run(after, "profile-drift", "observations", reference, min_rows=41)
    assert [(f.source, f.message) for f in result.findings] == [
        (None, "observations.interpretation missing 0.0% -> 40.0%")
    ]


def test_new_vanished_and_retyped_columns(tmp_path: Path) -> None:
    reference = profile_of(two_feeds(tmp_path / "before"))
    # A feed written by another tool: no interpretation, an extra column, values as text.
    rows = feed("labC", "S1", 30, seed=3)["observations"]
    schema = pa.schema(
        [
            f if f.name != "value_num" else pa.field("value_num", pa.string())
            for f in arrow_schema("observations")
            if f.name != "interpretation"
        ]
        + [pa.field("lab_comment", pa.string())]
    )
    table = pa.Table.from_pylist(
        [
            {**{k: v for k, v in r.items() if k != "interpretation"},
             "value_num": None if r["value_num"] is None else str(r["value_num"]),
             "lab_comment": "ok", "source_file": "labC/obs.csv", "source_line": i,
             "source_hash": "0" * 64, "source_format": "csv", "ingest_run": "r"}
            for i, r in enumerate(rows, 1)
        ],
        schema=pa.schema([f.with_nullable(True) for f in schema]),
    )  # fmt: skip
    folder = tmp_path / "after" / "sources" / "labC" / "observations"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-00000.parquet")
    result = run(Lake(tmp_path / "after"), "profile-drift", "observations", reference)
    schema_findings = {
        (f.reason, f.field, f.expected, f.found)
        for f in result.findings
        if f.reason != "missingness-jump"
    }
    assert schema_findings == {
        ("column-new", "observations.lab_comment", "(no such column in the reference)", "string"),
        ("column-vanished", "observations.interpretation", "string", "(missing)"),
        ("type-changed", "observations.value_num", "float64", "string"),
    }
    assert result.by_reason.get("missingness-jump", 0) == 0  # no common source or site to judge


def test_drift_through_the_gate(tmp_path: Path) -> None:
    reference = profile_of(two_feeds(tmp_path / "before"))
    contract = contract_from_dict(
        {"name": "drift", "checks": [{"check": "profile"}, {"check": "profile-drift"}]}
    )
    same = run_gate(two_feeds(tmp_path / "same"), contract, reference=reference)
    assert same.verdict is Verdict.PASS
    changed = run_gate(
        two_feeds(tmp_path / "changed", b_interpretation=0.0), contract, reference=reference
    )
    assert changed.verdict is Verdict.WARN
    assert {f.reason for f in changed.findings} == {"missingness-jump"}
    no_ref = run_gate(two_feeds(tmp_path / "noref"), contract)
    assert no_ref.verdict is Verdict.PASS


# --- reference files --------------------------------------------------------------------------


def test_reference_round_trip_and_errors(tmp_path: Path) -> None:
    prof = profile_of(two_feeds(tmp_path / "lake"))
    path = save_reference(prof, tmp_path / "refs" / "train.json")
    assert load_reference(path) == prof
    bad = {
        "missing.json": None,
        "broken.json": b'{"version": 1, "tables": {',
        "list.json": b"[1, 2]",
        "notables.json": b'{"version": 1}',
        "future.json": b'{"version": 99, "tables": {}}',
    }
    for name, content in bad.items():
        p = tmp_path / name
        if content is not None:
            p.write_bytes(content)
        with pytest.raises(ConfigError) as info:
            load_reference(p)
        assert "\n" not in str(info.value)
        assert name in str(info.value)


def test_broken_reference_is_an_error_result_not_a_crash(tmp_path: Path) -> None:
    result = run(two_feeds(tmp_path), "profile-drift", "observations", {"version": 1})
    assert result.error is not None
    assert result.findings == []


# --- Spark ------------------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_profile_matches_duckdb(tmp_path: Path, spark: Any) -> None:
    lake = two_feeds(tmp_path, b_interpretation=0.5)
    for table in ("observations",):  # sources, sites through a join, every column type
        duck = profile_of(lake, table)
        spk = profile_of(lake, table, "spark", spark)
        assert spk.keys() == duck.keys()
        for name, info in duck["columns"].items():
            other = spk["columns"][name]
            for key, value in info.items():
                if key == "distinct":  # approximate on both, by different sketches
                    assert abs(other[key] - value) <= max(1, 0.1 * value), (name, key)
                elif isinstance(value, float):
                    assert other[key] == pytest.approx(value, rel=1e-9), (name, key)
                else:
                    assert other[key] == value, (name, key)
        assert spk["by_source"] == duck["by_source"]
        assert spk["by_site"] == duck["by_site"]
