"""Build small lakes by hand: rows as dicts, missing columns null, provenance filled in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import arrow_schema


def ts(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD[ HH:MM]'."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def d(text: str) -> date:
    return date.fromisoformat(text)


def make_lake(root: Path, tables: dict[str, list[dict[str, Any]]], source: str = "src1") -> Lake:
    """Write ``tables`` as one source ``source`` of a lake under ``root``; return the lake."""
    lake = Lake(root)
    for name, rows in tables.items():
        strict = arrow_schema(name)
        schema = pa.schema([f.with_nullable(True) for f in strict])  # bad data allowed
        full = []
        for i, row in enumerate(rows, 1):
            r = {f.name: None for f in schema}
            r.update(
                source_file=f"{source}/{name}.ndjson",
                source_line=i,
                source_hash="0" * 64,
                source_format="fhir-ndjson",
                ingest_run="run1",
            )
            r.update(row)
            full.append(r)
        folder = lake.sources_dir / source / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(full, schema=schema), folder / "part-00000.parquet")
    return lake
