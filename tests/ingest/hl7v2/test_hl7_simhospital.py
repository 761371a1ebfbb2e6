"""The five Simulated Hospital messages (HL7 2.3, local WinPath codes, UK data) load whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.ingest.hl7v2.hl7_samples import SIMHOSPITAL, parse

from wardwatch.ingest import CollectingSink

FILES = [SIMHOSPITAL / f"hl7.message.{i}.hl7" for i in range(1, 6)]


@pytest.fixture(scope="module")
def sink() -> CollectingSink:
    """All five files concatenated: one file of five messages."""
    return parse(b"".join(p.read_bytes() for p in FILES))


def test_fixture_keeps_its_licence() -> None:
    assert "Apache License" in (SIMHOSPITAL / "LICENSE").read_text()
    assert "simhospital" in (SIMHOSPITAL / "README.md").read_text().lower()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_file_loads_with_nothing_quarantined(path: Path) -> None:
    result = parse(path.read_bytes())
    assert result.quarantined == 0, result.rejected
    assert result.loaded == 1


def test_all_five_load_as_five_records(sink: CollectingSink) -> None:
    assert (sink.records_in, sink.loaded, sink.quarantined) == (5, 5, 0)
    assert {t: len(r) for t, r in sink.rows.items()} == {
        "patients": 5,
        "encounters": 5,
        "observations": 6,
    }


def test_patient_of_the_lipid_panel(sink: CollectingSink) -> None:
    p = sink.dicts("patients")[1]  # message 2, ORU^R01
    assert p["patient_id"] == "SIMULATOR MRN|3463070384"
    assert p["mrn"] == "3463070384"
    assert (p["family_name"], p["given_name"]) == ("Alexander", "Valerie")
    assert p["birth_date"] == "1958-04-09"
    assert p["sex"] == "female"
    assert p["ethnicity"] == "S"  # UK ethnic category, kept as sent
    assert p["address_line"] == "97 White House, Fender Place"
    assert (p["city"], p["postal_code"]) == ("London", "IC70 7VT")
    assert p["phone"] == "071 1080 2278"
    assert p["site_id"] == "SFAC"
    assert p["recorded_time"] == "2020-10-21T19:51:26Z"


def test_admission(sink: CollectingSink) -> None:
    e = sink.dicts("encounters")[0]  # message 1, ADT^A01
    assert e["encounter_id"] == "2756244404586167887"
    assert e["patient_id"] == "SIMULATOR MRN|2338887614"
    assert (e["status"], e["class_code"]) == ("in-progress", "IMP")
    assert e["start_time"] == "2020-09-28T00:22:06Z"
    assert e["end_time"] is None
    assert e["site_id"] == "Simulated Hospital"
    assert e["practitioner_npi"] is None  # PV1-7 is a local DRNBR id, not an NPI


def test_lipid_panel_values_and_ranges(sink: CollectingSink) -> None:
    obs = {o["display"]: o for o in sink.dicts("observations")}
    chol = obs["Cholesterol"]
    assert chol["observation_id"] == "3652643406-1"  # filler order number - OBX set id
    assert chol["code"] == "tt-0001-01"
    assert chol["code_system"] == "urn:wardwatch:hl7v2:local:WinPath"
    assert (chol["value_num"], chol["value_unit"]) == (1.36, "mmol/L")
    assert (chol["reference_low"], chol["reference_high"]) == (None, 4.5)  # "[ < 4.5]"
    assert (obs["HDL Cholesterol"]["reference_low"], obs["HDL Cholesterol"]["reference_high"]) == (
        1.5,
        None,
    )  # "[ > 1.5]"
    assert chol["status"] == "final"
    assert chol["encounter_id"] == "5471594544858008246"
    assert chol["effective_time"] == chol["recorded_time"] == "2020-10-21T19:51:26Z"


def test_text_results_of_the_mri(sink: CollectingSink) -> None:
    obs = {o["observation_id"]: o for o in sink.dicts("observations")}
    tx, ft = obs["1295764852-1"], obs["1295764852-2"]
    assert (tx["value_text"], tx["value_num"]) == ("MANKL value", None)
    assert ft["value_text"] == "MRI Ankle Lt value"
    assert ft["value_unit"] is None  # OBX-6 is the HL7 null ""


def test_observation_ids_are_unique_though_control_ids_repeat(sink: CollectingSink) -> None:
    # Files 2 and 4 both have MSH-10 "2"; ids built from order numbers do not collide.
    ids = [o["observation_id"] for o in sink.dicts("observations")]
    assert len(ids) == len(set(ids))
