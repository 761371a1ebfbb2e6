"""LOINC, SNOMED CT and NPI: format plus check digit, scalar and vectorized.

No package ships the LOINC table, SNOMED CT or the NPI registry offline, so a valid verdict
means "well formed, and the check digit matches": it catches mistyped and (mostly) transposed
digits, truncation and wrong systems, not retired or never-issued codes.

The scalar forms reuse :mod:`wardwatch.terminology._checkdigits`; the vectorized forms compute
the same check digits with NumPy over a digit matrix (an independent implementation: the tests
check that both agree on random input).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.terminology._arrays import (
    ArrayInput,
    digit_matrix,
    luhn_ok,
    null_mask,
    regex_mask,
    to_string_array,
    verhoeff_ok,
)
from wardwatch.terminology._checkdigits import (
    _SNOMED_PARTITIONS,
    loinc_valid,
    luhn_npi_valid,
    verhoeff_valid,
)
from wardwatch.terminology._result import NULL, OK, CodeCheck, CodeCheckArrays, CodeReason, finish
from wardwatch.terminology._result import code as rc

__all__ = [
    "LOINC_EXPECTED",
    "NPI_EXPECTED",
    "SNOMED_CONCEPT_PARTITIONS",
    "SNOMED_EXPECTED",
    "loinc_row_codes",
    "npi_row_codes",
    "snomed_partition",
    "snomed_row_codes",
    "validate_loinc",
    "validate_loinc_array",
    "validate_npi",
    "validate_npi_array",
    "validate_snomed",
    "validate_snomed_array",
]

LOINC_EXPECTED = (
    "a LOINC code: 1 to 7 digits, a hyphen and the mod 10 check digit of those digits (e.g. 2345-7)"
)
SNOMED_EXPECTED = (
    "a SNOMED CT concept id: 6 to 18 digits, no leading zero, partition identifier 00 or 10 in "
    "the 2nd and 3rd digits from the right, and a Verhoeff check digit last (e.g. 44054006)"
)
_SNOMED_ANY_EXPECTED = (
    "a SNOMED CT identifier: 6 to 18 digits, no leading zero, a known partition identifier in "
    "the 2nd and 3rd digits from the right, and a Verhoeff check digit last"
)
NPI_EXPECTED = (
    "a National Provider Identifier: 10 digits starting with 1 or 2, the last the Luhn check "
    "digit of 80840 followed by the first nine (e.g. 1234567893)"
)

#: Partition identifiers of concept ids: short format (``00``) and extension namespace (``10``).
SNOMED_CONCEPT_PARTITIONS = frozenset({"00", "10"})

_LOINC_RE = re.compile(r"[0-9]{1,7}-[0-9]")
_SNOMED_RE = re.compile(r"[1-9][0-9]{5,17}")
_NPI_RE = re.compile(r"[12][0-9]{9}")
_PARTITION_INTS = np.array(sorted(int(p) for p in _SNOMED_PARTITIONS))
_NPI_PREFIX = np.array([8, 0, 8, 4, 0], dtype=np.int16)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


# --- LOINC -------------------------------------------------------------------------------------


def validate_loinc(code: object) -> CodeCheck:
    """Check a LOINC code's form (``^\\d{1,7}-\\d$``) and mod 10 check digit.

    Reasons: ``bad-format``, ``bad-check-digit``. ``"2345-7"`` is valid; ``"2345-6"`` is not.
    """
    text = _text(code)
    if text is None or not _LOINC_RE.fullmatch(text):
        hint = None
        if text is not None and _LOINC_RE.fullmatch(text.strip()):
            hint = "remove the surrounding spaces"
        return CodeCheck(False, CodeReason.BAD_FORMAT.value, LOINC_EXPECTED, hint)
    if not loinc_valid(text):
        return CodeCheck(False, CodeReason.BAD_CHECK_DIGIT.value, LOINC_EXPECTED)
    return CodeCheck(True, None, LOINC_EXPECTED)


def loinc_row_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Internal reason codes of LOINC validation over a string array."""
    shaped = regex_mask(arr, r"^[0-9]{1,7}-[0-9]$")
    digits = digit_matrix(pc.replace_substring(arr, pattern="-", replacement=""), shaped, 8)
    out = np.full(len(arr), OK, dtype=np.int8)
    out[~luhn_ok(digits)] = rc(CodeReason.BAD_CHECK_DIGIT)
    out[~shaped] = rc(CodeReason.BAD_FORMAT)
    out[null_mask(arr)] = NULL
    return out


def validate_loinc_array(codes: ArrayInput | Any) -> CodeCheckArrays:
    """:func:`validate_loinc` over a column (same verdicts, row for row)."""
    return finish(loinc_row_codes(to_string_array(codes)), LOINC_EXPECTED)


# --- SNOMED CT ---------------------------------------------------------------------------------


def snomed_partition(sctid: object) -> str | None:
    """The partition identifier of a SNOMED CT id (``"00"`` for ``44054006``), None if not digits.

    ``00``/``10`` concept, ``01``/``11`` description, ``02``/``12`` relationship (short format /
    long format with a namespace identifier); ``03``/``13`` and ``05``/``15`` newer item kinds.
    """
    text = _text(sctid)
    if text is None or len(text) < 3 or not (text.isascii() and text.isdigit()):
        return None
    return text[-3:-1]


def validate_snomed(code: object, *, concept: bool = True) -> CodeCheck:
    """Check a SNOMED CT identifier: form, Verhoeff check digit and partition identifier.

    With ``concept=True`` (codes in ``Condition.code``, ``Procedure.code``...) the partition must
    be ``00`` or ``10``; with ``concept=False`` any known partition is accepted. A long-format
    id (partition ``1x``) must also have room for its 7-digit namespace (11 digits or more).
    Reasons, in the order checked: ``bad-format``, ``bad-check-digit``, ``bad-partition``.
    """
    expected = SNOMED_EXPECTED if concept else _SNOMED_ANY_EXPECTED
    text = _text(code)
    if text is None or not _SNOMED_RE.fullmatch(text):
        return CodeCheck(False, CodeReason.BAD_FORMAT.value, expected)
    if not verhoeff_valid(text):
        return CodeCheck(False, CodeReason.BAD_CHECK_DIGIT.value, expected)
    partition = text[-3:-1]
    allowed = SNOMED_CONCEPT_PARTITIONS if concept else _SNOMED_PARTITIONS
    if partition not in allowed or (partition[0] == "1" and len(text) < 11):
        hint = None
        if concept and partition in _SNOMED_PARTITIONS:
            hint = f"partition {partition} is not a concept's: a description or relationship id?"
        return CodeCheck(False, CodeReason.BAD_PARTITION.value, expected, hint)
    return CodeCheck(True, None, expected)


def snomed_row_codes(arr: pa.Array, *, concept: bool = True) -> npt.NDArray[np.int8]:
    """Internal reason codes of SNOMED CT validation over a string array."""
    shaped = regex_mask(arr, r"^[1-9][0-9]{5,17}$")
    digits = digit_matrix(arr, shaped, 18)
    lengths = pc.fill_null(pc.utf8_length(arr), 0).to_numpy().astype(np.int64)
    partition = digits[:, 15] * 10 + digits[:, 16]
    allowed = np.array([0, 10]) if concept else _PARTITION_INTS
    bad_partition = ~np.isin(partition, allowed) | ((partition >= 10) & (lengths < 11))
    out = np.full(len(arr), OK, dtype=np.int8)
    out[bad_partition] = rc(CodeReason.BAD_PARTITION)
    out[~verhoeff_ok(digits, lengths)] = rc(CodeReason.BAD_CHECK_DIGIT)
    out[~shaped] = rc(CodeReason.BAD_FORMAT)
    out[null_mask(arr)] = NULL
    return out


def validate_snomed_array(codes: ArrayInput | Any, *, concept: bool = True) -> CodeCheckArrays:
    """:func:`validate_snomed` over a column (same verdicts, row for row)."""
    expected = SNOMED_EXPECTED if concept else _SNOMED_ANY_EXPECTED
    return finish(snomed_row_codes(to_string_array(codes), concept=concept), expected)


# --- NPI ---------------------------------------------------------------------------------------


def validate_npi(npi: object) -> CodeCheck:
    """Check a National Provider Identifier: 10 digits, first 1 or 2, Luhn over ``80840`` + NPI.

    Reasons: ``bad-format``, ``bad-check-digit``. ``"1234567893"`` is valid.
    """
    text = _text(npi)
    if text is None or not _NPI_RE.fullmatch(text):
        return CodeCheck(False, CodeReason.BAD_FORMAT.value, NPI_EXPECTED)
    if not luhn_npi_valid(text):
        return CodeCheck(False, CodeReason.BAD_CHECK_DIGIT.value, NPI_EXPECTED)
    return CodeCheck(True, None, NPI_EXPECTED)


def npi_row_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Internal reason codes of NPI validation over a string array."""
    shaped = regex_mask(arr, r"^[12][0-9]{9}$")
    digits = digit_matrix(arr, shaped, 10)
    prefix = np.broadcast_to(_NPI_PREFIX, (len(arr), 5))
    out = np.full(len(arr), OK, dtype=np.int8)
    out[~luhn_ok(np.hstack([prefix, digits]))] = rc(CodeReason.BAD_CHECK_DIGIT)
    out[~shaped] = rc(CodeReason.BAD_FORMAT)
    out[null_mask(arr)] = NULL
    return out


def validate_npi_array(npis: ArrayInput | Any) -> CodeCheckArrays:
    """:func:`validate_npi` over a column (same verdicts, row for row)."""
    return finish(npi_row_codes(to_string_array(npis)), NPI_EXPECTED)
