"""Shared test data for the FHIR parser tests: minimal valid resources and runners."""

from __future__ import annotations

import base64
import copy
import io
from pathlib import Path
from typing import Any

import orjson

from wardwatch.ingest._sink import CollectingSink, Rejection
from wardwatch.ingest.fhir import parse_bundle, parse_ndjson

SYNTHEA = Path(__file__).resolve().parents[2] / "fixtures" / "synthea"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
NPI = "http://hl7.org/fhir/sid/us-npi"
PATIENT_REF = {"reference": "Patient/p1"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code}
    if display is not None:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [coding(system, code, display)]}


_MINIMAL: dict[str, dict[str, Any]] = {
    "Patient": {"resourceType": "Patient", "id": "p1", "gender": "female"},
    "Encounter": {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
        "subject": PATIENT_REF,
        "period": {"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"},
    },
    "Condition": {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": concept(CLINICAL, "active"),
        "verificationStatus": concept(VERIFICATION, "confirmed"),
        "code": concept(SNOMED, "38341003", "Hypertension"),
        "subject": PATIENT_REF,
        "onsetDateTime": "2019-05-01",
    },
    "Observation": {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": concept(LOINC, "8302-2", "Body Height"),
        "subject": PATIENT_REF,
        "effectiveDateTime": "2020-01-01T10:00:00Z",
        "issued": "2020-01-01T10:05:00.123+01:00",
        "valueQuantity": {"value": 170.2, "unit": "cm", "system": UCUM, "code": "cm"},
    },
    "MedicationRequest": {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept(
            "http://www.nlm.nih.gov/research/umls/rxnorm", "316049", "HCTZ 25 MG"
        ),
        "subject": PATIENT_REF,
        "authoredOn": "2020-01-01T10:00:00Z",
    },
    "Procedure": {
        "resourceType": "Procedure",
        "id": "pr1",
        "status": "completed",
        "code": concept(SNOMED, "428191000124101"),
        "subject": PATIENT_REF,
        "performedPeriod": {"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T10:15:00Z"},
    },
    "Claim": {
        "resourceType": "Claim",
        "id": "cl1",
        "status": "active",
        "type": concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
        "use": "claim",
        "patient": PATIENT_REF,
        "created": "2020-01-02T00:00:00Z",
        "provider": {"reference": "Organization/org1"},
        "priority": concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "private"}}],
        "item": [{"sequence": 1, "productOrService": concept(SNOMED, "185349003")}],
        "total": {"value": 125.5, "currency": "USD"},
    },
    "ExplanationOfBenefit": {
        "resourceType": "ExplanationOfBenefit",
        "id": "eob1",
        "status": "active",
        "type": concept("http://terminology.hl7.org/CodeSystem/claim-type", "institutional"),
        "use": "claim",
        "patient": PATIENT_REF,
        "created": "2020-01-02T00:00:00Z",
        "insurer": {"display": "Medicare"},
        "provider": {"reference": "Organization/org1"},
        "outcome": "complete",
        "insurance": [{"focal": True, "coverage": {"display": "Medicare"}}],
        "total": [
            {
                "category": concept(
                    "http://terminology.hl7.org/CodeSystem/adjudication", "submitted"
                ),
                "amount": {"value": 99.0, "currency": "USD"},
            }
        ],
    },
    "DocumentReference": {
        "resourceType": "DocumentReference",
        "id": "d1",
        "status": "current",
        "type": concept(LOINC, "34117-2"),
        "subject": PATIENT_REF,
        "date": "2020-01-01T10:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(b"Patient well. Follow up.").decode(),
                }
            }
        ],
    },
    "Practitioner": {
        "resourceType": "Practitioner",
        "id": "doc1",
        "identifier": [{"system": NPI, "value": "1234567893"}],
        "name": [{"family": "Osinski", "given": ["Maryjo", "Ann"]}],
        "gender": "female",
    },
    "Organization": {
        "resourceType": "Organization",
        "id": "org1",
        "identifier": [{"system": NPI, "value": "1144221847"}],
        "type": [concept("http://terminology.hl7.org/CodeSystem/organization-type", "prov")],
        "name": "General Hospital",
        "address": [{"state": "MA"}],
    },
    "Immunization": {
        "resourceType": "Immunization",
        "id": "i1",
        "status": "completed",
        "vaccineCode": concept("http://hl7.org/fhir/sid/cvx", "140"),
        "patient": PATIENT_REF,
        "occurrenceDateTime": "2020-01-01",
    },
}


def minimal(resource_type: str, **changes: Any) -> dict[str, Any]:
    """A small valid resource of ``resource_type``; ``changes`` set (or, with None, drop) keys."""
    res = copy.deepcopy(_MINIMAL[resource_type])
    for key, value in changes.items():
        if value is None:
            res.pop(key, None)
        else:
            res[key] = value
    return res


def mapped_types() -> list[str]:
    return [t for t in _MINIMAL if t != "Immunization"]


def line(resource: Any) -> bytes:
    return orjson.dumps(resource)


def run_ndjson(*records: Any, **kwargs: Any) -> CollectingSink:
    """Parse records (dicts/values are JSON-encoded, bytes kept) as NDJSON lines."""
    data = b"\n".join(r if isinstance(r, bytes) else orjson.dumps(r) for r in records) + b"\n"
    sink = CollectingSink()
    parse_ndjson(io.BytesIO(data), sink, **kwargs)
    assert sink.records_in == sink.loaded + sink.quarantined
    return sink


def run_bundle(doc: Any) -> CollectingSink:
    data = doc if isinstance(doc, bytes) else orjson.dumps(doc)
    sink = CollectingSink()
    parse_bundle(io.BytesIO(data), sink)
    assert sink.records_in == sink.loaded + sink.quarantined
    return sink


def only_rejection(sink: CollectingSink) -> Rejection:
    """The single rejection of a one-record run."""
    assert sink.loaded == 0, sink.rows
    assert len(sink.rejected) == 1, sink.rejected
    return sink.rejected[0][1]


def bundle(*resources: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    """A Bundle whose entries have ``urn:uuid:<id>`` fullUrls (ids must be UUID-like)."""
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }
