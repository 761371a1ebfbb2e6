"""UCUM validation and conversion: hand cases, the atom table as oracle, property tests."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.terminology._ucum import (
    parse_ucum,
    ucum_conversion,
    ucum_valid,
    validate_ucum,
    validate_ucum_array,
)
from wardwatch.terminology._ucum_atoms import ATOMS, PREFIXES

LAB_AND_VITAL_UNITS = [
    "g", "mg", "ug", "ng", "pg", "kg", "L", "l", "dL", "mL", "uL", "fL", "mol", "mmol", "umol",
    "nmol", "pmol", "meq", "meq/L", "U", "U/L", "[IU]", "[IU]/L", "m[IU]/mL", "%", "/min",
    "{beats}/min", "{breaths}/min", "mm[Hg]", "cm[H2O]", "Cel", "[degF]", "K", "kg/m2",
    "10*3/uL", "10*6/uL", "10*9/L", "10*12/L", "mL/min/{1.73_m2}", "s", "min", "h", "d", "wk",
    "mo", "a", "cm", "m", "[in_i]", "[ft_i]", "[lb_av]", "[oz_av]", "[ppm]", "1", "mg/dL",
    "g/dL", "mmol/L", "umol/L", "ng/mL", "pg/mL", "ng/L", "ukat/L", "mmol/mol", "fL", "pg",
    "g/L", "mg/(24.h)", "mL/(min.1.73.m2)", "kg.m/s2", "mL/kg/min", "/uL", "/[HPF]", "{ratio}",
    "[pH]", "mosm/kg", "10^3/uL", "/100{cells}", "g/(8.h){shift}",
]  # fmt: skip
NOT_UCUM = [
    "mcg", "cc", "degrees", "mEq/L", "mmHg", "bpm", "IU/L", "degF", "C/min{", "mg / dL",
    "mg/dL ", "MG/DL", "µg/L", "kg/m^2", "ka", "k[in_i]", "m%", "(m/s", "m/s)", "mg//dL",
    "mg/", "/", ".", "", "{unclosed", "[in_i", "m{a b}", "Torr", "x10E3/uL", "sec", "2mg",
    "/0", "mg/00",
]  # fmt: skip


@pytest.mark.parametrize("unit", LAB_AND_VITAL_UNITS)
def test_common_units_are_valid(unit: str) -> None:
    assert ucum_valid(unit), validate_ucum(unit).hint


@pytest.mark.parametrize("unit", NOT_UCUM)
def test_not_ucum(unit: str) -> None:
    check = validate_ucum(unit)
    assert (check.valid, check.reason) == (False, "bad-unit")
    assert check.hint


def test_ten_star_alone_is_the_number_ten() -> None:
    assert parse_ucum("10*") is not None
    assert parse_ucum("10*").factor == 10.0  # type: ignore[union-attr]


def test_case_matters_exactly_as_ucum_says() -> None:
    # Liter is both "l" and "L" in UCUM, so these are valid and mean the same thing.
    assert ucum_valid("mg/dl")
    assert ucum_valid("mmol/l")
    assert ucum_conversion("mg/dl", "mg/dL") == ucum_conversion("mg/dL", "mg/dL")
    # "Mg" is the megagram, "mg" the milligram: both valid, a billion apart.
    conversion = ucum_conversion("Mg", "mg")
    assert conversion is not None
    assert math.isclose(conversion.scale, 1e9)


@pytest.mark.parametrize(
    "hint_case",
    [("mcg", "ug"), ("cc", "mL"), ("mEq/L", "meq/L"), ("µg/L", "ug/L"), ("mmHg", "mm[Hg]")],
)
def test_hints_suggest_the_ucum_spelling(hint_case: tuple[str, str]) -> None:
    bad, good = hint_case
    hint = validate_ucum(bad).hint
    assert hint is not None
    assert good in hint


def test_valid_but_wrong_units_are_still_valid_ucum() -> None:
    # Kelvin per microliter and the coulomb: valid UCUM, wrong for a WBC count or a temperature
    # (the lab table catches those).
    assert ucum_valid("K/uL")
    assert ucum_valid("C")


def test_every_atom_and_the_metric_flag_decides_prefixes() -> None:
    atoms = {a[0] for a in ATOMS}
    for code, metric, *_ in ATOMS:
        assert ucum_valid(code), code
        assert ucum_valid(code + "2"), code
        assert ucum_valid(code + "-1"), code
        for prefix in PREFIXES:
            if prefix + code in atoms:
                continue  # "cd" is the candela, not centi-day
            assert ucum_valid(prefix + code) is metric, prefix + code


@st.composite
def simple_units(draw: st.DrawFn) -> tuple[str, bool]:
    code, metric, *_ = draw(st.sampled_from(ATOMS))
    prefix = draw(st.one_of(st.just(""), st.sampled_from(sorted(PREFIXES))))
    exponent = draw(st.sampled_from(["", "2", "3", "-1", "-2", "+2"]))
    symbol = prefix + code
    atoms = {a[0] for a in ATOMS}
    expected = prefix == "" or metric or symbol in atoms
    return symbol + exponent, expected


@settings(max_examples=150)
@given(st.lists(simple_units(), min_size=1, max_size=4), st.lists(st.sampled_from("./")))
def test_grammar_against_the_atom_table(parts: list[tuple[str, bool]], ops: list[str]) -> None:
    text = parts[0][0]
    for (unit, _), op in zip(parts[1:], ops + ["."] * len(parts), strict=False):
        text += op + unit
    assert ucum_valid(text) is all(ok for _, ok in parts), text


@pytest.mark.parametrize(
    ("source", "target", "scale", "offset"),
    [
        ("mg/dL", "g/L", 0.01, 0.0),
        ("g/dL", "g/L", 10.0, 0.0),
        ("10*3/uL", "10*9/L", 1.0, 0.0),
        ("/uL", "10*3/uL", 0.001, 0.0),
        ("/mm3", "/uL", 1.0, 0.0),
        ("[lb_av]", "kg", 0.45359237, 0.0),
        ("[in_i]", "cm", 2.54, 0.0),
        ("[ft_i]", "m", 0.3048, 0.0),
        ("mm[Hg]", "kPa", 0.133322, 0.0),
        ("ukat/L", "U/L", 60.0, 0.0),
        ("h", "min", 60.0, 0.0),
        ("wk", "d", 7.0, 0.0),
        ("{beats}/min", "/min", 1.0, 0.0),
        ("/min", "/s", 1 / 60, 0.0),
        ("%", "1", 0.01, 0.0),
        ("mmol/L", "umol/mL", 1.0, 0.0),
        ("[degF]", "Cel", 5 / 9, -160 / 9),
        ("Cel", "K", 1.0, 273.15),
        ("Cel", "[degF]", 9 / 5, 32.0),
    ],
)
def test_conversions(source: str, target: str, scale: float, offset: float) -> None:
    conversion = ucum_conversion(source, target)
    assert conversion is not None
    assert math.isclose(conversion.scale, scale, rel_tol=1e-9)
    assert math.isclose(conversion.offset, offset, rel_tol=1e-9, abs_tol=1e-9)


def test_body_temperature_round_trip() -> None:
    to_c = ucum_conversion("[degF]", "Cel")
    assert to_c is not None
    assert math.isclose(to_c.apply(98.6), 37.0)
    assert math.isclose(to_c.inverse().apply(37.0), 98.6)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("mg/dL", "mmol/L"),  # mass vs substance: needs a molar mass
        ("[IU]/L", "U/L"),  # arbitrary units convert to nothing else
        ("m", "s"),
        ("Cel/h", "K/h"),  # a special unit inside a compound
        ("[pH]", "mol/L"),
        ("mcg", "ug"),
    ],
)
def test_no_conversion(source: str, target: str) -> None:
    assert ucum_conversion(source, target) is None


def test_arbitrary_units_convert_to_themselves() -> None:
    conversion = ucum_conversion("m[IU]/mL", "[IU]/L")
    assert conversion is not None
    assert math.isclose(conversion.scale, 1.0)


def test_extreme_magnitudes_validate_but_do_not_convert() -> None:
    for unit in ("10*999", "10*-999/10*-999", "m9999", "9" * 400, "1" * 5000):
        assert ucum_valid(unit), unit
    assert ucum_conversion("10*999", "1") is None
    assert ucum_conversion("m", "10*-400.m") is None


@settings(max_examples=400)
@given(st.one_of(st.text(max_size=20), st.text(alphabet="mgLl/.()[]{}0123456789*^+-'_ ")))
def test_never_raises(text: str) -> None:
    validate_ucum(text)
    parse_ucum(text)
    ucum_conversion(text, "mg/dL")


@settings(max_examples=100)
@given(
    st.lists(
        st.one_of(st.none(), st.text(max_size=8), st.sampled_from(LAB_AND_VITAL_UNITS + NOT_UCUM))
    )
)
def test_vector_agrees_with_scalar(units: list[str | None]) -> None:
    got = validate_ucum_array(pa.array(units, type=pa.string()))
    for unit, valid, reason in zip(
        units, got.valid.to_pylist(), got.reason.to_pylist(), strict=True
    ):
        if unit is None:
            assert (valid, reason) == (None, None)
        else:
            check = validate_ucum(unit)
            assert (valid, reason) == (check.valid, check.reason), repr(unit)
