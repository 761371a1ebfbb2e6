"""RxNorm, CPT and HCPCS Level II: format rules (these systems have no check digit).

No code list ships offline for any of them (CPT is licensed by the AMA; RxNorm and HCPCS are
public but not packaged), so a valid verdict means "has the system's shape":

* **RxNorm** RXCUI: 1 to 7 digits, no leading zero (``314076``: lisinopril 10 MG Oral Tablet).
* **CPT** (HCPCS Level I): 5 digits for Category I (``99213``), or 4 digits and a letter:
  ``F`` Category II performance measures (``3074F``), ``T`` Category III emerging technology
  (``0042T``), ``U`` Proprietary Laboratory Analyses (``0001U``), ``M`` Multianalyte Assays
  with Algorithmic Analyses (``0002M``).
* **HCPCS Level II**: one letter and 4 digits (``J1100``, ``E0601``). The letters in use are
  A-V except F, I, N and O, which no HCPCS section uses; those are ``bad-format``.

Matching is exact: no surrounding spaces, upper-case letters only.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from wardwatch.terminology._arrays import ArrayInput, null_mask, regex_mask, to_string_array
from wardwatch.terminology._result import NULL, OK, CodeCheck, CodeCheckArrays, CodeReason, finish
from wardwatch.terminology._result import code as rc

__all__ = [
    "CPT_EXPECTED",
    "HCPCS_EXPECTED",
    "RXNORM_EXPECTED",
    "cpt_row_codes",
    "hcpcs_row_codes",
    "rxnorm_row_codes",
    "validate_cpt",
    "validate_cpt_array",
    "validate_hcpcs",
    "validate_hcpcs_array",
    "validate_rxnorm",
    "validate_rxnorm_array",
]

RXNORM_EXPECTED = "an RxNorm concept id (RXCUI): 1 to 7 digits, no leading zero (e.g. 314076)"
CPT_EXPECTED = (
    "a CPT code: 5 digits (Category I, e.g. 99213), or 4 digits and F (Category II), "
    "T (Category III), U (PLA) or M (MAAA)"
)
HCPCS_EXPECTED = (
    "a HCPCS Level II code: a letter A-V other than F, I, N, O, then 4 digits (e.g. J1100)"
)


class _Format:
    """A code system whose only rule is a regular expression (anchored at both ends)."""

    def __init__(self, pattern: str, expected: str) -> None:
        self.pattern = pattern
        self.expected = expected
        self._re = re.compile(pattern)

    def check(self, value: object) -> CodeCheck:
        compiled = self._re
        if isinstance(value, str) and compiled.fullmatch(value):
            return CodeCheck(True, None, self.expected)
        hint = None
        if isinstance(value, str) and compiled.fullmatch(value.strip().upper()):
            hint = f"did you mean {value.strip().upper()!r}?"
        return CodeCheck(False, CodeReason.BAD_FORMAT.value, self.expected, hint)

    def row_codes(self, arr: pa.Array) -> npt.NDArray[np.int8]:
        out = np.full(len(arr), OK, dtype=np.int8)
        out[~regex_mask(arr, f"^(?:{self.pattern})$")] = rc(CodeReason.BAD_FORMAT)
        out[null_mask(arr)] = NULL
        return out


_RXNORM = _Format(r"[1-9][0-9]{0,6}", RXNORM_EXPECTED)
_CPT = _Format(r"[0-9]{5}|[0-9]{4}[FTUM]", CPT_EXPECTED)
_HCPCS = _Format(r"[A-EGHJ-MP-V][0-9]{4}", HCPCS_EXPECTED)


def validate_rxnorm(code: object) -> CodeCheck:
    """Check an RxNorm RXCUI's form (1 to 7 digits, no leading zero). Reason: ``bad-format``."""
    return _RXNORM.check(code)


def validate_cpt(code: object) -> CodeCheck:
    """Check a CPT code's form (5 digits, or 4 digits + F/T/U/M). Reason: ``bad-format``."""
    return _CPT.check(code)


def validate_hcpcs(code: object) -> CodeCheck:
    """Check a HCPCS Level II code's form (letter + 4 digits). Reason: ``bad-format``."""
    return _HCPCS.check(code)


def rxnorm_row_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Internal reason codes of RxNorm validation over a string array."""
    return _RXNORM.row_codes(arr)


def cpt_row_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Internal reason codes of CPT validation over a string array."""
    return _CPT.row_codes(arr)


def hcpcs_row_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Internal reason codes of HCPCS Level II validation over a string array."""
    return _HCPCS.row_codes(arr)


def validate_rxnorm_array(codes: ArrayInput | Any) -> CodeCheckArrays:
    """:func:`validate_rxnorm` over a column (same verdicts, row for row)."""
    return finish(rxnorm_row_codes(to_string_array(codes)), RXNORM_EXPECTED)


def validate_cpt_array(codes: ArrayInput | Any) -> CodeCheckArrays:
    """:func:`validate_cpt` over a column (same verdicts, row for row)."""
    return finish(cpt_row_codes(to_string_array(codes)), CPT_EXPECTED)


def validate_hcpcs_array(codes: ArrayInput | Any) -> CodeCheckArrays:
    """:func:`validate_hcpcs` over a column (same verdicts, row for row)."""
    return finish(hcpcs_row_codes(to_string_array(codes)), HCPCS_EXPECTED)
