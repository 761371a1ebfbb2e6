"""The built-in 30-day readmission signal: a documented logistic model.

At every live inpatient discharge the simulation computes, from facts that the generated
records carry (so a model trained on the output can recover them):

==========================  ============================================================  =======
feature                     definition                                                    weight
==========================  ============================================================  =======
age                         years at discharge, centred at 65, per year                    0.015
comorbidity (Charlson)      sum of the Charlson weights of the chronic conditions          0.22
                            present (ICD-10-CM codes of the patient's Conditions);
                            diabetes with CKD counts 2
prior admissions            inpatient stays that began in the 365 days before this one    0.45
                            (capped at 4)
prior ED visits             emergency visits (treat-and-release) in the 180 days before   0.20
                            (capped at 4)
abnormal labs at discharge  count of the last in-stay values out of range: sodium <135 or  0.32
                            >145 mmol/L, potassium <3.5 or >5.1, hemoglobin <10 g/dL, WBC
                            <4 or >11 10*3/uL, creatinine >1.5 mg/dL, glucose <70 or >200
                            mg/dL, BNP >500 pg/mL
length of stay              days, capped at 15                                              0.06
discharge disposition       snf +0.55, aadvice (left against advice) +1.0, long +0.4,
                            rehab +0.3, psy +0.3, hosp (hospice) -1.5, others 0
principal diagnosis         heart failure +0.35, COPD +0.3, sepsis +0.25, AKI and GI
                            bleed +0.2, ... (``Acute.readmit``)
==========================  ============================================================  =======

``logit = INTERCEPT (-4.35) + sum(weight * feature) + N(0, NOISE_SD = 1.05)``; the noise stands
for what no record shows (social support, adherence). ``label-rate`` drift multiplies the
probability. The readmission, when drawn, is a real unplanned inpatient encounter (emergency
admission, ``admitSource`` ``emd``) 1 to 30 days after discharge; other unplanned admissions are not
started inside that window, so the outcome is exactly what the model drew. Planned admissions
(chemotherapy cycles, elective surgery; encounter type SNOMED 8715000) happen on their own
schedule and may fall inside the window: a use case should exclude them from the outcome.
"""

from __future__ import annotations

import math

from wardwatch.synth._codes import CHRONIC
from wardwatch.synth._model import Obs

__all__ = [
    "ABNORMAL",
    "DISPOSITION_EFFECT",
    "INTERCEPT",
    "NOISE_SD",
    "WEIGHTS",
    "abnormal_count",
    "charlson",
    "readmission_logit",
]

INTERCEPT = -4.35
NOISE_SD = 1.05
WEIGHTS = {
    "age": 0.015,
    "charlson": 0.22,
    "prior_ip": 0.45,
    "prior_ed": 0.20,
    "abnormal": 0.32,
    "los": 0.06,
}
DISPOSITION_EFFECT = {
    "snf": 0.55,
    "aadvice": 1.0,
    "long": 0.4,
    "rehab": 0.3,
    "psy": 0.3,
    "hosp": -1.5,
}
#: lab key -> (low, high): a last in-stay value below low or above high counts as abnormal.
ABNORMAL: dict[str, tuple[float, float]] = {
    "na": (135.0, 145.0),
    "k": (3.5, 5.1),
    "hgb": (10.0, math.inf),
    "wbc": (4.0, 11.0),
    "cr": (-math.inf, 1.5),
    "glu": (70.0, 200.0),
    "bnp": (-math.inf, 500.0),
}
_CHARLSON = {c.key: c.charlson for c in CHRONIC}


def charlson(keys: list[str]) -> int:
    """Charlson-like comorbidity score of a set of chronic condition keys."""
    score = sum(_CHARLSON.get(k, 0) for k in keys)
    if "dm2" in keys and "ckd" in keys:
        score += 1  # diabetes with end-organ damage
    return score


def abnormal_count(obs: list[Obs]) -> int:
    """Number of the ``ABNORMAL`` labs whose last value in ``obs`` is out of range."""
    last: dict[str, float] = {}
    for o in obs:
        if o.lab.key in ABNORMAL:
            last[o.lab.key] = o.value  # obs are in time order
    n = 0
    for key, value in last.items():
        low, high = ABNORMAL[key]
        if value < low or value > high:
            n += 1
    return n


def readmission_logit(
    *,
    age: float,
    charlson_score: int,
    prior_ip: int,
    prior_ed: int,
    abnormal: int,
    los_days: float,
    disposition: str,
    diagnosis_effect: float,
    noise: float,
) -> float:
    """Log-odds of an unplanned readmission within 30 days (see the module docstring)."""
    return (
        INTERCEPT
        + WEIGHTS["age"] * (age - 65.0)
        + WEIGHTS["charlson"] * charlson_score
        + WEIGHTS["prior_ip"] * min(prior_ip, 4)
        + WEIGHTS["prior_ed"] * min(prior_ed, 4)
        + WEIGHTS["abnormal"] * abnormal
        + WEIGHTS["los"] * min(los_days, 15.0)
        + DISPOSITION_EFFECT.get(disposition, 0.0)
        + diagnosis_effect
        + noise
    )
