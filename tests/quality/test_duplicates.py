"""Duplicate events and probable duplicate patients: hand-built lakes, the pair score against
hand-computed values, generated data against the generator's manifest, Synthea, and Spark."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ibis
import orjson
import pytest
from tests.quality._lake import d, make_lake, ts

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import init_workspace
from wardwatch.errors import ConfigError
from wardwatch.ingest import ingest
from wardwatch.quality import (
    CheckContext,
    CheckResult,
    Finding,
    Severity,
    Verdict,
    contract_from_dict,
    open_engine,
    run_gate,
)
from wardwatch.quality._registry import CHECKS
from wardwatch.quality._report import MASK, mask_finding
from wardwatch.quality.checks import duplicates
from wardwatch.quality.checks.duplicates import (
    FIELD_WEIGHTS,
    DuplicateEventParams,
    DuplicatePatientParams,
    score_pair,
)
from wardwatch.synth import SynthConfig, generate

FIXTURES = Path(__file__).parent.parent / "fixtures"
EVENT_TABLES = ("observations", "conditions", "medications", "procedures")


def run(lake: Lake, check: str, table: str, params: Any = None, **ctx_kw: Any) -> CheckResult:
    """Run one check directly on DuckDB (as the gate would, without the policy)."""
    definition = CHECKS[check]
    with open_engine("duckdb", lake) as eng:
        ctx = CheckContext(engine=eng, max_findings=ctx_kw.pop("max_findings", None), **ctx_kw)
        return definition.fn(ctx, table, params or definition.params())


def pairs(result: CheckResult) -> set[tuple[str | None, str | None]]:
    return {(f.record_id, f.related_id) for f in result.findings}


# --- duplicate events ---------------------------------------------------------------------


def obs(oid: str, **kw: Any) -> dict[str, Any]:
    row = {
        "observation_id": oid, "patient_id": "p1", "encounter_id": "e1", "code": "2345-7",
        "code_system": "http://loinc.org", "status": "final", "value_num": 95.0,
        "value_unit": "mg/dL", "effective_time": ts("2024-01-11 09:00"),
        "recorded_time": ts("2024-01-11 11:00"),
    }  # fmt: skip
    row.update(kw)
    return row


EVENT_ROWS: dict[str, Any] = {
    "observations": obs,
    "conditions": lambda cid, **kw: {
        "condition_id": cid, "patient_id": "p1", "encounter_id": "e1", "code": "I10",
        "code_system": "http://hl7.org/fhir/sid/icd-10-cm", "category": "encounter-diagnosis",
        "onset_time": ts("2019-06-21 03:42"), "recorded_time": ts("2024-01-12 10:00"), **kw,
    },
    "medications": lambda mid, **kw: {
        "medication_id": mid, "patient_id": "p1", "encounter_id": "e1", "code": "860975",
        "code_system": "http://www.nlm.nih.gov/research/umls/rxnorm", "status": "active",
        "intent": "order", "recorded_time": ts("2024-01-11 10:00"), **kw,
    },
    "procedures": lambda pid, **kw: {
        "procedure_id": pid, "patient_id": "p1", "encounter_id": "e1", "code": "29303009",
        "code_system": "http://snomed.info/sct", "status": "completed",
        "start_time": ts("2024-01-11 09:15"), "end_time": ts("2024-01-11 09:20"), **kw,
    },
}  # fmt: skip


@pytest.mark.parametrize("table", EVENT_TABLES)
def test_exact_copy_is_found_with_its_original(tmp_path: Path, table: str) -> None:
    row = EVENT_ROWS[table]
    lake = make_lake(tmp_path, {table: [row("a1"), row("b2"), row("c3", code="OTHER")]})
    r = run(lake, "duplicate-events", table)
    assert r.error is None
    assert (r.checked, r.failed) == (3, 1)
    assert pairs(r) == {("b2", "a1")}
    (f,) = r.findings
    key = {"observations": "observation_id", "conditions": "condition_id",
           "medications": "medication_id", "procedures": "procedure_id"}[table]  # fmt: skip
    assert (f.reason, f.field, f.line) == ("duplicate-event", f"{table}.{key}", 2)
    assert f.patient_id == "p1"
    assert f.source == f"src1/{table}.ndjson"
    assert r.by_source == {f"src1/{table}.ndjson": 1}


def test_every_later_copy_points_at_the_earliest(tmp_path: Path) -> None:
    # the first by (source_file, source_line, id): "src0" sorts before "src1", whatever the id
    root = tmp_path / "lake"
    make_lake(root, {"observations": [obs("zz"), obs("aa")]}, source="src1")
    lake = make_lake(root, {"observations": [obs("mm")]}, source="src0")
    r = run(lake, "duplicate-events", "observations")
    assert pairs(r) == {("zz", "mm"), ("aa", "mm")}
    assert all(f.found == "3 records of one event" for f in r.findings)


def test_component_rows_are_not_flagged_against_each_other(tmp_path: Path) -> None:
    bp = {"code": "8480-6", "value_unit": "mm[Hg]"}
    rows = [
        obs("bp1#1", value_num=120.0, **bp),
        obs("bp1#2", value_num=80.0, code="8462-4", value_unit="mm[Hg]"),
        # a panel whose two components share code and value: still one resource
        obs("odd#1", code="X-1", value_num=1.0),
        obs("odd#2", code="X-1", value_num=1.0),
        # a copy of the blood pressure panel: each component points at its original
        obs("bp2#1", value_num=120.0, **bp),
        obs("bp2#2", value_num=80.0, code="8462-4", value_unit="mm[Hg]"),
    ]
    r = run(make_lake(tmp_path, {"observations": rows}), "duplicate-events", "observations")
    assert pairs(r) == {("bp2#1", "bp1#1"), ("bp2#2", "bp1#2")}


def test_rows_without_time_patient_or_code_are_not_grouped(tmp_path: Path) -> None:
    rows = [
        obs("t1", effective_time=None), obs("t2", effective_time=None),
        obs("p1", patient_id=None), obs("p2", patient_id=None),
        obs("c1", code=None), obs("c2", code=None),
    ]  # fmt: skip
    r = run(make_lake(tmp_path, {"observations": rows}), "duplicate-events", "observations")
    assert (r.checked, r.failed, r.error) == (6, 0, None)


def test_values_compare_null_safe_and_must_all_match(tmp_path: Path) -> None:
    coded = {"value_num": None, "value_unit": None, "value_code": "260385009"}
    rows = [
        obs("n1", **coded), obs("n2", **coded),  # same coded value, nulls elsewhere: a copy
        obs("v1", code="718-7", value_num=13.1), obs("v2", code="718-7", value_num=13.2),
        obs("u1", code="2951-2", value_unit="mmol/L"), obs("u2", code="2951-2"),
        obs("x1", code="8310-5", value_text="<5"), obs("x2", code="8310-5"),
        obs("e1", code="2160-0", encounter_id="e2"), obs("e2", code="2160-0"),
    ]  # fmt: skip
    r = run(make_lake(tmp_path, {"observations": rows}), "duplicate-events", "observations")
    assert pairs(r) == {("n2", "n1")}


def test_rows_sharing_only_the_hash_are_not_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash of patient, code and time only narrows the rows the windows see: with every
    row hashed alike (all collide), the findings are the same."""
    rows = [
        obs("a1"), obs("a2"), obs("a3", value_num=96.0), obs("a4", patient_id="p2"),
        obs("b1", code="718-7", value_num=None, value_code="x"),
        obs("b2", code="718-7", value_num=None, value_code="x"),
        obs("c1", effective_time=ts("2024-01-11 09:01")), obs("bp#1"), obs("bp#2"),
    ]  # fmt: skip
    lake = make_lake(tmp_path, {"observations": rows})
    real = run(lake, "duplicate-events", "observations")
    monkeypatch.setattr(duplicates, "_event_hash", lambda t, time_col: ibis.literal(0, "int64"))
    collided = run(lake, "duplicate-events", "observations")
    assert pairs(real) == {("a2", "a1"), ("b2", "b1"), ("bp#1", "a1"), ("bp#2", "a1")}
    assert collided.to_dict() == real.to_dict()


def test_a_condition_asserted_again_is_not_a_copy(tmp_path: Path) -> None:
    row = EVENT_ROWS["conditions"]
    rows = [
        row("c1"),
        row("c2", recorded_time=ts("2024-06-01 10:00")),  # asserted again later
        row("c3", category="problem-list-item"),  # the problem-list entry of the same disease
        row("c4", encounter_id="e9"),  # the same chronic disease coded at another visit
        row("c5"),  # a copy
    ]
    r = run(make_lake(tmp_path, {"conditions": rows}), "duplicate-events", "conditions")
    assert pairs(r) == {("c5", "c1")}


def test_empty_tables_and_other_tables_never_raise(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, {})
    for table in EVENT_TABLES:
        r = run(lake, "duplicate-events", table)
        assert (r.checked, r.failed, r.error, r.findings) == (0, 0, None, [])
    r = run(lake, "duplicate-patients", "patients")
    assert (r.checked, r.failed, r.error, r.findings) == (0, 0, None, [])
    # a contract naming a table without events gets an error result, not an exception
    r = run(lake, "duplicate-events", "claims", DuplicateEventParams())
    assert r.error is not None
    assert r.failed == 0


# --- duplicate patients -------------------------------------------------------------------

MARGARET = {
    "patient_id": "p-margaret", "mrn": "100000001", "ssn": "999-12-3456",
    "family_name": "Whitfield", "given_name": "Margaret Anne", "birth_date": d("1961-04-09"),
    "sex": "female", "address_line": "4821 Maple Avenue", "city": "Columbus", "state": "OH",
    "postal_code": "43004", "phone": "614-555-2718",
}  # fmt: skip
OTHERS = [
    {"patient_id": "p-other1", "mrn": "100000002", "ssn": "999-55-1212",
     "family_name": "Okafor", "given_name": "Daniel James", "birth_date": d("1975-11-30"),
     "sex": "male", "address_line": "17 Birch Road", "postal_code": "43017",
     "phone": "614-555-9034"},
    {"patient_id": "p-other2", "mrn": "100000003", "ssn": "999-31-7789",
     "family_name": "Whitmore", "given_name": "Margaret Lynn", "birth_date": d("1961-08-12"),
     "sex": "female", "address_line": "903 Elm Street", "postal_code": "43004",
     "phone": "614-555-4410"},
]  # fmt: skip
VARIANTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "family-typo": ({"family_name": "Whitfeild"}, "patients.family_name", "family_name 0.98"),
    "phone-swap": ({"phone": "614-555-2178"}, "patients.phone", "phone digits swapped"),
    "day-month": ({"birth_date": d("1961-09-04")}, "patients.birth_date",
                  "birth_date day/month transposed"),
}  # fmt: skip
#: Every identifying value of the records above, as findings must never show them.
PHI = re.compile(
    r"whitf|margaret|anne|okafor|daniel|maple|birch|columbus|4300|1961|61-0|-04-|-09-|614|555|"
    r"2718|2178|999|3456|100000|600000",
    re.IGNORECASE,
)


def registered_again(**changes: Any) -> dict[str, Any]:
    """The generator's duplicate: a new id and MRN, the same SSN, one small error."""
    return {**MARGARET, "patient_id": "p-again", "mrn": "600000001", **changes}


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_kind_of_duplicate_registration_is_found(tmp_path: Path, variant: str) -> None:
    changes, field, evidence = VARIANTS[variant]
    rows = [OTHERS[0], MARGARET, OTHERS[1], registered_again(**changes)]
    r = run(make_lake(tmp_path, {"patients": rows}), "duplicate-patients", "patients")
    assert (r.checked, r.failed, r.error) == (4, 1, None)
    (f,) = r.findings
    assert (f.record_id, f.related_id, f.patient_id) == ("p-again", "p-margaret", "p-again")
    assert (f.reason, f.field, f.expected, f.line) == ("duplicate-patient", field,
                                                       "a distinct person", 4)  # fmt: skip
    assert (f.score or 0.0) >= DuplicatePatientParams().threshold
    assert evidence in (f.found or "")
    assert r.by_reason == {"duplicate-patient": 1}
    assert_no_phi(r.findings)


def test_the_earlier_registration_is_the_related_one(tmp_path: Path) -> None:
    # the copy comes first in the file: it is the original now
    rows = [registered_again(phone="614-555-2178"), MARGARET]
    r = run(make_lake(tmp_path, {"patients": rows}), "duplicate-patients", "patients")
    assert pairs(r) == {("p-margaret", "p-again")}


def test_same_common_name_and_birth_year_are_two_people(tmp_path: Path) -> None:
    john = {"family_name": "Smith", "given_name": "John Robert", "sex": "male",
            "state": "OH", "postal_code": "43004"}  # fmt: skip
    rows = [
        {**john, "patient_id": "j1", "ssn": "999-10-2030", "birth_date": d("1980-03-04"),
         "address_line": "12 Oak Street", "phone": "614-555-1200"},
        {**john, "patient_id": "j2", "ssn": "999-44-8120", "birth_date": d("1980-11-19"),
         "address_line": "7730 Lakeview Drive", "phone": "614-555-8861"},
    ]  # fmt: skip
    r = run(make_lake(tmp_path, {"patients": rows}), "duplicate-patients", "patients")
    assert r.metrics["candidate_pairs"] == 1  # blocked together on name and sex...
    assert r.failed == 0  # ...and scored apart
    score, _, _ = score_pair(rows[0], rows[1])
    assert score < 0.5


@pytest.mark.parametrize("with_ssn", [True, False])
def test_twins_sharing_a_household_are_two_people(tmp_path: Path, with_ssn: bool) -> None:
    twin = {**MARGARET, "ssn": MARGARET["ssn"] if with_ssn else None}
    rows = [
        {**twin, "patient_id": "t1", "given_name": "Emma Rose"},
        {**twin, "patient_id": "t2", "given_name": "Olivia Jane",
         "ssn": "999-12-3457" if with_ssn else None},
    ]  # fmt: skip
    r = run(make_lake(tmp_path, {"patients": rows}), "duplicate-patients", "patients")
    assert r.metrics["candidate_pairs"] == 1
    assert r.failed == 0


def test_threshold_max_block_and_finding_limit(tmp_path: Path) -> None:
    rows = [MARGARET, registered_again(phone="614-555-2178")]
    lake = make_lake(tmp_path / "a", {"patients": rows})
    assert run(lake, "duplicate-patients", "patients").failed == 1
    strict = DuplicatePatientParams(threshold=0.999)
    assert run(lake, "duplicate-patients", "patients", strict).failed == 0
    # a placeholder phone shared by many people: its block is skipped, not joined
    placeholder = [
        {**o, "patient_id": f"x{i}", "phone": "000-000-0000"} for i, o in enumerate(OTHERS * 2)
    ]
    lake = make_lake(tmp_path / "b", {"patients": placeholder})
    r = run(lake, "duplicate-patients", "patients", DuplicatePatientParams(max_block=3))
    assert r.metrics["candidate_pairs"] == 2  # only the two by name and birth date
    r = run(lake, "duplicate-patients", "patients")
    assert r.metrics["candidate_pairs"] == 6
    # findings are all counted, listed up to the limit
    again = [registered_again(patient_id=f"p-again{i}", phone="614-555-2178") for i in (1, 2)]
    lake = make_lake(tmp_path / "c", {"patients": [MARGARET, *again]})
    r = run(lake, "duplicate-patients", "patients", max_findings=1)
    assert (r.failed, len(r.findings), r.truncated) == (3, 1, True)


def test_params_are_validated_by_the_contract() -> None:
    for params in ({"weights": {"shoe_size": 1.0}}, {"threshold": 1.5}, {"max_block": 1},
                   {"thresold": 0.9}):  # fmt: skip
        with pytest.raises(ConfigError):
            contract_from_dict(
                {"name": "t", "checks": [{"check": "duplicate-patients", "params": params}]}
            )


def test_the_gate_fails_on_duplicates(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, {
        "patients": [MARGARET, registered_again(family_name="Whitfeild")],
        "observations": [obs("o1"), obs("o2")],
    })  # fmt: skip
    contract = contract_from_dict({"name": "t", "checks": [
        {"check": "duplicate-events", "tables": ["observations"]},
        {"check": "duplicate-patients"},
    ]})  # fmt: skip
    report = run_gate(lake, contract)
    assert report.verdict is Verdict.FAIL
    assert {(f.check, f.severity, f.record_id) for f in report.findings} == {
        ("duplicate-events", Severity.ERROR, "o2"),
        ("duplicate-patients", Severity.ERROR, "p-again"),
    }
    assert_no_phi(report.findings)
    # the report masks "found" of an identifying field; the message keeps the evidence
    (dup,) = (mask_finding(f) for f in report.findings if f.check == "duplicate-patients")
    assert dup["found"] == MASK
    assert dup["message"].startswith("probable duplicate registration (score 0.99: family_")


def assert_no_phi(findings: list[Finding]) -> None:
    for f in findings:
        for text in (f.found, f.expected, f.message, f.field):
            assert not PHI.search(text or ""), f"identifying value in {text!r}"


# --- the pair score ---------------------------------------------------------------------


def test_score_of_identical_records_is_one() -> None:
    score, field, evidence = score_pair(MARGARET, registered_again())
    assert (score, field) == (1.0, "patient_id")
    assert evidence.startswith("score 1.00: family_name same, given_name same")


def test_score_against_hand_computed_values() -> None:
    # Jaro-Winkler of whitfield / whitfeild: 9 matches, 1 transposition -> Jaro 0.962963;
    # common prefix 4 -> 0.962963 + 0.4 * 0.037037 = 0.977778. Weighted mean over all fields
    # (weights sum to 1): 1 - 0.20 * (1 - 0.977778).
    score, field, evidence = score_pair(MARGARET, registered_again(family_name="Whitfeild"))
    assert score == pytest.approx(1 - 0.20 * (1 - 0.977778), abs=1e-6)
    assert field == "family_name"
    assert "family_name 0.98" in evidence
    # day and month transposed: 0.9 for the birth date
    score, field, _ = score_pair(MARGARET, registered_again(birth_date="1961-09-04"))
    assert score == pytest.approx(1 - 0.20 * 0.1)
    assert field == "birth_date"
    # two phone digits swapped: 0.9 for the phone
    score, field, _ = score_pair(MARGARET, registered_again(phone="(614) 555-2178"))
    assert score == pytest.approx(1 - 0.10 * 0.1)
    assert field == "phone"
    # another sex: the mean loses the sex weight and the strong disagreement costs 30%
    score, field, evidence = score_pair(MARGARET, registered_again(sex="male"))
    assert score == pytest.approx(0.95 * 0.7)
    assert field == "sex"
    assert "differs in sex" in evidence


def test_score_uses_only_the_fields_both_records_have() -> None:
    bare = {"family_name": "Whitfield", "given_name": "Margaret", "birth_date": d("1961-04-09")}
    score, field, evidence = score_pair(MARGARET, bare)  # no middle name: first names compared
    assert (score, field) == (1.0, "patient_id")
    assert "phone" not in evidence
    assert "ssn" not in evidence
    assert score_pair({}, {}) == (0.0, "patient_id", "score 0.00: no field to compare")
    # weights: a field weighted 0 does not count
    weights = {**FIELD_WEIGHTS, "phone": 0.0}
    assert score_pair(MARGARET, registered_again(phone="1"), weights=weights)[0] == 1.0


def test_score_of_phone_and_date_errors() -> None:
    def phone(x: str) -> str:
        return score_pair({"phone": MARGARET["phone"]}, {"phone": x})[2]

    assert phone("+1 614 555 2718") == "score 1.00: phone same"
    assert phone("614-555-2719") == "score 0.90: phone one digit off"
    assert phone("614-555-2791") == "score 0.50: phone two digits off"

    def birth(x: str) -> tuple[float, str]:
        score, _, evidence = score_pair({"birth_date": "1961-04-09"}, {"birth_date": x})
        return score, evidence

    assert birth("1961-04-08") == (0.85, "score 0.85: birth_date one digit off")
    assert birth("1916-04-09") == (0.85, "score 0.85: birth_date one digit off")
    assert birth("1962-05-09")[0] == 0.0


# --- generated data and Synthea -------------------------------------------------------------


def _ingested(root: Path, defects: str | None, seed: int) -> tuple[Lake, list[dict[str, Any]]]:
    out = root / "synth"
    generate(SynthConfig(patients=300, seed=seed, out=out, defects=defects, hl7=False,
                         claims_csv=False))  # fmt: skip
    ws = init_workspace(root / "ws")
    ingest(ws, [out], workers=1)
    manifest = out / "defects.jsonl"
    entries = [orjson.loads(x) for x in manifest.read_bytes().splitlines() if x] if defects else []
    return Lake(ws.lake_dir), entries


def _all_findings(lake: Lake, engine: str = "duckdb", **kw: Any) -> list[Finding]:
    """Both checks on every table they apply to (straight on the engine: the gate's own
    bookkeeping would cost a Spark job per table)."""
    out: list[Finding] = []
    with open_engine(engine, lake, **kw) as eng:
        ctx = CheckContext(engine=eng, max_findings=None)
        for name in ("duplicate-events", "duplicate-patients"):
            definition = CHECKS[name]
            for table in definition.tables:
                result = definition.fn(ctx, table, definition.params())
                assert result.error is None, result.error
                out.extend(result.findings)
    return out


def _base(rid: str | None) -> str | None:
    return rid.split("#", 1)[0] if rid else rid  # an observation component: its resource


@pytest.mark.slow
def test_generated_duplicates_are_all_found_and_nothing_else(tmp_path: Path) -> None:
    lake, manifest = _ingested(tmp_path, "duplicate-patient=0.05,duplicate-event=0.02", seed=5)
    injected = {
        frozenset((e["resource_id"], e["duplicate_of"]))
        for e in manifest
        if e["class"] in ("duplicate-patient", "duplicate-event")
    }
    classes = {e["class"] for e in manifest}
    assert classes == {"duplicate-patient", "duplicate-event"}
    assert len(injected) > 100
    findings = _all_findings(lake)
    found = {frozenset((_base(f.record_id), _base(f.related_id))) for f in findings}
    missed = injected - found
    assert not missed, f"recall {1 - len(missed) / len(injected):.3f}"
    assert found - injected == set(), "a finding the generator did not inject"
    # the injected copy (later in its file) is the record, the original the related one
    copies = {e["resource_id"] for e in manifest}
    assert {_base(f.record_id) for f in findings} == copies


@pytest.mark.slow
def test_clean_generated_population_has_no_duplicates(tmp_path: Path) -> None:
    lake, _ = _ingested(tmp_path, None, seed=5)
    assert _all_findings(lake) == []


def test_synthea_fixtures_have_no_duplicates(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    ingest(ws, sorted((FIXTURES / "synthea").glob("*.json")), workers=1)
    lake = Lake(ws.lake_dir)
    assert lake.count("patients") == 9
    assert lake.count("observations") > 500
    assert _all_findings(lake) == []


# --- Spark ------------------------------------------------------------------------------------


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")
def test_spark_finds_what_duckdb_finds(tmp_path: Path, spark: Any) -> None:
    rows = [
        obs("bp1#1", code="8480-6", value_num=120.0), obs("bp1#2", code="8462-4"),
        obs("bp2#1", code="8480-6", value_num=120.0), obs("bp2#2", code="8462-4"),
        obs("n1", value_num=None, value_code="x"), obs("n2", value_num=None, value_code="x"),
        obs("t1", effective_time=None), obs("t2", effective_time=None),
    ]  # fmt: skip
    patients = [*OTHERS, MARGARET, registered_again(birth_date=d("1961-09-04"))]
    conditions = [EVENT_ROWS["conditions"](c) for c in "ab"]
    tables = {"observations": rows, "patients": patients, "conditions": conditions}
    lake = make_lake(tmp_path, tables)

    def key(findings: list[Finding]) -> set[tuple[Any, ...]]:
        return {(f.check, f.record_id, f.related_id, f.field, f.found, f.line,
                 None if f.score is None else round(f.score, 4)) for f in findings}  # fmt: skip

    duck = key(_all_findings(lake))
    assert {(k[1], k[2]) for k in duck} == {
        ("bp2#1", "bp1#1"), ("bp2#2", "bp1#2"), ("n2", "n1"), ("b", "a"),
        ("p-again", "p-margaret"),
    }  # fmt: skip
    assert key(_all_findings(lake, "spark", spark_session=spark)) == duck
