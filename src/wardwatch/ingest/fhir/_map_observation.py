"""Map Observation to ``observations`` rows, one per value.

``value[x]`` goes to ``value_num``/``value_unit`` (Quantity: the UCUM code, else the unit; a
comparator such as ``<`` is kept in ``value_text`` as ``<5``), ``value_code`` (CodeableConcept;
Boolean as ``true``/``false``), ``value_text`` (string, time, dateTime, Period ``start/end``,
Range ``low..high``, Ratio ``n:d``, SampledData's data), or ``value_num`` (integer; Ratio as
n/d). Each component is its own row ``<id>#<n>`` (n from 1) and shares the parent's patient,
encounter, category, status and times; the parent is always a row of its own (with its code,
and its value when it has one), so a panel's code (blood pressure 85354-9) is in the lake and
checked like any other.
"""

from __future__ import annotations

from typing import Any

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._map_common import choice, code_of, coded, period, quantity_unit
from wardwatch.ingest.fhir._models_clinical import Observation, ObservationComponent
from wardwatch.ingest.fhir._primitives import datetime, instant
from wardwatch.ingest.fhir._refs import Resolver

__all__ = ["map_observation"]

Value = tuple[float | None, str | None, str | None, str | None]


def _num(x: float | None) -> str:
    """A number as text for ``value_text`` (``5``, ``2.5``), empty if absent."""
    return "" if x is None else f"{x:g}"


def _value(v: Observation | ObservationComponent, field: str) -> Value | None:
    """(value_num, value_unit, value_code, value_text) of ``value[x]``, or None if absent."""
    choices = (
        v.value_quantity,
        v.value_codeable_concept,
        v.value_string,
        v.value_boolean,
        v.value_integer,
        v.value_range,
        v.value_ratio,
        v.value_sampled_data,
        v.value_time,
        v.value_date_time,
        v.value_period,
    )
    n = 11 - choices.count(None)
    if n == 0:
        return None
    if n > 1:
        choice(f"{field}.value[x]", *choices)
    q = v.value_quantity
    if q is not None:
        unit = quantity_unit(q, field, ".valueQuantity")
        text = None if q.comparator is None else f"{q.comparator}{_num(q.value)}"
        return q.value, unit, None, text
    cc = v.value_codeable_concept
    if cc is not None:
        return None, None, code_of(cc, field, ".valueCodeableConcept"), None
    if v.value_string is not None:
        return None, None, None, v.value_string
    if v.value_boolean is not None:
        return None, None, "true" if v.value_boolean else "false", None
    if v.value_integer is not None:
        return float(v.value_integer), None, None, None
    if v.value_date_time is not None:
        return None, None, None, datetime(v.value_date_time, field, ".valueDateTime")
    if v.value_period is not None:
        start, end = period(v.value_period, field, ".valuePeriod")
        return None, None, None, f"{start or ''}/{end or ''}"
    if v.value_time is not None:
        return None, None, None, v.value_time
    rng = v.value_range
    if rng is not None:
        unit = next(
            (quantity_unit(x, field, ".valueRange") for x in (rng.low, rng.high) if x), None
        )
        low = _num(rng.low.value if rng.low else None)
        high = _num(rng.high.value if rng.high else None)
        return None, unit, None, f"{low}..{high}"
    ratio = v.value_ratio
    if ratio is not None:
        num = ratio.numerator.value if ratio.numerator else None
        den = ratio.denominator.value if ratio.denominator else None
        val = num / den if num is not None and den else None
        return val, None, None, f"{_num(num)}:{_num(den)}"
    sampled = v.value_sampled_data
    assert sampled is not None
    return (
        None,
        quantity_unit(sampled.origin, field, ".valueSampledData.origin"),
        None,
        sampled.data,
    )


def _extras(v: Observation | ObservationComponent, field: str) -> tuple[Any, Any, Any]:
    """(reference low, reference high, interpretation code)."""
    low = high = None
    if v.reference_range:
        rr = v.reference_range[0]
        low = rr.low.value if rr.low is not None else None
        high = rr.high.value if rr.high is not None else None
    interp = code_of(v.interpretation[0], field, ".interpretation") if v.interpretation else None
    return low, high, interp


def map_observation(o: Observation, res: Resolver, raw: bytes) -> list[Row]:
    """Observation -> one row per value (the parent's and each component's)."""
    pid = res.patient(o.subject, "Observation.subject")
    eid = res.optional(o.encounter, "Observation.encounter", "Encounter")
    code, system, display = coded(o.code, "Observation.code")
    category = code_of(o.category[0], "Observation.category") if o.category else None
    eff = o.effective_date_time
    if eff is not None:
        if o.effective_period is not None or o.effective_instant is not None:
            choice("Observation.effective[x]", eff, o.effective_period, o.effective_instant)
        eff = datetime(eff, "Observation.effectiveDateTime")
    elif o.effective_period is not None:
        choice("Observation.effective[x]", o.effective_period, o.effective_instant)
        eff = period(o.effective_period, "Observation.effectivePeriod")[0]
    elif o.effective_instant is not None:
        eff = instant(o.effective_instant, "Observation.effectiveInstant")
    issued = None if o.issued is None else instant(o.issued, "Observation.issued")
    value = _value(o, "Observation")
    if value is not None and o.data_absent_reason is not None:
        raise Reject(
            Reason.INVALID_VALUE,
            "Observation.dataAbsentReason",
            "no dataAbsentReason when value[x] is present (invariant obs-6)",
            "both",
            "dataAbsentReason given together with a value",
        )
    rows: list[Row] = []
    status = o.status
    # the parent row: its code is data even when only its components carry values
    low, high, interp = _extras(o, "Observation")
    num, unit, vcode, vtext = value if value is not None else (None, None, None, None)
    rows.append(
        (
            "observations",
            (
                o.id,
                pid,
                eid,
                code,
                system,
                display,
                category,
                status,
                num,
                unit,
                vcode,
                vtext,
                low,
                high,
                interp,
                eff,
                issued,
            ),
        )
    )
    if o.component:
        oid = o.id
        for n, comp in enumerate(o.component, 1):
            ccode, csystem, cdisplay = coded(comp.code, "Observation.component.code")
            cvalue = _value(comp, "Observation.component")
            num, unit, vcode, vtext = cvalue if cvalue is not None else (None, None, None, None)
            low, high, interp = _extras(comp, "Observation.component")
            rows.append(
                (
                    "observations",
                    (
                        f"{oid}#{n}",
                        pid,
                        eid,
                        ccode,
                        csystem,
                        cdisplay,
                        category,
                        status,
                        num,
                        unit,
                        vcode,
                        vtext,
                        low,
                        high,
                        interp,
                        eff,
                        issued,
                    ),
                )
            )
    return rows
