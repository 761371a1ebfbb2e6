"""Read the quarantine: what was not loaded, why, and the record as received.

An entry's id is ``<source key prefix>:<record number>``, stable across runs. Listings leave
out the ``found`` value and the raw record (they may hold identifiers); ``show`` gives the
whole entry to a data steward working inside the workspace.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wardwatch.core.lake import Lake

__all__ = ["quarantine_counts", "quarantine_entries", "quarantine_entry"]

_LIST_COLUMNS = (
    "reason",
    "resource_type",
    "record_id",
    "field",
    "expected",
    "message",
    "source_file",
    "source_line",
)


def _where(reason: str | None, source: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if reason:
        clauses.append("reason = ?")
        params.append(reason)
    if source:
        clauses.append("source_file LIKE ?")
        params.append(f"%{source}%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def quarantine_entries(
    lake: Lake,
    *,
    reason: str | None = None,
    source: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Quarantined records (without ``found`` and ``raw``), in source and record order."""
    if not lake.files("quarantine"):
        return []
    where, params = _where(reason, source)
    cols = ", ".join(_LIST_COLUMNS)
    rel = duckdb.connect().execute(
        f"SELECT regexp_extract(filename, 'sources/([0-9a-f]{{12}})', 1) || ':' || source_line"
        f" AS id, {cols} FROM read_parquet(?, filename = true) {where}"
        " ORDER BY source_file, source_line LIMIT ? OFFSET ?",
        [lake.glob("quarantine"), *params, limit, offset],
    )
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def quarantine_entry(lake: Lake, entry_id: str) -> dict[str, Any] | None:
    """One whole entry (with ``found`` and ``raw``) by its id, or None."""
    prefix, _, line = entry_id.partition(":")
    if not prefix or not line.isdigit():
        return None
    for f in lake.files("quarantine"):
        key = f.parent.parent.name
        if not key.startswith(prefix):
            continue
        rel = duckdb.connect().execute(
            "SELECT * FROM read_parquet(?) WHERE source_line = ?", [str(f), int(line)]
        )
        row = rel.fetchone()
        if row is not None:
            names = [d[0] for d in rel.description]
            return {"id": f"{key[:12]}:{line}", **dict(zip(names, row, strict=True))}
    return None


def quarantine_counts(lake: Lake) -> dict[str, int]:
    """Quarantined records by reason code."""
    if not lake.files("quarantine"):
        return {}
    con = lake.connect()
    rows = con.execute(
        "SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY 2 DESC, 1"
    ).fetchall()
    return {str(r): int(n) for r, n in rows}
