"""Checks of R4 primitive formats on the values wardwatch maps, fast on the common forms.

``id``, ``code`` and the date types are checked here rather than by msgspec patterns (which
cost ~0.5 µs a value). Dates take a fast path for the full ``instant`` form (at most 6 fraction
digits, no leap second) and for ``YYYY-MM-DD`` on a day that exists (then
:func:`~wardwatch.core.timeutil.normalize_datetime` would give the value itself, or its first
instant, which the tests check); every other form goes through the R4 regular expression and
then :mod:`wardwatch.core.timeutil` (~5 µs). Results are cached by value: clinical times repeat
within an encounter or a panel. R4 is stricter than timeutil: a time needs seconds and a zone,
and the separator is ``T``.
"""

from __future__ import annotations

import re

from wardwatch.core.timeutil import normalize_date, normalize_datetime
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest.fhir._errors import Reject

__all__ = [
    "KNOWN_CODES",
    "check_code",
    "check_id",
    "date",
    "datetime",
    "instant",
]

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
_MONTH_DAY = r"-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"

_R4_DATE = re.compile(rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?").fullmatch
_R4_DATETIME = re.compile(
    rf"{_YEAR}(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T{_TIME}{_ZONE})?)?)?"
).fullmatch
_R4_INSTANT = re.compile(rf"{_YEAR}{_MONTH_DAY}T{_TIME}{_ZONE}").fullmatch
# The full instant form with at most 6 fraction digits and no leap second: timeutil returns
# these unchanged when the day exists in every month (<= 28).
_FAST = re.compile(
    r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3])"
    r":[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
).fullmatch
_FAST_DATE = re.compile(r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])").fullmatch
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}").fullmatch

_CACHE_LIMIT = 1 << 14
# Normalized values by input, per type: clinical times repeat within an encounter or a panel,
# and a dict lookup is ~10x cheaper than the regular expression.
_DATETIMES: dict[str, str] = {}
_INSTANTS: dict[str, str] = {}
_CODES: set[str] = set()  # codes already checked: code systems are small vocabularies
KNOWN_CODES = _CODES
"""Codes already found valid (callers test membership to skip building an element path)."""

_DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD"
_DATETIME_FORMS = "YYYY[-MM[-DD[Thh:mm:ss[.s](Z|±hh:mm)]]]"
_INSTANT_FORMS = "YYYY-MM-DDThh:mm:ss[.s](Z|±hh:mm)"


def _bad(field: str, value: str, kind: str, forms: str, calendar: bool) -> Reject:
    """The Reject for a date/time value that is not valid R4."""
    problem = f"not a real calendar {kind}" if calendar else f"not a valid R4 {kind}"
    return Reject(Reason.INVALID_DATETIME, field, f"an R4 {kind}: {forms}", value, problem)


_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _day_exists(value: str) -> bool:
    """Whether the day of ``YYYY-MM-DD...`` (digits already checked) is in its month."""
    day, month = int(value[8:10]), int(value[5:7])
    if day <= 28 or (day <= _DAYS[month] and month != 2):
        return True
    year = int(value[:4])
    return day == 29 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _remember(cache: dict[str, str], value: str, norm: str) -> str:
    """Cache a normalized value (bounded: the cache is emptied when full)."""
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[value] = norm
    return norm


def datetime(value: str, field: str, suffix: str = "") -> str:
    """An R4 ``dateTime`` normalized for the lake (see ``normalize_datetime``), or Reject.

    The element path in a Reject is ``field + suffix`` (joined only when needed).
    """
    hit = _DATETIMES.get(value)
    if hit is not None:
        return hit
    if _FAST(value) is not None:
        if value[8:10] <= "28" or _day_exists(value):
            return _remember(_DATETIMES, value, value)
    elif _FAST_DATE(value) is not None and (value[8:10] <= "28" or _day_exists(value)):
        return _remember(_DATETIMES, value, value + "T00:00:00Z")  # as timeutil gives
    return _remember(_DATETIMES, value, _slow_datetime(value, field + suffix))


def _slow_datetime(value: str, field: str) -> str:
    """The R4 regex, then timeutil, for every form but the common ones."""
    if _R4_DATETIME(value) is None:
        raise _bad(field, value, "dateTime", _DATETIME_FORMS, calendar=False)
    norm = normalize_datetime(value)
    if norm is None:
        raise _bad(field, value, "dateTime", _DATETIME_FORMS, calendar=True)
    return norm


def instant(value: str, field: str, suffix: str = "") -> str:
    """An R4 ``instant`` (a full time with a zone) normalized for the lake, or Reject."""
    hit = _INSTANTS.get(value)
    if hit is not None:
        return hit
    if _FAST(value) is not None and (value[8:10] <= "28" or _day_exists(value)):
        return _remember(_INSTANTS, value, value)
    return _remember(_INSTANTS, value, _slow_instant(value, field + suffix))


def _slow_instant(value: str, field: str) -> str:
    """The R4 regex, then timeutil, for every form but the common ones."""
    if _R4_INSTANT(value) is None:
        raise _bad(field, value, "instant", _INSTANT_FORMS, calendar=False)
    norm = normalize_datetime(value)
    if norm is None:
        raise _bad(field, value, "instant", _INSTANT_FORMS, calendar=True)
    return norm


def date(value: str, field: str) -> str:
    """An R4 ``date`` as ``YYYY-MM-DD`` (partial dates take the first day), or Reject."""
    if _FAST_DATE(value) is not None and (value[8:10] <= "28" or _day_exists(value)):
        return value
    if _R4_DATE(value) is None:
        raise _bad(field, value, "date", _DATE_FORMS, calendar=False)
    norm = normalize_date(value)
    if norm is None:
        raise _bad(field, value, "date", _DATE_FORMS, calendar=True)
    return norm


def check_id(value: str, field: str) -> str:
    """An R4 ``id`` (``[A-Za-z0-9\\-.]{1,64}``), or Reject."""
    if _ID(value) is None:
        raise Reject(
            Reason.INVALID_VALUE,
            field,
            "an R4 id: 1 to 64 of A-Z a-z 0-9 - .",
            value,
            "not a valid R4 id",
        )
    return value


def check_code(value: str, field: str, suffix: str = "") -> str:
    """An R4 ``code``: no leading, trailing or repeated whitespace; or Reject."""
    if value in _CODES:
        return value
    if len(value.strip()) != len(value) or "  " in value:
        raise Reject(
            Reason.INVALID_VALUE,
            field + suffix,
            "an R4 code: no leading, trailing or repeated whitespace",
            value,
            "not a valid R4 code",
        )
    if len(_CODES) >= _CACHE_LIMIT:
        _CODES.clear()
    _CODES.add(value)
    return value
