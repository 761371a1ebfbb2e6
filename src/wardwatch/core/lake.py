"""The lake: analytic tables as Parquet, one table per concept, read with DuckDB.

Layout::

    lake/
      sources/<source_key>/<table>/part-00000.parquet   one folder per ingested source file
      sources/<source_key>/<table>/part-00001.parquet   (a large file parsed in byte ranges
                                                        at once has one part per range)
      sources/<source_key>/_manifest.json               counts of the whole source
      _staging/<source_key>-<run>/...                   work in progress, never read

A source's folder appears by one atomic rename once every row of it is written, so a reader
(or a killed and restarted ingest) sees all of a source or none of it. A table is the union of
its files across sources; DuckDB, Polars and pandas read them with the glob of
:meth:`Lake.glob`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.core.schemas import QUARANTINE, TABLES, arrow_schema

__all__ = ["MANIFEST", "Lake"]

MANIFEST = "_manifest.json"


class Lake:
    """A handle on the lake folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    @property
    def staging_dir(self) -> Path:
        return self.root / "_staging"

    def source_dir(self, source_key: str) -> Path:
        return self.sources_dir / source_key

    def has_source(self, source_key: str) -> bool:
        """True when the source was committed (its manifest is in place)."""
        return (self.source_dir(source_key) / MANIFEST).is_file()

    def manifest(self, source_key: str) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads((self.source_dir(source_key) / MANIFEST).read_bytes())
        return data

    def manifests(self) -> list[dict[str, Any]]:
        """Manifests of every committed source, oldest commit first."""
        if not self.sources_dir.is_dir():
            return []
        out = [orjson.loads(p.read_bytes()) for p in self.sources_dir.glob(f"*/{MANIFEST}")]
        return sorted(out, key=lambda m: (m.get("committed_at", ""), m.get("source_key", "")))

    def glob(self, table: str) -> str:
        """The glob of a table's Parquet files (for DuckDB ``read_parquet``, Polars, pandas)."""
        return str(self.sources_dir / "*" / table / "*.parquet")

    def files(self, table: str) -> list[Path]:
        if not self.sources_dir.is_dir():
            return []
        return sorted(self.sources_dir.glob(f"*/{table}/*.parquet"))

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """The whole table as Arrow (fine for small tables and tests; use DuckDB for big ones)."""
        schema = arrow_schema(table)
        files = self.files(table)
        if not files:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        tables = [pq.read_table(f, columns=columns, schema=schema) for f in files]
        return pa.concat_tables(tables)

    def connect(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per table (empty, typed views for absent tables)."""
        con = con or duckdb.connect()
        for name in [*TABLES, QUARANTINE.name]:
            if self.files(name):
                pattern = self.glob(name).replace("'", "''")
                con.execute(
                    f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM "
                    f"read_parquet('{pattern}', union_by_name = true)"
                )
            else:
                con.register(name, arrow_schema(name).empty_table())
        return con

    def count(self, table: str) -> int:
        """Number of rows of a table, from Parquet metadata (no data read)."""
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files(table))

    def clean_staging(self) -> None:
        """Remove work left by killed runs (never visible to readers)."""
        if self.staging_dir.is_dir():
            shutil.rmtree(self.staging_dir, ignore_errors=True)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
