"""Monitoring's drift computation on Apache Spark: the scale-out path of monitoring.

On one machine, monitoring reads the prediction log one window at a time with DuckDB
(:mod:`._log`) and measures each window with pure functions (:func:`~._drift.drift_report`,
:func:`~._estimate.estimate_performance`). :func:`spark_drift` does the same for logs that
outgrow one machine: Spark reads only the ``date=`` folders the period overlaps, keeps the
served rows of one model version (shadow scores excluded), parses the JSON model inputs into
one column per feature and assigns each row to its window; then the *same* pure functions run
once per window on the executors (``groupBy("window").applyInArrow``), each window's rows
handed over as one Arrow table. The observations come back through Arrow (``toArrow``), not
through pandas, and are rebuilt as :class:`~._observation.Observation` objects on the driver.

A window's rows are sorted as the local reader returns them (time, then request id) before
the functions run, so the seeded label draws behind the CBPE intervals, and with them every
number, equal those of the local path. Only the columns the statistics need (time, request
id, risk and the features) reach the executors; patient pseudonyms stay in the log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from wardwatch.core.timeutil import as_utc
from wardwatch.monitor._drift import ReferenceProfile
from wardwatch.monitor._estimate import estimate_performance
from wardwatch.monitor._log import Window, window_files, windows
from wardwatch.monitor._observation import Observation
from wardwatch.monitor._window import drift_observations

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["OBSERVATION_SCHEMA", "spark_drift", "window_observations"]

OBSERVATION_SCHEMA = pa.schema(
    [
        ("window", pa.int64()),
        ("ordinal", pa.int64()),
        ("metric", pa.string()),
        ("scope", pa.string()),
        ("value", pa.float64()),
        ("lower", pa.float64()),
        ("upper", pa.float64()),
        ("drifted", pa.bool_()),
        ("n", pa.int64()),
        ("detail", pa.string()),
    ]
)
"""Observations as rows (what each window's task returns): ``window`` is the window's index
(oldest first), ``ordinal`` the observation's place in its window, ``detail`` JSON."""
_DDL = (
    "`window` long, `ordinal` long, `metric` string, `scope` string, `value` double, "
    "`lower` double, `upper` double, `drifted` boolean, `n` long, `detail` string"
)
_KEEP = ("at", "request_id", "risk")


def window_observations(
    profile: ReferenceProfile,
    table: pa.Table,
    window: Window,
    *,
    model: str,
    version: int,
    threshold: float,
    alpha: float = 0.05,
    seed: int = 0,
    n_draws: int = 200,
    codes: Mapping[str, str] | None = None,
) -> list[Observation]:
    """The drift and label-free performance observations of one window's rows.

    ``table`` holds the window's rows in log order (``risk`` and one column per profiled
    feature, as :func:`~._log.read_window` returns them). Observations, with the metric
    names of the local path: ``prediction.volume``; per feature ``feature.drift_score``
    (the test statistic or distance that decided ``drifted``), ``feature.psi``,
    ``feature.missing_delta`` and, for categorical features, ``feature.new_category_rate``;
    and ``estimated.*`` (CBPE at ``threshold``, its flag rate exact) with intervals drawn
    from ``np.random.default_rng([seed, 1])``. An empty window has its volume only.
    """
    n = int(table.num_rows)

    def obs(metric: str, scope: str, value: float, **kw: Any) -> Observation:
        at = (window.start, window.end)
        return Observation(metric, scope, float(value), *at, model, version, **kw)

    out = [obs("prediction.volume", "model", n, n=n, detail={"per_day": n / window.days})]
    if n == 0:
        return out
    # max_workers=1: Spark already runs the windows in parallel.
    out += drift_observations(
        profile, table, window, model, version, alpha=alpha, codes=codes, max_workers=1
    )
    risk = table.column("risk").to_numpy(zero_copy_only=False).astype(np.float64)
    est = estimate_performance(
        risk, threshold, rng=np.random.default_rng([seed, 1]), n_draws=n_draws
    )
    out += est.observations(model, version, window.start, window.end)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _rows(index: int, observations: Sequence[Observation]) -> pa.Table:
    cols: dict[str, list[Any]] = {f.name: [] for f in OBSERVATION_SCHEMA}
    for i, o in enumerate(observations):
        cols["window"].append(index)
        cols["ordinal"].append(i)
        for name in ("metric", "scope", "value", "lower", "upper", "drifted", "n"):
            cols[name].append(getattr(o, name))
        # allow_nan: NaN survives the round trip (undefined statistics stay NaN, not None)
        cols["detail"].append(json.dumps(dict(o.detail), default=_jsonable, allow_nan=True))
    return pa.Table.from_pydict(cols, schema=OBSERVATION_SCHEMA)


def _micros(t: datetime) -> int:
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _number(text: Column) -> Column:
    """A JSON value's text as a double, as DuckDB's ``TRY_CAST(json AS DOUBLE)`` reads it:
    numbers and numeric strings as numbers, ``true``/``false`` as 1/0, anything else null."""
    from pyspark.sql import functions as F  # noqa: N812

    low = F.lower(text)
    return (
        F.when(low == F.lit("true"), F.lit(1.0))
        .when(low == F.lit("false"), F.lit(0.0))
        .otherwise(text.try_cast("double"))
    )


def _window_rows(
    spark: SparkSession,
    globs: list[str],
    *,
    model: str,
    version: int,
    numeric: Sequence[str],
    categorical: Sequence[str],
    start_us: int,
    end_us: int,
    size_us: int,
) -> DataFrame:
    """The served rows of ``model`` ``version`` in ``[start, end)`` with a ``window`` index
    and one column per feature (double for numeric, string for categorical)."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import StringType, StructField, StructType

    # Every feature is read as text (a JSON number keeps its digits), then typed: the
    # parser would drop a numeric string such as "71" that DuckDB's cast accepts.
    schema = StructType([StructField(f, StringType(), True) for f in [*numeric, *categorical]])
    log = spark.read.option("mergeSchema", "true").parquet(*globs)
    micros = F.unix_micros(F.col("at"))
    served = log.where(
        (F.col("model") == F.lit(model))
        & (F.col("version") == F.lit(version))
        & ~F.coalesce(F.col("shadow"), F.lit(False))
        & (micros >= F.lit(start_us))
        & (micros < F.lit(end_us))
    )
    parsed = F.from_json(F.col("features"), schema)
    return served.select(
        *(F.col(c) for c in _KEEP),
        # integer division: exact at window edges, where a double quotient could round up
        F.expr(f"(unix_micros(`at`) - {start_us}) div {size_us}").alias("window"),
        *(_number(parsed.getField(f)).alias(f) for f in numeric),
        *(parsed.getField(f).alias(f) for f in categorical),
    )


def spark_drift(
    spark: SparkSession,
    predictions_path: str | Path,
    *,
    model: str,
    version: int,
    profile: ReferenceProfile,
    numeric: list[str],
    categorical: list[str],
    window: timedelta,
    start: datetime,
    end: datetime,
    threshold: float,
    alpha: float = 0.05,
    seed: int = 0,
    n_draws: int = 200,
    codes: Mapping[str, str] | None = None,
) -> list[list[Observation]]:
    """Drift and estimated performance of ``model`` version ``version`` on Spark, one list
    of observations per complete window of ``window`` in ``[start, end)``, oldest first.

    ``predictions_path`` is the prediction log's folder (``<lake>/predictions``, holding
    ``date=YYYY-MM-DD/part-*.parquet``); ``numeric`` and ``categorical`` name the model
    inputs to parse from its ``features`` JSON. Each window's observations are those of
    :func:`window_observations` on its rows, which the local path computes the same way;
    a window without rows has its volume (0) only. Naive datetimes are taken as UTC.
    """
    if window <= timedelta(0):
        raise ValueError(f"window: expected a positive length, found {window}")
    spans = windows(as_utc(start), as_utc(end), window)
    measure = partial(
        window_observations, profile, model=model, version=version,
        threshold=threshold, alpha=alpha, seed=seed, n_draws=n_draws, codes=codes,
    )  # fmt: skip
    empty = pa.table({"risk": pa.array([], pa.float64())})
    result = [measure(empty, w) for w in spans]
    globs = window_files(Path(predictions_path), spans[0].start, spans[-1].end) if spans else []
    if not globs:
        return result
    rows = _window_rows(
        spark, globs, model=model, version=version, numeric=numeric, categorical=categorical,
        start_us=_micros(spans[0].start), end_us=_micros(spans[-1].end),
        size_us=window // timedelta(microseconds=1),
    )  # fmt: skip

    def per_window(key: tuple[pa.Scalar, ...], table: pa.Table) -> pa.Table:
        # runs on an executor, once per window: the same function as the local path
        index = int(key[0].as_py())
        ordered = table.sort_by([("at", "ascending"), ("request_id", "ascending")])
        return _rows(index, measure(ordered, spans[index]))

    got: pa.Table = rows.groupBy("window").applyInArrow(per_window, _DDL).toArrow()
    seen: set[int] = set()
    for r in got.sort_by([("window", "ascending"), ("ordinal", "ascending")]).to_pylist():
        i = r["window"]
        if i not in seen:  # the window has rows: its empty placeholder goes
            seen.add(i)
            result[i] = []
        fields = {k: r[k] for k in ("metric", "scope", "value", "lower", "upper", "drifted", "n")}
        result[i].append(
            Observation(
                **fields, window_start=spans[i].start, window_end=spans[i].end, model=model,
                version=version, detail=json.loads(r["detail"]),
            )
        )  # fmt: skip
    return result
