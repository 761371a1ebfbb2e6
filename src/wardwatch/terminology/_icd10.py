"""ICD-10-CM: the full official code list, billable (leaf) versus header codes.

The list is the one the ``simple-icd-10-cm`` package ships offline (98,505 items of the CMS
release named in :attr:`Icd10CmCodeList.release`: chapters, blocks and 98,186 codes, of which
74,719 are billable and 23,467 are headers). It is
loaded once, lazily, on first use, into two frozensets of codes written without the dot, plus
Arrow arrays of the same codes for :func:`pyarrow.compute.index_in` in the vectorized form.

Loading reads the package's plain code list file directly (about 0.1 s) instead of importing
``simple_icd_10_cm``, whose import parses the 10 MB tabular XML (about 3 s). A code is billable
when no other code extends it (ICD-10-CM codes are hierarchical by prefix, so the leaf test is a
sorted-neighbour comparison); ``tests/terminology/test_icd10.py`` checks both sets against the
package's own API. If the file is not where it is expected, the package API is used instead.

Statuses:

* ``billable``: a code with no subcodes, valid on a claim or as a diagnosis (``E11.9``, ``I10``).
* ``header``: a category or subcategory that has subcodes (``E11``, ``S00.0``): in the code
  set but not billable.
* ``unknown``: code-shaped but not in the list (``Z99.999``).
* ``malformed``: not code-shaped (``E11.9 `` with a trailing space, ``e11.9``, ``E1.19``,
  ranges such as ``A00-A09``, chapter numbers). Matching is exact on purpose: stray spaces and
  lower case are data defects the gate should report. Call :func:`normalize_icd10cm` first to
  be lenient. The dot is optional (``E119`` and ``E11.9`` are the same code) because claims
  (X12) write codes without it and FHIR with it.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.terminology._arrays import (
    ArrayInput,
    map_unique,
    null_mask,
    regex_mask,
    to_string_array,
)
from wardwatch.terminology._result import (
    NULL,
    OK,
    CodeCheck,
    CodeCheckArrays,
    CodeReason,
    code,
    finish,
)

__all__ = [
    "ICD10CM_EXPECTED",
    "Icd10CmCodeList",
    "Icd10CmStatus",
    "icd10cm_code_list",
    "icd10cm_status",
    "icd10cm_status_array",
    "normalize_icd10cm",
    "validate_icd10cm",
    "validate_icd10cm_array",
]

Icd10CmStatus = Literal["billable", "header", "unknown", "malformed"]

#: A letter, two digits or letters, then optionally a dot and 1 to 4 digits or letters. The
#: second character is a digit in every code but the QA0 category added in 2025 (``QA0.0101``).
_SHAPE = r"[A-Z][0-9A-Z]{2}(?:\.?[0-9A-Z]{1,4})?"
_SHAPE_RE = re.compile(_SHAPE)
_SHAPE_RE2 = "^" + _SHAPE + "$"

ICD10CM_EXPECTED = (
    "a billable ICD-10-CM code: a letter, 2 digits or letters, then an optional dot and 1 to 4 "
    "digits or letters, in the official list and without subcodes (e.g. E11.9)"
)

_STATUSES: tuple[Icd10CmStatus, ...] = ("billable", "header", "unknown", "malformed")
_STATUS_ARRAY = pa.array(_STATUSES, type=pa.string())


@dataclass(frozen=True)
class Icd10CmCodeList:
    """The loaded ICD-10-CM code list.

    Attributes:
        billable: codes with no subcodes, without the dot (``E119``).
        header: categories and subcodes that have subcodes, without the dot (``E11``).
        release: which release, as the package names it (``April 2026``).
        source: where the list was read from.
        load_seconds: how long loading took.
    """

    billable: frozenset[str]
    header: frozenset[str]
    release: str
    source: str
    load_seconds: float
    #: billable codes then header codes, for :func:`pyarrow.compute.index_in`.
    lookup: pa.Array = field(repr=False)


_lock = threading.Lock()
_loaded: Icd10CmCodeList | None = None


def icd10cm_code_list() -> Icd10CmCodeList:
    """The ICD-10-CM code list, loaded on first call and cached for the process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load()
    return _loaded


def _package_code_file() -> Path | None:
    spec = importlib.util.find_spec("simple_icd_10_cm")  # locates without importing
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        files = sorted((Path(location) / "data").glob("code-list-*.txt"))
        if len(files) == 1:
            return files[0]
    return None


def _load() -> Icd10CmCodeList:
    start = time.perf_counter()
    path = _package_code_file()
    if path is not None:
        items = path.read_text(encoding="utf-8").split()
        codes = sorted({c for c in items if _SHAPE_RE.fullmatch(c)})
        release = path.stem.removeprefix("code-list-").replace("-", " ")
        source = f"simple-icd-10-cm {path.name}"
        # Sorted, a code's subcodes follow it immediately: it is a header when the next code
        # extends it.
        header = {a for a, b in itertools.pairwise(codes) if b.startswith(a)}
        billable = set(codes) - header
    else:  # pragma: no cover - only when the package changes its data layout
        billable, header, release, source = _load_from_api()
    lookup = pa.array(sorted(billable) + sorted(header), type=pa.string())
    return Icd10CmCodeList(
        billable=frozenset(billable),
        header=frozenset(header),
        release=release,
        source=source,
        load_seconds=time.perf_counter() - start,
        lookup=lookup,
    )


def _load_from_api() -> tuple[set[str], set[str], str, str]:  # pragma: no cover
    import simple_icd_10_cm as icd  # type: ignore[import-untyped]

    billable: set[str] = set()
    header: set[str] = set()
    for c in icd.get_all_codes(with_dots=True):
        if icd.is_category_or_subcategory(c):
            (billable if icd.is_leaf(c) else header).add(c.replace(".", ""))
    return billable, header, "unknown release", "simple_icd_10_cm API"


def icd10cm_status(code_: object) -> Icd10CmStatus:
    """Where ``code_`` stands in ICD-10-CM: ``billable``, ``header``, ``unknown`` or ``malformed``.

    ``"E11.9"`` and ``"E119"`` are ``billable``, ``"E11"`` is ``header``, ``"Z99.999"`` is
    ``unknown``, ``"E11.9 "`` and anything that is not a string are ``malformed``.
    """
    if not isinstance(code_, str) or not _SHAPE_RE.fullmatch(code_):
        return "malformed"
    key = code_.replace(".", "")
    lists = icd10cm_code_list()
    if key in lists.billable:
        return "billable"
    if key in lists.header:
        return "header"
    return "unknown"


def normalize_icd10cm(code_: object) -> str | None:
    """The dotted, upper-case form of a code-shaped value (``" e119 "`` -> ``"E11.9"``).

    Returns None when the value is not code-shaped even after trimming and upper-casing. It
    does not say the code exists: pass the result to :func:`icd10cm_status`.
    """
    if not isinstance(code_, str):
        return None
    text = code_.strip().upper()
    if not _SHAPE_RE.fullmatch(text):
        return None
    bare = text.replace(".", "")
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def validate_icd10cm(code_: object, *, billable_only: bool = True) -> CodeCheck:
    """Check an ICD-10-CM diagnosis code against the official list.

    Valid means billable; with ``billable_only=False`` header codes are valid too (problem
    lists sometimes carry categories). Reasons: ``bad-format`` (malformed), ``unknown-code``,
    ``header-code``.
    """
    status = icd10cm_status(code_)
    if status == "billable" or (status == "header" and not billable_only):
        return CodeCheck(True, None, ICD10CM_EXPECTED)
    if status == "header":
        return CodeCheck(
            False,
            CodeReason.HEADER_CODE.value,
            ICD10CM_EXPECTED,
            "a category with subcodes: code to the highest specificity",
        )
    if status == "unknown":
        return CodeCheck(False, CodeReason.UNKNOWN_CODE.value, ICD10CM_EXPECTED)
    fixed = normalize_icd10cm(code_)
    hint = None
    if fixed is not None and icd10cm_status(fixed) != "unknown":
        hint = f"did you mean {fixed!r}?"
    return CodeCheck(False, CodeReason.BAD_FORMAT.value, ICD10CM_EXPECTED, hint)


#: Below this many rows, look distinct values up in the frozensets: building Arrow's hash
#: table of the 98,186 codes costs about 15 ms a call, which dominates small batches.
SMALL_BATCH = 20_000


def _status_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Per row: 0 billable, 1 header, 2 unknown, 3 malformed, -1 null."""
    if len(arr) < SMALL_BATCH:
        results, index = map_unique(arr, lambda c: _STATUSES.index(icd10cm_status(c)))
        lookup = np.array([*results, -1], dtype=np.int8)
        rows: npt.NDArray[np.int8] = lookup[pc.fill_null(index, len(results)).to_numpy()]
        return rows
    lists = icd10cm_code_list()
    shaped = regex_mask(arr, _SHAPE_RE2)
    bare = pc.replace_substring(arr, pattern=".", replacement="")
    pos = pc.fill_null(pc.index_in(bare, value_set=lists.lookup), -1).to_numpy()
    found = pos >= 0
    out = np.full(len(arr), 3, dtype=np.int8)
    out[shaped] = 2
    out[shaped & found & (pos < len(lists.billable))] = 0
    out[shaped & found & (pos >= len(lists.billable))] = 1
    out[null_mask(arr)] = -1
    return out


def icd10cm_status_array(codes: ArrayInput | Any) -> pa.StringArray:
    """:func:`icd10cm_status` over a column: a string array of statuses (null for null rows)."""
    arr = to_string_array(codes)
    status = _status_codes(arr)
    idx = pa.array(np.maximum(status, 0), type=pa.int8(), mask=status < 0)
    result: pa.StringArray = _STATUS_ARRAY.take(idx)
    return result


def icd10cm_row_codes(arr: pa.Array, *, billable_only: bool = True) -> npt.NDArray[np.int8]:
    """Internal reason codes (see :mod:`._result`) of the rows of a string array."""
    status = _status_codes(arr)
    out = np.full(len(arr), OK, dtype=np.int8)
    out[status == 3] = code(CodeReason.BAD_FORMAT)
    out[status == 2] = code(CodeReason.UNKNOWN_CODE)
    if billable_only:
        out[status == 1] = code(CodeReason.HEADER_CODE)
    out[status == -1] = NULL
    return out


def validate_icd10cm_array(
    codes: ArrayInput | Any, *, billable_only: bool = True
) -> CodeCheckArrays:
    """:func:`validate_icd10cm` over a column (same verdicts, row for row)."""
    arr = to_string_array(codes)
    return finish(icd10cm_row_codes(arr, billable_only=billable_only), ICD10CM_EXPECTED)
