"""The gate's engines: DuckDB and Spark (local mode) give the same findings on the same lake.

The Spark tests share the session-scoped ``spark`` fixture (tests/quality/conftest.py): a local
session costs about 10 s to start, so there are few of them. The error tests need no JVM.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.quality._lake import d, make_lake, ts

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES, arrow_schema
from wardwatch.core.workspace import init_workspace
from wardwatch.errors import ConfigError
from wardwatch.ingest import ingest
from wardwatch.quality import (
    CHECKS,
    CheckContext,
    QualityReport,
    default_contract,
    open_engine,
    run_gate,
)
from wardwatch.quality._spark import java_major, spark_schema
from wardwatch.synth import SynthConfig, generate

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def _synth_lake(root: Path, defects: str | None, seed: int) -> Lake:
    out = root / "synth"
    generate(SynthConfig(patients=60, seed=seed, out=out, defects=defects, hl7=False,
                         claims_csv=False))  # fmt: skip
    ws = init_workspace(root / "ws")
    ingest(ws, [out], workers=1)
    return Lake(ws.lake_dir)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isnan(value) else round(value, 6)
    if isinstance(value, dict):
        # Distinct counts are approximate on both engines, by different sketches.
        return {k: _rounded(v) for k, v in value.items() if k != "distinct"}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def _findings(report: QualityReport) -> set[tuple[Any, ...]]:
    return {
        (f.check, f.table, f.reason, f.record_id, f.field, f.related_id, f.found, f.expected,
         f.patient_id, f.source, f.line, _rounded(f.score))
        for f in report.findings
    }  # fmt: skip


def _results(report: QualityReport) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (r.check, r.table): (r.checked, r.failed, r.truncated, r.by_reason, r.by_source,
                             _rounded(r.metrics))
        for r in report.results
    }  # fmt: skip


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
@pytest.mark.timeout(900)  # about 200 Spark queries on the defective lake: slow on a busy box
@pytest.mark.parametrize(
    ("defects", "seed"), [("all=0.03", 11), (None, 12)], ids=["defects", "clean"]
)
def test_spark_finds_what_duckdb_finds(
    tmp_path: Path, spark: Any, defects: str | None, seed: int
) -> None:
    lake = _synth_lake(tmp_path, defects, seed)
    contract = default_contract()
    duck = run_gate(lake, contract, engine="duckdb", as_of=AS_OF, max_findings=None)
    spk = run_gate(
        lake, contract, engine="spark", as_of=AS_OF, max_findings=None, spark_session=spark
    )

    assert [(r.check, r.table, r.error) for r in duck.results if r.error] == []
    assert [(r.check, r.table, r.error) for r in spk.results if r.error] == []
    assert _results(spk) == _results(duck)
    assert _findings(spk) == _findings(duck)
    assert (spk.rows, spk.sources, spk.verdict) == (duck.rows, duck.sources, duck.verdict)
    if defects is None:
        assert duck.findings == []
    else:  # not a vacuous comparison: most checks found something
        assert len({f.check for f in duck.findings}) >= 8
        assert sum(r.failed for r in duck.results) == len(duck.findings) > 1000
    spark.sql("SELECT 1").collect()  # the session handed in is still running


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_tables_match_duckdb(tmp_path: Path, spark: Any) -> None:
    """Timestamps are UTC instants, dates dates, lists lists; several files per table merge,
    and a column retyped in one file is read as text (Spark cannot merge int64 with string),
    so the schema check reports it on both engines instead of Spark failing to open."""
    obs = [
        {"observation_id": "o1", "patient_id": "p1", "code": "718-7",
         "effective_time": ts("2024-03-10 01:30"), "recorded_time": ts("2024-03-10 02:30")},
        {"observation_id": "o2", "patient_id": "p1", "code": "718-7",
         "effective_time": datetime(2024, 3, 10, 9, 0, 0, 250_000, tzinfo=UTC)},
        {"observation_id": "o3", "patient_id": "p1", "effective_time": ts("1500-01-01")},
    ]  # fmt: skip
    patients = [{"patient_id": "p1", "birth_date": d("1961-09-04")}]
    claims = [{"claim_id": "c1", "patient_id": "p1", "diagnosis_codes": ["E11.9", "I10"]}]
    make_lake(tmp_path, {"observations": obs, "patients": patients, "claims": claims})
    # A second source: a file without the `display` column, one with `source_line` as text.
    lake = make_lake(tmp_path, {"observations": [{"observation_id": "o4", "patient_id": "p2",
                                                  "effective_time": ts("2300-06-01")}],
                                "patients": [{"patient_id": "p2"}]},
                     source="src2")  # fmt: skip
    older = pq.read_table(lake.files("observations")[-1]).drop_columns(["display"])
    pq.write_table(older, lake.files("observations")[-1])
    retyped = pq.read_table(lake.files("patients")[-1])
    line = retyped.schema.get_field_index("source_line")
    pq.write_table(
        retyped.set_column(line, "source_line", pa.array(["1"])), lake.files("patients")[-1]
    )

    # "Now" given with a +05:00 offset: the same instant as 2024-03-10 04:30 UTC.
    now = datetime(2024, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=5)))
    seen: dict[str, dict[str, Any]] = {}
    for name in ("duckdb", "spark"):
        with open_engine(name, lake, spark_session=spark) as eng:
            o = eng.table("observations")
            seen[name] = {
                "obs": eng.to_arrow(o.order_by("observation_id")),
                "before": eng.scalar(o.filter(o.effective_time < ibis.literal(now)).count()),
                "dates": eng.to_arrow(
                    eng.table("patients").order_by("patient_id").select("birth_date")
                ),
                "schema check": CHECKS["schema"].fn(
                    CheckContext(engine=eng), "patients", CHECKS["schema"].params()
                ),
                "lists": eng.to_arrow(eng.table("claims").select("diagnosis_codes")),
                "empty": eng.to_arrow(eng.table("documents")),
                "max": eng.scalar(o.effective_time.max()),
                "mem": eng.to_arrow(eng.memtable(pa.table({"x": ["a", None]}))),
                "schema": eng.table("encounters").schema(),
            }
    duck, spk = seen["duckdb"], seen["spark"]
    assert spk["obs"].schema.field("effective_time").type == pa.timestamp("us", tz="UTC")
    assert spk["obs"].to_pylist() == duck["obs"].to_pylist()
    assert spk["obs"].column("display").to_pylist() == [None] * 4
    assert duck["before"] == spk["before"] == 2  # o1 and o3, not o2 (09:00 UTC)
    assert spk["dates"].schema == duck["dates"].schema == pa.schema([("birth_date", pa.date32())])
    assert spk["dates"].column(0).to_pylist() == [date(1961, 9, 4), None]
    for found in (duck["schema check"], spk["schema check"]):
        assert [(f.field, f.reason, f.found) for f in found.findings] == [
            ("patients.source_line", "type-changed", "string")
        ]
    assert spk["lists"].column(0).to_pylist() == [["E11.9", "I10"]]
    assert spk["empty"].num_rows == 0
    assert spk["empty"].schema.names == arrow_schema("documents").names
    assert spk["max"] == duck["max"] == datetime(2300, 6, 1, tzinfo=UTC)
    assert spk["mem"].to_pylist() == duck["mem"].to_pylist()
    assert spk["schema"] == duck["schema"]

    # No session given: the one running in this process is used, and not stopped either.
    with open_engine("spark", lake) as eng:
        assert eng.scalar(eng.table("patients").count()) == 2
    # The engines dropped their views from the session, and left it running.
    assert not [t.name for t in spark.catalog.listTables() if t.name.startswith("ww")]
    assert spark.sql("SELECT 1 AS one").collect()[0].one == 1


def test_unknown_engine_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run_gate(Lake(tmp_path / "lake"), engine="oracle")
    message = str(info.value)
    assert "\n" not in message
    assert "unknown engine" in message
    assert "found oracle" in message
    assert "duckdb | spark" in message


def test_missing_pyspark_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "pyspark", None)  # import fails
    with pytest.raises(ConfigError) as info:
        open_engine("spark", Lake(tmp_path / "lake"))
    assert "\n" not in str(info.value)
    assert "pip install 'wardwatch[spark]'" in str(info.value)


@pytest.mark.parametrize("version", [None, "1.8.0_392", "11.0.21"])
def test_missing_or_old_java_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str | None
) -> None:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    if version is not None:
        java = home / "bin" / "java"
        java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2023-10-17' >&2\n")
        java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(ConfigError) as info:
        run_gate(Lake(tmp_path / "lake"), engine="spark")
    message = str(info.value)
    assert "\n" not in message
    assert "Java 17" in message
    assert "scripts/setup-system.sh" in message


def test_java_on_path_is_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wardwatch.quality._spark import check_java

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = bin_dir / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"21.0.2\" 2024-01-16' >&2\n")
    java.chmod(0o755)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    assert check_java() == 21


@pytest.mark.parametrize(
    ("text", "major"),
    [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_392"', 8),
     ('openjdk version "21" 2023-09-19', 21), ("no java here", None)],
)  # fmt: skip
def test_java_major(text: str, major: int | None) -> None:
    assert java_major(text) == major


def test_spark_schema_of_every_canonical_table() -> None:
    from pyspark.sql import types as st

    for name in (*TABLES, QUARANTINE.name):
        schema = spark_schema(arrow_schema(name))
        assert schema.names == arrow_schema(name).names
    claims = spark_schema(arrow_schema("claims"))
    assert claims["diagnosis_codes"].dataType == st.ArrayType(st.StringType(), True)
    assert claims["billable_start"].dataType == st.TimestampType()
    assert spark_schema(arrow_schema("patients"))["birth_date"].dataType == st.DateType()
    assert not spark_schema(arrow_schema("patients"))["patient_id"].nullable
