"""The gate's Spark engine: the lake's Parquet files as Spark temp views, queried through Ibis.

Spark is for lakes that outgrow one machine; locally (and in tests) it runs in ``local[*]``
mode. Timestamps are instants: the lake writes ``timestamp[us, tz=UTC]``, Spark reads them as
``TIMESTAMP`` (an instant, shown in the session time zone, which is pinned to UTC) and the
engine types them ``timestamp('UTC')`` for Ibis, as DuckDB does, so comparisons with
timezone-aware literals, Ibis schemas and the Arrow results are the same on both engines.

Results come back through Spark's Arrow path (``DataFrame.toArrow``), not through pandas: no
nanosecond overflow for dates far from 1970, no naive timestamps, no integers turned into
floats by missing values.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES, arrow_schema
from wardwatch.errors import ConfigError
from wardwatch.quality._engine import Engine

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

__all__ = [
    "JAVA_MIN",
    "LOCAL_CONF",
    "SparkEngine",
    "check_java",
    "local_session",
    "spark_engine",
    "spark_schema",
]

#: The oldest Java that Spark 4 runs on.
JAVA_MIN = 17
_INSTALL_SPARK = "pip install 'wardwatch[spark]'"
_INSTALL_JAVA = "run scripts/setup-system.sh, or apt-get install openjdk-17-jre-headless"

#: Settings of the local session: small data, one machine, UTC, quiet.
LOCAL_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "2g",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Python workers (UDFs) must import what the driver imports: this interpreter, not the
    # first python3 on the PATH.
    "spark.pyspark.python": sys.executable,
}

_engines = itertools.count(1)
_held = itertools.count(1)


class SparkEngine(Engine):
    """The lake's canonical tables as temp views of one Spark session.

    The views are named ``ww<n>_<table>`` (``n`` unique per engine in this process), so that
    engines sharing a session, and the session's own tables, never collide; closing the engine
    drops them (and their cached data), and stops the session only when the engine started it.
    """

    def __init__(
        self,
        backend: Any,
        session: SparkSession,
        views: dict[str, str],
        frames: list[DataFrame],
        *,
        owned: bool,
    ) -> None:
        super().__init__("spark", backend, owned=session if owned else None)
        self.session = session
        self.views = views
        self.frames = frames

    def table(self, name: str) -> ir.Table:
        """The canonical table ``name``; its timestamps typed ``timestamp('UTC')`` as on DuckDB."""
        if name not in self._tables:
            self._tables[name] = _utc(self.backend.table(self.views.get(name, name)))
        return self._tables[name]

    @contextlib.contextmanager
    def held(self, expr: ir.Table) -> Iterator[ir.Table]:
        """``expr`` run once and kept (Spark's cache, memory then disk) as a temp view for the
        queries of the block; unpersisted and dropped when the block ends."""
        self.backend._run_pre_execute_hooks(expr)
        name = f"ww_held_{next(_held)}"
        frame = self.session.sql(self.backend.compile(expr)).cache()
        frame.createOrReplaceTempView(name)
        try:
            yield _utc(self.backend.table(name))
        finally:
            with contextlib.suppress(Exception):
                self.session.catalog.dropTempView(name)
            with contextlib.suppress(Exception):
                frame.unpersist()

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run an expression on Spark and return its rows as Arrow (a scalar: one ``value``)."""
        import ibis.expr.types as ir

        table = expr.as_table()
        result = self._spark_arrow(table)
        if isinstance(expr, ir.Table):
            return result
        return pa.table({"value": result.column(0)})

    def scalar(self, expr: ir.Scalar) -> Any:
        """Run a scalar expression (a count, a sum) and return a Python value."""
        result = self._spark_arrow(expr.as_table())
        return result.column(0)[0].as_py() if result.num_rows else None

    def _spark_arrow(self, table: ir.Table) -> pa.Table:
        # Ibis registers in-memory tables (and UDFs) in its pre-execute hooks; its own
        # to_pyarrow goes through pandas, which loses time zones and integer types.
        self.backend._run_pre_execute_hooks(table)
        result: pa.Table = self.session.sql(self.backend.compile(table)).toArrow()
        return _as_schema(result.rename_columns(table.columns), table.schema().to_pyarrow())

    def close(self) -> None:
        """Drop this engine's views and cached data; stop the session if this engine started it."""
        if self._owned is None:
            for frame in self.frames:
                with contextlib.suppress(Exception):
                    frame.unpersist()
            for view in self.views.values():
                with contextlib.suppress(Exception):  # a session its owner stopped has none
                    self.session.catalog.dropTempView(view)
        super().close()


def _utc(t: ir.Table) -> ir.Table:
    """``t`` with its timestamps typed ``timestamp('UTC')`` (Spark's TIMESTAMP is an instant
    shown in the session's zone, which is UTC), as on DuckDB."""
    import ibis.expr.datatypes as dt

    naive = {
        c: t[c].cast(dt.Timestamp(timezone="UTC", scale=6))
        for c, typ in t.schema().items()
        if typ.is_timestamp() and typ.timezone is None
    }
    return t.mutate(**naive) if naive else t


def _as_schema(result: pa.Table, schema: pa.Schema) -> pa.Table:
    """Spark's Arrow result with the types Ibis promised (what DuckDB returns).

    Spark may answer a DECIMAL where Ibis typed float64 (a float literal is a decimal in
    Spark SQL), ``large_string`` for strings, or int32 for a count; a column that cannot be
    cast is returned as Spark gave it.
    """
    columns = []
    for i, field in enumerate(schema):
        column = result.column(i)
        if not column.type.equals(field.type):
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=result.column_names)


def spark_engine(lake: Lake, session: SparkSession | None) -> Engine:
    """The lake's canonical tables as temp views of ``session`` (or of a new local session).

    A session started here is stopped when the engine is closed; one handed in (or already
    running in this process) is left running, with this engine's views dropped. Ibis pins the
    session's time zone to UTC. Raises :class:`ConfigError` (one line) when pyspark or Java is
    missing.
    """
    _require_pyspark()
    import ibis

    # Stop only a session started here: local_session() hands back one already running in
    # this process (a notebook's, a test suite's), which its owner stops.
    owned = session is None and not _session_running()
    session = local_session() if session is None else session
    prefix = f"ww{next(_engines)}_"
    views = {name: prefix + name for name in (*TABLES, QUARANTINE.name)}
    frames = []
    try:
        for name, view in views.items():
            # Cached (memory, spilling to disk): the gate reads every table many times.
            frame = _lake_frame(session, lake, name).cache()
            frame.createOrReplaceTempView(view)
            frames.append(frame)
        backend = ibis.pyspark.connect(session)
    except Exception:
        if owned:
            session.stop()
        raise
    return SparkEngine(backend, session, views, frames, owned=owned)


def local_session(app_name: str = "wardwatch", **conf: str) -> SparkSession:
    """Start (or reuse) a local Spark session set up for the gate (``local[*]``, UTC, quiet).

    ``conf`` overrides :data:`LOCAL_CONF` (keys as Spark spells them). Raises
    :class:`ConfigError` when pyspark or a Java runtime of at least version 17 is missing.
    """
    _require_pyspark()
    check_java()
    from pyspark.sql import SparkSession

    # Otherwise Spark warns that the host name resolves to a loopback address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (monitoring's per-window functions) must run this interpreter, which has
    # pyarrow and wardwatch: an in-process context reads PYSPARK_PYTHON when it starts, while
    # spark.pyspark.python in LOCAL_CONF is read by spark-submit only.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master("local[*]").appName(app_name)
    for key, value in {**LOCAL_CONF, **conf}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say why, in one line
        raise ConfigError(
            "could not start a local Spark session", found=_first_line(exc), hint=_INSTALL_JAVA
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def check_java() -> int:
    """The major version of the Java runtime Spark would start; ConfigError when none fits.

    Spark runs ``$JAVA_HOME/bin/java`` when ``JAVA_HOME`` is set, else ``java`` on the
    ``PATH`` (``JAVA_HOME`` is not needed).
    """
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    missing = f"Java {JAVA_MIN} not found (engine spark needs it)"
    if not java or not os.access(java, os.X_OK):
        where = f"JAVA_HOME={home}" if home else "the PATH"
        raise ConfigError(missing, found=f"no java on {where}", hint=_INSTALL_JAVA)
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            missing, found=f"{java}: {_first_line(exc)}", hint=_INSTALL_JAVA
        ) from None
    text = (out.stderr or "") + (out.stdout or "")
    version = java_major(text)
    if version is None or version < JAVA_MIN:
        found = text.strip().splitlines()[0] if text.strip() else "no version"
        raise ConfigError(
            f"Java {JAVA_MIN} or newer needed by engine spark",
            found=f"{java}: {found}",
            hint=_INSTALL_JAVA,
        )
    return version


def java_major(text: str) -> int | None:
    """The major version in ``java -version`` output (``1.8.0_392`` is 8, ``17.0.15`` is 17)."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def _session_running() -> bool:
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(
            "engine spark needs the spark extra", found="no pyspark", hint=_INSTALL_SPARK
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _lake_frame(session: SparkSession, lake: Lake, name: str) -> DataFrame:
    """Table ``name`` of the lake: its Parquet files, or an empty frame of the canonical schema.

    Files written at different times may differ in columns (they are merged by name, missing
    columns read as null, as DuckDB's ``union_by_name`` does). When one column has types that
    Spark cannot merge, that column is read as text from every file, so the schema check
    reports it instead of the engine failing to open.
    """
    files = [str(f) for f in lake.files(name)]
    if not files:
        return session.createDataFrame([], spark_schema(arrow_schema(name)))
    if len(files) == 1:
        return session.read.parquet(files[0])
    try:
        df = session.read.option("mergeSchema", "true").parquet(*files)
        df.schema  # noqa: B018  (schema merging happens here: fail now, not in a check)
        return df
    except Exception:
        return _union_as_text(session, files)


def _union_as_text(session: SparkSession, files: list[str]) -> DataFrame:
    """Union files by name, reading columns whose types differ between files as strings."""
    by_schema: dict[str, list[str]] = {}
    for f in files:  # one Spark read per distinct file schema, not one per file
        by_schema.setdefault(str(pq.read_schema(f).remove_metadata()), []).append(f)
    frames = [session.read.parquet(*group) for group in by_schema.values()]
    types: dict[str, set[str]] = {}
    for df in frames:
        for field in df.schema.fields:
            types.setdefault(field.name, set()).add(field.dataType.simpleString())
    mixed = {name for name, seen in types.items() if len(seen) > 1}
    out = None
    for df in frames:
        cast = df.select(
            *[df[c].cast("string").alias(c) if c in mixed else df[c] for c in df.columns]
        )
        out = cast if out is None else out.unionByName(cast, allowMissingColumns=True)
    assert out is not None
    return out


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark schema of a canonical Arrow schema (``timestamp[us, tz=UTC]`` is ``TIMESTAMP``)."""
    from pyspark.sql.types import StructField, StructType

    return StructType([StructField(f.name, _spark_type(f.type), f.nullable) for f in schema])


def _spark_type(typ: pa.DataType) -> DataType:
    from pyspark.sql import types as st

    if pa.types.is_timestamp(typ):
        return st.TimestampType() if typ.tz else st.TimestampNTZType()
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return st.ArrayType(_spark_type(typ.value_type), True)
    simple: list[tuple[pa.DataType, DataType]] = [
        (pa.string(), st.StringType()),
        (pa.large_string(), st.StringType()),
        (pa.float64(), st.DoubleType()),
        (pa.float32(), st.FloatType()),
        (pa.int64(), st.LongType()),
        (pa.int32(), st.IntegerType()),
        (pa.bool_(), st.BooleanType()),
        (pa.date32(), st.DateType()),
    ]
    for arrow, spark in simple:
        if typ.equals(arrow):
            return spark
    raise ConfigError("no Spark type for a canonical column type", found=str(typ))
