"""FHIR codings and small builders shared by the resource writers.

The codings are constants, shared by every resource that uses them (the writers never change
a resource after building it; the defect injector copies one before breaking it).
"""

from __future__ import annotations

from typing import Any

from wardwatch.synth._codes import ENCOUNTER_TYPES, SYSTEMS
from wardwatch.synth._notes import DISCHARGE_SUMMARY, PROGRESS_NOTE

__all__ = [
    "ADMIT",
    "ADMIT_CC",
    "ATTENDER",
    "CLAIM_TYPE",
    "CLASS",
    "CLINICAL",
    "COND_CAT",
    "CONFIRMED",
    "DISCHARGE",
    "DISCHARGE_CC",
    "ETYPE",
    "ICD",
    "INTERP",
    "JSON",
    "LOINC",
    "MRN_SYSTEM",
    "MR_TYPE",
    "NOTE_CAT",
    "NOTE_TYPE",
    "OBS_CAT",
    "OMB",
    "PAY",
    "PAYER_ID_SYSTEM",
    "PRINCIPAL",
    "PRIORITY",
    "PROV",
    "SCT",
    "SS_TYPE",
    "TERM",
    "UCUM",
    "cc",
    "qty",
    "usd",
]

JSON = dict[str, Any]

MRN_SYSTEM = "http://wardwatch.example.org/sid/mrn"
PAYER_ID_SYSTEM = "http://wardwatch.example.org/sid/payer-id"
TERM = "http://terminology.hl7.org/CodeSystem/"
ICD, LOINC, SCT, UCUM = SYSTEMS["icd10"], SYSTEMS["loinc"], SYSTEMS["snomed"], SYSTEMS["ucum"]


def cc(system: str, code: str, display: str, text: bool = False) -> JSON:
    out: JSON = {"coding": [{"system": system, "code": code, "display": display}]}
    if text:
        out["text"] = display
    return out


CLASS = {
    "IMP": {"system": TERM + "v3-ActCode", "code": "IMP", "display": "inpatient encounter"},
    "AMB": {"system": TERM + "v3-ActCode", "code": "AMB", "display": "ambulatory"},
    "EMER": {"system": TERM + "v3-ActCode", "code": "EMER", "display": "emergency"},
}
ETYPE = {k: [cc(SCT, code, disp, True)] for k, (code, disp) in ENCOUNTER_TYPES.items()}
ATTENDER = [cc(TERM + "v3-ParticipationType", "ATND", "attender")]
ADMIT = {
    "emd": "From accident/emergency department",
    "mp": "Medical Practitioner/physician referral",
    "outp": "From outpatient department",
    "hosp-trans": "Transferred from other hospital",
}
DISCHARGE = {
    "home": "Home",
    "alt-home": "Alternative home",
    "other-hcf": "Other healthcare facility",
    "hosp": "Hospice",
    "long": "Long-term care",
    "aadvice": "Left against advice",
    "exp": "Expired",
    "psy": "Psychiatric hospital",
    "rehab": "Rehabilitation",
    "snf": "Skilled nursing facility",
    "oth": "Other",
}
ADMIT_CC = {k: cc(TERM + "admit-source", k, v) for k, v in ADMIT.items()}
DISCHARGE_CC = {k: cc(TERM + "discharge-disposition", k, v) for k, v in DISCHARGE.items()}
OBS_CAT = {
    "laboratory": [cc(TERM + "observation-category", "laboratory", "Laboratory")],
    "vital-signs": [cc(TERM + "observation-category", "vital-signs", "Vital Signs")],
}
INTERP = {
    "H": [cc(TERM + "v3-ObservationInterpretation", "H", "High")],
    "L": [cc(TERM + "v3-ObservationInterpretation", "L", "Low")],
    "N": [cc(TERM + "v3-ObservationInterpretation", "N", "Normal")],
}
CLINICAL = {s: cc(TERM + "condition-clinical", s, s.capitalize()) for s in ("active", "resolved")}
CONFIRMED = cc(TERM + "condition-ver-status", "confirmed", "Confirmed")
COND_CAT = {
    "problem-list-item": [
        cc(TERM + "condition-category", "problem-list-item", "Problem List Item")
    ],
    "encounter-diagnosis": [
        cc(TERM + "condition-category", "encounter-diagnosis", "Encounter Diagnosis")
    ],
}
CLAIM_TYPE = {
    "institutional": cc(TERM + "claim-type", "institutional", "Institutional"),
    "professional": cc(TERM + "claim-type", "professional", "Professional"),
}
PRIORITY = cc(TERM + "processpriority", "normal", "Normal")
PRINCIPAL = [cc(TERM + "ex-diagnosistype", "principal", "Principal Diagnosis")]
NOTE_CAT = [
    cc(
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
        "clinical-note",
        "Clinical Note",
    )
]
NOTE_TYPE = {
    "IMP": cc(LOINC, DISCHARGE_SUMMARY[0], DISCHARGE_SUMMARY[1], True),
    "AMB": cc(LOINC, PROGRESS_NOTE[0], PROGRESS_NOTE[1], True),
}
MR_TYPE = cc(TERM + "v2-0203", "MR", "Medical Record Number")
SS_TYPE = cc(TERM + "v2-0203", "SS", "Social Security number")
OMB = "urn:oid:2.16.840.1.113883.6.238"
PROV = [cc(TERM + "organization-type", "prov", "Healthcare Provider")]
PAY = [cc(TERM + "organization-type", "pay", "Payer")]


def qty(value: float, unit: str) -> JSON:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def usd(value: float) -> JSON:
    return {"value": round(value, 2), "currency": "USD"}
