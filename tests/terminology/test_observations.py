"""Observation unit and plausibility checks, scalar and vectorized."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.terminology._labs import LABS
from wardwatch.terminology._observations import check_observation, check_observations


@pytest.mark.parametrize(
    ("code", "unit", "value", "valid", "reason"),
    [
        ("2345-7", "mg/dL", 95, True, None),
        ("2345-7", "mmol/L", 5.3, True, None),
        ("2345-7", "mg/dl", 95, True, None),
        ("2345-7", "mg/dL", 5, False, "value-implausible"),
        ("2345-7", "mg/dL", 2500, False, "value-implausible"),
        ("2345-7", "%", 5, False, "unit-not-expected"),
        ("2345-7", "mcg/dL", 5, False, "bad-unit"),
        ("2345-7", None, 95, False, "missing-unit"),
        ("2345-7", "", 95, False, "missing-unit"),
        ("2345-7", None, None, None, None),  # nothing to judge
        ("2345-7", "mg/dL", None, True, None),  # the unit alone is checked
        ("2345-7", "mg/dL", float("nan"), False, "value-implausible"),
        ("2345-7", "mg/dL", float("inf"), False, "value-implausible"),
        ("8867-4", "/min", 900, False, "value-implausible"),
        ("8867-4", "/min", 20, True, None),  # limits are inclusive
        ("8867-4", "{beats}/min", 72, True, None),
        ("8310-5", "[degF]", 98.6, True, None),
        ("8310-5", "Cel", 97.0, False, "value-implausible"),  # Fahrenheit labelled Celsius
        ("8310-5", "C", 37, False, "unit-not-expected"),
        ("10839-9", "ng/mL", -1.0, False, "value-implausible"),
        ("9999-9", "mg/dL", 1, None, "not-in-table"),
        (None, "mg/dL", 1, None, "not-in-table"),
    ],
)
def test_hand_cases(
    code: str | None, unit: str | None, value: float | None, valid: bool | None, reason: str | None
) -> None:
    check = check_observation(code, unit, value)
    assert (check.valid, check.reason) == (valid, reason)


def test_expected_and_canonical_value() -> None:
    check = check_observation("2345-7", "mmol/L", 5.3)
    assert check.canonical_value is not None
    assert math.isclose(check.canonical_value, 5.3 * 18.016)
    bad = check_observation("8867-4", "/min", 900)
    assert bad.expected == "a value from 20 to 300 /min (physiologic limits of 8867-4)"
    unit = check_observation("2345-7", "%", 5)
    assert "mg/dL" in unit.expected
    assert "mmol/L" in unit.expected


def test_vectorized_columns() -> None:
    got = check_observations(
        pa.array(["2345-7", "2345-7", "8867-4", None, "2345-7"]),
        pa.array(["mg/dL", "mmol/L", "/min", "x", None]),
        pa.array([95.0, 5.3, 900.0, 1.0, None]),
    )
    assert got.valid.to_pylist() == [True, True, False, None, None]
    assert got.reason.to_pylist() == [None, None, "value-implausible", "not-in-table", None]
    values = got.canonical_value.to_pylist()
    assert values[0] == 95.0
    assert math.isclose(values[1], 5.3 * 18.016)
    assert values[3] is None
    ints = check_observations(["8867-4"], ["/min"], np.array([72], dtype=np.int64))
    assert ints.valid.to_pylist() == [True]
    chunked = check_observations(
        pa.chunked_array([["8867-4"], ["8867-4"]]),
        pa.chunked_array([["/min"], ["/min"]]),
        pa.chunked_array([[72.0], [900.0]]),
    )
    assert chunked.valid.to_pylist() == [True, False]
    assert len(check_observations([], [], pa.array([], type=pa.float64()))) == 0


codes = st.one_of(st.none(), st.sampled_from(sorted(LABS)), st.text(max_size=8))
units = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(sorted({u for s in LABS.values() for u in s.units})),
    st.sampled_from(["%", "mcg", "K/uL", "C", "mg/dl", "/uL", "ng/L", "g/L", "\x1f"]),
    st.text(max_size=6),
)
values = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(codes, units, values), max_size=30))
def test_vector_agrees_with_scalar(rows: list[tuple[str | None, str | None, float | None]]) -> None:
    got = check_observations(
        [r[0] for r in rows],
        [r[1] for r in rows],
        pa.array([None if r[2] is None else float(r[2]) for r in rows], type=pa.float64()),
    )
    for row, valid, reason, expected, canonical in zip(
        rows,
        got.valid.to_pylist(),
        got.reason.to_pylist(),
        got.expected.to_pylist(),
        got.canonical_value.to_pylist(),
        strict=True,
    ):
        check = check_observation(*row)
        assert (valid, reason, expected) == (check.valid, check.reason, check.expected), row
        if check.canonical_value is None or canonical is None:
            assert check.canonical_value is None, row
            assert canonical is None, row
        else:
            assert canonical == check.canonical_value or (
                math.isnan(canonical) and math.isnan(check.canonical_value)
            ), row


@settings(max_examples=200)
@given(
    st.one_of(st.none(), st.text(), st.integers()),
    st.one_of(st.none(), st.text(), st.integers()),
    st.one_of(st.none(), st.text(), st.floats(), st.booleans()),
)
def test_never_raises(code: object, unit: object, value: object) -> None:
    check_observation(code, unit, value)
