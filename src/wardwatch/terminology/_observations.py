"""Is an observation's unit right for its code, and its value physiologically possible?

Given ``(LOINC code, unit, value)`` the check answers, in this order:

* ``not-in-table``: the code is not in :data:`~._labs.LABS` (null code included); not judged,
  ``valid`` is None.
* ``bad-unit``: the unit is not valid UCUM (``mg/dl`` is valid; ``mcg/L`` is not).
* ``unit-not-expected``: valid UCUM, but not a unit this measurement can be expressed in
  (``%`` for glucose, ``C`` (coulomb) for a temperature).
* ``missing-unit``: a value with no unit (null or empty).
* ``value-implausible``: the value, converted to the canonical unit, is outside the physiologic
  limits (or not a finite number).

A row with neither value nor unit is not judged (``valid`` None, no reason): completeness is
another check's business. A row with a unit and no value has its unit checked.

The vectorized form evaluates each distinct ``(code, unit)`` pair once and the values with
NumPy, so it scales with the number of rows, not of Python calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.terminology._arrays import ArrayInput, map_unique, null_mask, to_string_array
from wardwatch.terminology._labs import LABS, LabSpec, lab_spec, lab_unit_conversion
from wardwatch.terminology._ucum import Conversion, ucum_valid

__all__ = [
    "ObservationCheck",
    "ObservationCheckArrays",
    "ObservationReason",
    "check_observation",
    "check_observations",
]


class ObservationReason(StrEnum):
    """Why an observation failed (or was not judged); see the module docstring."""

    NOT_IN_TABLE = "not-in-table"
    BAD_UNIT = "bad-unit"
    UNIT_NOT_EXPECTED = "unit-not-expected"
    MISSING_UNIT = "missing-unit"
    VALUE_IMPLAUSIBLE = "value-implausible"


@dataclass(frozen=True, slots=True)
class ObservationCheck:
    """The verdict on one observation.

    Attributes:
        valid: True (unit fits and value is plausible), False (see ``reason``), or None when
            not judged (code not in the table, or neither value nor unit).
        reason: an :class:`ObservationReason` value, or None.
        expected: the units or the range expected, in words ("" when the code is unknown).
        canonical_value: the value in the canonical unit when the unit converts, else None.
    """

    valid: bool | None
    reason: str | None
    expected: str
    canonical_value: float | None = None


@dataclass(frozen=True, slots=True)
class ObservationCheckArrays:
    """Row-aligned verdicts: ``valid`` (bool, null = not judged), ``reason`` and ``expected``
    (string), ``canonical_value`` (float64, null where the unit does not convert)."""

    valid: pa.BooleanArray
    reason: pa.StringArray
    expected: pa.StringArray
    canonical_value: pa.DoubleArray

    def __len__(self) -> int:
        return len(self.valid)


def _unit_expected(spec: LabSpec) -> str:
    units = ", ".join(spec.units)
    return (
        f"a unit for {spec.display} ({spec.loinc}): {units}, or a UCUM unit that converts to "
        "one of them"
    )


def _range_expected(spec: LabSpec) -> str:
    lo, hi = spec.plausible
    return f"a value from {lo:g} to {hi:g} {spec.unit} (physiologic limits of {spec.loinc})"


@dataclass(frozen=True, slots=True)
class _Pair:
    """What a ``(code, unit)`` pair decides before the value is looked at."""

    spec: LabSpec | None
    reason: ObservationReason | None  # a unit problem, or NOT_IN_TABLE
    conversion: Conversion | None


def _pair(code: object, unit: object) -> _Pair:
    spec = lab_spec(code)
    if spec is None:
        return _Pair(None, ObservationReason.NOT_IN_TABLE, None)
    if unit is None or unit == "":
        return _Pair(spec, ObservationReason.MISSING_UNIT, None)
    if not ucum_valid(unit):
        return _Pair(spec, ObservationReason.BAD_UNIT, None)
    conversion = lab_unit_conversion(spec.loinc, unit)
    if conversion is None:
        return _Pair(spec, ObservationReason.UNIT_NOT_EXPECTED, None)
    return _Pair(spec, None, conversion)


def check_observation(code: object, unit: object, value: object) -> ObservationCheck:
    """Check one observation's unit against its LOINC code and its value against physiology.

    ``check_observation("2345-7", "mg/dL", 95)`` is valid; ``("2345-7", "mmol/L", 5.3)`` is valid
    with ``canonical_value`` 95.5; ``("8867-4", "/min", 900)`` is ``value-implausible``.
    """
    pair = _pair(code, unit)
    number = _number(value)
    spec = pair.spec
    if spec is None:
        return ObservationCheck(None, ObservationReason.NOT_IN_TABLE.value, "")
    if pair.reason is ObservationReason.MISSING_UNIT:
        if number is None and value is None:
            return ObservationCheck(None, None, _unit_expected(spec))
        return ObservationCheck(False, pair.reason.value, _unit_expected(spec))
    if pair.reason is not None or pair.conversion is None:
        reason = pair.reason or ObservationReason.UNIT_NOT_EXPECTED
        return ObservationCheck(False, reason.value, _unit_expected(spec))
    if value is None:
        return ObservationCheck(True, None, _unit_expected(spec))
    canonical = pair.conversion.apply(number) if number is not None else None
    lo, hi = spec.plausible
    if canonical is None or not math.isfinite(canonical) or not lo <= canonical <= hi:
        return ObservationCheck(
            False, ObservationReason.VALUE_IMPLAUSIBLE.value, _range_expected(spec), canonical
        )
    return ObservationCheck(True, None, _range_expected(spec), canonical)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    return float(value)


_REASONS = tuple(ObservationReason)
_REASON_ARRAY = pa.array([r.value for r in _REASONS], type=pa.string())
_NO_REASON = -1


def check_observations(
    codes: ArrayInput | Any, units: ArrayInput | Any, values: ArrayInput | Any
) -> ObservationCheckArrays:
    """:func:`check_observation` over three row-aligned columns (same verdicts, row for row).

    ``values`` is any numeric column (nulls allowed); ``codes`` and ``units`` string columns.
    """
    code_arr = to_string_array(codes)
    unit_arr = to_string_array(units)
    value_arr = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(values)
    if isinstance(value_arr, pa.ChunkedArray):
        value_arr = value_arr.combine_chunks()
    value_arr = value_arr.cast(pa.float64())
    value_np = np.asarray(pc.fill_null(value_arr, np.nan).to_numpy(zero_copy_only=False))
    value_null = null_mask(value_arr)
    # Key each row by (row of the lab table, unit): the table row is digits, so the first
    # separator splits the key unambiguously whatever the unit holds.
    lab_row = pc.index_in(code_arr, value_set=_LAB_CODES)
    key = pc.binary_join_element_wise(lab_row.cast(pa.string()), pc.fill_null(unit_arr, ""), "\x1f")
    pairs, index = map_unique(key, _pair_of_key)
    # One extra slot for rows whose code is not in the table (their key is null).
    pairs.append(_Pair(None, ObservationReason.NOT_IN_TABLE, None))
    idx = np.asarray(pc.fill_null(index, len(pairs) - 1).to_numpy(zero_copy_only=False))

    def per_pair(fn: Any, dtype: Any) -> Any:
        return np.array([fn(p) for p in pairs], dtype=dtype)[idx]

    reason_of = {r: i for i, r in enumerate(_REASONS)}
    pair_reason = per_pair(lambda p: reason_of[p.reason] if p.reason else _NO_REASON, np.int8)
    scale = per_pair(lambda p: p.conversion.scale if p.conversion else np.nan, np.float64)
    offset = per_pair(lambda p: p.conversion.offset if p.conversion else np.nan, np.float64)
    lo = per_pair(lambda p: p.spec.plausible[0] if p.spec else np.nan, np.float64)
    hi = per_pair(lambda p: p.spec.plausible[1] if p.spec else np.nan, np.float64)

    canonical = value_np * scale + offset
    reason = pair_reason.copy()
    unit_ok = pair_reason == _NO_REASON
    with np.errstate(invalid="ignore"):
        implausible = unit_ok & ~value_null & ~((canonical >= lo) & (canonical <= hi))
    reason[implausible] = reason_of[ObservationReason.VALUE_IMPLAUSIBLE]
    missing = pair_reason == reason_of[ObservationReason.MISSING_UNIT]
    unjudged_missing = missing & value_null
    reason[unjudged_missing] = _NO_REASON
    not_judged = unjudged_missing | (pair_reason == reason_of[ObservationReason.NOT_IN_TABLE])

    valid = pa.array(reason == _NO_REASON, type=pa.bool_(), mask=not_judged)
    has = reason >= 0
    reason_out = _REASON_ARRAY.take(pa.array(np.where(has, reason, 0).astype(np.int8), mask=~has))
    # expected: per pair, the unit text and the range text; rows pick by whether the value
    # was judged.
    texts = []
    for p in pairs:
        texts += [_unit_expected(p.spec), _range_expected(p.spec)] if p.spec else ["", ""]
    use_range = unit_ok & ~value_null
    expected = pa.array(texts, type=pa.string()).take(pa.array(idx * 2 + use_range))
    canonical_out = pa.array(canonical, type=pa.float64(), mask=~unit_ok | value_null)
    return ObservationCheckArrays(valid, reason_out, expected, canonical_out)


_LAB_CODES = pa.array(list(LABS), type=pa.string())


def _pair_of_key(key: str) -> _Pair:
    row, _, unit = key.partition("\x1f")
    return _pair(_LAB_CODES[int(row)].as_py(), unit or None)
