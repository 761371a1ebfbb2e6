"""UCUM units: validation against the UCUM grammar and conversion factors.

A small recursive-descent parser of the case-sensitive (c/s) UCUM syntax over the complete
atom and prefix tables of ``ucum-essence.xml`` (:mod:`._ucum_atoms`, 312 atoms, 24 prefixes).
The grammar is the one in the UCUM specification (version 2.2), evaluated left to right::

    main-term   ::= "/" term | term
    term        ::= term "." component | term "/" component | component
    component   ::= annotatable annotation | annotatable | annotation | factor | "(" term ")"
    annotatable ::= simple-unit exponent | simple-unit
    simple-unit ::= ATOM | PREFIX METRIC-ATOM
    exponent    ::= ("+" | "-")? digits          factor ::= digits (a positive integer)
    annotation  ::= "{" ASCII 33-126 except curly braces "}"

One leniency beyond that grammar: an annotation may also follow a factor or a closing
parenthesis (``/100{cells}``, ``g/(8.h){shift}``), because the UCUM Organization's own table of
example units for electronic messaging uses both.

So ``mg/dL``, ``10*3/uL``, ``mL/min/{1.73_m2}``, ``{beats}/min``, ``mm[Hg]``, ``kg/m2`` and
``/min`` are valid; ``mcg``, ``cc``, ``degrees``, ``mEq/L``, ``mmHg``, ``ka`` (year is not
metric) and ``mg / dL`` are not. Case matters and UCUM is exact about it: liter is both ``l``
and ``L``, so ``mg/dl`` and ``mmol/l`` are valid UCUM (deci-liter, milli-mole per liter) and
mean exactly what ``mg/dL`` and ``mmol/L`` mean, while ``MG/DL`` is invalid. A unit can be
valid UCUM and still be wrong for a measurement (``C`` is the coulomb, not Celsius):
:mod:`._labs` checks that.

Limits: conversions are by factor for ordinary units and by function only for the stand-alone
temperature units (``K``, ``Cel``, ``[degF]``, ``[degRe]``); other special units (``[pH]``,
``B[SPL]``, ``Np``...) and any special unit inside a compound validate but do not convert.
Arbitrary units (``[IU]``, ``[arb'U]``...) convert only to themselves. Annotations never change
a unit's meaning (``{beats}/min`` is ``/min``), as the specification says.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from wardwatch.terminology._arrays import ArrayInput, map_unique, to_string_array
from wardwatch.terminology._result import (
    NULL,
    CodeCheck,
    CodeCheckArrays,
    CodeReason,
    finish,
    to_codes,
)
from wardwatch.terminology._ucum_atoms import ATOMS, PREFIXES, UCUM_VERSION

__all__ = [
    "UCUM_EXPECTED",
    "UCUM_VERSION",
    "Conversion",
    "UcumUnit",
    "parse_ucum",
    "ucum_conversion",
    "ucum_valid",
    "validate_ucum",
    "validate_ucum_array",
]

UCUM_EXPECTED = "a UCUM unit, case-sensitive (c/s) code (e.g. mg/dL, 10*3/uL, mm[Hg], /min)"

Dims = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Conversion:
    """An affine conversion ``to = from * scale + offset`` (offset is 0 but for temperatures)."""

    scale: float
    offset: float = 0.0

    def apply(self, value: float) -> float:
        """The value in the target unit."""
        return value * self.scale + self.offset

    def then(self, other: Conversion) -> Conversion:
        """This conversion followed by ``other``."""
        return Conversion(self.scale * other.scale, self.offset * other.scale + other.offset)

    def inverse(self) -> Conversion:
        """The conversion back."""
        return Conversion(1.0 / self.scale, -self.offset / self.scale)


@dataclass(frozen=True, slots=True)
class UcumUnit:
    """A parsed UCUM unit.

    Attributes:
        code: the unit as written.
        factor: its magnitude in UCUM base units (``mg/dL`` is 10: 10 g/m3).
        dims: the exponents of base units (``m``, ``s``, ``g``, ``rad``, ``K``, ``C``, ``cd``) and
            of arbitrary units, sorted, zeros dropped; two units convert by factor when equal.
        special: a special unit (a function, not a factor: ``Cel``, ``[pH]``) occurs in it.
        atoms: the atoms it uses (``{"g", "l"}`` for ``mg/dl``).
    """

    code: str
    factor: float
    dims: Dims
    special: bool
    atoms: frozenset[str]


class _UcumError(ValueError):
    pass


_ATOM_ROWS = {row[0]: row for row in ATOMS}
_PREFIXES_BY_LENGTH = sorted(PREFIXES, key=len, reverse=True)
_EXPONENT_RE = re.compile(r"(.*?[^0-9+\-])([+-]?[0-9]+)")
_STOP = frozenset("./(){}")
#: Kelvin from each temperature unit.
_TO_KELVIN = {
    "K": Conversion(1.0),
    "Cel": Conversion(1.0, 273.15),
    "[degF]": Conversion(5.0 / 9.0, 459.67 * 5.0 / 9.0),
    "[degRe]": Conversion(1.25, 273.15),
}
_HINTS = {
    "mcg": "ug",
    "cc": "mL",
    "degrees": "deg (angle) or Cel (temperature)",
    "mEq": "meq",
    "IU": "[IU]",
    "mmHg": "mm[Hg]",
    "cmH2O": "cm[H2O]",
    "bpm": "/min",
    "degF": "[degF]",
    "degC": "Cel",
    "sec": "s",
    "hr": "h",
    "hrs": "h",
    "yr": "a",
    "yrs": "a",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "in": "[in_i]",
    "ft": "[ft_i]",
    "oz": "[oz_av]",
    "ppm": "[ppm]",
    "units": "U or [IU]",
}


def _combine(a: Dims, b: Dims, sign: int) -> Dims:
    out = dict(a)
    for k, v in b:
        out[k] = out.get(k, 0) + sign * v
    return tuple(sorted((k, v) for k, v in out.items() if v))


@dataclass(frozen=True, slots=True)
class _Value:
    factor: float
    dims: Dims
    special: bool
    atoms: frozenset[str]

    def times(self, other: _Value, sign: int = 1) -> _Value:
        if sign > 0:
            factor = self.factor * other.factor
        else:  # a factor underflowing to 0 (10*-400) divides to infinity, not an exception
            factor = self.factor / other.factor if other.factor else math.inf
        dims = _combine(self.dims, other.dims, sign)
        return _Value(factor, dims, self.special or other.special, self.atoms | other.atoms)

    def power(self, exp: int) -> _Value:
        try:
            factor = self.factor**exp
        except (OverflowError, ZeroDivisionError):
            factor = math.inf
        return _Value(
            factor,
            tuple((k, v * exp) for k, v in self.dims if v * exp),
            self.special,
            self.atoms,
        )


_ONE = _Value(1.0, (), False, frozenset())


@cache
def _atom_value(code: str) -> _Value:
    _, _, kind, value, unit = _ATOM_ROWS[code]
    if kind == "b":
        return _Value(1.0, ((code, 1),), False, frozenset({code}))
    if kind == "a" and unit == "1":
        return _Value(1.0, ((code, 1),), False, frozenset({code}))
    try:
        inner = _Parser(unit).parse() if unit else _ONE
    except _UcumError:  # pragma: no cover - every definition in ucum-essence 2.2 parses
        inner = _ONE
    base = _Value(value * inner.factor, inner.dims, inner.special or kind == "s", inner.atoms)
    return _Value(base.factor, base.dims, base.special, frozenset({code}))


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def fail(self, message: str) -> _UcumError:
        return _UcumError(message)

    def parse(self) -> _Value:
        if not self.s:
            raise self.fail("empty unit")
        if self.s[0] == "/":
            self.i = 1
            value = _ONE.times(self.term(), -1)
        else:
            value = self.term()
        if self.i != len(self.s):
            raise self.fail(f"unexpected {self.s[self.i]!r} at position {self.i + 1}")
        return value

    def term(self) -> _Value:
        value = self.component()
        while self.i < len(self.s) and self.s[self.i] in "./":
            op = self.s[self.i]
            self.i += 1
            value = value.times(self.component(), 1 if op == "." else -1)
        return value

    def component(self) -> _Value:
        if self.i >= len(self.s):
            raise self.fail("a unit is missing at the end")
        ch = self.s[self.i]
        if ch == "(":
            self.i += 1
            value = self.term()
            if self.i >= len(self.s) or self.s[self.i] != ")":
                raise self.fail("unclosed '('")
            self.i += 1
        elif ch == "{":
            self.annotation()
            return _ONE
        else:
            run = self.symbol_run()
            if not run:
                raise self.fail(f"unexpected {ch!r} at position {self.i + 1}")
            if run.isdigit():
                if not run.strip("0"):
                    raise self.fail("a factor must be a positive integer")
                value = _Value(_to_float(run), (), False, frozenset())
            else:
                value = self.simple_unit(run)
        if self.i < len(self.s) and self.s[self.i] == "{":
            self.annotation()
        return value

    def annotation(self) -> None:
        end = self.s.find("}", self.i + 1)
        if end < 0:
            raise self.fail("unclosed '{'")
        body = self.s[self.i + 1 : end]
        if any(not 33 <= ord(c) <= 126 or c == "{" for c in body):
            raise self.fail("an annotation may hold only printable ASCII without spaces")
        self.i = end + 1

    def symbol_run(self) -> str:
        start = self.i
        s = self.s
        while self.i < len(s) and s[self.i] not in _STOP:
            ch = s[self.i]
            if not 33 <= ord(ch) <= 126:
                raise self.fail(f"character {ch!r} is not allowed in a UCUM unit")
            if ch == "[":
                end = s.find("]", self.i + 1)
                if end < 0:
                    raise self.fail("unclosed '['")
                self.i = end + 1
            else:
                self.i += 1
        return s[start : self.i]

    def simple_unit(self, run: str) -> _Value:
        symbol, exponent = run, 1
        if m := _EXPONENT_RE.fullmatch(run):
            symbol, exponent = m.group(1), int(m.group(2))
        return _symbol_value(symbol).power(exponent)


def _to_float(digits: str) -> float:
    try:
        return float(int(digits))
    except (OverflowError, ValueError):  # beyond float range, or too many digits for int()
        return math.inf


def _symbol_value(symbol: str) -> _Value:
    if symbol in _ATOM_ROWS:
        return _atom_value(symbol)
    for prefix in _PREFIXES_BY_LENGTH:
        rest = symbol[len(prefix) :]
        if symbol.startswith(prefix) and rest in _ATOM_ROWS:
            if not _ATOM_ROWS[rest][1]:
                raise _UcumError(f"{rest!r} is not a metric unit and takes no prefix")
            atom = _atom_value(rest)
            return _Value(PREFIXES[prefix] * atom.factor, atom.dims, atom.special, atom.atoms)
    raise _UcumError(f"{symbol!r} is not a UCUM unit")


@lru_cache(maxsize=4096)
def _parse(unit: str) -> UcumUnit | str:
    try:
        v = _Parser(unit).parse()
    except _UcumError as exc:
        return str(exc)
    return UcumUnit(unit, v.factor, v.dims, v.special, v.atoms)


def parse_ucum(unit: object) -> UcumUnit | None:
    """The parsed unit, or None when ``unit`` is not a valid UCUM c/s unit. Never raises."""
    if not isinstance(unit, str):
        return None
    result = _parse(unit)
    return result if isinstance(result, UcumUnit) else None


def ucum_valid(unit: object) -> bool:
    """True when ``unit`` is a valid UCUM case-sensitive unit expression."""
    return parse_ucum(unit) is not None


def _hint(unit: str) -> str | None:
    if unit in _HINTS:
        return f"{unit!r} is not UCUM: use {_HINTS[unit]}"
    guess = unit.strip().replace(" ", "")
    guess = guess.replace("µ", "u").replace("μ", "u").replace("mEq", "meq").replace("^", "")
    guess = re.sub(r"(?<![\[\w])(?:mcg)(?![\]\w])", "ug", guess)
    guess = guess.replace("mmHg", "mm[Hg]").replace("IU", "[IU]").replace("[[IU]]", "[IU]")
    if guess != unit and ucum_valid(guess):
        return f"did you mean {guess!r}?"
    return None


def validate_ucum(unit: object) -> CodeCheck:
    """Check a unit against the UCUM grammar and atom table. Reason: ``bad-unit``.

    The hint says what failed (``'mcg' is not a UCUM unit``) or suggests the UCUM spelling.
    """
    if not isinstance(unit, str):
        return CodeCheck(False, CodeReason.BAD_UNIT.value, UCUM_EXPECTED, "not a string")
    result = _parse(unit)
    if isinstance(result, UcumUnit):
        return CodeCheck(True, None, UCUM_EXPECTED)
    return CodeCheck(False, CodeReason.BAD_UNIT.value, UCUM_EXPECTED, _hint(unit) or result)


def ucum_row_codes(arr: pa.Array) -> npt.NDArray[np.int8]:
    """Internal reason codes of UCUM validation over a string array (one parse per distinct)."""
    results, index = map_unique(arr, validate_ucum)
    lookup = np.array([to_codes(r) for r in results] + [NULL], dtype=np.int8)
    idx = np.asarray(index.fill_null(len(results)).to_numpy(zero_copy_only=False))
    out: npt.NDArray[np.int8] = lookup[idx]
    return out


def validate_ucum_array(units: ArrayInput | Any) -> CodeCheckArrays:
    """:func:`validate_ucum` over a column (same verdicts, row for row)."""
    return finish(ucum_row_codes(to_string_array(units)), UCUM_EXPECTED)


def ucum_conversion(source: object, target: object) -> Conversion | None:
    """How to convert a value from unit ``source`` to unit ``target``, or None if one cannot.

    None when either is not valid UCUM, their dimensions differ, or a special unit other than a
    stand-alone temperature is involved. ``ucum_conversion("mg/dL", "g/L")`` is scale 0.01;
    ``ucum_conversion("[degF]", "Cel")`` is scale 5/9, offset -160/9. Substance and mass do not
    convert (that needs a molar mass: see :mod:`._labs`).
    """
    a, b = parse_ucum(source), parse_ucum(target)
    if a is None or b is None:
        return None
    if a.code in _TO_KELVIN and b.code in _TO_KELVIN:
        return _TO_KELVIN[a.code].then(_TO_KELVIN[b.code].inverse())
    if a.special or b.special or a.dims != b.dims:
        return None
    scale = a.factor / b.factor if b.factor else math.inf
    return Conversion(scale) if math.isfinite(scale) and scale > 0 else None
