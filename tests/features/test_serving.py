"""Request-time features from FHIR resources, against the batch pipeline as the oracle.

A synthetic population is generated as FHIR NDJSON, ingested into a lake and run through
``build_features``; for a sample of index events, the patient's resources (gathered from the
NDJSON files, *all* of them, including what was recorded after the prediction time) must give
exactly the batch row through ``features_from_fhir``.
"""

from __future__ import annotations

import copy
import json
import math
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import init_workspace
from wardwatch.errors import InputError
from wardwatch.features import (
    FeatureSet,
    FhirFeatures,
    UseCase,
    build_features,
    default_usecase_path,
    features_from_fhir,
    flatten_resources,
    load_usecase,
    prepare_features,
)
from wardwatch.ingest import ingest
from wardwatch.quality import open_engine
from wardwatch.synth import SynthConfig, generate

NOW = datetime(2031, 1, 1, tzinfo=UTC)
SAMPLE = 15
Resource = dict[str, Any]


@dataclass
class Population:
    usecase: UseCase
    batch: FeatureSet
    resources: dict[str, list[Resource]]  # patient id -> every resource of the patient
    other: list[Resource]  # resources of no patient (Organization, Practitioner)


def _patient_of(res: Resource) -> str | None:
    if res["resourceType"] == "Patient":
        return str(res["id"])
    for key in ("subject", "patient"):
        ref = res.get(key)
        if isinstance(ref, dict) and str(ref.get("reference", "")).startswith("Patient/"):
            return str(ref["reference"]).removeprefix("Patient/")
    return None


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    root = tmp_path_factory.mktemp("serving")
    feed = root / "feed"
    generate(SynthConfig(patients=80, seed=11, out=feed, claims_csv=False, hl7=False))
    ws = init_workspace(root / "ws")
    ingest(ws, [feed], workers=1)
    usecase = load_usecase(default_usecase_path())
    with open_engine("duckdb", Lake(ws.lake_dir)) as engine:
        batch = build_features(engine, usecase)
    by_patient: dict[str, list[Resource]] = defaultdict(list)
    other: list[Resource] = []
    for path in sorted(feed.glob("*.ndjson")):
        for line in path.read_text().splitlines():
            res = json.loads(line)
            pid = _patient_of(res)
            (by_patient[pid] if pid else other).append(res)
    return Population(usecase, batch, dict(by_patient), other)


def _sample(batch: FeatureSet) -> pd.DataFrame:
    """Index events worth checking: earlier stays of readmitted patients (later resources
    must be ignored), stays with a missing lab, and the rest spread over time."""
    frame = batch.frame
    assert len(frame) >= SAMPLE
    repeat = frame[frame.duplicated("patient_id", keep=False)].drop_duplicates("patient_id")
    missing = frame[frame[[f.name for f in batch.usecase.features]].isna().any(axis=1)]
    picked = pd.concat([repeat.head(5), missing.head(5)]).drop_duplicates("index_id")
    rest = frame[~frame["index_id"].isin(picked["index_id"])]
    step = len(rest) // (SAMPLE - len(picked))
    picked = pd.concat([picked, rest.iloc[::step].head(SAMPLE - len(picked))])
    assert len(picked) == SAMPLE
    assert picked[[f.name for f in batch.usecase.features]].isna().any(axis=None)
    return picked


def _assert_row(ff: FhirFeatures, expected: pd.Series, usecase: UseCase) -> None:
    for f in usecase.features:
        got, want = ff.row[f.name], expected[f.name]
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert got is None, (f.name, got)
        elif f.categorical:
            assert got == want, (f.name, got, want)
        else:
            assert isinstance(got, float), (f.name, got)
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (f.name, got, want)
    assert set(ff.row) == {f.name for f in usecase.features}


def _resources(pop: Population, patient_id: str) -> list[Resource]:
    return copy.deepcopy(pop.resources[patient_id])


def test_rows_equal_the_batch_pipeline(population: Population) -> None:
    for _, expected in _sample(population.batch).iterrows():
        ff = features_from_fhir(
            _resources(population, expected["patient_id"]),
            population.usecase,
            encounter_id=expected["index_id"],
            now=NOW,
        )
        assert ff.patient_id == expected["patient_id"]
        assert ff.encounter_id == expected["index_id"]
        assert ff.prediction_time == expected["index_time"].to_pydatetime()
        assert ff.prediction_time.tzinfo is not None
        assert ff.warnings == ()
        _assert_row(ff, expected, population.usecase)


def _first(pop: Population) -> pd.Series:
    repeat = pop.batch.frame[pop.batch.frame.duplicated("patient_id", keep=False)]
    return repeat.drop_duplicates("patient_id").iloc[0]


def _searchset(resources: list[Resource]) -> Resource:
    base = "https://fhir.example.org/r4"
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def _of_type(resources: list[Resource], *types: str) -> list[Resource]:
    return [r for r in resources if r["resourceType"] in types]


def test_searchset_bundle_and_cds_prefetch_give_the_same_row(population: Population) -> None:
    expected = _first(population)
    res = _resources(population, expected["patient_id"])
    index = next(r for r in res if r["id"] == expected["index_id"])
    prefetch = {
        "patient": _of_type(res, "Patient")[0],
        "encounter": index,  # repeated in "encounters", as CDS prefetch templates do
        "encounters": _searchset(_of_type(res, "Encounter")),
        "conditions": _searchset(_of_type(res, "Condition")),
        "observations": _searchset(_of_type(res, "Observation")),
        "medications": _searchset(_of_type(res, "MedicationRequest")),
        "claims": None,
    }
    eid, uc = expected["index_id"], population.usecase
    from_list = features_from_fhir(res, uc, encounter_id=eid, now=NOW)
    from_bundle = features_from_fhir(
        flatten_resources(_searchset(res)), uc, encounter_id=eid, now=NOW
    )
    from_prefetch = features_from_fhir(flatten_resources(prefetch), uc, encounter_id=eid, now=NOW)
    assert from_bundle == from_list
    assert from_prefetch == from_list  # the repeated encounter is not a warning either
    _assert_row(from_prefetch, expected, uc)


def test_transaction_bundle_with_urn_references(population: Population) -> None:
    """A Bundle's ``urn:uuid`` references still resolve once flattened."""
    expected = _first(population)
    res = _resources(population, expected["patient_id"]) + copy.deepcopy(population.other)
    urn = {f"{r['resourceType']}/{r['id']}": f"urn:uuid:{r['id']}" for r in res}
    text = json.dumps(res)
    for ref, target in urn.items():
        text = text.replace(f'"reference": "{ref}"', f'"reference": "{target}"')
    assert "urn:uuid:" in text
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r, "request": {"method": "POST"}}
            for r in json.loads(text)
        ],
    }
    flat = flatten_resources(bundle)
    assert "urn:uuid:" not in json.dumps(flat)
    assert "urn:uuid:" in json.dumps(bundle)  # the input is left as it was
    ff = features_from_fhir(flat, population.usecase, encounter_id=expected["index_id"], now=NOW)
    assert ff.warnings == ()
    _assert_row(ff, expected, population.usecase)


def test_discharge_in_progress_uses_now(population: Population) -> None:
    """An index stay without an end (encounter-discharge hook) ends now."""
    expected = _first(population)
    res = _resources(population, expected["patient_id"])
    index = next(r for r in res if r["id"] == expected["index_id"])
    del index["period"]["end"]
    index["status"] = "in-progress"
    discharge = expected["index_time"].to_pydatetime()
    uc = population.usecase
    ff = features_from_fhir(res, uc, encounter_id=expected["index_id"], now=discharge)
    assert ff.prediction_time == discharge
    assert ff.encounter_id == expected["index_id"]
    _assert_row(ff, expected, uc)  # discharged now, at the recorded time: the batch row
    later = features_from_fhir(
        res, uc, encounter_id=expected["index_id"], now=discharge + timedelta(days=1)
    )
    assert later.prediction_time == discharge + timedelta(days=1)
    assert later.row["los_days"] == pytest.approx(expected["los_days"] + 1.0, abs=1e-9)


def _start(res: Resource) -> datetime:
    return datetime.fromisoformat(res["period"]["start"]).astimezone(UTC)


def test_patient_view_takes_the_latest_inpatient_stay(population: Population) -> None:
    expected = _first(population)
    res = _resources(population, expected["patient_id"])
    stays = [r for r in _of_type(res, "Encounter") if r["class"]["code"] == "IMP"]
    latest = max(stays, key=_start)
    ff = features_from_fhir(res, population.usecase, now=NOW)
    assert ff.encounter_id == latest["id"]
    end = datetime.fromisoformat(latest["period"]["end"]).astimezone(UTC)
    assert ff.prediction_time == end
    frame = population.batch.frame
    if latest["id"] in set(frame["index_id"]):
        _assert_row(ff, frame[frame["index_id"] == latest["id"]].iloc[0], population.usecase)


def _age(birth: str, at: datetime) -> int:
    b = datetime.fromisoformat(birth).date()
    return at.year - b.year - ((at.month, at.day) < (b.month, b.day))


def test_patient_view_without_a_stay_is_as_of_now(population: Population) -> None:
    """No inpatient stay: features as of now, stay features missing (oracle: by hand)."""
    pid = _first(population)["patient_id"]
    res = [
        r
        for r in _resources(population, pid)
        if not (r["resourceType"] == "Encounter" and r["class"]["code"] == "IMP")
    ]
    encounters = _of_type(res, "Encounter")
    now = max(_start(r) for r in encounters) + timedelta(days=30)
    ff = features_from_fhir(res, population.usecase, now=now)
    assert ff.encounter_id is None
    assert ff.prediction_time == now
    for name in ("los_days", "disposition", "admit_source", "diagnosis_group"):
        assert ff.row[name] is None, name
    patient = _of_type(res, "Patient")[0]
    assert ff.row["age"] == float(_age(patient["birthDate"], now))
    assert ff.row["sex"] == patient["gender"]
    assert ff.row["prior_ip_365d"] == 0.0

    def visits(cls: str, days: int) -> float:
        return float(
            sum(
                1
                for r in encounters
                if r["class"]["code"] == cls and now - timedelta(days=days) <= _start(r) <= now
            )
        )

    assert ff.row["prior_amb_365d"] == visits("AMB", 365)
    assert ff.row["prior_ed_180d"] == visits("EMER", 180)


def test_two_patients_is_an_error(population: Population) -> None:
    a, b = list(population.resources)[:2]
    res = _resources(population, a) + _of_type(_resources(population, b), "Patient")
    with pytest.raises(InputError, match="exactly one patient") as info:
        features_from_fhir(res, population.usecase, now=NOW)
    assert "\n" not in str(info.value)
    assert a not in str(info.value)
    assert b not in str(info.value)
    with pytest.raises(InputError, match="exactly one patient"):
        features_from_fhir(
            _of_type(_resources(population, a), "Encounter"), population.usecase, now=NOW
        )


def test_unknown_index_encounter_is_an_error(population: Population) -> None:
    expected = _first(population)
    res = _resources(population, expected["patient_id"])
    with pytest.raises(InputError, match="index encounter"):
        features_from_fhir(res, population.usecase, encounter_id="no-such-stay", now=NOW)


def test_another_patients_observation_is_dropped(population: Population) -> None:
    expected = _first(population)
    stranger = next(p for p in population.resources if p != expected["patient_id"])
    foreign = _of_type(_resources(population, stranger), "Observation")[:3]
    for obs in foreign:  # in the window of the index stay: it would change the labs
        obs["effectiveDateTime"] = expected["index_time"].isoformat()
        obs["issued"] = expected["index_time"].isoformat()
    res = _resources(population, expected["patient_id"]) + foreign
    ff = features_from_fhir(res, population.usecase, encounter_id=expected["index_id"], now=NOW)
    assert ff.warnings == ("3 x resource of another patient dropped",)
    assert stranger not in " ".join(ff.warnings)
    _assert_row(ff, expected, population.usecase)


def test_malformed_resource_is_a_warning(population: Population) -> None:
    expected = _first(population)
    res = _resources(population, expected["patient_id"])
    bad = copy.deepcopy(_of_type(res, "Observation")[0])
    bad["id"] = "bad-1"
    bad["valueQuantity"] = {"value": "SECRET-VALUE"}
    no_id = {k: v for k, v in _of_type(res, "Condition")[0].items() if k != "id"}
    unknown = {"resourceType": "NotAType", "id": "x"}
    ff = features_from_fhir(
        [*res, bad, no_id, unknown],
        population.usecase,
        encounter_id=expected["index_id"],
        now=NOW,
    )
    assert len(ff.warnings) == 3
    text = " ".join(ff.warnings)
    assert "Observation: quarantined" in text
    assert "Observation.valueQuantity.value" in text
    assert "SECRET" not in text
    assert expected["patient_id"] not in text
    _assert_row(ff, expected, population.usecase)


def test_quarantined_patient_is_an_error(population: Population) -> None:
    pid = _first(population)["patient_id"]
    res = _resources(population, pid)
    _of_type(res, "Patient")[0]["birthDate"] = "not a date"
    with pytest.raises(InputError, match="Patient") as info:
        features_from_fhir(res, population.usecase, now=NOW)
    assert "not a date" not in str(info.value)


def test_flatten_shapes() -> None:
    obs = {"resourceType": "Observation", "id": "o1"}
    pat = {"resourceType": "Patient", "id": "p1"}
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": obs}]}
    assert flatten_resources(pat) == [pat]
    assert flatten_resources([pat, bundle, None]) == [pat, obs]
    assert flatten_resources({"patient": pat, "obs": bundle, "none": None}) == [pat, obs]
    assert flatten_resources({"resourceType": "Bundle", "type": "searchset"}) == []
    delete = {"request": {"method": "DELETE", "url": "Observation/o2"}}
    assert flatten_resources({**bundle, "entry": [delete, {"resource": obs}]}) == [obs]
    with pytest.raises(InputError, match=r"prefetch\['obs'\]\.entry\[0\]\.resource"):
        flatten_resources({"obs": {**bundle, "entry": [{"resource": "SECRET"}]}})
    with pytest.raises(InputError) as info:
        flatten_resources({"obs": {"resourceType": 12345}})
    assert "12345" not in str(info.value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["resourceType", "entry", "resource", "fullUrl", "id", "x"]),
            inner | st.sampled_from(["Bundle", "Patient", "urn:uuid:1"]),
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(junk=_JSON | st.builds(object) | st.binary(max_size=4) | st.sets(st.integers()))
def test_flatten_raises_only_input_errors(junk: Any) -> None:
    try:
        out = flatten_resources(junk)
    except InputError as exc:
        message = str(exc)
    else:
        message = ""
    assert "\n" not in message
    if message:
        return
    assert all(isinstance(r, dict) and isinstance(r["resourceType"], str) for r in out)


def test_deep_nesting_is_an_input_error() -> None:
    deep: Any = {"resourceType": "Patient", "id": "p"}
    for _ in range(50):
        deep = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": deep}]}
    with pytest.raises(InputError, match="nested too deep"):
        flatten_resources(deep)
    nested: Any = []
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(InputError):
        flatten_resources(nested)


def test_naive_now_is_utc(population: Population) -> None:
    pid = _first(population)["patient_id"]
    res = [r for r in _resources(population, pid) if r["resourceType"] != "Encounter"]
    ff = features_from_fhir(res, population.usecase, now=datetime(2030, 6, 1, 12))
    assert ff.prediction_time == datetime(2030, 6, 1, 12, tzinfo=UTC)


def test_nothing_is_written(population: Population, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    expected = _first(population)
    features_from_fhir(
        _resources(population, expected["patient_id"]),
        population.usecase,
        encounter_id=expected["index_id"],
        now=NOW,
    )
    assert list(tmp_path.iterdir()) == []


def test_concurrent_calls_keep_their_own_tables(population: Population) -> None:
    """A server calls from many threads: each call's rows stay its own."""
    prepare_features(population.usecase)
    picked = _sample(population.batch).head(6)

    def one(expected: pd.Series) -> tuple[pd.Series, FhirFeatures]:
        ff = features_from_fhir(
            _resources(population, expected["patient_id"]),
            population.usecase,
            encounter_id=f"Encounter/{expected['index_id']}",  # a reference is fine too
            now=NOW,
        )
        return expected, ff

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, [row for _, row in picked.iterrows()] * 2))
    for expected, ff in results:
        assert ff.encounter_id == expected["index_id"]
        _assert_row(ff, expected, population.usecase)
