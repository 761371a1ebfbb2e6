"""The code systems wardwatch checks: canonical FHIR URIs, OIDs and the names HL7 v2 uses.

Sources write the same system many ways: the FHIR URI (``http://loinc.org``), an HL7 v2 coding
system name from table 0396 (``LN``), an OID, bare or as ``urn:oid:``. :func:`canonical_system`
maps all of them to the one canonical URI that the lake stores, so a check (or a join) never has
to know the spelling a feed used.

HCPCS here means HCPCS Level II (the CMS codes: ``J1100``); Level I is CPT, its own system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "CODE_SYSTEMS",
    "CPT",
    "HCPCS",
    "ICD10CM",
    "LOINC",
    "NPI",
    "RXNORM",
    "SNOMED",
    "UCUM",
    "CodeSystem",
    "canonical_system",
    "code_system",
]


@dataclass(frozen=True, slots=True)
class CodeSystem:
    """One code system.

    Attributes:
        key: short stable name (``loinc``).
        uri: the canonical FHIR system URI.
        name: the name people use (``LOINC``).
        oid: the HL7 OID.
        aliases: other URIs and names that mean this system (HL7 v2 table 0396 names, matched
            ignoring case, spaces, hyphens and underscores; URIs matched exactly).
        example: a valid code.
    """

    key: str
    uri: str
    name: str
    oid: str
    aliases: tuple[str, ...]
    example: str


ICD10CM = CodeSystem(
    "icd10cm",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD-10-CM",
    "2.16.840.1.113883.6.90",
    ("I10", "I10C", "ICD10CM", "ICD-10-CM"),
    "E11.9",
)
LOINC = CodeSystem(
    "loinc", "http://loinc.org", "LOINC", "2.16.840.1.113883.6.1", ("LN", "LOINC"), "2345-7"
)
SNOMED = CodeSystem(
    "snomed",
    "http://snomed.info/sct",
    "SNOMED CT",
    "2.16.840.1.113883.6.96",
    ("SCT", "SNM", "SNOMED", "SNOMEDCT", "SNOMED CT"),
    "44054006",
)
RXNORM = CodeSystem(
    "rxnorm",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "RxNorm",
    "2.16.840.1.113883.6.88",
    ("RXNORM", "RXN"),
    "314076",
)
CPT = CodeSystem(
    "cpt",
    "http://www.ama-assn.org/go/cpt",
    "CPT",
    "2.16.840.1.113883.6.12",
    ("C4", "CPT", "CPT4", "CPT-4"),
    "99213",
)
HCPCS = CodeSystem(
    "hcpcs",
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "HCPCS Level II",
    "2.16.840.1.113883.6.285",
    ("HCPCS", "HPC", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"),
    "J1100",
)
NPI = CodeSystem(
    "npi",
    "http://hl7.org/fhir/sid/us-npi",
    "NPI",
    "2.16.840.1.113883.4.6",
    ("NPI",),
    "1234567893",
)
UCUM = CodeSystem(
    "ucum",
    "http://unitsofmeasure.org",
    "UCUM",
    "2.16.840.1.113883.6.8",
    ("UCUM",),
    "mg/dL",
)

#: Every system, by key, in a fixed order (the order :func:`systems_matching` reports in).
CODE_SYSTEMS: Mapping[str, CodeSystem] = MappingProxyType(
    {s.key: s for s in (ICD10CM, LOINC, SNOMED, RXNORM, CPT, HCPCS, NPI, UCUM)}
)

_OID_RE = re.compile(r"[0-2](?:\.(?:0|[1-9][0-9]*))+")


def _name_key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).upper()


def _build_index() -> tuple[dict[str, CodeSystem], dict[str, CodeSystem]]:
    uris: dict[str, CodeSystem] = {}
    names: dict[str, CodeSystem] = {}
    for system in CODE_SYSTEMS.values():
        uris[system.uri] = system
        uris["urn:oid:" + system.oid] = system
        names[system.oid] = system
        for alias in system.aliases:
            if "://" in alias:
                uris[alias] = system
            else:
                names[_name_key(alias)] = system
    return uris, names


_BY_URI, _BY_NAME = _build_index()


def code_system(name: object) -> CodeSystem | None:
    """The :class:`CodeSystem` that ``name`` (a URI, OID, ``urn:oid:``, or v2 name) means.

    None when the name is not one of the systems wardwatch checks (a local system, another
    terminology, an empty value). URIs must match exactly; HL7 v2 names ignore case, spaces,
    hyphens and underscores (``sct``, ``SNOMED-CT``).
    """
    if not isinstance(name, str):
        return None
    text = name.strip()
    if not text:
        return None
    if text in _BY_URI:
        return _BY_URI[text]
    if _OID_RE.fullmatch(text):
        return _BY_NAME.get(text)
    if "://" in text or text.startswith("urn:"):
        return None
    return _BY_NAME.get(_name_key(text))


def canonical_system(name: object) -> str | None:
    """The canonical FHIR URI for ``name`` (see :func:`code_system`), or None if unknown.

    ``canonical_system("LN")`` and ``canonical_system("urn:oid:2.16.840.1.113883.6.1")`` are
    ``"http://loinc.org"``.
    """
    system = code_system(name)
    return None if system is None else system.uri
