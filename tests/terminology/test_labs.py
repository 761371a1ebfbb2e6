"""The lab and vital-sign table: codes, units, ranges and conversion factors."""

from __future__ import annotations

import math

import pytest

from wardwatch.terminology._checkdigits import loinc_valid
from wardwatch.terminology._labs import LABS, lab_spec, lab_unit_conversion
from wardwatch.terminology._ucum import ucum_valid

REQUIRED = [
    "2345-7", "2339-0", "4548-4", "2160-0", "33914-3", "62238-1", "3094-0", "2951-2", "2823-3",
    "2075-0", "1963-8", "17861-6", "718-7", "4544-3", "6690-2", "777-3", "1742-6", "1920-8",
    "1975-2", "1751-7", "2093-3", "18262-6", "13457-7", "2085-9", "2571-8", "30934-4", "10839-9",
    "2524-7", "8867-4", "8480-6", "8462-4", "8310-5", "9279-1", "59408-5", "2708-6", "39156-5",
    "29463-7", "8302-2",
]  # fmt: skip


def test_table_covers_the_required_codes() -> None:
    assert set(REQUIRED) <= set(LABS)
    assert len(LABS) >= 25


@pytest.mark.parametrize("loinc", sorted(LABS))
def test_entry_is_consistent(loinc: str) -> None:
    spec = LABS[loinc]
    assert spec.loinc == loinc
    assert loinc_valid(loinc), "LOINC check digit"
    assert ucum_valid(spec.unit), spec.unit
    for unit in spec.alternatives:
        assert ucum_valid(unit), unit
        assert unit != spec.unit
    lo, hi = spec.plausible
    assert lo < hi
    for ref in (spec.reference, spec.reference_female):
        if ref is None:
            continue
        ref_lo, ref_hi = ref
        # The normal range lies inside the possible range.
        assert ref_lo is None or lo <= ref_lo
        assert ref_hi is None or ref_hi <= hi
        assert ref_lo is None or ref_hi is None or ref_lo < ref_hi
    assert spec.category in ("laboratory", "vital-signs")
    assert lab_unit_conversion(loinc, spec.unit) is not None


@pytest.mark.parametrize(
    ("loinc", "unit", "value", "canonical"),
    [
        # Hand-computed from molar masses (see each entry's note).
        ("2345-7", "mmol/L", 5.5, 5.5 * 180.156 / 10),  # glucose: 99.09 mg/dL
        ("2345-7", "g/L", 0.99, 99.0),  # UCUM-derived: 1 g/L = 100 mg/dL
        ("2339-0", "mg/dl", 99.0, 99.0),  # lower-case liter: the same unit
        ("2160-0", "umol/L", 88.42, 1.0),  # creatinine
        ("2160-0", "mmol/L", 0.08842, 1.0),  # UCUM mmol -> umol, then the listed factor
        ("2093-3", "mmol/L", 5.17, 5.17 * 38.67),  # cholesterol: ~200 mg/dL
        ("2571-8", "mmol/L", 1.7, 1.7 * 88.57),  # triglycerides: ~150 mg/dL
        ("17861-6", "mmol/L", 2.5, 10.02),  # calcium: 2.5 mmol/L = 10.02 mg/dL
        ("17861-6", "meq/L", 5.0, 10.02),  # divalent: 5 meq/L = 2.5 mmol/L
        ("1975-2", "umol/L", 17.104, 1.0),  # bilirubin
        ("3094-0", "mmol/L", 5.0, 14.005),  # urea 5 mmol/L -> BUN 14 mg/dL
        ("4548-4", "mmol/mol", 48.0, 0.09148 * 48 + 2.152),  # HbA1c 48 -> 6.54 %
        ("718-7", "g/L", 135.0, 13.5),
        ("6690-2", "/uL", 7000.0, 7.0),  # UCUM-derived
        ("6690-2", "10*9/L", 7.0, 7.0),
        ("1742-6", "ukat/L", 1.0, 60.0),  # UCUM-derived: U is umol/min
        ("10839-9", "ng/L", 40.0, 0.04),
        ("2524-7", "mg/dL", 18.016, 2.0),  # lactate 90.08 g/mol
        ("8310-5", "[degF]", 98.6, 37.0),
        ("8310-5", "K", 310.15, 37.0),  # UCUM-derived temperature
        ("8867-4", "{beats}/min", 72.0, 72.0),
        ("8480-6", "kPa", 16.0, 120.01),
        ("4544-3", "1", 0.42, 42.0),
        ("4544-3", "L/L", 0.42, 42.0),  # a synonym of "1"
        ("59408-5", "1", 0.97, 97.0),
        ("29463-7", "[lb_av]", 154.0, 69.85322498),
        ("8302-2", "[in_i]", 70.0, 177.8),
        ("8302-2", "m", 1.778, 177.8),
        ("39156-5", "[lb_av]/[in_i]2", 1.0, 703.0696),  # the 703 of the US BMI formula
    ],
)
def test_conversions(loinc: str, unit: str, value: float, canonical: float) -> None:
    conversion = lab_unit_conversion(loinc, unit)
    assert conversion is not None, unit
    assert math.isclose(conversion.apply(value), canonical, rel_tol=1e-3)


@pytest.mark.parametrize(
    ("loinc", "unit"),
    [
        ("2345-7", "%"),  # valid UCUM, not a glucose unit
        ("2345-7", "mcg/dL"),  # not UCUM
        ("4548-4", "1"),  # dimensionless but not a synonym of %: no bridging
        ("4548-4", "mmol/L"),
        ("6690-2", "K/uL"),  # kelvin per microliter
        ("8310-5", "C"),  # coulomb
        ("718-7", "mmol/mol"),
        ("33914-3", "mL/min/1.73.m2"),  # "1.73.m2" is 1 x 73 m2 in UCUM
        ("1742-6", "mg/dL"),
        ("9999-9", "mg/dL"),  # not in the table
        (None, "mg/dL"),
        ("2345-7", None),
    ],
)
def test_no_conversion(loinc: str | None, unit: str | None) -> None:
    assert lab_unit_conversion(loinc, unit) is None


def test_equivalents_never_bridge_to_moles() -> None:
    # UCUM says eq == mol; for calcium that would halve or double values.
    meq = lab_unit_conversion("17861-6", "ueq/mL")  # via the listed meq/L, not mmol/L
    mmol = lab_unit_conversion("17861-6", "umol/mL")
    assert meq is not None
    assert mmol is not None
    assert math.isclose(meq.scale, 2.004)
    assert math.isclose(mmol.scale, 4.008)


def test_switch_factors_expose_the_unit_switch_shifts() -> None:
    glucose = lab_spec("2345-7")
    assert glucose is not None
    assert math.isclose(glucose.switch_factors()["mmol/L"], 18.016)
    creatinine = LABS["2160-0"]
    assert math.isclose(creatinine.switch_factors()["umol/L"], 1 / 88.42)
    assert "[degF]" not in LABS["8310-5"].switch_factors()  # affine, not a pure factor
    assert LABS["2951-2"].switch_factors() == {}  # meq/L == mmol/L for sodium
    assert glucose.conversion("mmol/L") == glucose.alternatives["mmol/L"]
    assert glucose.units[0] == "mg/dL"
