"""Charting delay: facts recorded long after the time they describe.

A lab drawn at 08:00 and resulted at 14:00 was not known at 09:00; a feature built "as of"
09:00 must not see it. This check measures, per table, the delay between the clinical time and
the recorded time (``recorded_time``), reports its distribution (so feature building can set
its availability lag), and lists rows recorded later than ``max_delay_hours``.
"""

from __future__ import annotations

from pydantic import Field

from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult
from wardwatch.quality._registry import Params, register
from wardwatch.quality._rules import RowRule, evaluate, field_path

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
    # Exact on both engines: epoch_seconds() truncates to whole seconds on Spark, and a float
    # literal divisor is a DECIMAL there (the mean and max would come back as Decimal).
    micros = t.recorded_time.delta(t[described], unit="microsecond")
    hours = micros.cast("float64") / 3_600_000_000.0
    rel = t.mutate(__delay_h=hours)
    rule = RowRule(
        "charting-delay",
        field_path(table, "recorded_time"),
        rel.__delay_h > params.max_delay_hours,
        rel.__delay_h.round(1).cast("string") + " h after " + described,
        f"recorded within {params.max_delay_hours:g} h of {described}",
    )
    result = evaluate(
        ctx,
        check="charting-delay",
        table=table,
        description="charting delay",
        relation=rel,
        rules=[rule],
    )
    d = rel.__delay_h
    stats = ctx.engine.to_arrow(
        rel.filter(d.notnull()).aggregate(
            n=d.count(),
            mean_h=d.mean(),
            p50_h=d.quantile(0.5),
            p95_h=d.quantile(0.95),
            p99_h=d.quantile(0.99),
            max_h=d.max(),
        )
    ).to_pylist()[0]
    result.metrics = {
        "delay_hours": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in stats.items()},
        "described_time": described,
    }
    return result
