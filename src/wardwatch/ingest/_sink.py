"""The contract between parsers and the lake writer.

A parser reads one source file and, for each record in it (an NDJSON line, a bundle entry, an
HL7 message, a CSV row), calls exactly one of:

* ``sink.load(line, rows)``: the record is valid; ``rows`` are ``(table, values)`` pairs, where
  ``values`` is a tuple in the order of ``TABLES[table].columns`` (provenance excluded).
  Timestamps and dates are strings already normalized by :mod:`wardwatch.core.timeutil`.
  One record may give several rows (an HL7 ORU gives a patient, an encounter and observations).
* ``sink.reject(line, rejection, raw)``: the record goes to quarantine, whole, with its reason.

A record is all-or-nothing, so ``records_in == loaded + quarantined`` always holds, and the
sink counts both. Parsers never raise on bad records; they raise :class:`InputError` only when
the file itself cannot be read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from wardwatch.core.schemas import TABLES
from wardwatch.ingest._reasons import Reason

__all__ = ["CollectingSink", "RecordSink", "Rejection", "Row", "row_from_mapping"]

Row = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a record was quarantined: one reason, the field path, expected and found."""

    reason: Reason
    message: str
    resource_type: str | None = None
    record_id: str | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None
    raw_truncated: bool = False
    """The raw record handed over is only its beginning (the source file has it whole)."""


class RecordSink(Protocol):
    """Where a parser sends each record: loaded (as rows) or rejected (to quarantine)."""

    def load(self, line: int, rows: Sequence[Row]) -> None: ...

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None: ...


def row_from_mapping(table: str, values: Mapping[str, Any]) -> Row:
    """Build a row for ``table`` from a mapping; absent columns are None, unknown keys an error.

    Convenient where speed does not matter (tabular mapping, tests); hot paths build tuples.
    """
    spec = TABLES[table]
    unknown = set(values) - {c.name for c in spec.columns}
    if unknown:
        raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
    return table, tuple(values.get(c.name) for c in spec.columns)


@dataclass
class CollectingSink:
    """A sink that keeps everything in memory: for tests and small inputs."""

    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    rejected: list[tuple[int, Rejection, str | bytes | None]] = field(default_factory=list)
    loaded: int = 0

    def load(self, line: int, rows: Sequence[Row]) -> None:
        for table, values in rows:
            if len(values) != len(TABLES[table].columns):
                raise ValueError(
                    f"row for {table} has {len(values)} values, "
                    f"expected {len(TABLES[table].columns)}"
                )
            self.rows.setdefault(table, []).append(values)
        self.loaded += 1

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        self.rejected.append((line, rejection, raw))

    @property
    def quarantined(self) -> int:
        return len(self.rejected)

    @property
    def records_in(self) -> int:
        return self.loaded + self.quarantined

    def reasons(self) -> Counter[str]:
        return Counter(str(r.reason) for _, r, _ in self.rejected)

    def dicts(self, table: str) -> list[dict[str, Any]]:
        """Rows of ``table`` as dicts keyed by column name."""
        names = [c.name for c in TABLES[table].columns]
        return [dict(zip(names, v, strict=True)) for v in self.rows.get(table, [])]
