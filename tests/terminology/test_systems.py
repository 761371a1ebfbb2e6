"""The code system registry: canonical URIs, HL7 v2 names and OIDs."""

from __future__ import annotations

import pytest

from wardwatch.terminology._systems import CODE_SYSTEMS, canonical_system, code_system

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        (ICD, ICD),
        ("I10", ICD),
        ("I10C", ICD),
        ("icd-10-cm", ICD),
        ("2.16.840.1.113883.6.90", ICD),
        ("urn:oid:2.16.840.1.113883.6.90", ICD),
        ("LN", LOINC),
        ("ln", LOINC),
        ("urn:oid:2.16.840.1.113883.6.1", LOINC),
        ("SCT", SNOMED),
        ("SNM", SNOMED),
        ("SNOMED CT", SNOMED),
        ("snomed-ct", SNOMED),
        ("2.16.840.1.113883.6.96", SNOMED),
        ("RXNORM", RXNORM),
        ("urn:oid:2.16.840.1.113883.6.88", RXNORM),
        ("C4", CPT),
        ("CPT", CPT),
        ("urn:oid:2.16.840.1.113883.6.12", CPT),
        ("HCPCS", HCPCS),
        ("urn:oid:2.16.840.1.113883.6.285", HCPCS),
        ("http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", HCPCS),
        (NPI, NPI),
        ("urn:oid:2.16.840.1.113883.4.6", NPI),
        ("UCUM", UCUM),
        (" " + LOINC + " ", LOINC),
    ],
)
def test_known_names(name: str, uri: str) -> None:
    assert canonical_system(name) == uri


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        None,
        42,
        "HTTP://LOINC.ORG",  # URIs are case-sensitive
        "http://loinc.org/",
        "urn:oid:2.16.840.1.113883.6.2",
        "2.16.840.1.113883.6.2",
        "urn:wardwatch:hl7v2:local:LAB",
        "http://terminology.hl7.org/CodeSystem/v2-0203",
        "I9C",
        "LOCAL",
    ],
)
def test_unknown_names(name: object) -> None:
    assert canonical_system(name) is None
    assert code_system(name) is None


def test_registry_is_consistent() -> None:
    assert list(CODE_SYSTEMS) == [
        "icd10cm",
        "loinc",
        "snomed",
        "rxnorm",
        "cpt",
        "hcpcs",
        "npi",
        "ucum",
    ]
    for key, system in CODE_SYSTEMS.items():
        assert system.key == key
        assert canonical_system(system.uri) == system.uri
        assert canonical_system(system.oid) == system.uri
        assert canonical_system("urn:oid:" + system.oid) == system.uri
        for alias in system.aliases:
            assert canonical_system(alias) == system.uri
