"""Lab and vital sign values: per-patient baselines that depend on conditions, plus acute illness.

A patient's baseline for each measurement is a healthy value drawn once (sex- and
age-dependent) and shifted by the chronic conditions active at the time: diabetes raises
glucose and HbA1c (HbA1c follows mean glucose by the ADAG relation), CKD raises creatinine,
potassium and BUN and lowers hemoglobin, heart failure raises BNP and lowers sodium, cirrhosis
raises ALT and lowers platelets, hypertension raises blood pressure. An acute illness shifts
values at admission by ``shift * spread * severity`` and the shift decays over the stay, so
the labs at discharge still show a severe illness. eGFR is computed from creatinine with the
MDRD study equation, as its LOINC code (33914-3) says.
"""

from __future__ import annotations

import math

from wardwatch.synth._catalog import LABS
from wardwatch.synth._model import Person
from wardwatch.synth._rand import Rand

__all__ = ["baselines", "draw_value", "egfr_mdrd", "healthy_baselines"]

#: key -> (log scale?, acute spread, within-person noise): noise is a coefficient of variation
#: for log-scale labs and a standard deviation for the others.
_MODEL: dict[str, tuple[bool, float, float]] = {
    "glu": (True, 0.35, 0.10),
    "glu_poc": (True, 0.35, 0.12),
    "hgb": (False, 1.3, 0.4),
    "wbc": (True, 0.35, 0.12),
    "plt": (False, 40.0, 20.0),
    "na": (False, 3.0, 1.5),
    "k": (False, 0.45, 0.2),
    "cr": (True, 0.35, 0.06),
    "bun": (True, 0.35, 0.12),
    "a1c": (False, 0.0, 0.15),
    "alt": (True, 0.8, 0.15),
    "bnp": (True, 0.6, 0.2),
    "trop": (True, 1.2, 0.3),
    "lact": (True, 0.35, 0.15),
    "chol": (False, 0.0, 12.0),
    "hr": (False, 12.0, 6.0),
    "sbp": (False, 8.0, 8.0),
    "dbp": (False, 5.0, 5.0),
    "temp": (False, 0.7, 0.25),
    "spo2": (False, 2.5, 1.0),
    "bmi": (False, 0.0, 0.3),
}


def healthy_baselines(rand: Rand, *, female: bool, age: float, obese: bool) -> dict[str, float]:
    """A patient's values in health (before chronic conditions shift them)."""
    child = age < 18
    if child:
        bmi = rand.normal(18.5, 2.5)
    elif obese:
        bmi = max(30.2, rand.normal(34.5, 4.0))
    else:
        bmi = min(29.6, max(17.0, rand.normal(25.5, 2.8)))
    return {
        "glu": rand.normal(93.0, 7.0),
        "hgb": rand.normal(13.2, 0.9) if female else rand.normal(14.6, 1.0),
        "wbc": rand.lognormal(7.0, 0.18),
        "plt": rand.normal(255.0, 45.0),
        "na": rand.normal(140.0, 1.6),
        "k": rand.normal(4.2, 0.25),
        "cr": (rand.normal(0.78, 0.1) if female else rand.normal(0.98, 0.12))
        * (1.0 + max(0.0, age - 50) * 0.004),
        "bun_ratio": rand.normal(14.0, 2.0),
        "alt": rand.lognormal(23.0, 0.3),
        "bnp": rand.lognormal(30.0 + max(0.0, age - 50) * 1.2, 0.5),
        "trop": 0.01,
        "lact": rand.lognormal(1.1, 0.2),
        "chol": rand.normal(185.0, 22.0),
        "hr": rand.normal(92.0, 10.0) if child else rand.normal(73.0, 7.0),
        "sbp": rand.normal(104.0, 8.0) if child else rand.normal(118.0, 9.0),
        "temp": rand.normal(36.8, 0.15),
        "spo2": rand.normal(97.5, 0.8),
        "bmi": bmi,
        "dm_factor": rand.lognormal(1.65, 0.18),
        "a1c_offset": rand.normal(0.0, 0.25),
    }


def baselines(person: Person, healthy: dict[str, float], ts: int) -> dict[str, float]:
    """Baselines at ``ts``: the healthy values shifted by the conditions active then."""
    b = dict(healthy)
    has = person.has
    if has("dm2", ts):
        b["glu"] *= healthy["dm_factor"]
    if has("ckd", ts):
        stage4 = person.codes["ckd"].code == "N18.4"
        b["cr"] *= 3.2 if stage4 else 1.9
        b["k"] += 0.45 if stage4 else 0.3
        b["hgb"] -= 1.4 if stage4 else 0.9
        b["bnp"] *= 2.0
    if has("hf", ts):
        b["bnp"] *= 10.0
        b["na"] -= 1.5
        b["hr"] += 4.0
    if has("liver", ts):
        b["alt"] *= 2.5
        b["plt"] -= 80.0
        b["na"] -= 2.0
        b["hgb"] -= 0.8
    for key in ("cancer_lung", "cancer_breast", "cancer_colon", "cancer_prostate"):
        if has(key, ts):
            b["hgb"] -= 1.0
            break
    if has("hld", ts):
        b["chol"] += 45.0
    if has("htn", ts):
        b["sbp"] += 18.0
    if has("copd", ts):
        b["spo2"] -= 3.0
    if has("afib", ts):
        b["hr"] += 9.0
    b["bun"] = b["cr"] * b.pop("bun_ratio")
    b["dbp"] = b["sbp"] * 0.62 + 4.0
    b["glu_poc"] = b["glu"]
    b["a1c"] = (b["glu"] + 46.7) / 28.7 + healthy["a1c_offset"]  # ADAG: eAG = 28.7*A1c - 46.7
    return b


def draw_value(rand: Rand, key: str, base: float, shift: float = 0.0) -> float:
    """One value of lab ``key`` around ``base``, moved by an acute ``shift`` (in spreads).

    The result is rounded to the lab's precision and kept inside its plausible range.
    """
    log_scale, spread, noise = _MODEL[key]
    if log_scale:
        value = base * math.exp(shift * spread + noise * rand.normal())
    else:
        value = base + shift * spread + noise * rand.normal()
    lab = LABS[key]
    lo, hi = lab.plausible
    margin = (hi - lo) * 0.001
    value = min(max(value, lo + margin), hi - margin)
    return round(value, lab.decimals) if lab.decimals else float(round(value))


def egfr_mdrd(creatinine: float, age: float, *, female: bool, black: bool) -> float:
    """eGFR (mL/min/1.73 m2) by the 4-variable MDRD study equation (IDMS-traceable, 175)."""
    value = 175.0 * creatinine**-1.154 * max(age, 18.0) ** -0.203
    if female:
        value *= 0.742
    if black:
        value *= 1.212
    return float(round(min(max(value, 2.0), 240.0)))
