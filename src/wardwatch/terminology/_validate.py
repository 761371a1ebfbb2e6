"""One entry point for any code and its declared system, scalar and vectorized.

:func:`validate_code` and :func:`validate_codes` look the declared system up (any spelling
:func:`~._systems.canonical_system` knows), run that system's validator, and, when a value
does not even have its system's shape, say whether it has another system's: a LOINC code
labelled SNOMED CT is ``system-mismatch``, not just ``bad-format``. :func:`systems_matching`
answers the underlying question: which systems could this code belong to?

Context rules use the strict defaults: ICD-10-CM codes must be billable and SNOMED CT codes must
be concept ids (partition ``00``/``10``). :func:`systems_matching` is lenient on both (a header
code still "looks like" ICD-10-CM).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.terminology._arrays import ArrayInput, map_unique, null_mask, to_string_array
from wardwatch.terminology._checked import (
    LOINC_EXPECTED,
    NPI_EXPECTED,
    SNOMED_EXPECTED,
    loinc_row_codes,
    npi_row_codes,
    snomed_row_codes,
    validate_loinc,
    validate_npi,
    validate_snomed,
)
from wardwatch.terminology._formats import (
    CPT_EXPECTED,
    HCPCS_EXPECTED,
    RXNORM_EXPECTED,
    cpt_row_codes,
    hcpcs_row_codes,
    rxnorm_row_codes,
    validate_cpt,
    validate_hcpcs,
    validate_rxnorm,
)
from wardwatch.terminology._icd10 import ICD10CM_EXPECTED, icd10cm_row_codes, validate_icd10cm
from wardwatch.terminology._result import (
    NULL,
    OK,
    CodeCheck,
    CodeCheckArrays,
    CodeReason,
    finish,
)
from wardwatch.terminology._result import code as rc
from wardwatch.terminology._systems import CODE_SYSTEMS, code_system
from wardwatch.terminology._ucum import UCUM_EXPECTED, ucum_row_codes, validate_ucum

__all__ = ["systems_matching", "validate_code", "validate_codes"]

Scalar = Callable[[object], CodeCheck]
Rows = Callable[[pa.Array], npt.NDArray[np.int8]]

#: key -> (strict scalar, strict rows, lenient scalar, lenient rows, expected).
_VALIDATORS: dict[str, tuple[Scalar, Rows, Scalar, Rows, str]] = {
    "icd10cm": (
        validate_icd10cm,
        icd10cm_row_codes,
        lambda c: validate_icd10cm(c, billable_only=False),
        lambda a: icd10cm_row_codes(a, billable_only=False),
        ICD10CM_EXPECTED,
    ),
    "loinc": (validate_loinc, loinc_row_codes, validate_loinc, loinc_row_codes, LOINC_EXPECTED),
    "snomed": (
        validate_snomed,
        snomed_row_codes,
        lambda c: validate_snomed(c, concept=False),
        lambda a: snomed_row_codes(a, concept=False),
        SNOMED_EXPECTED,
    ),
    "rxnorm": (validate_rxnorm, rxnorm_row_codes, validate_rxnorm, rxnorm_row_codes,
               RXNORM_EXPECTED),
    "cpt": (validate_cpt, cpt_row_codes, validate_cpt, cpt_row_codes, CPT_EXPECTED),
    "hcpcs": (validate_hcpcs, hcpcs_row_codes, validate_hcpcs, hcpcs_row_codes, HCPCS_EXPECTED),
    "npi": (validate_npi, npi_row_codes, validate_npi, npi_row_codes, NPI_EXPECTED),
    "ucum": (validate_ucum, ucum_row_codes, validate_ucum, ucum_row_codes, UCUM_EXPECTED),
}  # fmt: skip

#: Systems a code's shape can point to (UCUM is left out: "1" or "10" are valid units).
_SHAPED = tuple(k for k in CODE_SYSTEMS if k != "ucum")
_UNKNOWN_EXPECTED = "a code system wardwatch checks: " + ", ".join(
    s.uri for s in CODE_SYSTEMS.values()
)


def systems_matching(code: object) -> tuple[str, ...]:
    """The canonical URIs of the systems whose rules ``code`` satisfies, in registry order.

    Rules are format and check digit, plus the code list for ICD-10-CM (header codes count).
    ``"2345-7"`` -> LOINC only; ``"99213"`` -> CPT and RxNorm (any 1-7 digit number is a
    possible RXCUI); ``"J1100"`` -> ICD-10-CM (J11.00) and HCPCS; ``"hello"`` -> nothing.
    """
    return tuple(CODE_SYSTEMS[k].uri for k in _SHAPED if _VALIDATORS[k][2](code).valid)


def validate_code(code: object, system: object) -> CodeCheck:
    """Check ``code`` against its declared ``system`` (a URI, OID or HL7 v2 name).

    Reasons: those of the system's validator, ``unknown-system`` (not a system wardwatch checks:
    ``valid`` is False here, but the gate should treat it as "not judged"), and
    ``system-mismatch`` (not the declared system's shape, but another's; the hint names it).
    """
    system_ = code_system(system)
    if system_ is None:
        return CodeCheck(False, CodeReason.UNKNOWN_SYSTEM.value, _UNKNOWN_EXPECTED)
    check = _VALIDATORS[system_.key][0](code)
    if check.reason == CodeReason.BAD_FORMAT and system_.key != "ucum":
        others = [u for u in systems_matching(code) if u != system_.uri]
        if others:
            names = ", ".join(s.name for s in CODE_SYSTEMS.values() if s.uri in others)
            return CodeCheck(
                False,
                CodeReason.SYSTEM_MISMATCH.value,
                check.expected,
                f"not a {system_.name} code, but it fits {names}: is the system right?",
            )
    return check


def validate_codes(codes: ArrayInput | Any, systems: ArrayInput | Any | str) -> CodeCheckArrays:
    """:func:`validate_code` over a column of codes and a column (or one value) of systems.

    Each distinct system is resolved once and each system's rows are checked with its
    vectorized validator. ``valid`` is null for null codes and for ``unknown-system`` rows
    (not judged); ``expected`` names what the row's system wants.
    """
    arr = to_string_array(codes)
    n = len(arr)
    if isinstance(systems, str) or systems is None:
        system_arr = pa.array([systems] * n if n else [], type=pa.string())
    else:
        system_arr = to_string_array(systems)
        if len(system_arr) != n:
            raise ValueError(f"codes has {n} rows but systems has {len(system_arr)}")
    keys, index = map_unique(system_arr, _system_key)
    order = [*_VALIDATORS, "unknown"]
    key_ids = np.array([order.index(k) for k in keys] + [len(order) - 1], dtype=np.int64)
    row_key = key_ids[np.asarray(pc.fill_null(index, len(keys)).to_numpy(zero_copy_only=False))]

    out = np.full(n, rc(CodeReason.UNKNOWN_SYSTEM), dtype=np.int8)
    expected_texts = [v[4] for v in _VALIDATORS.values()] + [_UNKNOWN_EXPECTED]
    for key_id, key in enumerate(order[:-1]):
        rows = np.flatnonzero(row_key == key_id)
        if not len(rows):
            continue
        sub = arr.take(pa.array(rows))
        sub_codes = _VALIDATORS[key][1](sub)
        if key != "ucum":
            sub_codes = _mark_mismatch(sub, sub_codes, key)
        out[rows] = sub_codes
    out[null_mask(arr)] = NULL
    expected = pa.array(expected_texts, type=pa.string()).take(pa.array(row_key))
    return finish(out, expected)


def _system_key(name: str) -> str:
    system = code_system(name)
    return "unknown" if system is None else system.key


def _mark_mismatch(
    sub: pa.Array, sub_codes: npt.NDArray[np.int8], key: str
) -> npt.NDArray[np.int8]:
    """Turn ``bad-format`` rows whose value fits another system into ``system-mismatch``."""
    bad = np.flatnonzero(sub_codes == rc(CodeReason.BAD_FORMAT))
    if not len(bad):
        return sub_codes
    candidates = sub.take(pa.array(bad))
    fits = np.zeros(len(bad), dtype=np.bool_)
    for other in _SHAPED:
        if other != key:
            fits |= _VALIDATORS[other][3](candidates) == OK
    sub_codes = sub_codes.copy()
    sub_codes[bad[fits]] = rc(CodeReason.SYSTEM_MISMATCH)
    return sub_codes
