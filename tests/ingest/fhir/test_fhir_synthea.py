"""The 9 Synthea R4 transaction bundles of tests/fixtures/synthea, parsed end to end.

Expected numbers are recomputed from the JSON here (an independent reading of the files), and
checked against the README's totals. None of the 1,401 resources breaks R4, so none may be
quarantined.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.ingest.fhir._fhir_cases import SYNTHEA

from wardwatch.ingest._sink import CollectingSink
from wardwatch.ingest.fhir import parse_bundle, parse_ndjson

FILES = sorted(SYNTHEA.glob("*.json"))
VALUE_KEYS = ("valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean")


def _parse(path: Path) -> CollectingSink:
    sink = CollectingSink()
    with path.open("rb") as f:
        parse_bundle(f, sink)
    return sink


@pytest.fixture(scope="module")
def parsed() -> dict[str, tuple[dict[str, Any], CollectingSink]]:
    return {p.name.split("_")[0]: (orjson.loads(p.read_bytes()), _parse(p)) for p in FILES}


def test_nine_bundles_all_loaded(parsed: dict[str, tuple[dict[str, Any], CollectingSink]]) -> None:
    assert len(parsed) == 9
    total = Counter[str]()
    for doc, sink in parsed.values():
        assert sink.records_in == len(doc["entry"])
        assert sink.quarantined == 0, sink.rejected[:3]
        total["in"] += sink.records_in
        total["loaded"] += sink.loaded
        for table, rows in sink.rows.items():
            total[table] += len(rows)
    assert total["in"] == total["loaded"] == 1401
    # README: Claim 124 + ExplanationOfBenefit 105; 11 mapped types, the rest kept whole.
    assert total["claims"] == 229
    assert total["encounters"] == 105
    assert total["procedures"] == 47
    assert total["conditions"] == 41
    assert total["medications"] == 19
    assert total["patients"] == 9
    assert total["practitioners"] == total["organizations"] == 13
    # Immunization 80, DiagnosticReport 50, Goal 15, CarePlan 13.
    assert total["other_resources"] == 158


def test_observation_component_expansion(
    parsed: dict[str, tuple[dict[str, Any], CollectingSink]],
) -> None:
    n_obs = n_valued = n_components = n_with_components = 0
    for doc, sink in parsed.values():
        expected = []
        for e in doc["entry"]:
            r = e["resource"]
            if r["resourceType"] != "Observation":
                continue
            n_obs += 1
            has_value = any(k in r for k in VALUE_KEYS)
            n_valued += has_value
            expected.append(r["id"])  # every Observation has its own row (panels too)
            for i, _ in enumerate(r.get("component", []), 1):
                expected.append(f"{r['id']}#{i}")
            n_components += len(r.get("component", []))
            n_with_components += bool(r.get("component"))
        assert sorted(row[0] for row in sink.rows["observations"]) == sorted(expected)
    # README: 767 Observations, 649 + 60 with a value, 58 with components (2 each).
    assert (n_obs, n_valued, n_with_components, n_components) == (767, 709, 58, 116)
    total_rows = sum(len(s.rows["observations"]) for _, s in parsed.values())
    assert total_rows == 767 + 116 == 883


def test_blood_pressure_components(
    parsed: dict[str, tuple[dict[str, Any], CollectingSink]],
) -> None:
    _, sink = parsed["Leonardo"]
    rows = {r["observation_id"]: r for r in sink.dicts("observations")}
    bp = [oid[:-2] for oid in rows if oid.endswith("#1")]
    assert bp
    for parent in bp:
        panel = rows[parent]  # 55284-4 has no value of its own, but its code is kept
        assert panel["code"] == "55284-4"
        assert panel["value_num"] is None
        first, second = rows[f"{parent}#1"], rows[f"{parent}#2"]
        assert {first["code"], second["code"]} == {"8462-4", "8480-6"}
        for comp in (first, second):
            assert comp["code_system"] == "http://loinc.org"
            assert comp["value_unit"] == "mm[Hg]"
            assert isinstance(comp["value_num"], float)
            assert comp["category"] == "vital-signs"
            assert comp["effective_time"] is not None
            assert comp["patient_id"] == "6d6dfbdb-0a26-45c9-95f3-5c30ae39c2cd"


def test_patient_row(parsed: dict[str, tuple[dict[str, Any], CollectingSink]]) -> None:
    _, sink = parsed["Leonardo"]
    (patient,) = sink.dicts("patients")
    assert patient == {
        "patient_id": "6d6dfbdb-0a26-45c9-95f3-5c30ae39c2cd",
        "mrn": "3a01d46f-5ac8-42f9-8aa9-24dcdefb6e6e",
        "ssn": "999-37-4044",
        "family_name": "Heaney",
        "given_name": "Leonardo",
        "birth_date": "1967-09-02",
        "death_time": None,
        "sex": "male",
        "race": "2106-3",
        "ethnicity": "2186-5",
        "address_line": "198 Parisian Grove",
        "city": "Hingham",
        "state": "Massachusetts",
        "postal_code": "02043",
        "phone": "555-618-5912",
        "site_id": None,
        "recorded_time": None,
    }
    deaths = {k: s.dicts("patients")[0]["death_time"] for k, (_, s) in parsed.items()}
    assert str(deaths["Lyle"]).startswith("1991-11-02")
    assert str(deaths["Tony"]).startswith("1989-01-08")
    assert sum(d is not None for d in deaths.values()) == 2


def test_references_resolve_to_ids(
    parsed: dict[str, tuple[dict[str, Any], CollectingSink]],
) -> None:
    for doc, sink in parsed.values():
        ids = Counter(e["resource"]["resourceType"] for e in doc["entry"])
        assert ids["Patient"] == 1
        (pid,) = [
            e["resource"]["id"] for e in doc["entry"] if e["resource"]["resourceType"] == "Patient"
        ]
        encounters = {r[0] for r in sink.rows["encounters"]}
        orgs = {
            e["resource"]["id"]
            for e in doc["entry"]
            if e["resource"]["resourceType"] == "Organization"
        }
        for table in ("encounters", "conditions", "observations", "procedures", "claims"):
            for row in sink.dicts(table):
                assert row["patient_id"] == pid
                if table != "encounters" and row["encounter_id"] is not None:
                    assert row["encounter_id"] in encounters
        for enc in sink.dicts("encounters"):
            assert enc["site_id"] in orgs
            assert enc["start_time"] is not None
        assert all(r[2] == pid for r in sink.rows["other_resources"])


def test_claims(parsed: dict[str, tuple[dict[str, Any], CollectingSink]]) -> None:
    kinds = Counter[str]()
    for doc, sink in parsed.values():
        by_id = {e["resource"]["id"]: e["resource"] for e in doc["entry"]}
        for claim in sink.dicts("claims"):
            src = by_id[claim["claim_id"]]
            kinds[claim["resource_type"]] += 1
            assert claim["resource_type"] == src["resourceType"]
            assert claim["recorded_time"] == src["created"]
            assert (
                claim["payer"]
                in {"private", "Medicare", "Medicaid", "NO_INSURANCE", "Dual Eligible"}
                or claim["payer"]
            )
            if src["resourceType"] == "Claim":
                assert claim["total_amount"] == src["total"]["value"]
            else:
                assert claim["total_amount"] == src["total"][0]["amount"]["value"]
            assert claim["currency"] == "USD"
            expected_dx = []
            for dx in sorted(src.get("diagnosis", []), key=lambda d: d["sequence"]):
                cond = by_id[dx["diagnosisReference"]["reference"].removeprefix("urn:uuid:")]
                expected_dx.append(cond["code"]["coding"][0]["code"])
            assert claim["diagnosis_codes"] == expected_dx
            assert claim["procedure_codes"] == [
                i["productOrService"]["coding"][0]["code"] for i in src.get("item", [])
            ]
    assert kinds == {"Claim": 124, "ExplanationOfBenefit": 105}


def test_other_resources_keep_the_resource(
    parsed: dict[str, tuple[dict[str, Any], CollectingSink]],
) -> None:
    kinds = Counter[str]()
    for doc, sink in parsed.values():
        by_id = {e["resource"]["id"]: e["resource"] for e in doc["entry"]}
        for rid, rtype, _pid, text in sink.rows["other_resources"]:
            kinds[rtype] += 1
            assert orjson.loads(text) == by_id[rid]
            assert ": " not in text[:40]  # compact
    assert kinds == {"Immunization": 80, "DiagnosticReport": 50, "Goal": 15, "CarePlan": 13}


def test_same_rows_from_bulk_ndjson(
    parsed: dict[str, tuple[dict[str, Any], CollectingSink]],
) -> None:
    """The bundles as bulk NDJSON (relative references) give the same rows.

    Only ``claims.diagnosis_codes`` differ: a diagnosisReference is followed to its Condition
    inside a Bundle only.
    """
    for doc, bundle_sink in parsed.values():
        types = {e["fullUrl"]: e["resource"]["resourceType"] for e in doc["entry"]}
        lines = []
        for e in doc["entry"]:
            text = orjson.dumps(e["resource"])
            for url, rtype in types.items():
                text = text.replace(url.encode(), f"{rtype}/{url[9:]}".encode())
            lines.append(text)
        sink = CollectingSink()
        parse_ndjson(io.BytesIO(b"\n".join(lines)), sink)
        assert (sink.loaded, sink.quarantined) == (len(lines), 0)
        for table, rows in bundle_sink.rows.items():
            if table == "other_resources":
                assert [r[:3] for r in sink.rows[table]] == [r[:3] for r in rows]
            elif table == "claims":
                assert [r[:12] + r[13:] for r in sink.rows[table]] == [
                    r[:12] + r[13:] for r in rows
                ]
            else:
                assert sink.rows[table] == rows, table
