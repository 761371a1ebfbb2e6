"""Reading the prediction log one window at a time.

The scoring service writes ``lake/predictions/date=YYYY-MM-DD/part-*.parquet``
(:data:`wardwatch.serve.PREDICTION_LOG_SCHEMA`). A window reads only the ``date=`` folders
it overlaps, through DuckDB, and parses the JSON model inputs into one column per feature
inside the query, so memory holds one window's rows and never the whole log: monitoring a
long history streams with memory flat in its length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = [
    "LogWindow",
    "Window",
    "iter_windows",
    "log_span",
    "read_window",
    "versions_in_log",
    "window_files",
    "windows",
]

_TABLE = "predictions"


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0

    def label(self) -> str:
        last = self.end - timedelta(microseconds=1)
        if self.days == 1:
            return f"{self.start:%Y-%m-%d}"
        return f"{self.start:%Y-%m-%d}..{last:%Y-%m-%d}"


@dataclass(frozen=True)
class LogWindow:
    """One window's scored rows of one model version (shadow scores excluded).

    ``table`` has ``request_id``, ``at``, ``patient`` (pseudonym), ``risk``, ``decision``,
    ``band``, ``latency_ms`` and one column per feature (float64 for numeric features,
    string for categorical ones; null when the request did not carry it)."""

    window: Window
    model: str
    version: int
    table: pa.Table

    @property
    def n(self) -> int:
        return int(self.table.num_rows)


def windows(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """Consecutive windows of ``size`` from ``start`` (the last one may be partial and is
    kept only when complete: a partial window would look like a volume drop)."""
    out = []
    t = start
    while t + size <= end:
        out.append(Window(t, t + size))
        t += size
    return out


def window_files(root: Path, start: datetime, end: datetime) -> list[str]:
    """Parquet files of ``root/date=YYYY-MM-DD`` folders that may hold rows of ``[start,
    end)``: the window's UTC days and the day after (a row is filed by the day it was
    written, which can follow its time). Files being written (``.*.tmp``) are never read."""
    if not root.is_dir():
        return []
    first, last = start.date(), (end - timedelta(microseconds=1)).date() + timedelta(days=1)
    files: list[str] = []
    day = first
    while day <= last:
        folder = root / f"date={day:%Y-%m-%d}"
        if folder.is_dir():
            files.extend(str(p) for p in sorted(folder.glob("*.parquet")))
        day += timedelta(days=1)
    return files


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_window(
    lake_dir: Path,
    model: str,
    version: int,
    window: Window,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    con: duckdb.DuckDBPyConnection | None = None,
) -> LogWindow:
    """The rows of ``model`` version ``version`` scored in ``window`` (see :class:`LogWindow`)."""
    files = window_files(lake_dir / _TABLE, window.start, window.end)
    cols = [
        *(
            f"TRY_CAST(json_extract(features, {_literal('$.' + _json_key(f))}) AS DOUBLE) "
            f"AS {_ident(f)}"
            for f in numeric
        ),
        *(
            f"json_extract_string(features, {_literal('$.' + _json_key(f))}) AS {_ident(f)}"
            for f in categorical
        ),
    ]
    if not files:
        return LogWindow(window, model, version, _empty(numeric, categorical))
    db = con or duckdb.connect()
    try:
        query = (
            'SELECT request_id, "at", patient, risk, decision, band, latency_ms'
            + "".join(", " + c for c in cols)
            + f" FROM read_parquet([{', '.join(_literal(f) for f in files)}],"
            " hive_partitioning=false, union_by_name=true)"
            " WHERE model = ? AND version = ? AND NOT coalesce(shadow, false)"
            ' AND "at" >= ? AND "at" < ? ORDER BY "at", request_id'
        )
        table = db.sql(query, params=[model, version, window.start, window.end]).to_arrow_table()
    finally:
        if con is None:
            db.close()
    return LogWindow(window, model, version, table)


def versions_in_log(lake_dir: Path, model: str) -> list[int]:
    """The versions of ``model`` that have non-shadow rows in the log (ascending)."""
    if not any((lake_dir / _TABLE).glob("date=*/part-*.parquet")):
        return []
    glob = str(lake_dir / _TABLE / "date=*" / "part-*.parquet")
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT DISTINCT version FROM read_parquet({_literal(glob)}, hive_partitioning=false)"
            " WHERE model = ? AND NOT coalesce(shadow, false) ORDER BY version",
            [model],
        ).fetchall()
    return [int(r[0]) for r in rows]


def log_span(lake_dir: Path, model: str) -> tuple[datetime, datetime] | None:
    """First and last prediction time of ``model`` in the log (None when it has none)."""
    if not any((lake_dir / _TABLE).glob("date=*/part-*.parquet")):
        return None
    glob = str(lake_dir / _TABLE / "date=*" / "part-*.parquet")
    with duckdb.connect() as db:
        row = db.execute(
            'SELECT min("at"), max("at")'
            f" FROM read_parquet({_literal(glob)}, hive_partitioning=false)"
            " WHERE model = ? AND NOT coalesce(shadow, false)",
            [model],
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0].astimezone(UTC), row[1].astimezone(UTC)


def iter_windows(
    lake_dir: Path,
    model: str,
    version: int,
    spans: Sequence[Window],
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
) -> Iterator[LogWindow]:
    """:func:`read_window` for each window in turn, on one DuckDB connection."""
    with duckdb.connect() as db:
        for w in spans:
            yield read_window(
                lake_dir, model, version, w, numeric=numeric, categorical=categorical, con=db
            )


def _json_key(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _empty(numeric: Sequence[str], categorical: Sequence[str]) -> pa.Table:
    fields = [
        ("request_id", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("patient", pa.string()),
        ("risk", pa.float64()),
        ("decision", pa.bool_()),
        ("band", pa.string()),
        ("latency_ms", pa.float64()),
        *((f, pa.float64()) for f in numeric),
        *((f, pa.string()) for f in categorical),
    ]
    return pa.schema(fields).empty_table()
