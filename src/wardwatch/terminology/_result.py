"""What a code check says: one :class:`CodeCheck` per value, or :class:`CodeCheckArrays` per column.

Every validator in this package has a scalar form (one code in, one :class:`CodeCheck` out) and
a vectorized form (an Arrow/NumPy column in, a :class:`CodeCheckArrays` out). Both speak the same
vocabulary of :class:`CodeReason` values, which the quality gate turns into findings naming the
record, the field, what was expected (``expected``) and what was found (the value itself).

Validators never raise on bad data: any text (or ``None``) gets an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["CodeCheck", "CodeCheckArrays", "CodeReason"]


class CodeReason(StrEnum):
    """Why a value failed a check (the string is what the reason arrays hold).

    * ``bad-format``: the value does not have the shape the code system prescribes (length,
      characters, hyphen, dot position, case, surrounding spaces).
    * ``bad-check-digit``: the shape is right but the check digit does not match (a mistyped or
      transposed digit).
    * ``bad-partition``: a SNOMED CT identifier whose partition identifier is unknown, is not a
      concept's (``00``/``10``) where a concept is required, or claims the long (namespaced) form
      without room for a namespace.
    * ``unknown-code``: well formed but not in the code list (ICD-10-CM only: the one system with
      an offline list).
    * ``header-code``: an ICD-10-CM category or subcategory that has children, so it cannot be
      billed or used as a diagnosis (``E11`` where ``E11.9`` is meant).
    * ``system-mismatch``: the value does not have its declared system's shape but does have
      another system's (a LOINC code labelled SNOMED CT).
    * ``unknown-system``: the declared code system is not one wardwatch can check (a local or
      missing system); the value is not judged.
    * ``bad-unit``: not a valid UCUM unit (syntax, unknown atom, prefix on a non-metric atom).
    """

    BAD_FORMAT = "bad-format"
    BAD_CHECK_DIGIT = "bad-check-digit"
    BAD_PARTITION = "bad-partition"
    UNKNOWN_CODE = "unknown-code"
    HEADER_CODE = "header-code"
    SYSTEM_MISMATCH = "system-mismatch"
    UNKNOWN_SYSTEM = "unknown-system"
    BAD_UNIT = "bad-unit"


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """The verdict on one value.

    Attributes:
        valid: True when the value passes every rule of its system that can be checked offline
            (format, check digit, code list where there is one). It does not prove the code
            exists in releases wardwatch does not ship (LOINC, SNOMED CT, RxNorm, CPT, HCPCS).
        reason: ``None`` when valid, else a :class:`CodeReason` value saying which rule failed.
        expected: what a valid value of this system looks like, in words, for the finding.
        hint: an optional suggestion (``'mcg' is not UCUM: use 'ug'``).
    """

    valid: bool
    reason: str | None
    expected: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class CodeCheckArrays:
    """The verdicts on a column of values, row-aligned with the input.

    Attributes:
        valid: ``bool`` array; True when the row passes, False when it fails, null when the row
            was not judged (a null value, or ``unknown-system``).
        reason: ``string`` array of :class:`CodeReason` values; null where ``valid`` is True and
            for null inputs.
        expected: ``string`` array describing a valid value of the row's system; null for null
            inputs.
    """

    valid: pa.BooleanArray
    reason: pa.StringArray
    expected: pa.StringArray

    def __len__(self) -> int:
        return len(self.valid)

    def invalid_count(self) -> int:
        """How many rows failed (valid is False)."""
        return int(pc.sum(pc.invert(pc.fill_null(self.valid, True))).as_py() or 0)


#: The order of the reasons in the int8 codes the vectorized validators build internally.
REASONS: tuple[CodeReason, ...] = tuple(CodeReason)
REASON_INDEX: dict[str, int] = {r.value: i for i, r in enumerate(REASONS)}
#: Internal row codes: >= 0 is an index into REASONS, OK is a valid row, NULL a null input.
OK = -1
NULL = -2

_REASONS_ARRAY = pa.array([r.value for r in REASONS], type=pa.string())
_NOT_JUDGED = REASON_INDEX[CodeReason.UNKNOWN_SYSTEM]


def code(reason: CodeReason) -> int:
    """The internal int8 code of a reason."""
    return REASON_INDEX[reason.value]


def finish(codes: npt.NDArray[np.int8], expected: str | pa.StringArray) -> CodeCheckArrays:
    """Turn internal row codes (see :data:`OK`, :data:`NULL`) into a :class:`CodeCheckArrays`.

    ``expected`` is one description for every row, or an array of one per row.
    """
    is_null = codes == NULL
    not_judged = is_null | (codes == _NOT_JUDGED)
    valid = pa.array(codes == OK, type=pa.bool_(), mask=not_judged)
    has_reason = codes >= 0
    idx = pa.array(np.where(has_reason, codes, 0).astype(np.int8), mask=~has_reason)
    reason = _REASONS_ARRAY.take(idx)
    if isinstance(expected, str):
        exp_idx = pa.array(np.zeros(len(codes), dtype=np.int8), mask=is_null)
        expected_arr = pa.array([expected], type=pa.string()).take(exp_idx)
    else:
        expected_arr = pc.if_else(pa.array(is_null), pa.scalar(None, pa.string()), expected)
    return CodeCheckArrays(valid, reason, expected_arr)


def to_codes(check: CodeCheck | None) -> int:
    """The internal code of a scalar verdict (``None`` stands for a null input)."""
    if check is None:
        return NULL
    if check.reason is None:
        return OK
    return REASON_INDEX[check.reason]
