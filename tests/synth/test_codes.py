"""Every code the generator uses is a real code of its system."""

from __future__ import annotations

import simple_icd_10_cm as icd

from tests.synth._helpers import read_ndjson
from wardwatch.synth import SynthResult
from wardwatch.synth._catalog import LABS, PROCEDURES
from wardwatch.synth._codes import (
    ACUTE,
    CHRONIC,
    ED_REASONS,
    ENCOUNTER_TYPES,
    INVALID_ICD10,
    UNSPECIFIED,
)
from wardwatch.synth._visits import _MINOR
from wardwatch.terminology import loinc_valid, luhn_npi_valid, snomed_valid


def _all_icd() -> list[tuple[str, str]]:
    codes = [(c.icd.code, c.icd.display) for c in CHRONIC]
    codes += [(a.icd.code, a.icd.display) for a in ACUTE]
    codes += [(c.code, c.display) for c in (*ED_REASONS, *_MINOR, *UNSPECIFIED.values())]
    return codes


def test_icd10cm_codes_are_billable_with_official_descriptions() -> None:
    for code, display in _all_icd():
        assert icd.is_valid_item(code), code
        assert icd.is_leaf(code), f"{code} is a category, not billable"
        assert icd.get_description(code) == display, code


def test_output_icd10cm_codes_are_billable(clean_run: SynthResult) -> None:
    seen = {c["code"]["coding"][0]["code"] for c in read_ndjson(clean_run.out / "Condition.ndjson")}
    assert len(seen) > 30
    assert all(icd.is_valid_item(c) and icd.is_leaf(c) for c in seen)


def test_invalid_codes_really_are_invalid() -> None:
    assert not any(icd.is_valid_item(c) for c in INVALID_ICD10)


def test_loinc_and_snomed_check_digits() -> None:
    assert all(loinc_valid(lab.loinc) for lab in LABS.values())
    assert all(snomed_valid(p.snomed) for p in PROCEDURES.values())
    assert all(snomed_valid(code) for code, _ in ENCOUNTER_TYPES.values())


def test_npis_in_output_are_valid(clean_run: SynthResult) -> None:
    npis = []
    for rtype in ("Organization", "Practitioner"):
        for r in read_ndjson(clean_run.out / f"{rtype}.ndjson"):
            ident = r["identifier"][0]
            if ident["system"] == "http://hl7.org/fhir/sid/us-npi":
                npis.append(ident["value"])
    assert len(npis) == 5 + 5 * 12
    assert len(set(npis)) == len(npis)
    assert all(luhn_npi_valid(n) for n in npis)


def test_output_loinc_units_are_ucum(clean_run: SynthResult) -> None:
    units = {lab.loinc: lab.unit for lab in LABS.values()}
    for o in read_ndjson(clean_run.out / "Observation.ndjson"):
        code = o["code"]["coding"][0]["code"]
        assert loinc_valid(code)
        q = o.get("valueQuantity")
        if q is not None:
            assert q["code"] == q["unit"] == units[code]
