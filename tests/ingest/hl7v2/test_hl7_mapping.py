"""What each message type gives: patients, encounters and observations rows."""

from __future__ import annotations

import pytest
from tests.ingest.hl7v2.hl7_samples import (
    FHIR_ID,
    adt,
    msh,
    obr,
    obx,
    only,
    oru,
    parse,
    pid,
    pv1,
    segment,
)

from wardwatch.ingest.hl7v2._codes import code_system, parse_range
from wardwatch.ingest.hl7v2._encounter import derived_encounter_id

# --- patients ---------------------------------------------------------------------------------


def test_admission_gives_a_patient_and_an_encounter() -> None:
    sink = parse(adt())
    assert (sink.loaded, sink.quarantined) == (1, 0)
    p = only(sink, "patients")
    assert p == {
        "patient_id": FHIR_ID,  # the PI repetition from WARDWATCH-FHIR wins
        "mrn": "100000001",
        "ssn": "999-12-3456",
        "family_name": "Doe",
        "given_name": "Jane",
        "birth_date": "1980-02-14",
        "death_time": None,
        "sex": "female",
        "race": "2106-3",
        "ethnicity": "2186-5",
        "address_line": "12 Main St, Apt 4",
        "city": "Pittsburgh",
        "state": "PA",
        "postal_code": "15217",
        "phone": "412-555-0100",
        "site_id": "HUH",
        "recorded_time": "2024-01-05T08:30:00-05:00",
    }


def test_patient_id_falls_back_to_authority_and_mrn() -> None:
    sink = parse(adt(pid_seg=pid(f3="555^^^GENERAL HOSP^MR~777^^^SSA^SS")))
    p = only(sink, "patients")
    assert (p["patient_id"], p["mrn"], p["ssn"]) == ("GENERAL HOSP|555", "555", "777")


def test_patient_id_without_mrn_uses_first_identifier() -> None:
    sink = parse(adt(pid_seg=pid(f3="~ABC123^^^^XX", f19="")))
    assert only(sink, "patients")["patient_id"] == "ABC123"
    assert only(sink, "patients")["mrn"] is None


@pytest.mark.parametrize(
    ("code", "sex"),
    [("M", "male"), ("F", "female"), ("O", "other"), ("U", "unknown"), ("A", "unknown"),
     ("N", "unknown"), ("", None)],
)  # fmt: skip
def test_sex_maps_to_administrative_gender(code: str, sex: str | None) -> None:
    assert only(parse(adt(pid_seg=pid(f8=code))), "patients")["sex"] == sex


def test_legal_name_is_preferred_and_death_time_read() -> None:
    sink = parse(adt(pid_seg=pid(f5="Nick^Jo^^^^^N~Doe^Jane^^^^^L", f29="20240201120000+0100")))
    p = only(sink, "patients")
    assert (p["family_name"], p["given_name"]) == ("Doe", "Jane")
    assert p["death_time"] == "2024-02-01T12:00:00+01:00"


# --- encounters -------------------------------------------------------------------------------


def test_admission_encounter_row() -> None:
    e = only(parse(adt()), "encounters")
    assert e == {
        "encounter_id": "VISIT-1",
        "patient_id": FHIR_ID,
        "status": "in-progress",
        "class_code": "IMP",
        "type_code": "E",
        "type_system": "http://terminology.hl7.org/CodeSystem/v2-0007",
        "start_time": "2024-01-05T08:30:00-05:00",
        "end_time": None,
        "admit_source": "emd",
        "discharge_disposition": None,
        "reason_code": None,
        "reason_system": None,
        "site_id": "HUH",
        "practitioner_npi": "1234567893",
        "payer": None,
        "recorded_time": "2024-01-05T08:30:00-05:00",
    }


@pytest.mark.parametrize(
    ("pv1_2", "cls"),
    [("I", "IMP"), ("E", "EMER"), ("O", "AMB"), ("P", "PRENC"), ("R", "AMB"), ("U", None)],
)
def test_patient_class(pv1_2: str, cls: str | None) -> None:
    assert only(parse(adt(pv1_seg=pv1(f2=pv1_2))), "encounters")["class_code"] == cls


def test_discharge_and_update_give_more_rows_for_the_same_visit() -> None:
    msgs = [
        adt("A01", control="M1"),
        adt("A08", control="M2", evn="20240106080000-0500"),
        adt("A03", control="M3", evn="20240107100000-0500",
            pv1_seg=pv1(f36="01", f45="20240107093000-0500")),
    ]  # fmt: skip
    sink = parse("\n".join(msgs))
    rows = sink.dicts("encounters")
    assert [r["encounter_id"] for r in rows] == ["VISIT-1"] * 3
    assert [r["status"] for r in rows] == ["in-progress", "in-progress", "finished"]
    assert [r["recorded_time"] for r in rows] == [
        "2024-01-05T08:30:00-05:00",
        "2024-01-06T08:00:00-05:00",
        "2024-01-07T10:00:00-05:00",
    ]
    last = rows[-1]
    assert (last["end_time"], last["discharge_disposition"]) == (
        "2024-01-07T09:30:00-05:00",
        "home",
    )


def test_discharge_without_pv1_45_ends_at_the_event_time() -> None:
    sink = parse(adt("A03", evn="20240107100000-0500"))
    assert only(sink, "encounters")["end_time"] == "2024-01-07T10:00:00-05:00"


def test_cancelled_admission() -> None:
    assert only(parse(adt("A11")), "encounters")["status"] == "cancelled"


def test_visit_without_number_gets_a_stable_derived_id() -> None:
    sink = parse("\n".join([adt("A01", pv1_seg=pv1(f19="")), adt("A08", pv1_seg=pv1(f19=""))]))
    ids = {r["encounter_id"] for r in sink.dicts("encounters")}
    expected = derived_encounter_id(FHIR_ID, "2024-01-05T08:30:00-05:00")
    assert ids == {expected}
    assert expected.startswith("hl7v2-")


def test_admission_without_pv1_44_starts_at_the_event() -> None:
    sink = parse(adt("A01", evn="20240105081500-0500", pv1_seg=pv1(f44="")))
    assert only(sink, "encounters")["start_time"] == "2024-01-05T08:15:00-05:00"


def test_site_falls_back_to_sending_facility_and_reason_and_payer_read() -> None:
    extra = ("PV2|||R07.9^Chest pain^I10", "IN1|1|PLAN1|ACME01|Acme Health")
    sink = parse(adt(pv1_seg=pv1(f3="MED^101^A"), extra=extra))
    e = only(sink, "encounters")
    assert e["site_id"] == "HUH"
    assert (e["reason_code"], e["reason_system"]) == ("R07.9", "http://hl7.org/fhir/sid/icd-10-cm")
    assert e["payer"] == "Acme Health"


def test_person_update_gives_a_patient_only() -> None:
    sink = parse("\r".join([msh("ADT^A31"), "EVN|A31|20240105", pid()]))
    assert (sink.loaded, sink.quarantined) == (1, 0)
    assert set(sink.rows) == {"patients"}


# --- observations -----------------------------------------------------------------------------


def test_lab_result_row() -> None:
    sink = parse(oru(obx("1", f21="obs-uuid-1")))
    assert set(sink.rows) == {"patients", "encounters", "observations"}
    o = only(sink, "observations")
    assert o == {
        "observation_id": "obs-uuid-1",
        "patient_id": FHIR_ID,
        "encounter_id": "VISIT-1",
        "code": "2345-7",
        "code_system": "http://loinc.org",
        "display": "Glucose",
        "category": "laboratory",
        "status": "final",
        "value_num": 105.0,
        "value_unit": "mg/dL",
        "value_code": None,
        "value_text": None,
        "reference_low": 70.0,
        "reference_high": 99.0,
        "interpretation": "H",
        "effective_time": "2024-01-05T09:00:00-05:00",
        "recorded_time": "2024-01-05T10:00:00-05:00",
    }


def test_value_types() -> None:
    sink = parse(
        oru(
            obx("1", f2="ST", f5="see note", f6=""),
            obx("2", f2="TX", f5="line one~line two", f6=""),
            obx("3", f2="CWE", f5="260373001^Detected^SCT", f6=""),
            obx("4", f2="SN", f5=">^5", f6=""),
            obx("5", f2="SN", f5="^7.5", f6=""),
            obx("6", f2="DT", f5="20240101", f6=""),
            obx("7", f2="NM", f5="", f6="", f11="X"),
        )
    )
    assert sink.quarantined == 0, sink.rejected
    got = {o["observation_id"]: o for o in sink.dicts("observations")}
    assert got["ORD1F-1"]["value_text"] == "see note"
    assert got["ORD1F-2"]["value_text"] == "line one\nline two"
    assert (got["ORD1F-3"]["value_code"], got["ORD1F-3"]["value_text"]) == ("260373001", "Detected")
    assert (got["ORD1F-4"]["value_text"], got["ORD1F-4"]["value_num"]) == (">5", None)
    assert got["ORD1F-5"]["value_num"] == 7.5
    assert got["ORD1F-6"]["value_text"] == "2024-01-01T00:00:00Z"
    assert (got["ORD1F-7"]["value_num"], got["ORD1F-7"]["status"]) == (None, "cancelled")


@pytest.mark.parametrize(
    ("status", "fhir"),
    [("F", "final"), ("P", "preliminary"), ("C", "corrected"), ("X", "cancelled"),
     ("D", "entered-in-error"), ("A", "amended"), ("", None)],
)  # fmt: skip
def test_result_status(status: str, fhir: str | None) -> None:
    assert only(parse(oru(obx(f11=status))), "observations")["status"] == fhir


def test_times_fall_back_to_obr_and_msh() -> None:
    sink = parse(oru(obx(f14=""), obr_seg=obr(f22="")))
    o = only(sink, "observations")
    assert o["effective_time"] == "2024-01-05T09:00:00-05:00"  # OBR-7
    assert o["recorded_time"] == "2024-01-05T08:30:00-05:00"  # MSH-7


def test_observation_id_falls_back_to_placer_then_control_id() -> None:
    no_filler = "\r".join([msh("ORU^R01", "C9"), pid(), obr(f3=""), obx("4")])
    assert only(parse(no_filler), "observations")["observation_id"] == "ORD1-4"
    no_order = "\r".join([msh("ORU^R01", "C9"), pid(), obr(f2="", f3=""), obx("4")])
    assert only(parse(no_order), "observations")["observation_id"] == "C9-1-4"


def test_result_without_pv1_has_no_encounter() -> None:
    sink = parse("\r".join([msh("ORU^R01"), pid(), obr(), obx()]))
    assert "encounters" not in sink.rows
    assert only(sink, "observations")["encounter_id"] is None


def test_result_with_visit_number_but_no_admit_time_links_without_a_row() -> None:
    sink = parse(oru(pv1_seg=pv1(f44="")))
    assert "encounters" not in sink.rows
    assert only(sink, "observations")["encounter_id"] == "VISIT-1"


def test_one_result_message_for_two_patients() -> None:
    other = pid(f3="999^^^WARDWATCH^MR")
    text = "\r".join([msh("ORU^R01"), pid(), obr(), obx("1"), other, obr(f3="ORD2F"), obx("1")])
    sink = parse(text)
    assert [o["patient_id"] for o in sink.dicts("observations")] == [FHIR_ID, "WARDWATCH|999"]
    assert len(sink.dicts("patients")) == 2


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("3.5-5.0", 3.5, 5.0), ("-1.0 - 2.0", -1.0, 2.0), ("<4.5", None, 4.5),
     ("[ < 4.5]", None, 4.5), ("> 1.5", 1.5, None), ("<=10", None, 10.0), ("(2-8)", 2.0, 8.0),
     ("negative", None, None), ("", None, None)],
)  # fmt: skip
def test_reference_ranges(text: str, low: float | None, high: float | None) -> None:
    assert parse_range(text) == (low, high)


@pytest.mark.parametrize(
    ("name", "uri"),
    [("LN", "http://loinc.org"), ("SCT", "http://snomed.info/sct"),
     ("SNM", "http://snomed.info/sct"), ("I10", "http://hl7.org/fhir/sid/icd-10-cm"),
     ("I10C", "http://hl7.org/fhir/sid/icd-10-cm"),
     ("RXNORM", "http://www.nlm.nih.gov/research/umls/rxnorm"),
     ("C4", "http://www.ama-assn.org/go/cpt"), ("CPT", "http://www.ama-assn.org/go/cpt"),
     ("2.16.840.1.113883.6.1", "http://loinc.org"), ("1.2.3.4", "urn:oid:1.2.3.4"),
     ("HL70078", "http://terminology.hl7.org/CodeSystem/v2-0078"),
     ("WinPath", "urn:wardwatch:hl7v2:local:WinPath"),
     ("99 Local", "urn:wardwatch:hl7v2:local:99%20Local"),
     ("", "urn:wardwatch:hl7v2:local:SENDER")],
)  # fmt: skip
def test_coding_systems(name: str, uri: str) -> None:
    assert code_system(name, "SENDER") == uri


def test_segment_helper_numbers_fields() -> None:
    assert segment("ZZZ", {2: "b"}) == "ZZZ||b"
    assert segment("MSH", {4: "x"}).startswith("MSH|^~\\&||x")
