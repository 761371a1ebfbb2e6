"""HL7 v2 code tables and value forms, and what they become in the canonical tables.

Where an HL7 table has an exact FHIR equivalent the FHIR code is stored (the FHIR parser fills
the same columns); codes of user-defined tables without one are kept as sent.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

__all__ = [
    "ADMIT_SOURCE",
    "DISCHARGE_DISPOSITION",
    "ENCOUNTER_CLASS",
    "OBSERVATION_STATUS",
    "SEX",
    "VALUE_TYPES",
    "category",
    "code_system",
    "parse_number",
    "parse_range",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SEX: dict[str, str] = {
    "M": "male",
    "F": "female",
    "O": "other",
    "U": "unknown",
    "A": "unknown",
    "N": "unknown",
}
"""PID-8 (table 0001) to FHIR administrative gender."""

ENCOUNTER_CLASS: dict[str, str | None] = {
    "I": "IMP",
    "E": "EMER",
    "O": "AMB",
    "P": "PRENC",
    "R": "AMB",
    "B": "IMP",
    "C": "AMB",
    "N": None,
    "U": None,
}
"""PV1-2 patient class (table 0004) to v3 ActCode, as in HL7's v2-to-FHIR concept map.
``N`` (not applicable) and ``U`` (unknown) are valid and give no class."""

OBSERVATION_STATUS: dict[str, str] = {
    "F": "final",
    "U": "final",
    "C": "corrected",
    "A": "amended",
    "P": "preliminary",
    "S": "preliminary",
    "R": "preliminary",
    "I": "registered",
    "O": "registered",
    "X": "cancelled",
    "N": "cancelled",
    "D": "entered-in-error",
    "W": "entered-in-error",
}
"""OBX-11 result status (table 0085) to FHIR Observation.status."""

ADMIT_SOURCE: dict[str, str | None] = {
    "1": "mp",
    "2": "outp",
    "4": "hosp-trans",
    "5": "nursing",
    "7": "emd",
    "9": None,
}
"""PV1-14 (table 0023) values with an exact FHIR admit-source equivalent; 9 (information not
available) reads as empty."""

DISCHARGE_DISPOSITION: dict[str, str | None] = {
    "01": "home",
    "02": "other-hcf",
    "03": "snf",
    "07": "aadvice",
    "20": "exp",
    "50": "hosp",
    "51": "hosp",
    "62": "rehab",
    "63": "long",
    "65": "psy",
    "70": "oth",
}
"""PV1-36 (table 0112, UB-04 patient status) values with a FHIR discharge-disposition
equivalent (FHIR ``hosp`` is hospice; a transfer to another hospital, 02, is ``other-hcf``)."""

VALUE_TYPES = _words(
    "AD CE CF CK CN CNE CP CWE CX DR DT DTM ED FT ID IS MA MO NA NM PN RP SN ST TM TN TS TX "
    "XAD XCN XON XPN XTN"
)
"""OBX-2 value types (table 0125)."""

_SYSTEMS: dict[str, str] = {
    "LN": "http://loinc.org",
    "LOINC": "http://loinc.org",
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "SNOMEDCT": "http://snomed.info/sct",
    "I10": "http://hl7.org/fhir/sid/icd-10-cm",
    "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "RXN": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "C4": "http://www.ama-assn.org/go/cpt",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "HCPCS": "urn:oid:2.16.840.1.113883.6.285",
    "UCUM": "http://unitsofmeasure.org",
}
_OIDS: dict[str, str] = {
    "2.16.840.1.113883.6.1": "http://loinc.org",
    "2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "2.16.840.1.113883.6.90": "http://hl7.org/fhir/sid/icd-10-cm",
    "2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "2.16.840.1.113883.6.12": "http://www.ama-assn.org/go/cpt",
}
_OID = re.compile(r"[0-2](?:\.(?:0|[1-9][0-9]*))+")
_HL7_TABLE = re.compile(r"HL7([0-9]{4})")
LOCAL_SYSTEM = "urn:wardwatch:hl7v2:local:"


@lru_cache(maxsize=1024)  # a feed uses a handful of systems; the URI is worked out once each
def code_system(name: str, sender: str) -> str:
    """The FHIR system URI for an HL7 coding system name (CE/CWE component 3).

    Known names (LN, SCT/SNM, I10/I10C, RXNORM, C4/CPT...) and their OIDs map to the FHIR URIs;
    ``HL7nnnn`` to ``http://terminology.hl7.org/CodeSystem/v2-nnnn``; a URI or another OID is
    kept (``urn:oid:`` added). Any other name is a local code system:
    ``urn:wardwatch:hl7v2:local:<name>``, and an empty name ``...:local:<sending application>``
    so that codes of different senders never mix.
    """
    key = name.strip()
    if not key:
        return LOCAL_SYSTEM + quote(sender or "unknown", safe="")
    upper = key.upper().replace("-", "").replace(" ", "")
    if upper in _SYSTEMS:
        return _SYSTEMS[upper]
    if _OID.fullmatch(key):
        return _OIDS.get(key, "urn:oid:" + key)
    if m := _HL7_TABLE.fullmatch(upper):
        return f"http://terminology.hl7.org/CodeSystem/v2-{m.group(1)}"
    if key.startswith(("http://", "https://", "urn:")):
        return key
    return LOCAL_SYSTEM + quote(key, safe="")


_LAB = _words("LAB CH HM MB SR BLB BG CP SP CG TX IMM MCB MYC PAR VR HLA URN")
_IMAGING = _words("RAD CT NMR NMS RX US VUS XRC CUS OUS RUS MR MRI")
_PROCEDURE = _words("EC EN PF CTH ICU OT PHY PT")


def category(section: str) -> str | None:
    """FHIR observation category for OBR-24 (diagnostic service section, table 0074).

    Laboratory, imaging and procedure sections map to those categories; another section is
    kept as sent; empty gives None.
    """
    s = section.upper()
    if not s:
        return None
    if s in _LAB:
        return "laboratory"
    if s in _IMAGING:
        return "imaging"
    if s in _PROCEDURE:
        return "procedure"
    return section


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_number(text: str) -> float | None:
    """An HL7 NM value (optional sign, digits, optional decimal point), or None if not one."""
    t = text.strip()
    return float(t) if _NUMBER.fullmatch(t) else None


_NUM = r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
_RANGE = re.compile(rf"{_NUM}\s*(?:-|–|to)\s*{_NUM}")
_BOUND = re.compile(rf"(<=?|>=?|≤|≥)\s*{_NUM}")


@lru_cache(maxsize=4096)  # each test has one or a few ranges, repeated on every result
def parse_range(text: str) -> tuple[float | None, float | None]:
    """Low and high of an OBX-7 reference range; (None, None) when it is not numeric.

    Reads ``3.5-5.0``, ``-1.0 - 2.0``, ``<4.5``, ``<= 4.5``, ``>1.5`` and the same inside
    brackets or parentheses (``[ < 4.5]``, as Simulated Hospital writes them). Free-text ranges
    ("negative", "see comment") give no bounds; the message is still loaded.
    """
    t = text.strip()
    while len(t) >= 2 and t[0] in "[(" and t[-1] in "])":
        t = t[1:-1].strip()
    if m := _RANGE.fullmatch(t):
        return float(m.group(1)), float(m.group(2))
    if m := _BOUND.fullmatch(t):
        value = float(m.group(2))
        return (None, value) if m.group(1) in ("<", "<=", "≤") else (value, None)
    return None, None
