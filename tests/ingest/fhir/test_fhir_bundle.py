"""parse_bundle: bundle types, single resources, broken files, reference resolution."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from tests.ingest.fhir._fhir_cases import (
    SNOMED,
    bundle,
    concept,
    minimal,
    only_rejection,
    run_bundle,
    run_ndjson,
)

from wardwatch.errors import InputError
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import CollectingSink
from wardwatch.ingest.fhir import RAW_LIMIT, parse_bundle

PID = "5e3c1c32-5a8c-4d0e-8a41-0f6c4f8b9a01"
EID = "7a0e5b9e-1d2c-4c57-9a0f-2b8e3c4d5f60"


def _patient_and_encounter() -> tuple[dict[str, Any], dict[str, Any]]:
    patient = minimal("Patient", id=PID)
    encounter = minimal("Encounter", id=EID, subject={"reference": f"urn:uuid:{PID}"})
    return patient, encounter


@pytest.mark.parametrize(
    "kind", ["transaction", "batch", "collection", "searchset", "document", "message", "history"]
)
def test_bundle_types(kind: str) -> None:
    patient, encounter = _patient_and_encounter()
    sink = run_bundle(bundle(patient, encounter, kind=kind))
    assert (sink.loaded, sink.quarantined) == (2, 0)
    assert sink.dicts("encounters")[0]["patient_id"] == PID


def test_entry_numbers_are_one_based_in_order() -> None:
    patient, encounter = _patient_and_encounter()
    bad = minimal("Observation", id="o-bad", status="nope", subject={"reference": "Patient/x"})
    sink = run_bundle(bundle(patient, bad, encounter))
    assert [line for line, _, _ in sink.rejected] == [2]
    assert sink.loaded == 2


def test_references_resolve_through_full_urls_in_any_order() -> None:
    patient, encounter = _patient_and_encounter()
    obs = minimal(
        "Observation",
        id="b1c2",
        subject={"reference": f"urn:uuid:{PID}"},
        encounter={"reference": f"urn:uuid:{EID}"},
    )
    doc = bundle(obs, encounter, patient)  # referenced entries come later
    sink = run_bundle(doc)
    assert sink.quarantined == 0
    row = sink.dicts("observations")[0]
    assert (row["patient_id"], row["encounter_id"]) == (PID, EID)


def test_full_url_and_resource_id_may_differ() -> None:
    patient = minimal("Patient", id="local-7")
    obs = minimal("Observation", subject={"reference": "urn:uuid:aaaa-1"})
    doc = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:aaaa-1", "resource": patient},
            {"fullUrl": "http://example.org/fhir/Observation/o1", "resource": obs},
        ],
    }
    sink = run_bundle(doc)
    assert sink.dicts("observations")[0]["patient_id"] == "local-7"


def test_relative_and_absolute_references() -> None:
    patient = minimal("Patient", id="p9")
    obs1 = minimal("Observation", id="o1", subject={"reference": "Patient/p9"})
    obs2 = minimal("Observation", id="o2", subject={"reference": "http://h.org/fhir/Patient/p9"})
    obs3 = minimal("Observation", id="o3", subject={"reference": "https://x/y/Patient/p9"})
    doc = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": "http://h.org/fhir/Patient/p9", "resource": patient,
             "search": {"mode": "include"}},
            {"fullUrl": "http://h.org/fhir/Observation/o1", "resource": obs1},
            {"resource": obs2},
            {"resource": obs3},
        ],
    }  # fmt: skip
    sink = run_bundle(doc)
    assert sink.quarantined == 0
    assert [r["patient_id"] for r in sink.dicts("observations")] == ["p9"] * 3


def test_unresolved_urn_uuid_is_a_bad_reference() -> None:
    patient, encounter = _patient_and_encounter()
    encounter["participant"] = [{"individual": {"reference": "urn:uuid:no-such-entry"}}]
    sink = run_bundle(bundle(patient, encounter))
    rej = sink.rejected[0][1]
    assert (rej.reason, rej.field, rej.found) == (
        Reason.BAD_REFERENCE,
        "Encounter.participant.individual.reference",
        "urn:uuid:no-such-entry",
    )
    assert rej.record_id == EID


def test_entries_without_resource_are_quarantined() -> None:
    patient, _ = _patient_and_encounter()
    doc = bundle(patient, kind="transaction")
    doc["entry"].append({"request": {"method": "DELETE", "url": "Patient/123"}})
    doc["entry"].append({"fullUrl": "urn:uuid:x", "response": {"status": "200 OK"}})
    sink = run_bundle(doc)
    assert sink.loaded == 1
    (l2, r2, raw2), (l3, r3, _) = sink.rejected
    assert (l2, r2.reason, r2.field, r2.found) == (
        2,
        Reason.NOT_A_RESOURCE,
        "Bundle.entry.resource",
        "request DELETE Patient/123",
    )
    assert "does not apply deletions" in r2.message
    assert orjson.loads(raw2 or b"") == {"request": {"method": "DELETE", "url": "Patient/123"}}
    assert (l3, r3.reason, r3.found) == (3, Reason.NOT_A_RESOURCE, "no request either")


def test_bad_entry_does_not_spoil_the_others() -> None:
    patient, encounter = _patient_and_encounter()
    doc = bundle(patient, encounter)
    doc["entry"].insert(1, {"fullUrl": 12, "resource": minimal("Patient", id="p2")})
    doc["entry"].insert(2, {"resource": "not a resource"})
    sink = run_bundle(doc)
    assert sink.loaded == 2
    (l1, r1, _), (l2, r2, _) = sink.rejected
    assert (l1, r1.reason, r1.field) == (2, Reason.WRONG_TYPE, "Bundle.entry.fullUrl")
    assert (l2, r2.reason) == (3, Reason.NOT_A_RESOURCE)


def test_single_resource_file() -> None:
    sink = run_bundle(minimal("Observation"))
    assert (sink.loaded, sink.quarantined) == (1, 0)
    rej = only_rejection(run_bundle(minimal("Observation", status="x")))
    assert rej.reason is Reason.INVALID_VALUE


def test_single_resource_with_urn_reference() -> None:
    rej = only_rejection(run_bundle(minimal("Observation", subject={"reference": "urn:uuid:1"})))
    assert rej.reason is Reason.BAD_REFERENCE


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"resourceType": "Bundle", "type": "collection", "entry": [', Reason.MALFORMED),
        (b"", Reason.MALFORMED),
        (b"{} {}", Reason.MALFORMED),
        (b"[1, 2]", Reason.NOT_A_RESOURCE),
        (b"42", Reason.NOT_A_RESOURCE),
        (b'{"resourceType": "Bundle", "entry": []}', Reason.MISSING_REQUIRED),
        (b'{"resourceType": "Bundle", "type": "bag", "entry": []}', Reason.INVALID_VALUE),
        (b'{"resourceType": "Bundle", "type": 3}', Reason.WRONG_TYPE),
        (b'{"resourceType": "Bundle", "type": "batch", "entry": {}}', Reason.CARDINALITY),
        (b'{"resourceType": "Bundel", "type": "batch"}', Reason.UNKNOWN_TYPE),
        (b"[" * 10_000 + b"]" * 10_000, Reason.NOT_A_RESOURCE),
        (b'{"resourceType": "Bundle", "x":' + b"[" * 10_000 + b"]" * 10_000 + b"}",
         Reason.TOO_DEEP),
    ],
    ids=["truncated", "empty", "two-documents", "array", "number", "no-type", "bad-type",
         "type-number", "entry-object", "misspelled", "deep-array", "deep-object"],
)  # fmt: skip
def test_broken_files_give_one_record(data: bytes, reason: Reason) -> None:
    sink = run_bundle(data)
    assert (sink.loaded, sink.quarantined) == (0, 1)
    line, rej, raw = sink.rejected[0]
    assert line == 1
    assert rej.reason is reason
    assert "\n" not in rej.message
    assert raw == data[:RAW_LIMIT]


def test_broken_big_file_keeps_first_64k() -> None:
    entries = [{"resource": minimal("Patient", id=f"p{i}")} for i in range(3000)]
    data = orjson.dumps({"resourceType": "Bundle", "type": "batch", "entry": entries})[:-2]
    assert len(data) > RAW_LIMIT
    sink = run_bundle(data)
    ((_, rej, raw),) = sink.rejected
    assert rej.reason is Reason.MALFORMED
    assert raw == data[:RAW_LIMIT]


def test_file_over_max_bytes() -> None:
    data = orjson.dumps(bundle(*_patient_and_encounter()))
    sink = CollectingSink()
    parse_bundle(io.BytesIO(data), sink, max_bytes=100)
    ((line, rej, raw),) = sink.rejected
    assert (line, rej.reason, rej.expected) == (1, Reason.TOO_LARGE, "at most 100 bytes")
    assert raw == data[:RAW_LIMIT]


def test_utf16_and_binary_files_raise() -> None:
    text = orjson.dumps(minimal("Patient")).decode()
    for data in (b"\xff\xfe" + text.encode("utf-16-le"), text.encode("utf-16-be")):
        with pytest.raises(InputError, match="expected UTF-8"):
            parse_bundle(io.BytesIO(data), CollectingSink())


def test_bom_is_accepted_and_bad_utf8_is_per_entry() -> None:
    patient, encounter = _patient_and_encounter()
    data = orjson.dumps(bundle(patient, encounter)).replace(b'"female"', b'"f\xe9male"')
    sink = run_bundle(b"\xef\xbb\xbf" + data)
    assert sink.loaded == 1
    assert sink.rejected[0][:2][0] == 1
    assert sink.rejected[0][1].reason is Reason.ENCODING


def test_claim_diagnosis_reference_follows_the_condition() -> None:
    patient, encounter = _patient_and_encounter()
    cond1 = minimal(
        "Condition",
        id="c-1",
        subject={"reference": f"urn:uuid:{PID}"},
        code=concept(SNOMED, "44054006"),
    )
    cond2 = minimal("Condition", id="c-2", subject={"reference": f"urn:uuid:{PID}"})
    claim = minimal(
        "Claim",
        id="cl-1",
        patient={"reference": f"urn:uuid:{PID}"},
        diagnosis=[
            {"sequence": 3, "diagnosisCodeableConcept": concept("http://hl7.org/fhir/sid/"
                                                                "icd-10-cm", "E11.9")},
            {"sequence": 2, "diagnosisReference": {"reference": "urn:uuid:c-2"}},
            {"sequence": 1, "diagnosisReference": {"reference": "urn:uuid:c-1"}},
            {"sequence": 4, "diagnosisReference": {"reference": "Condition/elsewhere"}},
        ],
        item=[{"sequence": 1, "productOrService": concept(SNOMED, "185349003"),
               "encounter": [{"reference": f"urn:uuid:{EID}"}]}],
    )  # fmt: skip
    sink = run_bundle(bundle(claim, patient, encounter, cond1, cond2))
    assert sink.quarantined == 0
    row = sink.dicts("claims")[0]
    assert row["diagnosis_codes"] == ["44054006", "38341003", "E11.9"]
    assert row["encounter_id"] == EID
    # Outside a Bundle the references cannot be followed: only the coded diagnosis is kept.
    claim["patient"] = {"reference": "Patient/p1"}
    claim["item"][0].pop("encounter")
    claim["diagnosis"][1]["diagnosisReference"] = {"reference": "Condition/c-2"}
    claim["diagnosis"][2]["diagnosisReference"] = {"reference": "Condition/c-1"}
    assert run_ndjson(claim).dicts("claims")[0]["diagnosis_codes"] == ["E11.9"]


def test_medication_reference() -> None:
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    patient, _ = _patient_and_encounter()
    med = {"resourceType": "Medication", "id": "med-1", "code": concept(rxnorm, "197361")}
    order = minimal(
        "MedicationRequest",
        id="mr-1",
        subject={"reference": f"urn:uuid:{PID}"},
        medicationCodeableConcept=None,
        medicationReference={"reference": "urn:uuid:med-1", "display": "Amlodipine"},
    )
    sink = run_bundle(bundle(order, patient, med))
    assert sink.quarantined == 0
    row = sink.dicts("medications")[0]
    assert (row["code"], row["code_system"]) == ("197361", rxnorm)
    assert sink.rows["other_resources"][0][:3] == ("med-1", "Medication", None)

    contained = minimal(
        "MedicationRequest",
        contained=[{"resourceType": "Medication", "id": "m", "code": concept(rxnorm, "1")}],
        medicationCodeableConcept=None,
        medicationReference={"reference": "#m"},
    )
    assert run_ndjson(contained).dicts("medications")[0]["code"] == "1"

    elsewhere = minimal(
        "MedicationRequest",
        medicationCodeableConcept=None,
        medicationReference={"reference": "Medication/med-9", "display": "Lisinopril"},
    )
    row = run_ndjson(elsewhere).dicts("medications")[0]
    assert (row["code"], row["code_system"], row["display"]) == (
        "med-9",
        "Medication",
        "Lisinopril",
    )


def test_truncated_bundle_whose_first_entry_is_invalid_is_one_malformed_record() -> None:
    """The strict decoder fails validation first; the loose one then meets the truncation."""
    import io

    from wardwatch.ingest import CollectingSink, Reason
    from wardwatch.ingest.fhir import parse_bundle

    sink = CollectingSink()
    parse_bundle(io.BytesIO(b'{"resourceType": "Bundle", "entry": [' + b"1," * 50_000), sink)
    assert sink.records_in == sink.quarantined == 1
    _, rejection, raw = sink.rejected[0]
    assert rejection.reason is Reason.MALFORMED
    assert rejection.raw_truncated is True
    assert raw is not None
    assert len(raw) == 64 * 1024
