"""Diagnoses and encounter types of the simulation: real ICD-10-CM and SNOMED CT codes.

Every ICD-10-CM code here is billable, with its official description (the tests check both
against ``simple_icd_10_cm``); SNOMED CT identifiers carry valid Verhoeff check digits. The
tables also hold the clinical knowledge the simulation uses: the prevalence of each chronic
condition by age and how other conditions raise it, its Charlson comorbidity weight, and for
each reason of admission how it shows in labs, stay, care and readmission risk. Measurements,
drugs, procedures and billing codes are in :mod:`wardwatch.synth._catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACUTE",
    "CHEMO_ENCOUNTER",
    "CHRONIC",
    "CKD4",
    "DM_CKD",
    "ED_REASONS",
    "ENCOUNTER_TYPES",
    "HF_DIASTOLIC",
    "INVALID_ICD10",
    "SYSTEMS",
    "UNSPECIFIED",
    "WELLNESS_ADULT",
    "WELLNESS_CHILD",
    "Acute",
    "Chronic",
    "Icd",
]

SYSTEMS = {
    "icd10": "http://hl7.org/fhir/sid/icd-10-cm",
    "loinc": "http://loinc.org",
    "snomed": "http://snomed.info/sct",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "cpt": "http://www.ama-assn.org/go/cpt",
    "hcpcs": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "ucum": "http://unitsofmeasure.org",
    "npi": "http://hl7.org/fhir/sid/us-npi",
}


@dataclass(frozen=True, slots=True)
class Icd:
    """An ICD-10-CM code with its official description."""

    code: str
    display: str


_icd = Icd


@dataclass(frozen=True, slots=True)
class Chronic:
    """A chronic condition: its code, Charlson weight and prevalence at the start by age.

    ``prevalence`` is a list of ``(age, probability)`` points, linearly interpolated;
    ``incidence`` is the yearly chance of a new diagnosis relative to the prevalence at that
    age; ``raised_by`` multiplies the chance when the patient already has another condition;
    ``sex`` restricts the condition to one sex.
    """

    key: str
    icd: Icd
    charlson: int
    prevalence: tuple[tuple[float, float], ...]
    incidence: float = 0.03
    raised_by: tuple[tuple[str, float], ...] = ()
    sex: str | None = None


# fmt: off
CHRONIC: tuple[Chronic, ...] = (
    Chronic("tobacco", _icd("F17.210", "Nicotine dependence, cigarettes, uncomplicated"), 0,
            ((0, 0.0), (15, 0.0), (18, 0.14), (50, 0.14), (80, 0.06)), 0.01),
    Chronic("obesity", _icd("E66.9", "Obesity, unspecified"), 0,
            ((0, 0.05), (18, 0.25), (50, 0.33), (80, 0.2))),
    Chronic("htn", _icd("I10", "Essential (primary) hypertension"), 0,
            ((0, 0.0), (18, 0.05), (40, 0.2), (60, 0.5), (80, 0.7)), 0.05, (("obesity", 1.6),)),
    Chronic("dm2", _icd("E11.9", "Type 2 diabetes mellitus without complications"), 1,
            ((0, 0.0), (18, 0.02), (45, 0.1), (65, 0.24), (90, 0.2)), 0.04,
            (("obesity", 2.2), ("htn", 1.4))),
    Chronic("hld", _icd("E78.5", "Hyperlipidemia, unspecified"), 0,
            ((0, 0.0), (20, 0.05), (45, 0.25), (65, 0.45), (90, 0.4)), 0.04, (("dm2", 1.5),)),
    Chronic("ckd", _icd("N18.30", "Chronic kidney disease, stage 3 unspecified"), 2,
            ((0, 0.0), (30, 0.01), (60, 0.06), (80, 0.2)), 0.06, (("dm2", 2.5), ("htn", 1.8))),
    Chronic("cad", _icd("I25.10", "Atherosclerotic heart disease of native coronary artery "
                               "without angina pectoris"), 0,
            ((0, 0.0), (35, 0.005), (55, 0.05), (75, 0.16), (90, 0.22)), 0.04,
            (("dm2", 1.8), ("htn", 1.5), ("hld", 1.5), ("tobacco", 1.8))),
    Chronic("old_mi", _icd("I25.2", "Old myocardial infarction"), 1,
            ((0, 0.0), (40, 0.005), (65, 0.04), (85, 0.08)), 0.03, (("cad", 4.0),)),
    Chronic("hf", _icd("I50.22", "Chronic systolic (congestive) heart failure"), 1,
            ((0, 0.0), (40, 0.003), (65, 0.035), (85, 0.1)), 0.07,
            (("cad", 3.0), ("htn", 1.6), ("dm2", 1.4), ("old_mi", 2.0))),
    Chronic("afib", _icd("I48.91", "Unspecified atrial fibrillation"), 0,
            ((0, 0.0), (45, 0.003), (65, 0.04), (85, 0.12)), 0.05, (("hf", 2.5), ("htn", 1.3))),
    Chronic("copd", _icd("J44.9", "Chronic obstructive pulmonary disease, unspecified"), 1,
            ((0, 0.0), (35, 0.005), (55, 0.05), (75, 0.11)), 0.04, (("tobacco", 4.0),)),
    Chronic("asthma", _icd("J45.909", "Unspecified asthma, uncomplicated"), 1,
            ((0, 0.07), (18, 0.08), (60, 0.07), (90, 0.05)), 0.01),
    Chronic("depression", _icd("F32.A", "Depression, unspecified"), 0,
            ((0, 0.01), (18, 0.08), (60, 0.07), (90, 0.06)), 0.03),
    Chronic("dementia", _icd("F03.90", "Unspecified dementia, unspecified severity, without "
                                      "behavioral disturbance, psychotic disturbance, mood "
                                      "disturbance, and anxiety"), 1,
            ((0, 0.0), (60, 0.005), (75, 0.05), (90, 0.25)), 0.08),
    Chronic("pvd", _icd("I73.9", "Peripheral vascular disease, unspecified"), 1,
            ((0, 0.0), (50, 0.01), (70, 0.05), (90, 0.1)), 0.03,
            (("dm2", 2.0), ("tobacco", 2.0))),
    Chronic("stroke", _icd("I69.30", "Unspecified sequelae of cerebral infarction"), 1,
            ((0, 0.0), (50, 0.005), (70, 0.03), (90, 0.08)), 0.04, (("afib", 2.5), ("htn", 1.5))),
    Chronic("liver", _icd("K74.60", "Unspecified cirrhosis of liver"), 1,
            ((0, 0.0), (30, 0.002), (55, 0.012), (90, 0.01)), 0.03),
    Chronic("cancer_lung", _icd("C34.90", "Malignant neoplasm of unspecified part of "
                                         "unspecified bronchus or lung"), 2,
            ((0, 0.0), (45, 0.001), (70, 0.008), (90, 0.008)), 0.15, (("tobacco", 4.0),)),
    Chronic("cancer_breast", _icd("C50.911", "Malignant neoplasm of unspecified site of right "
                                             "female breast"), 2,
            ((0, 0.0), (35, 0.002), (60, 0.012), (90, 0.012)), 0.12, (), "female"),
    Chronic("cancer_colon", _icd("C18.9", "Malignant neoplasm of colon, unspecified"), 2,
            ((0, 0.0), (45, 0.001), (70, 0.006), (90, 0.008)), 0.12),
    Chronic("cancer_prostate", _icd("C61", "Malignant neoplasm of prostate"), 2,
            ((0, 0.0), (50, 0.003), (70, 0.02), (90, 0.03)), 0.1, (), "male"),
    Chronic("knee_oa", _icd("M17.11", "Unilateral primary osteoarthritis, right knee"), 0,
            ((0, 0.0), (45, 0.02), (65, 0.1), (85, 0.15)), 0.04, (("obesity", 1.8),)),
    Chronic("hypothyroid", _icd("E03.9", "Hypothyroidism, unspecified"), 0,
            ((0, 0.002), (30, 0.03), (70, 0.07), (90, 0.08)), 0.03),
)
# fmt: on

#: More specific codes a site records when the patient has the combination or the subtype.
DM_CKD = _icd("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease")
HF_DIASTOLIC = _icd("I50.32", "Chronic diastolic (congestive) heart failure")
CKD4 = _icd("N18.4", "Chronic kidney disease, stage 4 (severe)")

_E11_9 = _icd("E11.9", "Type 2 diabetes mellitus without complications")
_I50_9 = _icd("I50.9", "Heart failure, unspecified")
_N18_9 = _icd("N18.9", "Chronic kidney disease, unspecified")
#: The less specific, still valid codes a site switches to under ``code-set-change`` drift.
UNSPECIFIED: dict[str, Icd] = {
    "E11.22": _E11_9,
    "E11.65": _E11_9,
    "I50.22": _I50_9,
    "I50.32": _I50_9,
    "I50.23": _I50_9,
    "I50.33": _I50_9,
    "N18.30": _N18_9,
    "N18.4": _N18_9,
    "L03.115": _icd("L03.90", "Cellulitis, unspecified"),
    "S72.001A": _icd(
        "S72.91XA", "Unspecified fracture of right femur, initial encounter for closed fracture"
    ),
    "I21.4": _icd("I21.9", "Acute myocardial infarction, unspecified"),
}

#: Codes that do not exist in ICD-10-CM (the ``invalid-code`` defect); the tests check this.
INVALID_ICD10 = ("Z99.999", "I50.99", "J18.99", "N18.7", "A41.99", "I10.9")


@dataclass(frozen=True, slots=True)
class Acute:
    """A reason for an unplanned admission, with how it shows in labs, stay, care and risk.

    ``weight`` is the base chance among admission reasons, multiplied by ``raised_by`` when
    the patient has those chronic conditions; ``needs`` restricts it to patients with one
    (exacerbations) and ``since`` to dates from then on (COVID-19). ``los`` is the median
    length of stay in days. ``labs`` shifts lab values at admission (in units of the lab's
    acute spread, scaled by the stay's severity). ``readmit`` adds to the readmission
    log-odds (heart failure and COPD exacerbations come back more often).
    """

    key: str
    icd: Icd
    weight: float
    los: float
    labs: tuple[tuple[str, float], ...]
    procs: tuple[str, ...]
    meds: tuple[str, ...]
    readmit: float = 0.0
    raised_by: tuple[tuple[str, float], ...] = ()
    needs: str | None = None
    since: str | None = None


# fmt: off
ACUTE: tuple[Acute, ...] = (
    Acute("pneumonia", _icd("J18.9", "Pneumonia, unspecified organism"), 10, 4.0,
          (("wbc", 2.5), ("na", -0.8)), ("cxr",), ("amox_clav",), 0.1, (("copd", 2.0),)),
    Acute("sepsis", _icd("A41.9", "Sepsis, unspecified organism"), 6, 6.0,
          (("wbc", 3.5), ("lact", 3.0), ("cr", 1.5), ("na", -0.7)), ("cxr",), ("amox_clav",),
          0.25),
    Acute("hf_exac", _icd("I50.23", "Acute on chronic systolic (congestive) heart failure"), 28,
          4.5, (("bnp", 3.0), ("na", -1.2), ("cr", 0.8)), ("echo", "ecg", "cxr"),
          ("furosemide_iv",), 0.35, (), "hf"),
    Acute("copd_exac", _icd("J44.1", "Chronic obstructive pulmonary disease with (acute) "
                                    "exacerbation"), 24, 3.5, (("wbc", 1.2),), ("cxr",),
          ("albuterol",), 0.3, (), "copd"),
    Acute("uti", _icd("N39.0", "Urinary tract infection, site not specified"), 6, 3.0,
          (("wbc", 1.8), ("cr", 0.6)), (), ("amox_clav",), 0.0, (("dementia", 2.0),)),
    Acute("aki", _icd("N17.9", "Acute kidney failure, unspecified"), 3, 4.0,
          (("cr", 3.0), ("k", 1.5), ("bun", 2.5)), (), (), 0.2, (("ckd", 3.5),)),
    Acute("nstemi", _icd("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction"), 3, 3.5,
          (("trop", 4.0),), ("ecg", "echo", "pci"), ("aspirin", "clopidogrel"), 0.15,
          (("cad", 3.5),)),
    Acute("stroke", _icd("I63.9", "Cerebral infarction, unspecified"), 3, 5.0, (), ("ecg",),
          ("aspirin",), 0.1, (("afib", 3.0), ("htn", 1.5))),
    Acute("gi_bleed", _icd("K92.2", "Gastrointestinal hemorrhage, unspecified"), 3, 3.5,
          (("hgb", -3.0), ("bun", 1.5)), ("transfusion",), (), 0.2,
          (("liver", 3.0), ("afib", 1.5))),
    Acute("cellulitis", _icd("L03.115", "Cellulitis of right lower limb"), 3, 3.5,
          (("wbc", 1.5),), (), ("amox_clav",), 0.0, (("dm2", 1.8), ("obesity", 1.5))),
    Acute("dka", _icd("E11.10", "Type 2 diabetes mellitus with ketoacidosis without coma"), 4,
          3.0, (("glu", 4.0), ("k", 1.0)), (), ("insulin",), 0.15, (), "dm2"),
    Acute("syncope", _icd("R55", "Syncope and collapse"), 3, 2.0, (), ("ecg",), (), 0.0),
    Acute("afib_rvr", _icd("I48.91", "Unspecified atrial fibrillation"), 6, 2.5, (),
          ("ecg", "echo"), ("metoprolol",), 0.1, (), "afib"),
    Acute("hip_fx", _icd("S72.001A", "Fracture of unspecified part of neck of right femur, "
                                    "initial encounter for closed fracture"), 2, 5.0,
          (("hgb", -1.0),), ("cxr",), ("oxycodone_apap",), 0.05),
    Acute("diverticulitis", _icd("K57.92", "Diverticulitis of intestine, part unspecified, "
                                          "without perforation or abscess without bleeding"),
          2, 3.5, (("wbc", 1.8),), (), ("amox_clav",), 0.0),
    Acute("pancreatitis", _icd("K85.90", "Acute pancreatitis without necrosis or infection, "
                                        "unspecified"), 1.5, 4.0, (("wbc", 1.5), ("alt", 2.0)),
          (), (), 0.1, (("liver", 2.0),)),
    Acute("hyponatremia", _icd("E87.1", "Hypo-osmolality and hyponatremia"), 1.5, 3.0,
          (("na", -3.5),), (), (), 0.1),
    Acute("chest_pain", _icd("R07.9", "Chest pain, unspecified"), 4, 1.5, (), ("ecg", "cxr"),
          ("aspirin",), 0.0, (("cad", 2.0),)),
    Acute("covid", _icd("U07.1", "COVID-19"), 8, 5.0, (("lact", 1.0), ("wbc", -0.5)),
          ("cxr",), (), 0.15, (), None, "2020-04-01"),
)

ED_REASONS: tuple[Icd, ...] = (
    _icd("R07.9", "Chest pain, unspecified"),
    _icd("R10.9", "Unspecified abdominal pain"),
    _icd("S93.401A", "Sprain of unspecified ligament of right ankle, initial encounter"),
    _icd("J06.9", "Acute upper respiratory infection, unspecified"),
    _icd("R51.9", "Headache, unspecified"),
    _icd("N39.0", "Urinary tract infection, site not specified"),
    _icd("M54.50", "Low back pain, unspecified"),
)
# fmt: on

WELLNESS_ADULT = _icd(
    "Z00.00", "Encounter for general adult medical examination without abnormal findings"
)
WELLNESS_CHILD = _icd(
    "Z00.129", "Encounter for routine child health examination without abnormal findings"
)
CHEMO_ENCOUNTER = _icd("Z51.11", "Encounter for antineoplastic chemotherapy")

#: SNOMED CT encounter types. ``elective`` marks planned admissions (chemotherapy cycles,
#: elective surgery): a readmission use case excludes those from its outcome.
ENCOUNTER_TYPES: dict[str, tuple[str, str]] = {
    "checkup": ("185349003", "Encounter for check up (procedure)"),
    "symptom": ("185345009", "Encounter for symptom (procedure)"),
    "followup": ("390906007", "Follow-up encounter (procedure)"),
    "ed": ("4525004", "Emergency department patient visit (procedure)"),
    "emergency_admission": ("183452005", "Emergency hospital admission (procedure)"),
    "admission": ("32485007", "Hospital admission (procedure)"),
    "elective": ("8715000", "Hospital admission, elective (procedure)"),
}
