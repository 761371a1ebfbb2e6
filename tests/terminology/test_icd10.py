"""ICD-10-CM statuses, checked against the simple-icd-10-cm package's own API as the oracle."""

from __future__ import annotations

import random
import warnings
from types import ModuleType

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.terminology import _icd10
from wardwatch.terminology._icd10 import (
    icd10cm_code_list,
    icd10cm_status,
    icd10cm_status_array,
    normalize_icd10cm,
    validate_icd10cm,
    validate_icd10cm_array,
)


@pytest.fixture(scope="module")
def oracle() -> ModuleType:
    """The package's API (its import parses the tabular XML: about 3 s, so once per module)."""
    with warnings.catch_warnings():  # its loader uses deprecated importlib.resources calls
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm  # type: ignore[import-untyped]

    module: ModuleType = simple_icd_10_cm
    return module


def _oracle_status(icd: ModuleType, code: str) -> str:
    """The status the package's API gives, independent of wardwatch's loading shortcut."""
    if not icd.is_valid_item(code):
        return "unknown"
    if not icd.is_category_or_subcategory(code):
        return "malformed"  # chapters and blocks are not codes
    return "billable" if icd.is_leaf(code) else "header"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("E11.9", "billable"),
        ("E119", "billable"),
        ("E11", "header"),
        ("E11.6", "header"),
        ("I10", "billable"),
        ("S00.00XA", "billable"),
        ("S0000XA", "billable"),
        ("S00.00", "header"),
        ("QA0.0101", "billable"),  # the one category with a letter in second place
        ("Z99.999", "unknown"),
        ("E11.9 ", "malformed"),  # exact matching: stray spaces are a defect to report
        (" E11.9", "malformed"),
        ("e11.9", "malformed"),
        ("E1.19", "malformed"),
        ("E11.", "malformed"),
        ("E11..9", "malformed"),
        ("A00-A09", "malformed"),  # a block, not a code
        ("1", "malformed"),  # a chapter
        ("", "malformed"),
    ],
)
def test_hand_cases(code: str, status: str) -> None:
    assert icd10cm_status(code) == status


def test_non_strings_are_malformed() -> None:
    assert icd10cm_status(None) == "malformed"
    assert icd10cm_status(119) == "malformed"


def test_lists_equal_the_package_api(oracle: ModuleType) -> None:
    billable: set[str] = set()
    header: set[str] = set()
    for code in oracle.get_all_codes(with_dots=True):
        if oracle.is_category_or_subcategory(code):
            (billable if oracle.is_leaf(code) else header).add(code.replace(".", ""))
    lists = icd10cm_code_list()
    assert lists.billable == billable
    assert lists.header == header
    assert len(lists.billable) == 74_719
    assert "2026" in lists.release


def test_random_sample_against_the_oracle(oracle: ModuleType) -> None:
    rng = random.Random(20261122)
    items = oracle.get_all_codes(with_dots=True)
    sample = rng.sample(items, 1500)
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    mutated = []
    for code in rng.sample(items, 1500):
        if oracle.is_category_or_subcategory(code):
            mutated.append(code[:-1] + rng.choice(alphabet))
    for code in sample + mutated:
        expected = _oracle_status(oracle, code)
        assert icd10cm_status(code) == expected, code
        if expected != "malformed":
            assert icd10cm_status(code.replace(".", "")) == expected, code
    statuses = [icd10cm_status(c) for c in sample + mutated]
    assert icd10cm_status_array(pa.array(sample + mutated)).to_pylist() == statuses


@pytest.mark.parametrize("small_batch", [0, 10**9], ids=["arrow-hash-path", "frozenset-path"])
def test_both_vector_paths_agree_with_scalar(
    monkeypatch: pytest.MonkeyPatch, small_batch: int
) -> None:
    monkeypatch.setattr(_icd10, "SMALL_BATCH", small_batch)
    rng = random.Random(7)
    lists = icd10cm_code_list()
    codes: list[str | None] = rng.sample(sorted(lists.billable), 300)
    codes += rng.sample(sorted(lists.header), 100)
    codes += [c[:3] + "." + c[3:] for c in codes[:200] if c and len(c) > 3]
    codes += ["Z99.999", "E11.9 ", "e11", "", None, "A00-A09", "E1.19", "E11.9\n"]
    expected = [None if c is None else icd10cm_status(c) for c in codes]
    assert icd10cm_status_array(codes).to_pylist() == expected


def test_normalize() -> None:
    assert normalize_icd10cm(" e119 ") == "E11.9"
    assert normalize_icd10cm("e11") == "E11"
    assert normalize_icd10cm("s0000xa") == "S00.00XA"
    assert normalize_icd10cm("E1-19") is None
    assert normalize_icd10cm(None) is None


def test_validate() -> None:
    assert validate_icd10cm("E11.9").valid
    header = validate_icd10cm("E11")
    assert (header.valid, header.reason) == (False, "header-code")
    assert validate_icd10cm("E11", billable_only=False).valid
    assert validate_icd10cm("Z99.999").reason == "unknown-code"
    spaced = validate_icd10cm("E11.9 ")
    assert spaced.reason == "bad-format"
    assert spaced.hint == "did you mean 'E11.9'?"
    assert "ICD-10-CM" in spaced.expected


def test_array_forms_and_nulls() -> None:
    codes = ["E11.9", "E11", None, "Z99.999", "e11.9", "I10"]
    assert icd10cm_status_array(codes).to_pylist() == [
        "billable",
        "header",
        None,
        "unknown",
        "malformed",
        "billable",
    ]
    checks = validate_icd10cm_array(np.array(codes, dtype=object))
    assert checks.valid.to_pylist() == [True, False, None, False, False, True]
    assert checks.reason.to_pylist() == [
        None,
        "header-code",
        None,
        "unknown-code",
        "bad-format",
        None,
    ]
    chunked = pa.chunked_array([["E11.9", "E11"], ["I10"]])
    assert icd10cm_status_array(chunked).to_pylist() == ["billable", "header", "billable"]
    assert len(icd10cm_status_array([])) == 0


icd_like = st.from_regex(r"[A-Z][0-9A-Z]{2}(\.?[0-9A-Z]{1,4})?", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=10), icd_like), max_size=30))
def test_vector_agrees_with_scalar(codes: list[str | None]) -> None:
    got = validate_icd10cm_array(codes)
    for code, valid, reason in zip(
        codes, got.valid.to_pylist(), got.reason.to_pylist(), strict=True
    ):
        if code is None:
            assert (valid, reason) == (None, None)
        else:
            check = validate_icd10cm(code)
            assert (valid, reason) == (check.valid, check.reason), repr(code)


def test_list_is_loaded_once_from_the_package_file() -> None:
    first = icd10cm_code_list()
    assert icd10cm_code_list() is first
    assert first.source.startswith("simple-icd-10-cm code-list-")
    assert len(first.lookup) == len(first.billable) + len(first.header)
