"""Time checks: periods in order, nothing in the future, nothing before birth or after death,
results issued not before they were taken, encounter events inside their encounter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis
from pydantic import Field

from wardwatch.core.schemas import table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult
from wardwatch.quality._registry import Params, register
from wardwatch.quality._rules import RowRule, evaluate, field_path

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: (start, end) columns of each table's periods.
PERIODS: dict[str, tuple[tuple[str, str], ...]] = {
    "encounters": (("start_time", "end_time"),),
    "procedures": (("start_time", "end_time"),),
    "conditions": (("onset_time", "abatement_time"),),
    "claims": (("billable_start", "billable_end"),),
}
#: The clinical time of each table's events (what happened when), for birth/death and window.
CLINICAL_TIME: dict[str, tuple[str, ...]] = {
    "encounters": ("start_time", "end_time"),
    "conditions": ("onset_time", "abatement_time"),
    "observations": ("effective_time",),
    "medications": ("recorded_time",),
    "procedures": ("start_time", "end_time"),
    "claims": ("billable_start", "billable_end"),
    "documents": ("recorded_time",),
}
#: The time that must not be after death: when care began (a stay that ends at death is closed
#: some hours later; claims and notes about a stay are filed after death as a matter of course).
AFTER_DEATH_TIME: dict[str, str] = {
    t: cols[0] for t, cols in CLINICAL_TIME.items() if t not in ("claims", "documents")
}
#: Encounter types that follow death by design (SNOMED CT 308646001 Death certification).
POST_MORTEM_TYPES = ("308646001",)
#: The time used to place an event inside its encounter.
WINDOW_TIME: dict[str, str] = {
    "observations": "effective_time",
    "procedures": "start_time",
    "medications": "recorded_time",
}
_TABLES = (
    "patients",
    "encounters",
    "conditions",
    "observations",
    "medications",
    "procedures",
    "claims",
    "documents",
)


class TimeParams(Params):
    """Tolerances of the time checks."""

    window_tolerance_hours: float = Field(24.0, ge=0)
    """How far outside its encounter's period an event may be dated."""
    death_tolerance_hours: float = Field(24.0, ge=0)
    """How long after death a clinical event may be dated (late entries, post-mortem labs)."""
    future_tolerance_hours: float = Field(0.0, ge=0)
    """Slack for clocks ahead of the gate's ``as_of``."""
    post_mortem_encounter_types: list[str] = Field(default_factory=lambda: [*POST_MORTEM_TYPES])
    """Encounter types (``type_code``) whose events may follow death (death certification)."""


@register(
    "times",
    "Periods end after they start; no date in the future, before birth or after death; results "
    "issued not before they were taken; encounter events inside their encounter's period.",
    tables=_TABLES,
    params=TimeParams,
)
def times(ctx: CheckContext, table: str, params: TimeParams) -> CheckResult:
    t = ctx.table(table)
    spec = table_spec(table)
    ts_cols = [c.name for c in spec.columns if c.kind in ("ts", "date")]
    rel = t
    clinical = CLINICAL_TIME.get(table, ())
    # The bounds a row is compared with (birth as an instant, death and the encounter's
    # period with their tolerances) are computed once per patient and encounter, not per row:
    # time-zoned casts and interval arithmetic are slow per row on DuckDB (ICU calendar), and
    # shifting a minimum or maximum by a constant is the minimum or maximum of the shifted
    # times.
    death_slack = ibis.interval(seconds=int(params.death_tolerance_hours * 3600))
    window_slack = ibis.interval(seconds=int(params.window_tolerance_hours * 3600))
    if table != "patients" and clinical:
        pats = ctx.full_table("patients")
        life = pats.group_by(__pid=pats.patient_id).aggregate(
            __birth=pats.birth_date.min().cast("timestamp('UTC')"),
            __death_limit=pats.death_time.min() + death_slack,
        )
        rel = rel.left_join(life, rel.patient_id == life.__pid)
    window = WINDOW_TIME.get(table)
    if table != "patients" and "encounter_id" in t.columns:
        enc = ctx.full_table("encounters")
        spans = enc.group_by(__eid=enc.encounter_id).aggregate(
            __estart_limit=enc.start_time.min() - window_slack,
            __eend_limit=enc.end_time.max() + window_slack,
            __etype=enc.type_code.max(),
        )
        rel = rel.left_join(spans, rel.encounter_id == spans.__eid)
        post_mortem = rel.__etype.isin(params.post_mortem_encounter_types).fill_null(False)
    elif table == "encounters":
        post_mortem = rel.type_code.isin(params.post_mortem_encounter_types).fill_null(False)
    else:
        post_mortem = ibis.literal(False)

    rules: list[RowRule] = []
    for start, end in PERIODS.get(table, ()):
        rules.append(
            RowRule(
                "end-before-start",
                field_path(table, end),
                rel[end] < rel[start],
                _shown(rel[end]),
                f"not before {start}",
                related=_shown(rel[start]),
            )
        )
    now = ibis.literal(ctx.as_of) + ibis.interval(seconds=int(params.future_tolerance_hours * 3600))
    for col in ts_cols:
        c = rel[col]
        value = c.cast("timestamp('UTC')") if spec.column(col).kind == "date" else c
        rules.append(
            RowRule(
                "future-date",
                field_path(table, col),
                value > now,
                _shown(c),
                f"not after {ctx.as_of.isoformat(timespec='seconds')}",
            )
        )
    if table == "patients":
        rules.append(
            RowRule(
                "death-before-birth",
                field_path(table, "death_time"),
                rel.death_time < rel.birth_date.cast("timestamp('UTC')"),
                _shown(rel.death_time),
                "not before the birth date",
            )
        )
    else:
        for col in clinical:
            c = rel[col]
            rules.append(
                RowRule(
                    "before-birth",
                    field_path(table, col),
                    c < rel.__birth,
                    _shown(c),
                    "not before the patient's birth date",
                )
            )
            if col == AFTER_DEATH_TIME.get(table):
                rules.append(
                    RowRule(
                        "after-death",
                        field_path(table, col),
                        (c > rel.__death_limit) & ~post_mortem,
                        _shown(c),
                        "not after the patient's death",
                    )
                )
    if table == "observations":
        rules.append(
            RowRule(
                "issued-before-effective",
                field_path(table, "recorded_time"),
                rel.recorded_time < rel.effective_time,
                _shown(rel.recorded_time),
                "issued not before effective_time",
                related=_shown(rel.effective_time),
            )
        )
    if window:
        c = rel[window]
        early = c < rel.__estart_limit
        late = rel.__eend_limit.notnull() & (c > rel.__eend_limit)
        rules.append(
            RowRule(
                "outside-encounter",
                field_path(table, window),
                rel.__estart_limit.notnull() & (early | late),
                _shown(c),
                f"inside the encounter's period (± {params.window_tolerance_hours:g} h)",
                related=rel.encounter_id,
            )
        )
    return evaluate(
        ctx, check="times", table=table, description="time order", relation=rel, rules=rules
    )


def _shown(value: ir.Value) -> ir.Value:
    """A time as findings show it, the same text on every engine.

    A cast to text differs between engines (DuckDB writes ``2024-05-01 08:00:00+00``, Spark
    ``2024-05-01 08:00:00``); both engines run in UTC, so the DuckDB form is spelled out.
    Dates are left to the cast (``2024-05-01`` on both).
    """
    if value.type().is_timestamp():
        return value.strftime("%Y-%m-%d %H:%M:%S+00")
    return value
