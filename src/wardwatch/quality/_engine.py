"""Where the gate's relational work runs: DuckDB (default) or Apache Spark, through Ibis.

Checks are written once against Ibis table expressions; an :class:`Engine` supplies the
canonical tables of a lake as Ibis tables and runs expressions to Arrow. Sets computed in
Python (invalid codes, flagged feed segments) go back to the engine as small in-memory tables,
so the per-row work always stays in the engine.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import ibis
import pyarrow as pa

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES, arrow_schema
from wardwatch.errors import ConfigError

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["ENGINES", "Engine", "EngineName", "open_engine"]

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")
_ALL_TABLES = (*TABLES, QUARANTINE.name)
_held = itertools.count(1)


class Engine:
    """Canonical tables of one lake as Ibis tables on one backend.

    Use :func:`open_engine`; close it (or use it as a context manager) when done. Spark's
    engine is :class:`wardwatch.quality._spark.SparkEngine`, which runs queries through
    Spark's own Arrow path and types timestamps as DuckDB does.
    """

    def __init__(self, name: EngineName, backend: Any, owned: Any = None) -> None:
        self.name: EngineName = name
        self.backend = backend
        self._owned = owned
        self._tables: dict[str, ir.Table] = {}

    def table(self, name: str) -> ir.Table:
        """The canonical table ``name`` (typed and empty when the lake has none of it)."""
        if name not in self._tables:
            self._tables[name] = self.backend.table(name)
        return self._tables[name]

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run a table expression and return its rows as Arrow."""
        result = self.backend.to_pyarrow(expr)
        if isinstance(result, pa.Table):
            return result
        return pa.table(
            {"value": pa.array([result.as_py() if hasattr(result, "as_py") else result])}
        )

    def scalar(self, expr: ir.Scalar) -> Any:
        """Run a scalar expression (a count, a sum) and return a Python value."""
        value = self.backend.to_pyarrow(expr)
        return value.as_py() if hasattr(value, "as_py") else value

    def memtable(self, data: pa.Table) -> ir.Table:
        """A small Arrow table (computed in Python) as an engine table, for joins.

        Ibis registers it with the backend the first time a query uses it (on Spark: as a
        temp view with a unique name), so it works the same on every engine.
        """
        return ibis.memtable(data)

    @contextlib.contextmanager
    def held(self, expr: ir.Table) -> Iterator[ir.Table]:
        """``expr`` run once and its rows kept by the engine for the queries of the block.

        For a small relation that several queries read (the offending rows of a check, one
        site lookup shared by three passes): without it each query would recompute ``expr``
        from the lake. DuckDB keeps the rows in a temporary table, dropped when the block
        ends.
        """
        name = f"ww_held_{next(_held)}"
        table = self.backend.create_table(name, expr, temp=True)
        try:
            yield table
        finally:
            with contextlib.suppress(Exception):
                self.backend.drop_table(name, force=True)

    def close(self) -> None:
        """Release the connection (a Spark session handed in by the caller is left running)."""
        with contextlib.suppress(Exception):
            if self.name == "duckdb":
                self.backend.disconnect()
        if self._owned is not None:
            with contextlib.suppress(Exception):
                self._owned.stop()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_engine(name: str, lake: Lake, *, spark_session: Any = None) -> Engine:
    """Open the lake's canonical tables on ``duckdb`` or ``spark``.

    ``spark`` starts a local Spark session (``local[*]``, UTC) unless one is given; it needs
    the ``spark`` extra (``pyspark``) and Java 17.
    """
    if name == "duckdb":
        return _duckdb(lake)
    if name == "spark":
        from wardwatch.quality._spark import spark_engine

        engine: Engine = spark_engine(lake, spark_session)
        return engine
    raise ConfigError("unknown engine", found=name, expected=" | ".join(ENGINES))


def _duckdb(lake: Lake) -> Engine:
    backend = ibis.duckdb.connect()
    backend.raw_sql("SET TimeZone = 'UTC'")
    lake.connect(backend.con)
    return Engine("duckdb", backend)


def empty_tables(present: Sequence[str]) -> dict[str, pa.Table]:
    """Empty typed Arrow tables for the canonical tables not in ``present``."""
    return {n: arrow_schema(n).empty_table() for n in _ALL_TABLES if n not in present}
