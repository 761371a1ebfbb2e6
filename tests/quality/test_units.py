"""Plausibility and unit-switch checks: hand-built feeds whose answer is known row by row, the
generator's defects (recall 100% against its manifest, nothing on a clean population), the
Synthea fixtures, and Spark against DuckDB."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from tests.quality._lake import make_lake, ts

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import init_workspace
from wardwatch.ingest import ingest
from wardwatch.quality import CHECKS, CheckContext, CheckResult, Severity, open_engine
from wardwatch.quality.checks.units import UnitSwitchParams
from wardwatch.synth import SynthConfig, generate

FIXTURES = Path(__file__).parents[1] / "fixtures"
GLUCOSE = "2345-7"
MMOL = 18.016
SITES = ("A", "B", "C")


def run(lake: Lake, check: str, engine: str = "duckdb", **kw: Any) -> CheckResult:
    definition = CHECKS[check]
    session = kw.pop("spark_session", None)
    params = definition.params.model_validate(kw)
    with open_engine(engine, lake, spark_session=session) as eng:
        return definition.fn(CheckContext(engine=eng, max_findings=None), "observations", params)


def ids(result: CheckResult, reason: str | None = None) -> set[str]:
    return {f.record_id or "" for f in result.findings if reason in (None, f.reason)}


# --- a glucose feed built by hand ---------------------------------------------------------


def glucose_feed(
    *, switch_from: datetime | None = None, relabel: bool = False, seed: int = 5
) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    """Three sites, 20 patients each, 8 glucose results per site and month through 2023.

    From ``switch_from`` site A sends glucose in mmol/L: labelled mg/dL still (a unit switch),
    or labelled mmol/L too (``relabel``: a real change of unit). Every fourth result has no
    encounter, so its site comes from the patient. Returns the tables and the ids of the
    switched rows.
    """
    rng = np.random.default_rng(seed)
    patients = [
        {"patient_id": f"{s}{i}", "site_id": s, "sex": "female"} for s in SITES for i in range(20)
    ]
    encounters: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    switched: set[str] = set()
    for month in range(1, 13):
        for site in SITES:
            for j in range(8):
                oid = f"{site}-{month:02d}-{j}"
                when = ts(f"2023-{month:02d}-{2 + 3 * j:02d} 09:00") + timedelta(
                    minutes=int(rng.integers(0, 600))
                )
                patient = f"{site}{int(rng.integers(0, 20))}"
                value = float(round(math.exp(rng.normal(math.log(110), 0.3))))
                unit = "mg/dL"
                if site == "A" and switch_from is not None and when >= switch_from:
                    value = round(value / MMOL, 1)
                    if relabel:
                        unit = "mmol/L"
                    else:
                        switched.add(oid)
                enc = None
                if j % 4:
                    enc = f"e-{oid}"
                    encounters.append(
                        {"encounter_id": enc, "patient_id": patient, "site_id": site,
                         "start_time": when - timedelta(hours=2)}
                    )  # fmt: skip
                observations.append(obs(oid, patient, enc, value, unit, when))
    return {"patients": patients, "encounters": encounters, "observations": observations}, switched


def obs(
    oid: str,
    patient: str,
    encounter: str | None,
    value: float | None,
    unit: str | None,
    when: datetime,
    code: str = GLUCOSE,
) -> dict[str, Any]:
    return {
        "observation_id": oid, "patient_id": patient, "encounter_id": encounter, "code": code,
        "code_system": "http://loinc.org", "status": "final", "value_num": value,
        "value_unit": unit, "effective_time": when, "recorded_time": when + timedelta(hours=1),
    }  # fmt: skip


def test_switch_from_mid_month_is_flagged_from_that_day(tmp_path: Path) -> None:
    tables, switched = glucose_feed(switch_from=ts("2023-06-15"))
    result = run(make_lake(tmp_path, tables), "unit-switch")
    assert result.error is None
    assert ids(result) == switched  # June 2nd-14th at site A left alone, the rest flagged
    assert len(switched) > 40
    assert result.checked == 3 * 12 * 8
    assert result.by_reason == {"unit-switch": len(switched)}
    [segment] = result.metrics["segments"]
    assert segment["site"] == "A"
    assert segment["codes"] == [GLUCOSE]
    assert (segment["from_month"], segment["to_month"]) == ("2023-06", "2023-12")
    assert segment["looks_like"] == "mmol/L"
    f = next(f for f in result.findings if f.record_id == "A-07-0")
    assert f.field == "observations.value_num"
    assert f.found is not None
    assert f.found.endswith(" mg/dL")
    assert f.expected is not None
    assert "in mg/dL (values like 1" in f.expected
    assert "this looks like mmol/L (factor 18.02)" in f.expected
    assert f.source == "src1/observations.ndjson"
    assert f.line is not None
    assert f.patient_id is not None
    assert f.resource_type == "Observation"


def test_clean_feed_with_a_hypoglycaemic_patient_is_not_a_switch(tmp_path: Path) -> None:
    tables, _ = glucose_feed()
    # One patient at site A in and out of severe hypoglycaemia: in March among other values,
    # in April ten results nearer to 110 / 18 than to 110, more than the site's other rows.
    hypos = [38, 31, 24, 22, 29, 24, 22, 23, 21, 25, 20, 22, 24, 23, 21]
    for k, value in enumerate(hypos):
        when = ts(f"2023-0{3 if k < 5 else 4}-{10 + k:02d} 03:00")
        tables["observations"].append(obs(f"hypo-{k}", "A1", None, value, "mg/dL", when))
    result = run(make_lake(tmp_path, tables), "unit-switch")
    assert result.error is None
    assert result.findings == []
    assert result.metrics["segments"] == []
    plaus = run(make_lake(tmp_path / "p", tables), "plausibility")
    assert plaus.findings == []  # 21 mg/dL is low, not impossible


def test_real_change_of_unit_field_is_not_a_switch(tmp_path: Path) -> None:
    tables, switched = glucose_feed(switch_from=ts("2023-06-15"), relabel=True)
    assert switched == set()
    lake = make_lake(tmp_path, tables)
    assert run(lake, "unit-switch").findings == []
    assert run(lake, "plausibility").findings == []


def test_min_segment_rows(tmp_path: Path) -> None:
    tables, switched = glucose_feed(switch_from=ts("2023-12-01"))
    assert len(switched) == 8  # December at site A
    lake = make_lake(tmp_path, tables)
    assert ids(run(lake, "unit-switch")) == switched
    assert run(lake, "unit-switch", min_segment_rows=9).findings == []


def test_unit_switch_params_are_validated() -> None:
    with pytest.raises(ValueError, match="min_segment_rows"):
        UnitSwitchParams.model_validate({"min_segment_rows": 0})
    with pytest.raises(ValueError, match="extra"):
        UnitSwitchParams.model_validate({"tolerence": 0.2})
    assert CHECKS["unit-switch"].severity is Severity.ERROR
    assert CHECKS["plausibility"].severity is Severity.ERROR


# --- plausibility ---------------------------------------------------------------------------

WHEN = ts("2024-03-01 08:00")


def test_plausibility_in_the_rows_own_unit(tmp_path: Path) -> None:
    rows = [
        obs("hr-ok", "p", None, 80.0, "/min", WHEN, code="8867-4"),
        obs("hr-900", "p", None, 900.0, "/min", WHEN, code="8867-4"),
        obs("temp-f-ok", "p", None, 98.6, "[degF]", WHEN, code="8310-5"),
        obs("temp-f-hot", "p", None, 120.0, "[degF]", WHEN, code="8310-5"),
        obs("temp-c-hot", "p", None, 97.1, "Cel", WHEN, code="8310-5"),
        obs("glu-10", "p", None, 10.0, "mg/dL", WHEN),  # on the limit: plausible
        obs("glu-2000", "p", None, 2000.0, "mg/dL", WHEN),
        obs("glu-mmol", "p", None, 5.3, "mmol/L", WHEN),
        obs("glu-as-mmol", "p", None, 5.3, "mg/dL", WHEN),
        obs("glu-neg", "p", None, -96.0, "mg/dL", WHEN),
        obs("glu-kg", "p", None, 95.0, "kg", WHEN),
        obs("glu-nounit", "p", None, 95.0, None, WHEN),
        obs("hgb-gl", "p", None, 154.0, "g/L", WHEN, code="718-7"),
        obs("hgb-gdl", "p", None, 154.0, "g/dL", WHEN, code="718-7"),
        obs("trop-neg", "p", None, -1.0, "ng/mL", WHEN, code="10839-9"),
        obs("other", "p", None, 1e9, "furlong", WHEN, code="12345-6"),  # not in LABS
        obs("no-value", "p", None, None, "kg", WHEN),  # nothing to judge
    ]
    result = run(make_lake(tmp_path, {"observations": rows}), "plausibility")
    assert result.error is None
    assert result.checked == 15
    assert ids(result, "implausible-value") == {
        "hr-900", "temp-f-hot", "temp-c-hot", "glu-as-mmol", "glu-neg", "hgb-gdl", "trop-neg",
    }  # fmt: skip
    assert ids(result, "unexpected-unit") == {"glu-kg", "glu-nounit"}
    by_id = {f.record_id: f for f in result.findings}
    hr = by_id["hr-900"]
    assert (hr.field, hr.found, hr.expected) == (
        "observations.value_num",
        "900 /min",
        "Heart rate (8867-4) between 20 and 300 /min",
    )
    assert by_id["temp-f-hot"].expected == "Body temperature (8310-5) between 77 and 113 [degF]"
    assert by_id["hgb-gdl"].expected is not None
    assert by_id["hgb-gdl"].expected.endswith("; plausible if it were g/L (a unit switch?)")
    assert "plausible if it were mmol/L" in (by_id["glu-as-mmol"].expected or "")
    assert "plausible if it were" not in (by_id["glu-neg"].expected or "")
    kg = by_id["glu-kg"]
    assert (kg.field, kg.found) == ("observations.value_unit", "95 kg")
    assert kg.expected is not None
    assert kg.expected.endswith("in mg/dL or mmol/L or g/L")
    assert by_id["glu-nounit"].found == "95 (no unit)"
    assert result.by_source == {"src1/observations.ndjson": 9}


def test_checks_run_on_an_empty_lake(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, {})
    for check in ("plausibility", "unit-switch"):
        result = run(lake, check)
        assert (result.error, result.checked, result.failed, result.findings) == (None, 0, 0, [])


# --- generated data: the generator's manifest is the answer ------------------------------


def _population(root: Path, defects: str | None, seed: int) -> tuple[Lake, Path]:
    out = root / "synth"
    generate(SynthConfig(patients=300, seed=seed, out=out, defects=defects, hl7=False,
                         claims_csv=False))  # fmt: skip
    ws = init_workspace(root / "ws")
    ingest(ws, [out], workers=1)
    return Lake(ws.lake_dir), out


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, Path]:
    # Seed 3 puts two of the switched results in the sparse point-of-care glucose code.
    return _population(
        tmp_path_factory.mktemp("defects"), "unit-switch=0.02,implausible-value=0.01", seed=3
    )


@pytest.mark.slow
def test_generated_defects_are_all_found(defective: tuple[Lake, Path]) -> None:
    lake, out = defective
    manifest = [orjson.loads(x) for x in (out / "defects.jsonl").read_bytes().splitlines() if x]
    want = {
        cls: {m["resource_id"] for m in manifest if m["class"] == cls}
        for cls in ("unit-switch", "implausible-value")
    }
    assert all(want.values())
    switch = run(lake, "unit-switch")
    plaus = run(lake, "plausibility")
    found_switch = {i.split("#")[0] for i in ids(switch)}
    found_implausible = {i.split("#")[0] for i in ids(plaus, "implausible-value")}
    assert want["unit-switch"] - found_switch == set()  # recall 100%
    assert want["implausible-value"] - found_implausible == set()
    assert found_switch == want["unit-switch"]  # and nothing else
    # Switched glucose below 10 "mg/dL" is implausible too; nothing else is flagged.
    extra = found_implausible - want["implausible-value"]
    assert extra <= want["unit-switch"]
    assert all(
        "plausible if it were mmol/L" in (f.expected or "")
        for f in plaus.findings
        if f.record_id in extra
    )
    assert ids(plaus, "unexpected-unit") == set()


@pytest.mark.slow
def test_clean_generated_population_has_no_finding(tmp_path: Path) -> None:
    lake, _ = _population(tmp_path, None, seed=3)
    for check in ("plausibility", "unit-switch"):
        result = run(lake, check)
        assert result.error is None
        assert result.checked > 10_000
        assert result.findings == [], (check, result.findings[:3])


@pytest.mark.slow
def test_synthea_fixtures_are_plausible(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    ingest(ws, sorted((FIXTURES / "synthea").glob("*.json")), workers=1)
    lake = Lake(ws.lake_dir)
    for check in ("plausibility", "unit-switch"):
        result = run(lake, check)
        assert result.error is None
        assert result.checked > 400
        assert result.findings == []


# --- Spark ----------------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_finds_what_duckdb_finds(tmp_path: Path, spark: Any) -> None:
    tables, switched = glucose_feed(switch_from=ts("2023-06-15"))
    tables["observations"] += [
        obs("hr-900", "A1", None, 900.0, "/min", WHEN, code="8867-4"),
        obs("glu-kg", "A1", None, 95.0, "kg", WHEN),
    ]
    lake = make_lake(tmp_path, tables)

    def key(result: CheckResult) -> set[tuple[Any, ...]]:
        return {(f.reason, f.record_id, f.found, f.expected, f.line) for f in result.findings}

    for check in ("plausibility", "unit-switch"):
        duck = run(lake, check)
        spk = run(lake, check, "spark", spark_session=spark)
        assert key(spk) == key(duck)
        assert (spk.checked, spk.metrics) == (duck.checked, duck.metrics)
    assert ids(run(lake, "unit-switch")) == switched
