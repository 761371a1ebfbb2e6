"""Column inputs: every accepted type gives the same verdicts; the result types."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from wardwatch.terminology._arrays import digit_matrix, to_string_array
from wardwatch.terminology._checked import validate_loinc_array
from wardwatch.terminology._result import CodeCheckArrays

CODES = ["2345-7", None, "2345-6", "x"]
EXPECTED = [True, None, False, False]


@pytest.mark.parametrize(
    "column",
    [
        CODES,
        pa.array(CODES),
        pa.array(CODES, type=pa.large_string()),
        pa.array(CODES).dictionary_encode(),
        pa.chunked_array([CODES[:2], CODES[2:]]),
        pa.chunked_array([pa.array(CODES).dictionary_encode()]),
        np.array(CODES, dtype=object),
    ],
    ids=["list", "string", "large_string", "dictionary", "chunked", "chunked-dict", "numpy-obj"],
)
def test_input_types(column: object) -> None:
    got = validate_loinc_array(column)
    assert isinstance(got, CodeCheckArrays)
    assert got.valid.type == pa.bool_()
    assert got.reason.type == pa.string()
    assert got.valid.to_pylist() == EXPECTED
    assert got.invalid_count() == 2
    assert len(got) == 4


def test_numpy_unicode_and_bytes() -> None:
    assert validate_loinc_array(np.array(["2345-7", "2345-6"])).valid.to_pylist() == [True, False]
    assert validate_loinc_array(np.array([b"2345-7"])).valid.to_pylist() == [True]


def test_integers_become_strings() -> None:
    assert to_string_array(pa.array([314076, None])).to_pylist() == ["314076", None]


def test_empty_inputs() -> None:
    columns: list[object] = [[], pa.array([], pa.string()), pa.chunked_array([], pa.string())]
    for column in columns:
        assert len(validate_loinc_array(column)) == 0


def test_all_null_column() -> None:
    got = validate_loinc_array(pa.array([None, None]))
    assert got.valid.to_pylist() == [None, None]
    assert got.expected.to_pylist() == [None, None]


def test_digit_matrix_right_aligns_and_zeroes_other_rows() -> None:
    arr = pa.array(["12", "x", "345", None])[0:]
    ok = np.array([True, False, True, False])
    assert digit_matrix(arr, ok, 4).tolist() == [[0, 0, 1, 2], [0] * 4, [0, 3, 4, 5], [0] * 4]
    sliced = pa.array(["9", "12", "345"])[1:]
    assert digit_matrix(sliced, np.array([True, True]), 3).tolist() == [[0, 1, 2], [3, 4, 5]]
