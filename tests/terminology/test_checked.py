"""LOINC, SNOMED CT and NPI validation: hand cases, mutations, scalar/vector agreement."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wardwatch.terminology._checkdigits import (
    loinc_check_digit,
    npi_check_digit,
    verhoeff_check_digit,
)
from wardwatch.terminology._checked import (
    snomed_partition,
    validate_loinc,
    validate_loinc_array,
    validate_npi,
    validate_npi_array,
    validate_snomed,
    validate_snomed_array,
)
from wardwatch.terminology._result import CodeCheck, CodeCheckArrays

# --- hand cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("2345-7", None),  # glucose
        ("718-7", None),  # hemoglobin
        ("8867-4", None),  # heart rate
        ("33914-3", None),
        ("1-8", None),  # 1: doubled 2, check (10 - 2) % 10 = 8
        ("2345-6", "bad-check-digit"),
        ("2354-7", "bad-check-digit"),  # adjacent transposition
        ("2345", "bad-format"),
        ("2345-77", "bad-format"),
        ("12345678-0", "bad-format"),  # 8 digits before the hyphen
        ("2345 -7", "bad-format"),
        (" 2345-7", "bad-format"),
        ("LP2345-7", "bad-format"),
        ("", "bad-format"),
    ],
)
def test_loinc_hand_cases(code: str, reason: str | None) -> None:
    check = validate_loinc(code)
    assert (check.valid, check.reason) == (reason is None, reason)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("44054006", None),  # diabetes mellitus type 2
        ("73211009", None),  # diabetes mellitus
        ("38341003", None),  # hypertensive disorder
        ("22298006", None),  # myocardial infarction
        ("138875005", None),  # SNOMED CT concept (root)
        ("44054007", "bad-check-digit"),
        ("45054006", "bad-check-digit"),
        ("04405400", "bad-format"),  # leading zero
        ("12345", "bad-format"),  # 5 digits
        ("1234567890123456789", "bad-format"),  # 19 digits
        ("4405400-6", "bad-format"),
        ("1000027", "bad-partition"),  # check digit fine, partition 02 (a relationship id)
        ("1000015", "bad-partition"),  # partition 01 (a description id)
        ("1000101", "bad-partition"),  # partition 10 without room for a 7-digit namespace
        ("1000043", "bad-partition"),  # partition 04: not assigned
    ],
)
def test_snomed_hand_cases(code: str, reason: str | None) -> None:
    check = validate_snomed(code)
    assert (check.valid, check.reason) == (reason is None, reason), check


def test_snomed_verhoeff_textbook_example() -> None:
    # 236 -> 3 is the worked example of Verhoeff's scheme in the literature.
    assert verhoeff_check_digit("236") == "3"
    assert validate_snomed("44054006").valid
    assert validate_snomed("44054060").reason == "bad-check-digit"  # last two swapped


def test_snomed_partition_rules() -> None:
    description = "1000015"
    assert validate_snomed(description, concept=False).reason is None
    assert validate_snomed(description).hint is not None
    # A namespaced concept id: item 1, namespace 1000000, partition 10.
    body = "1" + "1000000" + "10"
    sctid = body + verhoeff_check_digit(body)
    assert validate_snomed(sctid).valid
    assert snomed_partition(sctid) == "10"
    assert snomed_partition("12") is None


@pytest.mark.parametrize(
    ("npi", "reason"),
    [
        ("1234567893", None),  # the CMS example
        ("1234567890", "bad-check-digit"),
        ("1234567839", "bad-check-digit"),  # adjacent transposition
        ("3234567893", "bad-format"),  # first digit must be 1 or 2
        ("123456789", "bad-format"),
        ("12345678930", "bad-format"),
        ("123456789X", "bad-format"),
    ],
)
def test_npi_hand_cases(npi: str, reason: str | None) -> None:
    check = validate_npi(npi)
    assert (check.valid, check.reason) == (reason is None, reason)


def test_non_strings_are_bad_format() -> None:
    for fn in (validate_loinc, validate_snomed, validate_npi):
        assert fn(None).reason == "bad-format"
        assert fn(2345).reason == "bad-format"


# --- mutations ----------------------------------------------------------------------------------

loinc_codes = st.integers(1, 9_999_999).map(str).map(lambda b: f"{b}-{loinc_check_digit(b)}")
npis = st.tuples(st.sampled_from("12"), st.integers(0, 10**8 - 1)).map(
    lambda t: (body := f"{t[0]}{t[1]:08d}") + npi_check_digit(body)
)


@st.composite
def snomed_concepts(draw: st.DrawFn) -> str:
    if draw(st.booleans()):  # short format: item id (3+ digits), partition 00
        body = str(draw(st.integers(100, 10**15 - 1))) + "00"
    else:  # long format: item id, 7-digit namespace, partition 10 (18 digits at most)
        body = str(draw(st.integers(1, 10**8 - 1))) + str(draw(st.integers(10**6, 10**7 - 1)))
        body += "10"
    return body + verhoeff_check_digit(body)


def _mutate(code: str, data: st.DataObject) -> str:
    positions = [i for i, ch in enumerate(code) if ch.isdigit()]
    i = data.draw(st.sampled_from(positions))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != code[i]]))
    return code[:i] + digit + code[i + 1 :]


@settings(max_examples=200)
@given(loinc_codes, st.data())
def test_loinc_single_digit_mutations_are_invalid(code: str, data: st.DataObject) -> None:
    assert validate_loinc(code).valid
    assert not validate_loinc(_mutate(code, data)).valid


@settings(max_examples=200)
@given(snomed_concepts(), st.data())
def test_snomed_single_digit_mutations_are_invalid(code: str, data: st.DataObject) -> None:
    assert validate_snomed(code).valid
    assert not validate_snomed(_mutate(code, data), concept=False).valid


@settings(max_examples=200)
@given(npis, st.data())
def test_npi_single_digit_mutations_are_invalid(code: str, data: st.DataObject) -> None:
    assert validate_npi(code).valid
    assert not validate_npi(_mutate(code, data)).valid


@settings(max_examples=100)
@given(loinc_codes, st.data())
def test_loinc_adjacent_swaps_are_caught_except_09(code: str, data: st.DataObject) -> None:
    body = code.split("-")[0] + code[-1]
    i = data.draw(st.integers(0, len(body) - 2))
    assume(body[i] != body[i + 1] and {body[i], body[i + 1]} != {"0", "9"})
    swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    assert not validate_loinc(f"{swapped[:-1]}-{swapped[-1]}").valid


# --- scalar and vector agree --------------------------------------------------------------------


def _agree(codes: list[str | None], scalar: object, vector: object) -> None:
    got: CodeCheckArrays = vector(pa.array(codes, type=pa.string()))  # type: ignore[operator]
    rows = zip(codes, got.valid.to_pylist(), got.reason.to_pylist(), strict=True)
    for code, valid, reason in rows:
        if code is None:
            assert (valid, reason) == (None, None)
            continue
        check: CodeCheck = scalar(code)  # type: ignore[operator]
        assert (valid, reason) == (check.valid, check.reason), repr(code)


digits_text = st.text(alphabet="0123456789", min_size=1, max_size=20)
noise = st.one_of(st.none(), st.text(max_size=20), digits_text)


@settings(max_examples=80)
@given(st.lists(st.one_of(noise, loinc_codes, digits_text.map(lambda d: d[:-1] + "-" + d[-1]))))
def test_loinc_vector_agrees_with_scalar(codes: list[str | None]) -> None:
    _agree(codes, validate_loinc, validate_loinc_array)


@settings(max_examples=80)
@given(st.lists(st.one_of(noise, snomed_concepts())))
def test_snomed_vector_agrees_with_scalar(codes: list[str | None]) -> None:
    _agree(codes, validate_snomed, validate_snomed_array)
    _agree(
        codes,
        lambda c: validate_snomed(c, concept=False),
        lambda a: validate_snomed_array(a, concept=False),
    )


@settings(max_examples=80)
@given(st.lists(st.one_of(noise, npis)))
def test_npi_vector_agrees_with_scalar(codes: list[str | None]) -> None:
    _agree(codes, validate_npi, validate_npi_array)


def test_sliced_and_chunked_inputs() -> None:
    arr = pa.array(["x", "2345-7", "2345-6", None, "718-7"])
    assert validate_loinc_array(arr[1:]).valid.to_pylist() == [True, False, None, True]
    chunked = pa.chunked_array([arr[:2], arr[2:]])
    assert validate_loinc_array(chunked).reason.to_pylist() == [
        "bad-format",
        None,
        "bad-check-digit",
        None,
        None,
    ]
    assert validate_snomed_array(pa.array(["44054006"] * 3)[1:]).invalid_count() == 0
