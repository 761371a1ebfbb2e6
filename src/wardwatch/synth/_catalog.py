"""Measurements, medications, procedures and billing codes of the simulation.

LOINC codes carry valid check digits and units are UCUM codes; RxNorm RXCUIs are those of
common generic drugs; procedures have a SNOMED CT code (for the Procedure resource) and a
CPT code (for the claim line). Prices are round, plausible US charges, for claim totals only.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CHRONIC_MEDS",
    "EM_CODES",
    "GLUCOSE_MMOL",
    "LABS",
    "MEDS",
    "PRICES",
    "PROCEDURES",
    "Drug",
    "Lab",
    "Proc",
]


@dataclass(frozen=True, slots=True)
class Lab:
    """A LOINC-coded measurement: unit (UCUM), rounding, reference and plausible ranges.

    ``low``/``high`` are the reference range (``None`` for an open end) and are sex-specific
    where ``low_f``/``high_f`` are given; ``plausible`` is the physiologic range outside which a
    value cannot be real (the ``implausible-value`` defect goes outside it, clean values
    never do). ``cpt`` is the billing code of the panel the test belongs to.
    """

    key: str
    loinc: str
    display: str
    unit: str
    decimals: int
    low: float | None
    high: float | None
    plausible: tuple[float, float]
    category: str = "laboratory"
    cpt: str = ""
    low_f: float | None = None
    high_f: float | None = None


_MDRD = (
    "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma "
    "by Creatinine-based formula (MDRD)"
)
_ALT = "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"

# fmt: off
_LAB_LIST = (
    Lab("glu", "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 0, 70, 99,
        (10, 2000), cpt="80048"),
    Lab("glu_poc", "2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 0, 70, 99, (10, 2000),
        cpt="82962"),
    Lab("hgb", "718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 1, 13.5, 17.5, (2, 25),
        cpt="85025", low_f=12.0, high_f=15.5),
    Lab("wbc", "6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 1,
        4.5, 11.0, (0.1, 300), cpt="85025"),
    Lab("plt", "777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 0,
        150, 400, (2, 2000), cpt="85025"),
    Lab("na", "2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 0, 136, 145,
        (95, 190), cpt="80048"),
    Lab("k", "2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 1, 3.5, 5.1,
        (1.0, 10.0), cpt="80048"),
    Lab("cr", "2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 2, 0.74, 1.35,
        (0.1, 25), cpt="80048", low_f=0.59, high_f=1.04),
    Lab("bun", "3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 0, 7, 20,
        (1, 250), cpt="80048"),
    Lab("egfr", "33914-3", _MDRD, "mL/min/{1.73_m2}", 0, 60, None, (1, 250), cpt="80048"),
    Lab("a1c", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 1, 4.0, 5.6,
        (3.0, 20.0), cpt="83036"),
    Lab("alt", "1742-6", _ALT, "U/L", 0, 7, 56, (1, 10000), cpt="84460"),
    Lab("bnp", "30934-4", "Natriuretic peptide B [Mass/volume] in Serum or Plasma", "pg/mL", 0,
        None, 100, (1, 50000), cpt="83880"),
    Lab("trop", "10839-9", "Troponin I.cardiac [Mass/volume] in Serum or Plasma", "ng/mL", 2,
        None, 0.04, (0.0, 500), cpt="84484"),
    Lab("lact", "2524-7", "Lactate [Moles/volume] in Serum or Plasma", "mmol/L", 1, 0.5, 2.2,
        (0.2, 30), cpt="83605"),
    Lab("chol", "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 0, None, 200,
        (40, 1000), cpt="80061"),
    Lab("hr", "8867-4", "Heart rate", "/min", 0, 60, 100, (20, 300), "vital-signs"),
    Lab("sbp", "8480-6", "Systolic blood pressure", "mm[Hg]", 0, 90, 130, (40, 300),
        "vital-signs"),
    Lab("dbp", "8462-4", "Diastolic blood pressure", "mm[Hg]", 0, 60, 80, (20, 200),
        "vital-signs"),
    Lab("bp", "85354-9", "Blood pressure panel with all children optional", "mm[Hg]", 0, None,
        None, (20, 300), "vital-signs"),
    Lab("bmi", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", 1, 18.5, 25.0, (8, 120),
        "vital-signs"),
    Lab("temp", "8310-5", "Body temperature", "Cel", 1, 36.1, 37.2, (25, 45), "vital-signs"),
    Lab("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 0, 95,
        100, (40, 100), "vital-signs"),
)
# fmt: on
LABS: dict[str, Lab] = {lab.key: lab for lab in _LAB_LIST}

#: Glucose in SI units: what ``unit-switch`` drift writes (value / 18.016, unit mmol/L).
GLUCOSE_MMOL = 18.016


@dataclass(frozen=True, slots=True)
class Drug:
    """A medication: RxNorm RXCUI, its name and a dosage text."""

    key: str
    rxcui: str
    display: str
    sig: str


# fmt: off
_DRUG_LIST = (
    Drug("lisinopril", "314076", "lisinopril 10 MG Oral Tablet", "10 mg by mouth once daily"),
    Drug("amlodipine", "197361", "amlodipine 5 MG Oral Tablet", "5 mg by mouth once daily"),
    Drug("hctz", "310798", "hydrochlorothiazide 25 MG Oral Tablet", "25 mg by mouth daily"),
    Drug("metformin", "860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral "
         "Tablet", "500 mg by mouth twice daily with meals"),
    Drug("insulin", "106892", "insulin isophane, human 70 UNT/ML / insulin regular, human 30 "
         "UNT/ML Injectable Suspension", "20 units subcutaneously twice daily"),
    Drug("atorvastatin", "259255", "atorvastatin 80 MG Oral Tablet", "80 mg by mouth at night"),
    Drug("simvastatin", "312961", "simvastatin 20 MG Oral Tablet", "20 mg by mouth at night"),
    Drug("furosemide", "313988", "furosemide 40 MG Oral Tablet", "40 mg by mouth once daily"),
    Drug("furosemide_iv", "1719286", "10 ML furosemide 10 MG/ML Injection",
         "40 mg intravenously twice daily"),
    Drug("carvedilol", "200031", "carvedilol 6.25 MG Oral Tablet", "6.25 mg by mouth twice daily"),
    Drug("metoprolol", "866414", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet",
         "100 mg by mouth once daily"),
    Drug("apixaban", "1364430", "apixaban 2.5 MG Oral Tablet", "2.5 mg by mouth twice daily"),
    Drug("warfarin", "855332", "warfarin sodium 5 MG Oral Tablet", "5 mg by mouth daily"),
    Drug("aspirin", "243670", "aspirin 81 MG Oral Tablet", "81 mg by mouth daily"),
    Drug("clopidogrel", "309362", "clopidogrel 75 MG Oral Tablet", "75 mg by mouth daily"),
    Drug("albuterol", "745679", "200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
         "2 puffs inhaled every 4 hours as needed"),
    Drug("fluticasone", "895994", "120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered "
         "Dose Inhaler", "2 puffs inhaled twice daily"),
    Drug("sertraline", "312938", "sertraline 100 MG Oral Tablet", "100 mg by mouth daily"),
    Drug("levothyroxine", "966222", "levothyroxine sodium 0.075 MG Oral Tablet",
         "75 mcg by mouth every morning"),
    Drug("acetaminophen", "313782", "acetaminophen 325 MG Oral Tablet",
         "650 mg by mouth every 6 hours as needed"),
    Drug("amox_clav", "562251", "amoxicillin 250 MG / clavulanate 125 MG Oral Tablet",
         "1 tablet by mouth every 8 hours"),
    Drug("oxycodone_apap", "1049221", "acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral "
         "Tablet", "1 tablet by mouth every 6 hours as needed for pain"),
    Drug("cisplatin", "1736854", "cisplatin 50 MG Injection", "per oncology protocol"),
    Drug("paclitaxel", "583214", "paclitaxel 100 MG Injection", "per oncology protocol"),
    Drug("penicillin", "834061", "penicillin V potassium 250 MG Oral Tablet",
         "250 mg by mouth four times daily"),
)
# fmt: on
MEDS: dict[str, Drug] = {d.key: d for d in _DRUG_LIST}

#: Chronic medications started when a condition is diagnosed (the first, plus one of the
#: others for heart failure).
CHRONIC_MEDS: dict[str, tuple[str, ...]] = {
    "htn": ("lisinopril", "amlodipine", "hctz"),
    "dm2": ("metformin",),
    "hld": ("atorvastatin", "simvastatin"),
    "hf": ("furosemide", "carvedilol", "metoprolol"),
    "afib": ("apixaban", "warfarin"),
    "cad": ("aspirin", "clopidogrel"),
    "copd": ("albuterol",),
    "asthma": ("albuterol", "fluticasone"),
    "depression": ("sertraline",),
    "hypothyroid": ("levothyroxine",),
}


@dataclass(frozen=True, slots=True)
class Proc:
    """A procedure: SNOMED CT code for the Procedure resource, CPT code for the claim."""

    key: str
    snomed: str
    display: str
    cpt: str
    minutes: int


# fmt: off
_PROC_LIST = (
    Proc("cxr", "399208008", "Plain X-ray of chest (procedure)", "71046", 15),
    Proc("ecg", "29303009", "Electrocardiographic procedure (procedure)", "93000", 10),
    Proc("echo", "433236007", "Transthoracic echocardiography (procedure)", "93306", 45),
    Proc("dialysis", "302497006", "Hemodialysis (procedure)", "90935", 240),
    Proc("transfusion", "116859006", "Transfusion of blood product (procedure)", "36430", 120),
    Proc("pci", "415070008", "Percutaneous coronary intervention (procedure)", "92928", 90),
    Proc("chemo", "367336001", "Chemotherapy (procedure)", "96413", 180),
    Proc("tkr", "609588000", "Total knee replacement (procedure)", "27447", 150),
    Proc("intubation", "112798008", "Insertion of endotracheal tube (procedure)", "31500", 20),
    Proc("cabg", "232717009", "Coronary artery bypass grafting (procedure)", "33533", 300),
)
# fmt: on
PROCEDURES: dict[str, Proc] = {p.key: p for p in _PROC_LIST}

#: Evaluation-and-management codes billed per encounter (CPT, and HCPCS G0439, the Medicare
#: annual wellness visit): key -> (code, system key).
EM_CODES: dict[str, tuple[str, str]] = {
    "amb_low": ("99213", "cpt"),
    "amb_mod": ("99214", "cpt"),
    "preventive_18_39": ("99395", "cpt"),
    "preventive_40_64": ("99396", "cpt"),
    "preventive_65": ("99397", "cpt"),
    "awv": ("G0439", "hcpcs"),
    "ed_low": ("99283", "cpt"),
    "ed_mod": ("99284", "cpt"),
    "ed_high": ("99285", "cpt"),
    "ip_initial": ("99223", "cpt"),
    "ip_subsequent": ("99232", "cpt"),
    "ip_discharge": ("99239", "cpt"),
}

#: Charge per unit of a CPT/HCPCS code, US dollars (before a site's price level).
# fmt: off
PRICES: dict[str, float] = {
    "99213": 130.0, "99214": 190.0, "99395": 220.0, "99396": 240.0, "99397": 260.0,
    "G0439": 175.0, "99283": 320.0, "99284": 560.0, "99285": 890.0, "99223": 420.0,
    "99232": 160.0, "99239": 210.0, "80048": 42.0, "82962": 12.0, "85025": 35.0,
    "83036": 48.0, "84460": 25.0, "83880": 110.0, "84484": 65.0, "83605": 38.0, "80061": 55.0,
    "71046": 180.0, "93000": 85.0, "93306": 1350.0, "90935": 650.0, "36430": 950.0,
    "92928": 14500.0, "96413": 2100.0, "27447": 24000.0, "31500": 780.0, "33533": 45000.0,
}
# fmt: on
