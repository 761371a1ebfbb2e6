"""What each mapped resource type becomes in its canonical table."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from tests.ingest.fhir._fhir_cases import (
    LOINC,
    NPI,
    SNOMED,
    UCUM,
    coding,
    concept,
    minimal,
    run_ndjson,
)

from wardwatch.core.schemas import TABLES
from wardwatch.core.timeutil import normalize_datetime


def _row(record: dict[str, Any], table: str) -> dict[str, Any]:
    sink = run_ndjson(record)
    assert sink.quarantined == 0, sink.rejected
    (row,) = sink.dicts(table)
    return row


def _obs_rows(**changes: Any) -> list[dict[str, Any]]:
    sink = run_ndjson(minimal("Observation", **changes))
    assert sink.quarantined == 0, sink.rejected
    return sink.dicts("observations")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueQuantity": {"value": 5.5, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}},
         (5.5, "mg/dL", None, None)),
        ({"valueQuantity": {"value": 37, "unit": "degrees C", "system": UCUM, "code": "Cel"}},
         (37.0, "Cel", None, None)),
        ({"valueQuantity": {"value": 2, "unit": "tablets", "system": "http://x", "code": "TAB"}},
         (2.0, "tablets", None, None)),
        ({"valueQuantity": {"value": 5, "comparator": "<", "unit": "mmol/L"}},
         (5.0, "mmol/L", None, "<5")),
        ({"valueCodeableConcept": concept(SNOMED, "260385009", "Negative")},
         (None, None, "260385009", None)),
        ({"valueString": "trace"}, (None, None, None, "trace")),
        ({"valueBoolean": True}, (None, None, "true", None)),
        ({"valueInteger": 3}, (3.0, None, None, None)),
        ({"valueRange": {"low": {"value": 1, "unit": "g"}, "high": {"value": 2.5}}},
         (None, "g", None, "1..2.5")),
        ({"valueRatio": {"numerator": {"value": 1}, "denominator": {"value": 4}}},
         (0.25, None, None, "1:4")),
        ({"valueTime": "10:30:00"}, (None, None, None, "10:30:00")),
        ({"valueDateTime": "2020-03"}, (None, None, None, "2020-03-01T00:00:00Z")),
        ({"valuePeriod": {"start": "2020-01-01T00:00:00Z"}},
         (None, None, None, "2020-01-01T00:00:00Z/")),
        ({"valueSampledData": {"origin": {"value": 0, "code": "mV", "system": UCUM},
                               "period": 10, "dimensions": 1, "data": "1 2 3"}},
         (None, "mV", None, "1 2 3")),
        ({"dataAbsentReason": {"text": "not asked"}}, (None, None, None, None)),
    ],
    ids=["quantity", "ucum-code", "non-ucum-unit", "comparator", "concept", "string",
         "boolean", "integer", "range", "ratio", "time", "datetime", "period", "sampled",
         "absent"],
)  # fmt: skip
def test_observation_values(value: dict[str, Any], expected: tuple[Any, ...]) -> None:
    (row,) = _obs_rows(**{"valueQuantity": None, **value})
    assert (row["value_num"], row["value_unit"], row["value_code"], row["value_text"]) == expected


def test_observation_context_columns() -> None:
    (row,) = _obs_rows(
        category=[concept("http://terminology.hl7.org/CodeSystem/observation-category", "lab")],
        encounter={"reference": "Encounter/e7"},
        effectiveDateTime=None,
        effectivePeriod={"start": "2020-01-01T08:00:00-05:00", "end": "2020-01-01T09:00:00Z"},
        issued="2020-01-02T00:00:00.1234567Z",
        referenceRange=[{"low": {"value": 3.5}, "high": {"value": 5.1}}],
        interpretation=[concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterp",
                                "H")],
    )  # fmt: skip
    assert row["category"] == "lab"
    assert row["encounter_id"] == "e7"
    assert row["effective_time"] == "2020-01-01T08:00:00-05:00"
    assert row["recorded_time"] == "2020-01-02T00:00:00.123456Z"  # timeutil truncates to µs
    assert (row["reference_low"], row["reference_high"]) == (3.5, 5.1)
    assert row["interpretation"] == "H"
    assert (row["code"], row["code_system"], row["display"]) == ("8302-2", LOINC, "Body Height")


def test_observation_components_and_parent_value() -> None:
    comps = [
        {"code": concept(LOINC, "8480-6"), "valueQuantity": {"value": 120, "code": "mm[Hg]"},
         "interpretation": [{"coding": [{"code": "N"}]}]},
        {"code": concept(LOINC, "8462-4"), "valueQuantity": {"value": 80, "code": "mm[Hg]"}},
    ]  # fmt: skip
    rows = _obs_rows(component=comps)  # the parent keeps its own valueQuantity
    assert [r["observation_id"] for r in rows] == ["o1", "o1#1", "o1#2"]
    assert [r["value_num"] for r in rows] == [170.2, 120.0, 80.0]
    assert rows[1]["interpretation"] == "N"
    assert {r["effective_time"] for r in rows} == {"2020-01-01T10:00:00Z"}
    rows = _obs_rows(valueQuantity=None, component=comps)
    assert [r["observation_id"] for r in rows] == ["o1", "o1#1", "o1#2"]  # the panel's own row


def test_observation_effective_instant() -> None:
    (row,) = _obs_rows(effectiveDateTime=None, effectiveInstant="2020-05-05T05:05:05Z")
    assert row["effective_time"] == "2020-05-05T05:05:05Z"


def test_patient_row() -> None:
    mr = {"type": concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"), "value": "M1"}
    patient = minimal(
        "Patient",
        meta={"lastUpdated": "2024-01-02T03:04:05Z"},
        identifier=[{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-11-2222"}, mr],
        name=[{"use": "nickname", "given": ["Bob"]},
              {"use": "official", "family": "Smith", "given": ["Robert", "J"]}],
        birthDate="1970",
        deceasedDateTime="2020-06-01",
        extension=[
            {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
             "extension": [{"url": "ombCategory",
                            "valueCoding": coding("urn:oid:2.16.840.1.113883.6.238", "2135-2")}]},
            {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
             "extension": [{"url": "text", "valueString": "Asian"},
                           {"url": "ombCategory",
                            "valueCoding": coding("urn:oid:2.16.840.1.113883.6.238", "2028-9")}]},
        ],
        telecom=[{"system": "email", "value": "a@b.c"}, {"system": "phone", "value": "555-1"}],
        address=[{"line": ["1 Main St", "Apt 2"], "city": "Boston", "state": "MA",
                  "postalCode": "02115"}, {"city": "Elsewhere"}],
        managingOrganization={"reference": "Organization/org1"},
    )  # fmt: skip
    assert _row(patient, "patients") == {
        "patient_id": "p1",
        "mrn": "M1",
        "ssn": "999-11-2222",
        "family_name": "Smith",
        "given_name": "Robert J",
        "birth_date": "1970-01-01",
        "death_time": "2020-06-01T00:00:00Z",
        "sex": "female",
        "race": "2028-9",
        "ethnicity": "2135-2",
        "address_line": "1 Main St, Apt 2",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02115",
        "phone": "555-1",
        "site_id": "org1",
        "recorded_time": "2024-01-02T03:04:05Z",
    }


def test_encounter_row() -> None:
    enc = minimal(
        "Encounter",
        type=[concept(SNOMED, "185349003")],
        reasonCode=[concept(SNOMED, "72892002")],
        hospitalization={
            "admitSource": concept("http://terminology.hl7.org/CodeSystem/admit-source", "emd"),
            "dischargeDisposition": concept(
                "http://terminology.hl7.org/CodeSystem/discharge-disposition", "home"
            ),
        },
        participant=[{"individual": {"display": "Dr A"}},
                     {"individual": {"identifier": {"system": NPI, "value": "1234567893"}}}],
        serviceProvider={"reference": "Organization/org1"},
    )  # fmt: skip
    row = _row(enc, "encounters")
    assert row["class_code"] == "AMB"
    assert (row["type_code"], row["type_system"]) == ("185349003", SNOMED)
    assert (row["reason_code"], row["reason_system"]) == ("72892002", SNOMED)
    assert (row["admit_source"], row["discharge_disposition"]) == ("emd", "home")
    assert row["practitioner_npi"] == "1234567893"
    assert row["site_id"] == "org1"
    assert row["recorded_time"] == row["end_time"] == "2020-01-01T11:00:00Z"
    enc["meta"] = {"lastUpdated": "2021-01-01T00:00:00+02:00"}
    assert _row(enc, "encounters")["recorded_time"] == "2021-01-01T00:00:00+02:00"


def test_condition_row() -> None:
    cond = minimal(
        "Condition",
        category=[concept("http://terminology.hl7.org/CodeSystem/condition-category",
                          "problem-list-item")],
        onsetDateTime=None,
        onsetPeriod={"start": "2019-01-01T00:00:00Z"},
        abatementDateTime="2020-01-01",
        recordedDate="2019-01-02T00:00:00Z",
        encounter={"reference": "Encounter/e1"},
    )  # fmt: skip
    row = _row(cond, "conditions")
    assert row["category"] == "problem-list-item"
    assert (row["clinical_status"], row["verification_status"]) == ("active", "confirmed")
    assert row["onset_time"] == "2019-01-01T00:00:00Z"
    assert row["abatement_time"] == "2020-01-01T00:00:00Z"
    assert row["recorded_time"] == "2019-01-02T00:00:00Z"
    assert row["encounter_id"] == "e1"
    assert row["display"] == "Hypertension"


def test_procedure_and_medication_rows() -> None:
    proc = minimal("Procedure", performedPeriod=None, performedDateTime="2020-02-02T02:02:02Z")
    row = _row(proc, "procedures")
    assert (row["start_time"], row["end_time"], row["recorded_time"]) == (
        "2020-02-02T02:02:02Z",
        None,
        "2020-02-02T02:02:02Z",
    )
    row = _row(minimal("MedicationRequest"), "medications")
    assert (row["status"], row["intent"], row["recorded_time"]) == (
        "active",
        "order",
        "2020-01-01T10:00:00Z",
    )


def test_claim_and_eob_rows() -> None:
    claim = minimal(
        "Claim",
        provider={"identifier": {"system": NPI, "value": "1144221847"}},
        billablePeriod={"start": "2020-01-01", "end": "2020-01-31"},
        diagnosis=[
            {"sequence": 2, "diagnosisCodeableConcept": concept("icd", "I10")},
            {"sequence": 1, "diagnosisCodeableConcept": concept("icd", "E11.9")},
        ],
        item=[{"sequence": 1, "productOrService": concept("cpt", "99213"),
               "servicedDate": "2020-01-05"},
              {"sequence": 2, "productOrService": concept("cpt", "80053")}],
    )  # fmt: skip
    row = _row(claim, "claims")
    assert row["diagnosis_codes"] == ["E11.9", "I10"]
    assert row["procedure_codes"] == ["99213", "80053"]
    assert row["provider_npi"] == "1144221847"
    assert (row["billable_start"], row["billable_end"]) == (
        "2020-01-01T00:00:00Z",
        "2020-01-31T00:00:00Z",
    )
    assert (row["total_amount"], row["currency"], row["payer"]) == (125.5, "USD", "private")
    eob = _row(minimal("ExplanationOfBenefit"), "claims")
    assert (eob["resource_type"], eob["payer"], eob["total_amount"]) == (
        "ExplanationOfBenefit",
        "Medicare",
        99.0,
    )


def test_document_rows() -> None:
    row = _row(minimal("DocumentReference", context={"encounter": [{"reference": "Encounter/e"}]}),
               "documents")  # fmt: skip
    assert row["text"] == "Patient well. Follow up."
    assert row["content_type"] == "text/plain; charset=utf-8"
    assert row["encounter_id"] == "e"
    assert row["recorded_time"] == "2020-01-01T10:00:00Z"
    latin = base64.b64encode("Bébé".encode("latin-1")).decode()
    att = {"contentType": "text/plain; charset=ISO-8859-1", "data": latin}
    assert (
        _row(minimal("DocumentReference", content=[{"attachment": att}]), "documents")["text"]
        == "Bébé"
    )
    pdf = {"contentType": "application/pdf", "data": "JVBERi0=", "url": "http://x/doc.pdf"}
    row = _row(minimal("DocumentReference", content=[{"attachment": pdf}]), "documents")
    assert (row["text"], row["url"]) == (None, "http://x/doc.pdf")


def test_practitioner_and_organization_rows() -> None:
    assert _row(minimal("Practitioner"), "practitioners") == {
        "practitioner_id": "doc1",
        "npi": "1234567893",
        "family_name": "Osinski",
        "given_name": "Maryjo Ann",
    }
    assert _row(minimal("Organization"), "organizations") == {
        "organization_id": "org1",
        "name": "General Hospital",
        "npi": "1144221847",
        "type_code": "prov",
        "state": "MA",
    }


@pytest.mark.parametrize(
    ("record", "patient"),
    [
        (minimal("Immunization"), "p1"),
        ({"resourceType": "DiagnosticReport", "id": "d", "status": "final",
          "code": {"text": "x"}, "subject": {"reference": "Patient/p4"}}, "p4"),
        ({"resourceType": "Account", "id": "a", "status": "active",
          "subject": [{"reference": "Group/g"}, {"reference": "Patient/p5"}]}, "p5"),
        ({"resourceType": "Goal", "id": "g", "subject": {"reference": "Group/g"}}, None),
        ({"resourceType": "Goal", "id": "g", "subject": "weird"}, None),
        ({"resourceType": "Organization", "id": "x"}, "no other row"),
        ({"resourceType": "Bundle", "id": "b", "type": "collection"}, None),
    ],
    ids=["patient", "subject", "subject-list", "group", "not-a-reference", "mapped", "bundle"],
)  # fmt: skip
def test_other_resources(record: dict[str, Any], patient: str | None) -> None:
    sink = run_ndjson(record)
    assert sink.quarantined == 0
    if patient == "no other row":
        assert "other_resources" not in sink.rows
        return
    ((rid, rtype, pid, text),) = sink.rows["other_resources"]
    assert (rid, rtype, pid) == (record["id"], record["resourceType"], patient)
    assert orjson.loads(text) == record


def test_pretty_printed_other_resource_is_stored_compact() -> None:
    record = minimal("Immunization")
    sink = run_ndjson(orjson.dumps(record, option=orjson.OPT_INDENT_2).replace(b"\n", b" "))
    text = sink.rows["other_resources"][0][3]
    assert text == orjson.dumps(record).decode()


def test_rows_match_table_columns() -> None:
    from tests.ingest.fhir._fhir_cases import mapped_types

    for rtype in mapped_types():
        sink = run_ndjson(minimal(rtype))
        for table, rows in sink.rows.items():
            assert all(len(r) == len(TABLES[table].columns) for r in rows)


@pytest.mark.parametrize(
    "value",
    ["2020-01-01T10:00:00Z", "2020-02-29T23:59:59.5+05:30", "2016-12-31T23:59:60Z",
     "2020-01-31T00:00:00-14:00", "2020", "2020-07", "2021-01-31",
     "2020-01-01T10:00:00.123456789+01:00"],
)  # fmt: skip
def test_times_are_normalized_by_timeutil(value: str) -> None:
    (row,) = _obs_rows(effectiveDateTime=value)
    assert row["effective_time"] == normalize_datetime(value)
