"""A patient's demographics, identifiers, chronic conditions and death."""

from __future__ import annotations

import math
from itertools import pairwise

from wardwatch.synth._clock import DAY
from wardwatch.synth._codes import CHRONIC, CKD4, DM_CKD, HF_DIASTOLIC, Chronic, Icd
from wardwatch.synth._labs import healthy_baselines
from wardwatch.synth._model import Person
from wardwatch.synth._rand import Rand, cumulative
from wardwatch.synth._reference import FEMALE_NAMES, LAST_NAMES, MALE_NAMES, STREETS
from wardwatch.synth._world import World

__all__ = ["ETHNICITIES", "RACES", "make_person"]

#: OMB race categories (urn:oid:2.16.840.1.113883.6.238) and a share for "unknown".
RACES: tuple[tuple[str, str], ...] = (
    ("2106-3", "White"),
    ("2054-5", "Black or African American"),
    ("2028-9", "Asian"),
    ("1002-5", "American Indian or Alaska Native"),
    ("2076-8", "Native Hawaiian or Other Pacific Islander"),
    ("UNK", "Unknown"),
)
_RACE_CUM = cumulative((0.66, 0.15, 0.07, 0.015, 0.005, 0.10))
ETHNICITIES = (("2135-2", "Hispanic or Latino"), ("2186-5", "Not Hispanic or Latino"))
_HISPANIC_SHARE = {"OH": 0.05, "IL": 0.28, "AZ": 0.32, "CA": 0.34, "PA": 0.04}

#: Age at the start of the period: a hospital system's patients, older than the census.
_AGE_BANDS = ((0, 18), (18, 45), (45, 65), (65, 80), (80, 97))
_AGE_CUM = cumulative((0.15, 0.30, 0.28, 0.18, 0.09))

_YEAR = 365.25 * DAY


def _interp(points: tuple[tuple[float, float], ...], age: float) -> float:
    if age <= points[0][0]:
        return points[0][1]
    for (a0, p0), (a1, p1) in pairwise(points):
        if age <= a1:
            return p0 + (p1 - p0) * (age - a0) / (a1 - a0)
    return points[-1][1]


def _chance_of(cond: Chronic, age: float, have: set[str]) -> float:
    p = _interp(cond.prevalence, age)
    for other, factor in cond.raised_by:
        if other in have:
            p *= factor
    return min(p, 0.9)


def make_person(world: World, index: int, rand: Rand) -> tuple[Person, dict[str, float]]:
    """Draw patient ``index``: demographics, conditions (onsets) and death; and healthy labs."""
    ref = world.ref
    start = world.start_ts
    period_years = (world.horizon - start) / _YEAR
    female = rand.chance(0.52)
    lo, hi = rand.weighted(_AGE_BANDS, _AGE_CUM)
    age0 = rand.uniform(lo, hi)
    birth_day = int((start / DAY) - age0 * 365.25)
    site = rand.weighted(ref.home_sites, ref.home_cum)
    race = rand.weighted(RACES, _RACE_CUM)
    ethnicity = ETHNICITIES[0] if rand.chance(_HISPANIC_SHARE[site.state]) else ETHNICITIES[1]
    given_names = FEMALE_NAMES if female else MALE_NAMES
    person = Person(
        index=index,
        id=rand.uuid(),
        mrn=str(100_000_000 + index),
        ssn=f"999-{rand.digits(2)}-{rand.digits(4)}",
        family=rand.choice(LAST_NAMES),
        given=rand.choice(given_names),
        middle=rand.choice(given_names),
        sex="female" if female else "male",
        birth_day=birth_day,
        race=race,
        ethnicity=ethnicity,
        line=f"{rand.randint(10, 9899)} {rand.choice(STREETS)}",
        city=site.city,
        state=site.state,
        postal_code=rand.choice(site.zips),
        phone=f"{site.area_code}-555-{rand.digits(4)}",
        site=site,
        plan_young=ref.pick_plan(rand, young=age0 < 18),
        plan_senior=ref.pick_senior_plan(rand),
    )
    have: set[str] = set()
    sex = person.sex
    for cond in CHRONIC:
        if cond.sex is not None and cond.sex != sex:
            rand.random()  # keep the stream aligned across sexes
            rand.random()
            continue
        u = rand.random()
        v = rand.random()
        p = _chance_of(cond, age0, have)
        if u < p:
            # onset at most halfway back to birth (0.05 years is before the birth of a baby
            # born less than 0.05 years before the period starts)
            years_before = min(v * 10.0, max(age0 - 1.0, 0.1) * 0.5, age0 * 0.5)
            person.onsets[cond.key] = int(start - years_before * _YEAR)
            have.add(cond.key)
            continue
        # Incident diagnosis during the period: yearly hazard relative to prevalence at mid-age.
        age_mid = age0 + period_years / 2
        hazard = cond.incidence * _chance_of(cond, age_mid, have)
        if hazard > 0:
            years = -math.log(1.0 - v) / hazard
            if years < period_years:
                person.onsets[cond.key] = int(start + years * _YEAR)
                have.add(cond.key)
    _pick_codes(person, rand)
    healthy = healthy_baselines(rand, female=female, age=age0, obese="obesity" in have)
    person.death = _death(person, rand, world)
    return person, healthy


def _pick_codes(person: Person, rand: Rand) -> None:
    """The code each chronic condition is recorded with (a site keeps to one per patient)."""
    codes: dict[str, Icd] = {c.key: c.icd for c in CHRONIC if c.key in person.onsets}
    u = rand.random()
    if "hf" in codes and u < 0.5:
        codes["hf"] = HF_DIASTOLIC
    if "ckd" in codes and rand.random() < 0.25:
        codes["ckd"] = CKD4
    if "dm2" in codes and "ckd" in codes:
        codes["dm2"] = DM_CKD
    if "knee_oa" in codes and rand.random() < 0.5:
        codes["knee_oa"] = Icd("M17.12", "Unilateral primary osteoarthritis, left knee")
    person.codes = codes


def _death(person: Person, rand: Rand, world: World) -> int | None:
    """Out-of-hospital death: a Gompertz hazard raised by comorbidity, year by year."""
    burden = sum(c.charlson for c in CHRONIC if c.key in person.onsets)
    ts = world.start_ts
    while ts < world.horizon:
        age = person.age_at(ts)
        hazard = 0.00018 * math.exp(0.085 * (age - 30.0)) * (1.0 + 0.35 * burden)
        if rand.chance(1.0 - math.exp(-min(hazard, 5.0))):
            death = ts + int(rand.random() * _YEAR)
            return death if death < world.horizon else None
        ts += int(_YEAR)
    return None
