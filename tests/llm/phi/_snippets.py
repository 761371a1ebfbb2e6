"""Hand-written note snippets with hand-annotated PHI, independent of the generator.

Written in styles the generator does not use (telephone, radiology, pathology, nursing,
billing, dictation, research), with names and places that are on none of the redactor's word
lists, and with hard non-PHI (eponyms, name-like drug brands, facility names, trial numbers).
Markup: ``{cls|text}`` marks one PHI span of class ``cls``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wardwatch.llm.phi import PhiSpan

_MARK = re.compile(r"\{([a-z_0-9]+)\|([^{}]+)\}")


@dataclass(frozen=True)
class Snippet:
    """A snippet's plain text and gold spans."""

    text: str
    phi: tuple[PhiSpan, ...]


def parse(marked: str) -> Snippet:
    """Strip ``{cls|text}`` markup, keeping the spans."""
    out: list[str] = []
    spans: list[PhiSpan] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        plain = marked[pos : m.start()]
        out.append(plain)
        length += len(plain)
        value = m.group(2)
        spans.append(PhiSpan(length, length + len(value), m.group(1), value))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(marked[pos:])
    return Snippet("".join(out), tuple(spans))


MARKED = (
    "Pt seen in clinic today with granddaughter {name|Keisha Brown-Whitfield}. DOB "
    "{date|07/04/1945}. BP 142/88, HR 76. A1c 8.2% (LOINC 4548-4). Plan: increase metformin "
    "to 1000 mg BID.",
    "TELEPHONE ENCOUNTER {date|3/9/2024 10:15}\nCaller: {name|Obi Nwankwo}, son. Call back # "
    "{phone|612-555-0188}. States mother (age {age_over_89|93}) fell at home in "
    "{geographic|Eden Prairie}; no LOC. Advised ED evaluation.",
    "CT abdomen/pelvis with contrast, accession number {other_id|RAD-2024-118842}. Comparison: "
    "CT from {date|January 12, 2023}. Impression: no acute findings. Read by "
    "{name|Helga Sorensen}, MD.",
    "Social work: pt is a {age_over_89|96} yo widow living alone at "
    "{geographic|88 Harbor View Rd}, {geographic|Gloucester}, MA. Niece {name|Tammy} visits "
    "weekly ({phone|978.555.0142}). Medicare ID {health_plan|7XK3-QW2-LP91}.",
    "Pathology: specimen {other_id|S24-08812}, received {date|2024-02-14}. Invasive ductal "
    "carcinoma, grade 2 (C50.911); ER/PR positive, HER2 negative. {name|R. Castellano}, MD.",
    "Husband {name|Desmond} drives her to dialysis M/W/F; transport van plate "
    "{vehicle|8TRK442}. Dialysis at 0630, 3.5 h runs, EDW 71.5 kg.",
    "Med rec: Keppra 500 mg BID, Allegra 180 mg daily, Lyrica 75 mg TID, Xarelto 20 mg daily. "
    "Allergies: penicillin (hives). Reconciled by {name|Marisol Ortega}, PharmD.",
    "Hx of Graves disease s/p RAI in 2011, Bell's palsy 2019, and Hodgkin lymphoma in "
    "remission. Babinski negative. Foley removed POD 2. Murphy's sign negative. Denies Raynaud "
    "phenomenon.",
    "Na 138, K 4.1, Cl 101, HCO3 24, BUN 22, Cr 1.4 (2160-0), Glu 188 (2345-7), WBC 11.2, Hgb "
    "10.1, Plt 245. INR 2.6. Troponin <0.01. eGFR 48 mL/min/1.73m2. Repeat BMP in AM.",
    "{age_over_89|101}F brought by EMS from home after unwitnessed fall at 0300. Daughter "
    "({name|Lorraine}) at bedside, cell {phone|+1 (503) 555-0199}.",
    "Video visit via {url|https://telehealth.example-health.org/room/8812}; pt joined from IP "
    "{ip_address|10.0.4.27}. Identity verified with photo ID and DOB {date|11-30-1950}.",
    "Medtronic ICD, model DDMB1D4, serial {device|PZN601112S}. Interrogation normal, battery 9 "
    "years. Next remote check {date|Aug 3}.",
    "Facial photograph {photo|pt_0043_face.tif} stored in PACS. Fingerprint template "
    "{biometric|FT-0093321} enrolled for med-cabinet access.",
    "Guarantor: {name|Samuel Okoye}, acct {account|0048812273}, policy "
    "{health_plan|GRP-55123-A}. Claim # {other_id|CLM88412009}.",
    "Driver license {license|WDL7Q9Z1M2} scanned at registration. DEA {license|BK4471823} for "
    "prescriber {name|Amara Eze}, NP.",
    "Discharged to {geographic|4417 Lakeshore Blvd Apt 12}, {geographic|Duluth}, MN "
    "{geographic|55804} ({geographic|St. Louis County}).",
    "Seen {date|the 5th of May}, again on {date|5/19}, and most recently Tuesday "
    "{date|6/4/24}. Next appointment {date|June 2024}. Colectomy in 2015.",
    "SSN {ssn|***-**-4471} on file; full SSN {ssn|078-05-1120} verified by registration "
    "clerk {name|Yusra Haddad}.",
    "this is dr {name|amy lindqvist} dictating on patient {name|robert kaye}, medical record "
    "number {mrn|44 18 223}, seen today for follow up.",
    "Email sent to {email|j.doe.1950@protonmail.ch} and cc'd Dr. {name|Kline}. Transferred "
    "from Johns Hopkins Hospital on {date|Feb 2}.",
    "Patient is a 45 y/o male from Ohio; drives a bus for {geographic|Franklin County} Transit. "
    "Allergic to sulfa. Enrolled in trial NCT04412345, subject ID {other_id|SUBJ-0192}.",
    "Nursing 2200: resting, VSS. 0200 c/o pain 6/10, oxycodone 5 mg PO given. 0600 ambulated "
    "with PT to the nurses station. Bed alarm on. Fall risk: Morse 55.",
    "Spoke w/ Mr {name|Abernathy-Cole} and his wife {name|Ines} re: code status; full code. "
    "Their son {name|Teodoro} lives in {geographic|Walla Walla} and will call "
    "{phone|(509) 555 0123}.",
)

SNIPPETS = tuple(parse(m) for m in MARKED)

# Written after the recognizers were tuned and scored once, never tuned on: the figure on
# these is the honest estimate of how the redactor does on text unlike its development data.
HELD_OUT_MARKED = (
    "Clinic f/u: Mrs. {name|Dvorakova} (preferred name {name|Hanka}) returns with her "
    "son-in-law {name|Bashir Qureshi}. Weight 64 kg, down from 67. TSH 4.2 (3016-3). "
    "Levothyroxine 75 mcg continued.",
    "ED triage {date|10/02/2023 @ 0345}: {age_over_89|94} y/o M from home, c/o SOB x2d. "
    "SpO2 86% RA -> 93% 2L NC.",
    "Consent witnessed by {name|Precious Mahlangu}, RN, and interpreter {name|Dung Pham} "
    "(Vietnamese).",
    "Mailing address {geographic|PO Box 88}, {geographic|Ketchikan}, AK "
    "{geographic|99901-0088}. Prefers text messages.",
    "Insurance card: Aetna member {health_plan|W283746511}, group {health_plan|0088421-010-00001}.",
    "Prior records requested from Dr. {name|Lisbeth Ahlgren}'s office, fax "
    "{fax|(218) 555-0167}, tel {phone|218-555-0166}.",
    "Echo {date|9/14}: EF 55-60%, mild MR, trace TR, RVSP 32 mmHg. No change from 2021.",
    "She was born in {geographic|Ponce}, Puerto Rico and moved to {geographic|Hartford} in 1989.",
    "Wound care: see {photo|wound_2023_11_02_heel.jpg}; stage 3, 2.1 x 1.4 cm, no tunneling.",
    "HIV Ag/Ab nonreactive; HCV Ab negative. Hep B sAb 112 mIU/mL (immune). Quantiferon "
    "negative in 2022.",
    "Chaplain Brother {name|Anselm} visited and prayed with the family.",
    "Code blue called 02:14; ROSC at 02:31 after 2 rounds of epinephrine. Family "
    "({name|Gwendolyn}, daughter) notified by Dr. {name|Oyelowo}.",
    "Rx #: {other_id|7731209} filled; 30 tablets, 2 refills.",
    "Pt posts about his recovery as {other_id|@jmarsh_77}.",
    "Genetic testing: BRCA2 c.5946delT pathogenic variant; sample barcode "
    "{other_id|GX-20231104-118}.",
    "IV site: R AC 20g placed {date|11/3} by RN {name|Tomasz}; flushes well.",
    "She lives on a farm outside {geographic|Dubuque} with three dogs; enjoys quilting.",
    "Ambulance run report #{other_id|24-118832} attached to the chart.",
    "CC: chest pain x 3 days. ECG: NSR 78, QTc 452, no ST changes. Troponin 0.02 -> 0.03. "
    "HEART score 3.",
    "Mr. {name|Ng} (age {age_over_89|99}) was seen with his granddaughter {name|Mei-Ling}.",
)

HELD_OUT = tuple(parse(m) for m in HELD_OUT_MARKED)
