"""One patient's timeline: when visits happen, and the 30-day readmission draw at discharge.

Three random streams per patient keep drift comparisons clean: demographics and conditions
(stream 0), the candidate schedule of visits (stream 1, drawn per calendar year and cut at
rate-drift dates) and the contents of visits (stream 2, consumed in time order). A drift that
starts at a date therefore leaves everything before the date exactly as without it.
"""

from __future__ import annotations

import heapq
import math
from itertools import pairwise

from wardwatch.synth._clock import DAY, HOUR
from wardwatch.synth._codes import Acute
from wardwatch.synth._inpatient import StayBuilder
from wardwatch.synth._model import Person, Visit
from wardwatch.synth._people import make_person
from wardwatch.synth._rand import (
    STREAM_EVENTS,
    STREAM_PATIENT,
    STREAM_SCHEDULE,
    Rand,
    patient_rand,
)
from wardwatch.synth._readmission import NOISE_SD, abnormal_count, charlson, readmission_logit
from wardwatch.synth._world import World

__all__ = ["simulate"]

_YEAR = 365.25 * DAY
_WINDOW = 30 * DAY
_CANCERS = ("cancer_lung", "cancer_breast", "cancer_colon", "cancer_prostate")

Event = tuple[int, int, str, Acute | None]


def _schedule(world: World, person: Person, rand: Rand) -> list[Event]:
    """Candidate visits: Poisson counts per period slice, rates from age and conditions."""
    events: list[Event] = []
    # Chemotherapy cycles first: the yearly slices after them differ when drift cuts them.
    for key in _CANCERS:
        onset = person.onsets.get(key)
        if onset is None:
            continue
        if onset >= world.start_ts - 180 * DAY:
            first = max(
                onset + rand.randint(14, 35) * DAY, world.start_ts + rand.randint(0, 60) * DAY
            )
        elif rand.chance(0.25):
            first = world.start_ts + int(rand.random() * (world.horizon - world.start_ts))
        else:
            continue
        for cycle in range(rand.randint(4, 6)):
            at = first + cycle * 21 * DAY + rand.randint(-2, 2) * DAY
            events.append((at, len(events), "chemo", None))
    cuts = world.schedule_cuts()
    elective_done = False
    for a, b in pairwise(cuts):
        mid = (a + b) // 2
        years = (b - a) / _YEAR
        age = person.age_at(mid)
        active = [k for k, t in person.onsets.items() if t <= mid]
        n = len(active)
        burden = charlson(active)
        amb = 1.2 if age < 18 else min(7.0, 0.7 + 0.45 * n + (0.4 if age >= 65 else 0.0))
        ed = 0.10 + 0.05 * burden + 0.03 * n + (0.08 if age >= 75 else 0.0)
        adm = math.exp(-3.3 + 0.03 * (age - 50.0)) * (1.0 + 0.55 * burden + 0.1 * n)
        if age >= 75:
            adm *= world.rate_drift("age-mix", a)
        if "hf" in active or "ckd" in active:
            adm *= world.rate_drift("case-mix", a)
        for kind, rate in (("amb", amb), ("ed", ed), ("adm", adm)):
            for _ in range(rand.poisson(rate * years)):
                events.append((a + int(rand.random() * (b - a)), len(events), kind, None))
        if (
            not elective_done
            and "knee_oa" in active
            and 50 <= age <= 85
            and rand.chance(0.06 * years)
        ):
            elective_done = True
            events.append((a + int(rand.random() * (b - a)), len(events), "elective", None))
    heapq.heapify(events)
    return events


def simulate(world: World, index: int) -> tuple[Person, list[Visit]]:
    """Simulate patient ``index``: the person and their visits in time order."""
    seed = world.seed
    person, healthy = make_person(world, index, patient_rand(seed, index, STREAM_PATIENT))
    heap = _schedule(world, person, patient_rand(seed, index, STREAM_SCHEDULE))
    rand = patient_rand(seed, index, STREAM_EVENTS)
    builder = StayBuilder(world, person, healthy, rand)
    visits: list[Visit] = []
    busy_until = 0
    last_discharge = -_WINDOW
    ip_starts: list[int] = []
    ed_starts: list[int] = []
    seq = 1_000_000
    while heap:
        ts, _, kind, acute = heapq.heappop(heap)
        if ts >= world.horizon - DAY or (person.death is not None and ts >= person.death):
            break
        if ts < world.start_ts:
            continue
        if ts < busy_until:
            if kind == "readmit" and busy_until + 2 * HOUR < last_discharge + _WINDOW:
                seq += 1
                heapq.heappush(heap, (busy_until + 2 * HOUR, seq, kind, acute))
            continue
        if kind == "adm" and ts < last_discharge + _WINDOW:
            continue  # the readmission model alone decides what happens in the window
        visit: Visit | None
        if kind == "amb":
            visit = builder.ambulatory(ts)
        elif kind == "fu":
            assert acute is not None
            visit = builder.ambulatory(ts, follow_up=acute.icd)
        elif kind == "ed":
            visit = builder.emergency(ts)
            ed_starts.append(visit.start)
        else:
            if kind in ("adm", "readmit"):
                acute = builder.choose_acute(ts, acute if kind == "readmit" else None)
            visit = builder.admission(ts, "unplanned" if kind == "adm" else kind, acute)
        if visit is None:
            continue
        visits.append(visit)
        if visit.cls == "EMER":
            busy_until = visit.end
        if visit.cls != "IMP":
            continue
        prior_ip = sum(1 for t in ip_starts if t >= visit.start - 365 * DAY)
        prior_ed = sum(1 for t in ed_starts if visit.start - 180 * DAY <= t < visit.start)
        ip_starts.append(visit.start)
        busy_until = visit.end
        if visit.disposition == "exp":
            break
        last_discharge = visit.end
        p = _readmission_probability(world, person, visit, acute, prior_ip, prior_ed, rand)
        visit.readmit_p = p
        if rand.random() < p:
            gap = min(29 * DAY + 12 * HOUR, DAY + int(rand.exponential(8.0) * DAY))
            seq += 1
            heapq.heappush(heap, (visit.end + gap, seq, "readmit", acute))
        if not visit.planned and acute is not None and rand.chance(0.5):
            seq += 1
            heapq.heappush(heap, (visit.end + rand.randint(5, 14) * DAY, seq, "fu", acute))
    builder.finish()
    return person, visits


def _readmission_probability(
    world: World,
    person: Person,
    visit: Visit,
    acute: Acute | None,
    prior_ip: int,
    prior_ed: int,
    rand: Rand,
) -> float:
    """The documented logistic model (see ``wardwatch.synth._readmission``)."""
    active = [k for k, t in person.onsets.items() if t <= visit.end]
    z = readmission_logit(
        age=person.age_at(visit.end),
        charlson_score=charlson(active),
        prior_ip=prior_ip,
        prior_ed=prior_ed,
        abnormal=abnormal_count(visit.obs),
        los_days=(visit.end - visit.start) / DAY,
        disposition=visit.disposition or "home",
        diagnosis_effect=acute.readmit if acute is not None and not visit.planned else 0.0,
        noise=rand.normal(0.0, NOISE_SD),
    )
    p = 1.0 / (1.0 + math.exp(-z))
    return min(0.95, p * world.label_factor(visit.site, visit.end))
