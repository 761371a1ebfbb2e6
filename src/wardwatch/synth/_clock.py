"""Times of the simulation: integer UTC seconds, written in each site's local time.

Every generated time carries the UTC offset of the site where it happened, with United States
daylight saving time (second Sunday of March to first Sunday of November, since 2007); Arizona
keeps standard time all year. Formatting is hand-rolled and cached by day because the
generator writes several timestamps per resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

__all__ = [
    "DAY",
    "HOUR",
    "Zone",
    "date_str",
    "day_of",
    "ts_of_date",
]

DAY = 86400
HOUR = 3600
_EPOCH_ORD = date(1970, 1, 1).toordinal()
_DAY_CACHE: dict[int, str] = {}
_COMPACT_CACHE: dict[int, str] = {}
# Lookup tables: formatting two-digit numbers is the hot spot of writing timestamps.
_HH = [f"{h:02d}" for h in range(24)]
_MMSS = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
_MMSS_HL7 = [f"{m:02d}{s:02d}" for m in range(60) for s in range(60)]


def date_str(day: int) -> str:
    """``YYYY-MM-DD`` of a day number (days since 1970-01-01)."""
    s = _DAY_CACHE.get(day)
    if s is None:
        s = date.fromordinal(day + _EPOCH_ORD).isoformat()
        if len(_DAY_CACHE) < 200_000:
            _DAY_CACHE[day] = s
    return s


def _compact(day: int) -> str:
    s = _COMPACT_CACHE.get(day)
    if s is None:
        s = date_str(day).replace("-", "")
        if len(_COMPACT_CACHE) < 200_000:
            _COMPACT_CACHE[day] = s
    return s


def day_of(d: date) -> int:
    """Day number (days since 1970-01-01) of a date."""
    return d.toordinal() - _EPOCH_ORD


def ts_of_date(d: date) -> int:
    """UTC seconds at 00:00 UTC of ``d``."""
    return day_of(d) * DAY


def _nth_sunday(year: int, month: int, n: int) -> int:
    first = date(year, month, 1)
    offset = (6 - first.weekday()) % 7  # days to the first Sunday
    return day_of(first + timedelta(days=offset + 7 * (n - 1)))


@dataclass
class Zone:
    """A United States time zone: standard offset (hours) and whether it observes DST."""

    name: str
    std_hours: int
    dst: bool = True
    _years: dict[int, tuple[int, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._std = self.std_hours * HOUR
        self._suffix_std = _suffix(self._std)
        self._suffix_dst = _suffix(self._std + HOUR)
        self._hl7_std = self._suffix_std.replace(":", "")
        self._hl7_dst = self._suffix_dst.replace(":", "")

    def _dst_window(self, year: int) -> tuple[int, int]:
        w = self._years.get(year)
        if w is None:
            # 02:00 local standard time -> UTC; the end is 02:00 daylight time = 01:00 standard.
            start = _nth_sunday(year, 3, 2) * DAY + 2 * HOUR - self._std
            end = _nth_sunday(year, 11, 1) * DAY + 1 * HOUR - self._std
            w = (start, end)
            self._years[year] = w
        return w

    def offset(self, ts: int) -> int:
        """UTC offset in seconds at the UTC instant ``ts``."""
        if not self.dst:
            return self._std
        year = 1970 + (ts + self._std) // 31_556_952  # mean Gregorian year; fixed below
        start, end = self._dst_window(year)
        if ts >= end and ts > start + 300 * DAY:  # near New Year the estimate may be one off
            nxt = self._dst_window(year + 1)
            start, end = nxt
        return self._std + HOUR if start <= ts < end else self._std

    def local(self, day: int, seconds: int) -> int:
        """The UTC instant of local wall time ``seconds`` after midnight on day number ``day``."""
        naive = day * DAY + seconds
        ts = naive - self._std
        return naive - self.offset(ts)

    def iso(self, ts: int) -> str:
        """``YYYY-MM-DDThh:mm:ss±hh:mm`` in this zone (a FHIR dateTime and instant)."""
        off = self.offset(ts)
        day, sod = divmod(ts + off, DAY)
        hour, rest = divmod(sod, HOUR)
        suffix = self._suffix_std if off == self._std else self._suffix_dst
        return f"{date_str(day)}T{_HH[hour]}:{_MMSS[rest]}{suffix}"

    def hl7(self, ts: int) -> str:
        """``YYYYMMDDhhmmss±hhmm`` in this zone (an HL7 v2 DTM)."""
        off = self.offset(ts)
        day, sod = divmod(ts + off, DAY)
        hour, rest = divmod(sod, HOUR)
        suffix = self._hl7_std if off == self._std else self._hl7_dst
        return f"{_compact(day)}{_HH[hour]}{_MMSS_HL7[rest]}{suffix}"

    def date(self, ts: int) -> str:
        """Local calendar date ``YYYY-MM-DD`` of ``ts``."""
        return date_str((ts + self.offset(ts)) // DAY)

    def local_day(self, ts: int) -> int:
        """Local day number of ``ts``."""
        return (ts + self.offset(ts)) // DAY

    def to_datetime(self, ts: int) -> datetime:
        """``ts`` as an aware datetime in this zone (for tests and notes)."""
        return datetime.fromisoformat(self.iso(ts))


def _suffix(off: int) -> str:
    sign = "-" if off < 0 else "+"
    h, m = divmod(abs(off) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


EASTERN = Zone("America/New_York", -5)
CENTRAL = Zone("America/Chicago", -6)
ARIZONA = Zone("America/Phoenix", -7, dst=False)
PACIFIC = Zone("America/Los_Angeles", -8)
