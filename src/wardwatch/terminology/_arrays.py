"""Column plumbing shared by the vectorized validators.

Inputs may be a pyarrow ``Array``/``ChunkedArray`` (string, large string, dictionary-encoded or
integer), a NumPy array (unicode, bytes or object) or a plain sequence; they become one
``pa.StringArray``. Check digits are computed on a ``(rows, width)`` matrix of digit values taken
straight from the Arrow data buffer after left-padding every row to one width, so a million codes
cost a few NumPy passes instead of a million Python calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.terminology._checkdigits import _D, _P

__all__ = [
    "ArrayInput",
    "digit_matrix",
    "luhn_ok",
    "map_unique",
    "mask_of",
    "null_mask",
    "regex_mask",
    "to_string_array",
    "verhoeff_ok",
]

#: What the vectorized functions accept as a column.
ArrayInput: TypeAlias = "pa.Array | pa.ChunkedArray | npt.NDArray[Any] | Sequence[str | None]"

T = TypeVar("T")

# Verhoeff's multiplication table composed with each position's permutation, flattened:
# _DP[k, c * 10 + d] == _D[c][_P[k][d]], so each position costs one gather.
_DP = np.array(
    [[_D[c][_P[k][d]] for c in range(10) for d in range(10)] for k in range(8)], dtype=np.int8
)


def to_string_array(values: Any) -> pa.Array:
    """One ``pa.StringArray`` holding ``values`` (chunks combined, other types cast to string)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], type=values.type)
    if not isinstance(values, pa.Array):
        if isinstance(values, np.ndarray) and values.dtype.kind == "S":
            values = np.char.decode(values, "utf-8", errors="replace")
        values = pa.array(values, from_pandas=True) if len(values) else pa.array([], pa.string())
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values.cast(pa.string())


def mask_of(bools: pa.Array | pa.ChunkedArray, *, null: bool = False) -> npt.NDArray[np.bool_]:
    """A NumPy bool array from an Arrow bool array, nulls read as ``null``."""
    filled = pc.fill_null(bools, null)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    out: npt.NDArray[np.bool_] = filled.to_numpy(zero_copy_only=False).astype(np.bool_)
    return out


def null_mask(arr: pa.Array) -> npt.NDArray[np.bool_]:
    """Rows of ``arr`` that are null."""
    return mask_of(arr.is_null())


def regex_mask(arr: pa.Array, pattern: str) -> npt.NDArray[np.bool_]:
    """Rows that fully match the RE2 ``pattern`` (anchor it with ``^...$``); nulls are False."""
    return mask_of(pc.match_substring_regex(arr, pattern=pattern))


def digit_matrix(arr: pa.Array, ok: npt.NDArray[np.bool_], width: int) -> npt.NDArray[np.int16]:
    """Digit values of the rows where ``ok`` holds, right-aligned in ``width`` columns.

    Rows where ``ok`` holds must be ASCII digits only and at most ``width`` long; they are
    left-padded with zeros. Other rows come out as all zeros (callers ignore them).
    """
    n = len(arr)
    if n == 0:
        return np.zeros((0, width), dtype=np.int16)
    filled = pc.if_else(pa.array(ok, type=pa.bool_()), arr, pa.scalar("0" * width))
    padded = pc.utf8_lpad(filled, width=width, padding="0")
    offsets = np.frombuffer(padded.buffers()[1], dtype=np.int32)[
        padded.offset : padded.offset + n + 1
    ]
    data = np.frombuffer(padded.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(n, width).astype(np.int16) - 48


def luhn_ok(digits: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    """Rows whose last column is the Luhn check digit of the others (sum of digits mod 10 is 0)."""
    width = digits.shape[1]
    # From the right, the check digit is position 0; odd positions are doubled.
    doubled_cols = [j for j in range(width) if (width - 1 - j) % 2 == 1]
    plain_cols = [j for j in range(width) if (width - 1 - j) % 2 == 0]
    doubled = digits[:, doubled_cols] * 2
    doubled -= 9 * (doubled > 9)
    total = doubled.sum(axis=1, dtype=np.int32) + digits[:, plain_cols].sum(axis=1, dtype=np.int32)
    ok: npt.NDArray[np.bool_] = total % 10 == 0
    return ok


def verhoeff_ok(
    digits: npt.NDArray[np.int16], lengths: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Rows whose last digit is the Verhoeff check digit of the others.

    ``digits`` is right-aligned (left-padded); ``lengths`` says how many columns on the right
    each row really uses (leading zeros are not neutral in Verhoeff, so padding is skipped).
    """
    n, width = digits.shape
    c = np.zeros(n, dtype=np.int16)
    longest = int(lengths.max()) if n else 0
    for i in range(min(width, longest)):
        step = _DP[i % 8][c * 10 + digits[:, width - 1 - i]]
        c = np.where(i < lengths, step, c)
    ok: npt.NDArray[np.bool_] = c == 0
    return ok


def map_unique(arr: pa.Array, fn: Callable[[str], T]) -> tuple[list[T], pa.Array]:
    """Apply ``fn`` once per distinct non-null value of ``arr``.

    Returns the results (one per distinct value) and, per row, the index of its value's result
    (null for null rows). Meant for columns with few distinct values: units, code systems.
    """
    uniques = pc.unique(arr.drop_null())
    results = [fn(u) for u in uniques.to_pylist()]
    index = pc.index_in(arr, value_set=uniques)
    return results, index
