"""The cohort: one row per index event, the exclusions applied in order, and the label.

An index event is an encounter of a cohort class (an inpatient stay) with a start and an end.
Its *prediction time* is its discharge (or admission) time plus the spec's offset. Exclusions
run in the spec's order and each is counted (the attrition table of a report):

``under_age``            age in whole years at the prediction time below ``min_age``
``died_in_hospital``     a death disposition, or a recorded death inside the stay
``transfer_out``         a disposition of transfer to another acute-care hospital
``planned_index``        the stay itself was planned (elective)
``incomplete_follow_up`` (always) the label window ends after the data cut-off

The label is 1 when another encounter of a label class *starts* in ``(prediction time,
prediction time + window]``, not counting planned ones when ``exclude_planned``. Labels look
forward by definition; features never may (:mod:`wardwatch.features._definitions`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis

from wardwatch.features._spec import UseCase

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["Attrition", "age_years", "cohort", "index_events", "interval_days", "label_table"]

_UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Attrition:
    """One step of the cohort: how many index events it removed and how many remain."""

    step: str
    excluded: int
    remaining: int

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "excluded": self.excluded, "remaining": self.remaining}


def interval_days(days: float) -> Any:
    """An Ibis interval of ``days`` (fractions kept to the second)."""
    return ibis.interval(seconds=round(days * 86400))


def age_years(birth: ir.DateValue, at: ir.TimestampValue) -> ir.IntegerValue:
    """Age in completed years at ``at`` (the birthday counts from its first second)."""
    before_birthday = (at.month() * 100 + at.day()) < (birth.month() * 100 + birth.day())
    return (at.year() - birth.year() - before_birthday.cast("int64")).cast("int64")


def _age_band(age: ir.IntegerValue, bounds: list[int]) -> ir.StringValue:
    edges = sorted(bounds)
    case = ibis.cases(
        *(
            (
                (age >= lo) & (age < hi),
                ibis.literal(f"{lo}-{hi - 1}"),
            )
            for lo, hi in itertools.pairwise(edges)
        ),
        (age >= edges[-1], ibis.literal(f"{edges[-1]}+")),
        else_=ibis.literal(f"<{edges[0]}"),
    )
    return ibis.ifelse(age.isnull(), ibis.literal(_UNKNOWN), case)


def cohort(
    tables: dict[str, ir.Table], usecase: UseCase, as_of: datetime
) -> tuple[ir.Table, list[tuple[str, ir.BooleanValue]]]:
    """Candidate index events with their exclusion flags, and the flags in order.

    Columns: those of :func:`index_events`.
    """
    spec = usecase.cohort
    enc = tables["encounters"]
    stays = enc.filter(
        enc.class_code.isin(spec.encounter_classes),
        enc.start_time.notnull(),
        enc.end_time.notnull(),
        enc.end_time >= enc.start_time,
        enc.status.isnull() | (enc.status != "entered-in-error"),
    ).distinct(on="encounter_id", keep="first")
    if spec.start is not None:
        stays = stays.filter(stays.end_time >= ibis.timestamp(spec.start).cast("timestamp('UTC')"))
    if spec.end is not None:
        stays = stays.filter(stays.end_time <= ibis.timestamp(spec.end).cast("timestamp('UTC')"))
    base_time = stays.end_time if usecase.prediction.at == "discharge" else stays.start_time
    offset = usecase.prediction.offset_hours
    idx_time = base_time + ibis.interval(seconds=round(offset * 3600)) if offset else base_time
    j = index_events(tables, usecase, stays, idx_time)

    flags: list[tuple[str, ir.BooleanValue]] = []
    for step in spec.exclude:
        if step == "under_age":
            flags.append((step, j.age.isnull() | (j.age < spec.min_age)))
        elif step == "died_in_hospital":
            died = j.death_time.notnull() & (j.death_time <= j.discharge_time)
            flags.append((step, j.disposition.isin(spec.death_dispositions) | died))
        elif step == "transfer_out":
            flags.append((step, j.disposition.isin(spec.transfer_dispositions).fill_null(False)))
        else:  # planned_index
            flags.append((step, j.type_code.isin(spec.planned_types).fill_null(False)))
    window_end = j.index_time + interval_days(usecase.label.window_days)
    cutoff = ibis.literal(as_of).cast("timestamp('UTC')")
    flags.append(("incomplete_follow_up", window_end > cutoff))
    # a missing disposition or death time is "not excluded", never SQL's unknown: an unknown
    # flag would be counted as kept by the attrition and dropped by the filter
    return j, [(step, flag.fill_null(False)) for step, flag in flags]


def index_events(
    tables: dict[str, ir.Table],
    usecase: UseCase,
    stays: ir.Table,
    index_time: ir.TimestampValue,
) -> ir.Table:
    """One index event per row of ``stays`` (encounter rows) at ``index_time``, nothing excluded.

    ``index_time`` (the prediction time) is an expression on ``stays`` or a literal. Columns:
    ``index_id`` (the encounter id), ``patient_id``, ``encounter_id``, ``index_time``,
    ``admit_time``, ``discharge_time``, the stay's fields used by features, ``age`` (whole
    years at ``index_time``), ``death_time`` and the ``group_*`` subgroup attributes.
    """
    pat = tables["patients"].select(
        "patient_id", "birth_date", "death_time", "sex", "race", "ethnicity"
    )
    pat = pat.distinct(on="patient_id", keep="first")
    idx = stays.select(
        index_id=stays.encounter_id,
        patient_id=stays.patient_id,
        encounter_id=stays.encounter_id,
        index_time=index_time,
        admit_time=stays.start_time,
        discharge_time=stays.end_time,
        stay_recorded=stays.recorded_time,
        type_code=stays.type_code,
        admit_source=stays.admit_source,
        disposition=stays.discharge_disposition,
        reason_code=stays.reason_code,
        site=stays.site_id,
    )
    j = idx.left_join(pat, idx.patient_id == pat.patient_id)
    age = age_years(j.birth_date, j.index_time)
    payer = _payer(tables["claims"])
    j = j.select(
        *[j[c] for c in idx.columns],
        age=age,
        death_time=j.death_time,
        group_age_band=_age_band(age, usecase.age_bands.bounds),
        group_sex=j.sex.fill_null(_UNKNOWN),
        group_race=j.race.fill_null(_UNKNOWN),
        group_ethnicity=j.ethnicity.fill_null(_UNKNOWN),
        group_site=j.site.fill_null(_UNKNOWN),
        sex=j.sex,
        race=j.race,
        ethnicity=j.ethnicity,
    )
    j = j.left_join(payer, j.encounter_id == payer.claim_encounter).drop("claim_encounter")
    j = j.mutate(group_payer=j.claim_payer.fill_null(_UNKNOWN)).drop("claim_payer")

    return j


def _payer(claims: ir.Table) -> ir.Table:
    """The payer of each encounter's claims (the first by claim id), for the payer subgroup.

    Only a subgroup attribute: a claim is created days after discharge, so it is never a
    feature of a prediction made at discharge.
    """
    c = claims.filter(claims.encounter_id.notnull(), claims.payer.notnull())
    return c.group_by(claim_encounter=c.encounter_id).aggregate(
        claim_payer=c.payer.argmin(c.claim_id)
    )


def label_table(tables: dict[str, ir.Table], idx: ir.Table, usecase: UseCase) -> ir.Table:
    """``index_id``, ``label`` (0/1) and ``label_time`` (start of the first readmission)."""
    spec = usecase.label
    enc = tables["encounters"]
    later = enc.filter(enc.class_code.isin(spec.encounter_classes), enc.start_time.notnull())
    if spec.exclude_planned:
        later = later.filter(
            later.type_code.isnull() | ~later.type_code.isin(usecase.cohort.planned_types)
        )
    later = later.select(
        r_patient=later.patient_id, r_encounter=later.encounter_id, r_start=later.start_time
    )
    keys = idx.select("index_id", "patient_id", "encounter_id", "index_time")
    j = keys.inner_join(
        later,
        [
            keys.patient_id == later.r_patient,
            later.r_start > keys.index_time,
            later.r_start <= keys.index_time + interval_days(spec.window_days),
            later.r_encounter != keys.encounter_id,
        ],
    )
    hits = j.group_by("index_id").aggregate(label_time=j.r_start.min())
    out = keys.select("index_id").left_join(hits, "index_id")
    return out.select(
        "index_id",
        label=out.label_time.notnull().cast("int8"),
        label_time=out.label_time,
    )
