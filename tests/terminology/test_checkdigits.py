"""Check digits against hand-computed real examples, and single-digit-error detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardwatch.terminology import (
    loinc_check_digit,
    loinc_valid,
    luhn_npi_valid,
    npi_check_digit,
    snomed_valid,
    verhoeff_check_digit,
)

# LOINC codes of common labs and vitals (published codes with their check digits).
REAL_LOINC = [
    "2345-7",
    "2339-0",
    "718-7",
    "2160-0",
    "2951-2",
    "2823-3",
    "6690-2",
    "8867-4",
    "8480-6",
    "8462-4",
    "39156-5",
    "4548-4",
    "1742-6",
    "33914-3",
    "30934-4",
    "18842-5",
    "11506-3",
]
# SNOMED CT concepts: myocardial infarction, hypertension, diabetes, type 2 diabetes, heart
# failure, asthma, hospital admission, emergency department visit, check-up encounter.
REAL_SNOMED = [
    "22298006",
    "38341003",
    "73211009",
    "44054006",
    "84114007",
    "195967001",
    "32485007",
    "4525004",
    "185349003",
    "183452005",
    "8715000",
]


def test_npi_cms_example_by_hand() -> None:
    # 80840 + 123456789: doubling every second digit from the right of 808401234567890...
    # gives the sum 67; the next multiple of 10 is 70, so the check digit is 3.
    assert npi_check_digit("123456789") == "3"
    assert luhn_npi_valid("1234567893")
    assert not luhn_npi_valid("1234567890")
    assert not luhn_npi_valid("123456789")  # too short
    assert not luhn_npi_valid("12345678a3")


def test_loinc_manual_example() -> None:
    # The LOINC manual's example: 12345 -> odd positions 5,3,1 = 531, x2 = 1062; even
    # positions 4,2 = 42; digits of 421062 sum to 15; 20 - 15 = 5.
    assert loinc_check_digit("12345") == "5"
    assert loinc_check_digit("2345") == "7"  # glucose 2345-7
    assert loinc_check_digit("718") == "7"  # hemoglobin 718-7


@pytest.mark.parametrize("code", REAL_LOINC)
def test_real_loinc_codes_are_valid(code: str) -> None:
    assert loinc_valid(code)


@pytest.mark.parametrize("code", ["2345-8", "2345", "2345-", "-7", "23a5-7", "12345678-1"])
def test_bad_loinc_forms(code: str) -> None:
    assert not loinc_valid(code)


def test_verhoeff_known_values() -> None:
    assert verhoeff_check_digit("236") == "3"  # the textbook example
    assert verhoeff_check_digit("12345") == "1"
    assert verhoeff_check_digit("2229800") == "6"  # SNOMED 22298006


@pytest.mark.parametrize("sctid", REAL_SNOMED)
def test_real_snomed_ids_are_valid(sctid: str) -> None:
    assert snomed_valid(sctid)


@pytest.mark.parametrize("sctid", ["22298007", "12345", "022298006", "2229800x", "22298"])
def test_bad_snomed_ids(sctid: str) -> None:
    assert not snomed_valid(sctid)


def test_snomed_partition_checked() -> None:
    body = "1234567" + "04"  # partition 04 is not assigned
    assert not snomed_valid(body + verhoeff_check_digit(body))
    body = "1234567" + "00"
    assert snomed_valid(body + verhoeff_check_digit(body))


def _one_digit_changed(code: str, pos: int, new: int) -> str | None:
    digits = [i for i, c in enumerate(code) if c.isdigit()]
    i = digits[pos % len(digits)]
    if int(code[i]) == new:
        return None
    return code[:i] + str(new) + code[i + 1 :]


@given(
    st.text("0123456789", min_size=9, max_size=9).filter(lambda s: s[0] in "12"),
    st.integers(0, 9),
    st.integers(0, 9),
)
def test_npi_single_digit_error_detected(first9: str, pos: int, new: int) -> None:
    npi = first9 + npi_check_digit(first9)
    assert luhn_npi_valid(npi)
    changed = _one_digit_changed(npi, pos, new)
    if changed is not None and changed[0] in "12":
        assert not luhn_npi_valid(changed)


@given(st.text("0123456789", min_size=1, max_size=6), st.integers(0, 10), st.integers(0, 9))
def test_loinc_single_digit_error_detected(body: str, pos: int, new: int) -> None:
    code = f"{body}-{loinc_check_digit(body)}"
    assert loinc_valid(code)
    changed = _one_digit_changed(code, pos, new)
    if changed is not None:
        assert not loinc_valid(changed)


@given(
    st.text("0123456789", min_size=4, max_size=15).filter(lambda s: s[0] != "0"),
    st.sampled_from(["00", "01", "02", "10"]),
    st.integers(0, 20),
    st.integers(0, 9),
)
def test_snomed_single_digit_error_detected(body: str, part: str, pos: int, new: int) -> None:
    sctid = body + part + verhoeff_check_digit(body + part)
    assert snomed_valid(sctid)
    changed = _one_digit_changed(sctid, pos, new)
    if changed is not None:
        assert not snomed_valid(changed)
