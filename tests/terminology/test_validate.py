"""Validation of a code against its declared system, scalar and vectorized."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.terminology._validate import systems_matching, validate_code, validate_codes

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
NPI = "http://hl7.org/fhir/sid/us-npi"


@pytest.mark.parametrize(
    ("code", "systems"),
    [
        ("2345-7", (LOINC,)),
        ("2345-6", ()),
        ("44054006", (SNOMED,)),  # 8 digits: too long for an RXCUI
        ("100005", (SNOMED, RXNORM)),  # a short SNOMED CT id is also a possible RXCUI
        ("E11.9", (ICD,)),
        ("E11", (ICD,)),  # header codes still look like ICD-10-CM
        ("J1100", (ICD, HCPCS)),  # J11.00 exists in ICD-10-CM too
        ("99213", (RXNORM, CPT)),
        ("3074F", (CPT,)),
        ("1234567893", (NPI,)),
        ("hello", ()),
        ("", ()),
    ],
)
def test_systems_matching(code: str, systems: tuple[str, ...]) -> None:
    assert systems_matching(code) == systems


@pytest.mark.parametrize(
    ("code", "system", "valid", "reason"),
    [
        ("2345-7", "LN", True, None),
        ("2345-7", LOINC, True, None),
        ("2345-6", LOINC, False, "bad-check-digit"),
        ("2345-7", "SCT", False, "system-mismatch"),
        ("E11.9", "SCT", False, "system-mismatch"),
        ("44054006", "SNOMED CT", True, None),
        ("44054006", "LN", False, "system-mismatch"),  # looks like SNOMED CT
        ("E11.9", "I10", True, None),
        ("E11", "I10C", False, "header-code"),
        ("Z99.999", "I10", False, "unknown-code"),
        ("J1100", "HCPCS", True, None),
        ("J1100", "urn:oid:2.16.840.1.113883.6.285", True, None),
        ("99213", "C4", True, None),
        ("99213", "HCPCS", False, "system-mismatch"),
        ("1234567893", NPI, True, None),
        ("mg/dL", "http://unitsofmeasure.org", True, None),
        ("mcg", "http://unitsofmeasure.org", False, "bad-unit"),
        ("abc", "urn:wardwatch:hl7v2:local:LAB", False, "unknown-system"),
        ("abc", None, False, "unknown-system"),
        ("zzz", LOINC, False, "bad-format"),  # fits nothing: plain bad format
    ],
)
def test_validate_code(code: str, system: str | None, valid: bool, reason: str | None) -> None:
    check = validate_code(code, system)
    assert (check.valid, check.reason) == (valid, reason)


def test_mismatch_hint_names_the_other_system() -> None:
    hint = validate_code("2345-7", "SCT").hint
    assert hint is not None
    assert "LOINC" in hint


def test_validate_codes_mixed_column() -> None:
    codes = ["2345-7", "2345-7", "44054006", "E11.9", "E11", None, "x", "x", "J1100"]
    systems = [LOINC, "SCT", SNOMED, "I10", "ICD10CM", "LN", "urn:local", None, HCPCS]
    got = validate_codes(pa.array(codes), pa.array(systems))
    assert got.valid.to_pylist() == [True, False, True, True, False, None, None, None, True]
    assert got.reason.to_pylist() == [
        None,
        "system-mismatch",
        None,
        None,
        "header-code",
        None,
        "unknown-system",
        "unknown-system",
        None,
    ]
    expected = got.expected.to_pylist()
    assert "LOINC" in expected[0]
    assert "SNOMED" in expected[1]
    assert expected[5] is None


def test_validate_codes_one_system_for_all_rows() -> None:
    got = validate_codes(np.array(["2345-7", "718-7", "718-6"]), "LN")
    assert got.valid.to_pylist() == [True, True, False]
    assert len(validate_codes([], "LN")) == 0


code_like = st.sampled_from(
    ["2345-7", "2345-6", "44054006", "1000027", "E11.9", "E11", "Z99.999", "J1100", "99213",
     "3074F", "1234567893", "1234567890", "mg/dL", "mcg", "12345", "0042T"]
)  # fmt: skip
system_like = st.sampled_from(
    [LOINC, SNOMED, ICD, RXNORM, CPT, HCPCS, NPI, "http://unitsofmeasure.org", "LN", "SCT",
     "I10", "urn:oid:2.16.840.1.113883.6.285", "urn:local", ""]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), code_like, st.text(max_size=10)),
            st.one_of(st.none(), system_like, st.text(max_size=5)),
        ),
        max_size=25,
    )
)
def test_vector_agrees_with_scalar(rows: list[tuple[str | None, str | None]]) -> None:
    codes = [c for c, _ in rows]
    systems = [s for _, s in rows]
    got = validate_codes(codes, systems)
    for (code, system), valid, reason in zip(
        rows, got.valid.to_pylist(), got.reason.to_pylist(), strict=True
    ):
        if code is None:
            assert (valid, reason) == (None, None)
            continue
        check = validate_code(code, system)
        assert reason == check.reason, (code, system)
        # unknown-system rows are "not judged" in arrays (null), False in the scalar form
        assert valid == (None if check.reason == "unknown-system" else check.valid)


@settings(max_examples=200)
@given(st.one_of(st.none(), st.text(), st.integers(), st.floats()), st.text(max_size=40))
def test_never_raises(code: object, system: str) -> None:
    validate_code(code, system)
    systems_matching(code)
