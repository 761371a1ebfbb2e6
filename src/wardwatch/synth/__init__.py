"""Synthetic EHR generator: FHIR R4, HL7 v2.5 and claims CSV, with defect and drift injection.

``generate(SynthConfig(patients=N, seed=S, out=path))`` simulates N patients over a period
(2019-01-01 to 2025-12-31 by default) one by one and streams them to disk, so memory does not
grow with N and the same seed gives byte-identical files. It writes FHIR R4 bulk NDJSON (one
file per type: Patient, Encounter, Condition, Observation, MedicationRequest, Procedure,
DocumentReference, Claim, Organization, Practitioner) or one transaction Bundle per patient,
HL7 v2.5 ADT/ORU messages (``hl7/messages.hl7``) and ``claims.csv``, all with the same ids.

**Population.** Age (a hospital system's patients, older than the census), sex, OMB race and
ethnicity, five hospitals in four US time zones (each an Organization with an NPI; Arizona
without DST), age-dependent payers (Medicare from 65, Medicaid, commercial plans, self-pay),
23 chronic conditions with age-dependent, correlated prevalences (diabetes, hypertension, CKD,
heart failure, COPD, cancers...), labs and vitals whose distributions follow the conditions
(diabetes raises glucose and HbA1c, CKD raises creatinine and lowers eGFR, heart failure raises
BNP), acute admissions whose illness shows in the labs, real codes throughout (ICD-10-CM,
LOINC, UCUM, SNOMED CT, RxNorm, CPT/HCPCS, NPI with Luhn check digits). On average a patient
has about ``RESOURCES_PER_PATIENT`` (175) FHIR resources over the default seven years, about 25
per patient-year: ask for ``target / 175`` patients to get about ``target`` resources (for the
200,000-resource ingest benchmark: about 1,150 patients).

**Readmission signal.** At each live inpatient discharge the probability of an unplanned
readmission within 30 days follows a documented logistic model
(:mod:`wardwatch.synth._readmission`): log-odds = -4.35 + 0.015 (age - 65) + 0.22 Charlson
score (from the patient's ICD-10-CM conditions) + 0.45 prior admissions in 365 days (max 4) +
0.20 prior ED visits in 180 days (max 4) + 0.32 abnormal labs at discharge (last in-stay
sodium, potassium, hemoglobin, WBC, creatinine, glucose, BNP out of range) + 0.06 length of
stay (days, max 15) + disposition (SNF +0.55, against advice +1.0, long-term care +0.4,
rehab +0.3, hospice -1.5) + principal diagnosis (heart failure +0.35, COPD +0.3, sepsis +0.25,
...) + N(0, 1.05) noise. About 13-16% of index discharges are readmitted; a logistic
regression on these features computed from the FHIR output reaches a held-out AUROC of about
0.73-0.80. A readmission is
a real emergency admission (``admitSource`` ``emd``, type SNOMED 183452005). Planned
admissions (chemotherapy cycles, elective knee replacement) have type SNOMED 8715000 "Hospital
admission, elective" and should be excluded from the outcome.

**Defects** (``defects=``, NDJSON only; see :mod:`wardwatch.synth._defects`): 13 classes at
given rates, each listed in ``defects.jsonl``; a clean run contains none. **Drift**
(``drift=``): age-mix, case-mix, unit-switch, silent-unit-switch, code-set-change, new-site,
label-rate from a date,
described in ``drift.json``; everything before the date is identical to a run without it.
"""

from wardwatch.synth._claims import CLAIMS_HEADER
from wardwatch.synth._config import (
    DEFECT_CLASSES,
    DRIFT_KINDS,
    DriftEvent,
    SynthConfig,
    SynthResult,
    parse_defects,
    parse_drift,
)
from wardwatch.synth._generate import RESOURCE_TYPES, generate
from wardwatch.synth._hl7 import HL7_DISPOSITION
from wardwatch.synth._readmission import (
    ABNORMAL,
    DISPOSITION_EFFECT,
    INTERCEPT,
    NOISE_SD,
    WEIGHTS,
)

#: Average FHIR resources per patient over the default seven-year period (measured).
RESOURCES_PER_PATIENT = 175

__all__ = [
    "ABNORMAL",
    "CLAIMS_HEADER",
    "DEFECT_CLASSES",
    "DISPOSITION_EFFECT",
    "DRIFT_KINDS",
    "HL7_DISPOSITION",
    "INTERCEPT",
    "NOISE_SD",
    "RESOURCES_PER_PATIENT",
    "RESOURCE_TYPES",
    "WEIGHTS",
    "DriftEvent",
    "SynthConfig",
    "SynthResult",
    "generate",
    "parse_defects",
    "parse_drift",
]
