"""Reference profiles: what drift is measured against, one column at a time.

A :class:`ReferenceProfile` is built once from the data a model version was validated on:
numeric columns keep their sorted finite values (so that a drift report sorts only the
current side) and their PSI quantile edges, categorical columns their category counts, and
every column its row and missing counts. It round-trips through a long Arrow table
(:data:`PROFILE_SCHEMA`) or a Parquet file, to be saved next to the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wardwatch.monitor import _stats as st

__all__ = [
    "PROFILE_SCHEMA",
    "ColumnProfile",
    "Data",
    "FloatArray",
    "Kind",
    "ReferenceProfile",
    "category_counts",
    "column_of",
    "numeric_values",
]

Kind = Literal["numeric", "categorical"]
FloatArray = npt.NDArray[np.float64]
PROFILE_SCHEMA = pa.schema(
    [
        ("column", pa.string()),
        ("kind", pa.string()),
        ("field", pa.string()),
        ("key", pa.string()),
        ("value", pa.float64()),
        ("count", pa.int64()),
    ]
)
"""Long format of a saved profile: per column, ``meta`` rows (key n, n_missing), ``value``
rows (sorted numeric values), ``edge`` rows (PSI edges) and ``category`` rows (key, count)."""
_FIELDS = ("meta", "value", "edge", "category")
Data: TypeAlias = pa.Table | pd.DataFrame | Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class ColumnProfile:
    """What the reference says about one column. ``n`` counts rows, ``n_missing`` those that
    are null/NaN/inf; ``values`` (numeric) holds the sorted finite values, ``edges`` the inner
    PSI quantile edges; ``counts`` (categorical) maps category code -> rows."""

    name: str
    kind: Kind
    n: int
    n_missing: int
    values: FloatArray | None = None
    edges: FloatArray | None = None
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def n_valid(self) -> int:
        """Non-missing rows (the sample size every statistic uses)."""
        return self.n - self.n_missing

    @cached_property
    def std(self) -> float:
        """Population standard deviation of the numeric reference (Wasserstein's scale)."""
        vals = self.values
        return float(np.std(vals)) if vals is not None and vals.size else math.nan

    @cached_property
    def distinct(self) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Distinct numeric values and their counts (the first six at most: enough to tell
        Evidently's "at most 5 distinct values" rule)."""
        return st.distinct_sorted(self.values if self.values is not None else np.empty(0), 5)


def column_of(data: Data, name: str) -> Any:
    if isinstance(data, pa.Table):
        return data.column(name)
    return data[name]


def numeric_values(raw: Any) -> FloatArray:
    if isinstance(raw, pa.ChunkedArray | pa.Array):
        return np.asarray(
            pc.cast(raw, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
    if isinstance(raw, pd.Series):
        if raw.dtype == np.float64:  # no copy
            return np.asarray(raw.to_numpy(), dtype=np.float64)
        return np.asarray(raw.to_numpy(dtype=np.float64, na_value=np.nan))
    return np.asarray(raw, dtype=np.float64)


def category_counts(raw: Any) -> tuple[int, dict[str, int]]:
    """Row count and category -> count (missing dropped, codes as ``str``)."""
    if isinstance(raw, pa.ChunkedArray | pa.Array):
        if not (pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type)):
            try:
                raw = pc.cast(raw, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raw = pa.array(
                    [None if v is None else str(v) for v in raw.to_pylist()], pa.string()
                )
        vc = pc.value_counts(raw)
        keys, counts = vc.field("values").to_pylist(), vc.field("counts").to_pylist()
        return len(raw), {k: int(c) for k, c in zip(keys, counts, strict=True) if k is not None}
    series = raw if isinstance(raw, pd.Series) else pd.Series(np.asarray(raw, dtype=object))
    vc = series.value_counts(dropna=True, sort=False)
    out: dict[str, int] = {}
    for k, c in zip(vc.index, vc.to_numpy(), strict=True):
        if isinstance(k, float) and not math.isfinite(k):
            continue
        out[str(k)] = out.get(str(k), 0) + int(c)
    return len(series), out


def _numeric_profile(name: str, raw: Any, n_bins: int) -> ColumnProfile:
    x = numeric_values(raw)
    finite = np.sort(x[np.isfinite(x)])
    return ColumnProfile(
        name, "numeric", x.size, x.size - finite.size, finite, st.quantile_edges(finite, n_bins)
    )


class ReferenceProfile(Mapping[str, ColumnProfile]):
    """Reference profiles by column name, in the order they were given."""

    def __init__(self, columns: Mapping[str, ColumnProfile]) -> None:
        self._columns = dict(columns)

    def __getitem__(self, name: str) -> ColumnProfile:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    @classmethod
    def from_table(
        cls,
        table: Data,
        numeric: list[str] | None = None,
        categorical: list[str] | None = None,
        *,
        n_bins: int = st.PSI_BINS,
    ) -> ReferenceProfile:
        """Profile the ``numeric`` and ``categorical`` columns of reference data (a pyarrow
        Table, pandas DataFrame or mapping of arrays). Given only a table in the saved long
        format (:data:`PROFILE_SCHEMA`, from :meth:`to_table`), restores that profile."""
        if numeric is None and categorical is None:
            if isinstance(table, pa.Table) and table.schema.equals(PROFILE_SCHEMA):
                return cls._from_long(table)
            raise ValueError(
                "ReferenceProfile.from_table: pass numeric= and categorical= column lists"
            )
        cols: dict[str, ColumnProfile] = {}
        for name in numeric or []:
            cols[name] = _numeric_profile(name, column_of(table, name), n_bins)
        for name in categorical or []:
            n, counts = category_counts(column_of(table, name))
            cols[name] = ColumnProfile(
                name, "categorical", n, n - sum(counts.values()), counts=counts
            )
        return cls(cols)

    def to_table(self) -> pa.Table:
        """The profile in the long format of :data:`PROFILE_SCHEMA` (one row per value)."""
        parts = []
        for p in self._columns.values():
            keys = ["n", "n_missing", *p.counts]
            fields = ["meta", "meta"] + ["category"] * len(p.counts)
            rows: list[dict[str, Any]] = [
                {"field": fields, "key": keys, "count": [p.n, p.n_missing, *p.counts.values()]}
            ]
            for fld, arr in (("value", p.values), ("edge", p.edges)):
                if arr is not None:
                    rows.append({"field": [fld] * arr.size, "value": arr})
            for r in rows:
                size = len(r["field"])
                r |= {"column": [p.name] * size, "kind": [p.kind] * size}
                cols = [r.get(f.name, pa.nulls(size, f.type)) for f in PROFILE_SCHEMA]
                parts.append(pa.Table.from_arrays(cols, schema=PROFILE_SCHEMA))
        return pa.concat_tables(parts) if parts else PROFILE_SCHEMA.empty_table()

    def to_parquet(self, path: str | Path) -> None:
        """Save the profile (for instance next to a model version)."""
        pq.write_table(self.to_table(), str(path))

    @classmethod
    def read_parquet(cls, path: str | Path) -> ReferenceProfile:
        """Load a profile saved by :meth:`to_parquet`."""
        return cls._from_long(pq.read_table(str(path)).cast(PROFILE_SCHEMA))

    @classmethod
    def _from_long(cls, table: pa.Table) -> ReferenceProfile:
        cols: dict[str, ColumnProfile] = {}
        for name in dict.fromkeys(table.column("column").to_pylist()):
            t = table.filter(pc.equal(table.column("column"), name))
            part = {f: t.filter(pc.equal(t.column("field"), f)) for f in _FIELDS}
            meta, cat = part["meta"].to_pydict(), part["category"].to_pydict()
            m = dict(zip(meta["key"], meta["count"], strict=True))
            numeric = t.column("kind")[0].as_py() == "numeric"
            values, edges = (
                np.asarray(part[f].column("value").to_numpy(), dtype=np.float64)
                if numeric
                else None
                for f in ("value", "edge")
            )
            counts = dict(zip(cat["key"], cat["count"], strict=True))
            kind: Kind = "numeric" if numeric else "categorical"
            cols[name] = ColumnProfile(name, kind, m["n"], m["n_missing"], values, edges, counts)
        return cls(cols)
