"""RxNorm, CPT and HCPCS Level II formats."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.terminology._formats import (
    validate_cpt,
    validate_cpt_array,
    validate_hcpcs,
    validate_hcpcs_array,
    validate_rxnorm,
    validate_rxnorm_array,
)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("314076", True),  # lisinopril 10 MG Oral Tablet
        ("1", True),
        ("1234567", True),
        ("12345678", False),  # 8 digits
        ("0314076", False),  # leading zero
        ("31407 6", False),
        ("RX314076", False),
        ("", False),
    ],
)
def test_rxnorm(code: str, valid: bool) -> None:
    assert validate_rxnorm(code).valid is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("99213", True),  # office visit, Category I
        ("00100", True),  # anesthesia codes start with zeros
        ("3074F", True),  # Category II
        ("0042T", True),  # Category III
        ("0001U", True),  # PLA
        ("0002M", True),  # MAAA
        ("9921", False),
        ("992133", False),
        ("3074f", False),
        ("3074X", False),
        ("J1100", False),  # HCPCS Level II, not CPT
    ],
)
def test_cpt(code: str, valid: bool) -> None:
    assert validate_cpt(code).valid is valid


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("J1100", True),  # dexamethasone injection
        ("E0601", True),  # CPAP device
        ("G0008", True),
        ("A0428", True),
        ("V2020", True),
        ("U0003", True),
        ("D0120", True),  # dental (CDT) codes are HCPCS Level II D codes
        ("F1100", False),  # no HCPCS section uses F, I, N, O
        ("I1100", False),
        ("N1100", False),
        ("O1100", False),
        ("W1100", False),  # beyond V
        ("j1100", False),
        ("J110", False),
        ("J11000", False),
        ("99213", False),
    ],
)
def test_hcpcs(code: str, valid: bool) -> None:
    assert validate_hcpcs(code).valid is valid


def test_reasons_and_hints() -> None:
    check = validate_hcpcs(" j1100")
    assert (check.valid, check.reason) == (False, "bad-format")
    assert check.hint == "did you mean 'J1100'?"
    assert "HCPCS" in check.expected
    assert validate_cpt(None).reason == "bad-format"


@settings(max_examples=100)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.from_regex(r"[A-Z0-9]{4,6}"))))
def test_vector_agrees_with_scalar(codes: list[str | None]) -> None:
    arr = pa.array(codes, type=pa.string())
    pairs = [
        (validate_rxnorm, validate_rxnorm_array),
        (validate_cpt, validate_cpt_array),
        (validate_hcpcs, validate_hcpcs_array),
    ]
    for scalar, vector in pairs:
        got = vector(arr)
        for code, valid, reason in zip(
            codes, got.valid.to_pylist(), got.reason.to_pylist(), strict=True
        ):
            if code is None:
                assert (valid, reason) == (None, None)
            else:
                check = scalar(code)
                assert (valid, reason) == (check.valid, check.reason), repr(code)
