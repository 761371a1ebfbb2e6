"""What a check sees: the engine's tables (limited to the contract's sources), the time the
gate runs "as of", the finding limit and the saved reference profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wardwatch.quality._engine import Engine

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["CheckContext"]


@dataclass
class CheckContext:
    """Inputs shared by every check of one gate run.

    Args:
        engine: where the tables live.
        as_of: "now" for the future-date checks (UTC); defaults to the wall clock.
        max_findings: how many findings each check lists (all are counted); ``None`` lists all.
        sources: glob patterns over ``source_file``; when set, only rows from matching sources
            are checked (a contract per source).
        reference: a saved reference profile (see :mod:`wardwatch.quality.checks.profile`).
    """

    engine: Engine
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    max_findings: int | None = 1000
    sources: tuple[str, ...] = ()
    reference: dict[str, Any] | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    """Results checks share within one gate run (a table's profile serves two checks)."""
    _counts: dict[str, int] = field(default_factory=dict)
    _tables: dict[str, ir.Table] = field(default_factory=dict)

    def table(self, name: str) -> ir.Table:
        """A canonical table, restricted to the contract's sources."""
        if name not in self._tables:
            t = self.engine.table(name)
            if self.sources:
                cond = None
                for pattern in self.sources:
                    like = t.source_file.like(_glob_to_like(pattern))
                    cond = like if cond is None else cond | like
                t = t.filter(cond)
            self._tables[name] = t
        return self._tables[name]

    def full_table(self, name: str) -> ir.Table:
        """A canonical table from every source (references may point across sources)."""
        return self.engine.table(name)

    def rows(self, name: str) -> int:
        """Number of rows of ``table(name)`` (cached)."""
        if name not in self._counts:
            self._counts[name] = int(self.engine.scalar(self.table(name).count()))
        return self._counts[name]


def _glob_to_like(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)
