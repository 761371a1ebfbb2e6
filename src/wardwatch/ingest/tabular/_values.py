"""Read source values into canonical column values, one column of a batch at a time.

Each mapped column gets a :class:`ColumnReader`. It takes the column's cells as an Arrow string
array and returns the canonical values plus, for the rows where a cell cannot be read, why:
MISSING_REQUIRED (empty where a value is required), MAPPING_ERROR (not a number, not a boolean,
not in the value map) or INVALID_DATETIME. Plain text and number columns are converted in bulk
by Arrow; the others, and any batch where the bulk path finds a bad value, cell by cell.

Times become the normalized strings of :mod:`wardwatch.core.timeutil`. A time written without
a zone is taken in the column's (or the mapping's) ``timezone`` and stored in UTC.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.core.schemas import Kind
from wardwatch.core.timeutil import normalize_datetime, normalize_hl7_datetime
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest.tabular._mapping import ColumnMapping, TableMapping, parse_zone

__all__ = ["ColumnReader", "ValueProblem"]

_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INT = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_ZONE = re.compile(r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$")
_HL7_ZONE = re.compile(r"[+-][0-9]{4}$")
_BOOL = {"true": True, "t": True, "yes": True, "y": True, "1": True,
         "false": False, "f": False, "no": False, "n": False, "0": False}  # fmt: skip
_TIME_CACHE = 1 << 16
_TIME_FORMS = {
    "iso": "ISO 8601 date or date-time (2024-01-31T08:30:00Z)",
    "date": "a date YYYY-MM-DD",
    "hl7": "HL7 DTM YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ]",
}


class ValueProblem(Exception):  # noqa: N818 - a finding about a value, not a program failure
    """Why a cell cannot be read: a reason code and what was expected."""

    def __init__(self, reason: Reason, expected: str) -> None:
        super().__init__(expected)
        self.reason = reason
        self.expected = expected


def _utc_text(dt: datetime) -> str:
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


@dataclass(frozen=True)
class ColumnReader:
    """Reads one canonical column from its source column (or a constant)."""

    name: str
    source: str
    kind: Kind
    required: bool
    strip: bool
    nulls: frozenset[str]
    value_map: dict[str, str | None] | None
    unmapped: str
    split: str | None
    fmt: str
    zone: tzinfo
    # Dates and times repeat down a column (service dates, result times of one batch): each
    # distinct text is parsed once.
    _times: dict[str, str | None] = field(default_factory=dict, init=False, compare=False)

    @classmethod
    def for_column(cls, m: TableMapping, name: str) -> ColumnReader:
        """The reader of mapped column ``name`` of ``m``."""
        return cls._build(m, name, m.columns[name])

    @classmethod
    def for_constant(cls, m: TableMapping, name: str) -> ColumnReader:
        """A reader to check and convert the constant of column ``name``."""
        return cls._build(m, name, ColumnMapping(source=f"constants.{name}"))

    @classmethod
    def _build(cls, m: TableMapping, name: str, col: ColumnMapping) -> ColumnReader:
        spec = m.spec.column(name)
        return cls(
            name=name,
            source=col.source,
            kind=spec.kind,
            required=spec.required or col.required,
            strip=col.strip,
            nulls=frozenset(m.null_values) | frozenset(col.null_values),
            value_map=col.map,
            unmapped=col.unmapped,
            split=col.split,
            fmt=col.format or "iso",
            zone=parse_zone(col.timezone or m.timezone),
        )

    @property
    def expected(self) -> str:
        """What a readable value of this column looks like, for messages."""
        if self.kind in ("ts", "date"):
            return _TIME_FORMS.get(self.fmt, f"a time in the form {self.fmt}")
        return {
            "float": "a number",
            "int": "an integer",
            "bool": "true/false, yes/no, y/n or 1/0",
            "list_str": "text",
            "str": "text",
        }[self.kind]

    def convert(self, text: str | None) -> Any:
        """One cell to its canonical value (None when empty).

        Raises:
            ValueProblem: the cell cannot be read.
        """
        if text is not None:
            if self.strip:
                text = text.strip()
            if text in self.nulls:
                text = None
        return self._after_nulls(text)

    def _after_nulls(self, text: str | None) -> Any:
        if text is not None and self.value_map is not None:
            if text in self.value_map:
                text = self.value_map[text]
            elif self.unmapped == "reject":
                raise ValueProblem(Reason.MAPPING_ERROR, "one of " + ", ".join(self.value_map))
            elif self.unmapped == "null":
                text = None
        if text is None:
            if self.required:
                raise ValueProblem(Reason.MISSING_REQUIRED, f"a value ({self.name} is required)")
            return None
        return self._typed(text)

    def _typed(self, text: str) -> Any:
        kind = self.kind
        if kind == "str":
            return text
        if kind == "float":
            if _FLOAT.fullmatch(text) and math.isfinite(number := float(text)):
                return number
        elif kind == "int":
            if _INT.fullmatch(text) and -(2**63) <= (integer := int(text)) < 2**63:
                return integer
        elif kind == "bool":
            if (b := _BOOL.get(text.lower())) is not None:
                return b
        elif kind == "list_str":
            parts = text.split(self.split) if self.split else [text]
            items = [item for p in parts if (item := p.strip())]
            if items or not self.required:
                return items or None
            raise ValueProblem(Reason.MISSING_REQUIRED, f"a value ({self.name} is required)")
        elif (value := self._time(text)) is not None:
            return value
        else:
            raise ValueProblem(Reason.INVALID_DATETIME, self.expected)
        raise ValueProblem(Reason.MAPPING_ERROR, self.expected)

    def _time(self, text: str) -> str | None:
        cache = self._times
        if text in cache:
            return cache[text]
        if len(cache) >= _TIME_CACHE:
            cache.clear()
        value = cache[text] = self._parse_time(text)
        return value

    def _parse_time(self, text: str) -> str | None:
        fmt = self.fmt
        if fmt in ("iso", "date", "hl7"):
            if fmt == "hl7":
                norm = normalize_hl7_datetime(text)
                naive = not _HL7_ZONE.search(text)
            else:
                if fmt == "date" and not _DATE.fullmatch(text):
                    return None
                norm = normalize_datetime(text)
                naive = not _ISO_ZONE.search(text)
            if norm is None:
                return None
            if self.kind == "date":
                return norm[:10]
            if naive and self.zone is not UTC:
                stamp = datetime.fromisoformat(norm[:-1]).replace(tzinfo=self.zone)
                return _utc_text(stamp)
            return norm
        try:
            dt = datetime.strptime(text, fmt)
        except ValueError:
            return None
        if self.kind == "date":
            return date(dt.year, dt.month, dt.day).isoformat()
        return _utc_text(dt if dt.tzinfo is not None else dt.replace(tzinfo=self.zone))

    def read(self, cells: pa.Array) -> tuple[list[Any], dict[int, ValueProblem]]:
        """Convert a batch of cells (an Arrow string array); problems keyed by row index."""
        if self.strip:
            cells = pc.utf8_trim_whitespace(cells)
        if self.nulls:
            empty = pc.is_in(cells, value_set=pa.array(sorted(self.nulls), pa.string()))
            cells = pc.if_else(empty, pa.scalar(None, pa.string()), cells)
        if self.value_map is None and self.kind in ("str", "float", "int"):
            bulk = self._bulk(cells)
            if bulk is not None:
                return bulk
        values: list[Any] = cells.to_pylist()
        problems: dict[int, ValueProblem] = {}
        for i, text in enumerate(values):
            try:
                values[i] = self._after_nulls(text)
            except ValueProblem as p:
                problems[i] = p
                values[i] = None
        return values, problems

    def _bulk(self, cells: pa.Array) -> tuple[list[Any], dict[int, ValueProblem]] | None:
        """The Arrow path for text and numbers; None when a cell needs the careful path."""
        if self.kind == "str":
            typed = cells
        else:
            # Arrow also reads "nan", "inf" and "1e5" as an integer-free float; only accept what
            # the per-cell regexes accept, so that both paths agree.
            rx = _FLOAT.pattern if self.kind == "float" else _INT.pattern
            ok = pc.match_substring_regex(cells, pattern=f"^(?:{rx})$")
            if not pc.all(pc.or_kleene(ok, pc.is_null(cells))).as_py():
                return None
            try:
                typed = pc.cast(cells, pa.float64() if self.kind == "float" else pa.int64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None  # an integer out of range, say
            if self.kind == "float" and pc.any(pc.invert(pc.is_finite(typed))).as_py():
                return None  # 1e400 overflows to inf
        values = typed.to_pylist()
        problems: dict[int, ValueProblem] = {}
        if self.required and typed.null_count:
            missing = ValueProblem(Reason.MISSING_REQUIRED, f"a value ({self.name} is required)")
            problems = {i: missing for i, v in enumerate(values) if v is None}
        return values, problems
