"""Charting delay: facts recorded long after the time they describe.

A lab drawn at 08:00 and resulted at 14:00 was not known at 09:00; a feature built "as of"
09:00 must not see it. This check measures, per table, the delay between the clinical time and
the recorded time (``recorded_time``), reports its distribution (so feature building can set
its availability lag), and lists rows recorded later than ``max_delay_hours``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.datatypes as dt
from pydantic import Field

from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult
from wardwatch.quality._registry import Params, register
from wardwatch.quality._rules import RowRule, evaluate, field_path

if TYPE_CHECKING:
    from collections.abc import Callable

    import ibis.expr.types as ir

#: The clinical time each table's ``recorded_time`` is compared with.
DESCRIBED_TIME: dict[str, str] = {
    "observations": "effective_time",
    "procedures": "end_time",
    "encounters": "end_time",
    "conditions": "onset_time",
}


class DelayParams(Params):
    """How late a record may be."""

    max_delay_hours: float = Field(72.0, gt=0)
    """Rows recorded more than this after their clinical time are findings."""


@register(
    "charting-delay",
    "Facts are recorded within the allowed delay of the time they describe; the delay "
    "distribution is reported for point-in-time features.",
    tables=("observations",),
    params=DelayParams,
)
def charting_delay(ctx: CheckContext, table: str, params: DelayParams) -> CheckResult:
    t = ctx.table(table)
    described = DESCRIBED_TIME.get(table)
    if described is None or "recorded_time" not in t.columns:
        result = evaluate(
            ctx,
            check="charting-delay",
            table=table,
            description="charting delay",
            relation=t,
            rules=[],
        )
        result.metrics = {"skipped": f"{table} has no clinical time to compare"}
        return result
    hours = _hours_between(ctx.engine.name, t[described], t.recorded_time)
    rel = t.mutate(__delay_h=hours)
    rule = RowRule(
        "charting-delay",
        field_path(table, "recorded_time"),
        rel.__delay_h > params.max_delay_hours,
        rel.__delay_h.round(1).cast("string") + " h after " + described,
        f"recorded within {params.max_delay_hours:g} h of {described}",
    )
    # The distribution in the same pass as the count (aggregates skip the null delays); the
    # three quantiles as one exact multi-quantile (one sort of the delays, not three).
    d = rel.__delay_h
    result = evaluate(
        ctx,
        check="charting-delay",
        table=table,
        description="charting delay",
        relation=rel,
        rules=[rule],
        extra={
            "n": d.count(),
            "mean_h": d.mean(),
            "quantiles": d.quantile(list(_QUANTILES.values())),
            "max_h": d.max(),
        },
    )
    stats = result.metrics
    quantiles = stats.pop("quantiles") or [None] * len(_QUANTILES)
    ordered = {"n": stats["n"], "mean_h": stats["mean_h"]}
    ordered.update(zip(_QUANTILES, quantiles, strict=True))
    ordered["max_h"] = stats["max_h"]
    result.metrics = {
        "delay_hours": {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in ordered.items()
        },
        "described_time": described,
    }
    return result


#: The reported quantiles of the delay (metric name -> probability).
_QUANTILES = {"p50_h": 0.5, "p95_h": 0.95, "p99_h": 0.99}


def _epoch_us_of(value: Any) -> Any:
    """DuckDB's ``epoch_us``: the microseconds since 1970 of an instant."""


_epoch_us: Callable[[ir.Value], ir.IntegerValue] = ibis.udf.scalar.builtin(
    _epoch_us_of, name="epoch_us", signature=((dt.Timestamp(timezone="UTC"),), dt.int64)
)


def _hours_between(engine: str, start: ir.TimestampValue, end: ir.TimestampValue) -> ir.Value:
    """Hours from ``start`` to ``end``, to the microsecond, as float64.

    On DuckDB the difference of the two instants' epoch microseconds: ``date_diff`` (Ibis's
    ``delta``) goes through the ICU calendar for time-zoned timestamps, fifty times slower, for
    the same integer. Elsewhere ``delta`` in microseconds, exact on Spark, where
    ``epoch_seconds()`` truncates to whole seconds (and divided by a float literal would be a
    DECIMAL: the mean and max would come back as Decimal).
    """
    if engine == "duckdb":
        micros = _epoch_us(end) - _epoch_us(start)
    else:
        micros = end.delta(start, unit="microsecond")
    return micros.cast("float64") / 3_600_000_000.0
