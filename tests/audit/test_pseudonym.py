"""Keyed pseudonyms and the PHI guard on payloads and subjects."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
import sqlalchemy as sa

from wardwatch.audit import (
    AUDIT_EVENTS,
    AuditError,
    AuditLog,
    guard_payload,
    is_pseudonym,
    pseudonym,
)
from wardwatch.audit._pseudonym import guard_subject

SECRET = b"a" * 32
OTHER = b"b" * 32


def test_pseudonym_is_hmac_sha256_prefix() -> None:
    expected = hmac.new(SECRET, b"pt:12345", hashlib.sha256).hexdigest()[:16]
    assert pseudonym("12345", SECRET) == "pt_" + expected
    assert pseudonym(12345, SECRET) == pseudonym("12345", SECRET)


def test_pseudonyms_are_stable_per_secret_and_differ_across_secrets() -> None:
    assert pseudonym("p1", SECRET) == pseudonym("p1", SECRET)
    assert pseudonym("p1", SECRET) != pseudonym("p1", OTHER)
    assert pseudonym("p1", SECRET) != pseudonym("p2", SECRET)
    assert pseudonym("p1", SECRET, kind="enc").startswith("enc_")
    assert pseudonym("p1", SECRET, kind="enc")[4:] != pseudonym("p1", SECRET)[3:]
    assert is_pseudonym(pseudonym("p1", SECRET))
    assert not is_pseudonym("p1")


def test_short_secret_is_refused() -> None:
    with pytest.raises(AuditError, match="at least 16 bytes"):
        pseudonym("p1", b"short")


def test_patient_and_encounter_ids_are_pseudonymized_at_any_depth() -> None:
    out = guard_payload(
        {"patientId": "p1", "cohort": {"patient_ids": ["p1", 7]}, "encounter_id": "e1",
         "rows": [{"Patient": "p2"}], "model": "readmission"},
        SECRET,
    )  # fmt: skip
    assert out == {
        "patientId": pseudonym("p1", SECRET),
        "cohort": {"patient_ids": [pseudonym("p1", SECRET), pseudonym(7, SECRET)]},
        "encounter_id": pseudonym("e1", SECRET, kind="enc"),
        "rows": [{"Patient": pseudonym("p2", SECRET)}],
        "model": "readmission",
    }
    assert guard_payload(out, SECRET) == out  # pseudonyms are kept as they are


@pytest.mark.parametrize(
    "key",
    ["mrn", "MRN", "ssn", "birthDate", "birth_date", "dob", "given_name", "familyName",
     "address", "phone", "email", "zip", "patient_name", "last-name"],
)  # fmt: skip
def test_direct_identifiers_are_refused_naming_the_key(key: str) -> None:
    with pytest.raises(AuditError) as info:
        guard_payload({"context": {key: "SECRET-VALUE-123"}}, SECRET)
    message = str(info.value)
    assert f"field payload.context.{key}" in message
    assert "SECRET-VALUE-123" not in message
    assert "\n" not in message


def test_name_is_refused_beside_a_patient_id_and_allowed_elsewhere() -> None:
    assert guard_payload({"name": "readmission", "version": 3}, SECRET)["name"] == "readmission"
    with pytest.raises(AuditError, match=r"payload\.name"):
        guard_payload({"patient_id": "p1", "name": "Jane Roe"}, SECRET)


@pytest.mark.parametrize("value", [{"id": "p1", "gender": "f"}, True, 1.5])
def test_a_record_under_a_patient_key_is_refused(value: Any) -> None:
    with pytest.raises(AuditError, match=r"field payload\.patient"):
        guard_payload({"patient": value}, SECRET)


def test_without_a_secret_ids_are_refused_not_stored() -> None:
    with pytest.raises(AuditError, match="no secret"):
        guard_payload({"patient_id": "p1"}, None)
    assert guard_payload({"patient_id": pseudonym("p1", SECRET)}, None)["patient_id"].startswith(
        "pt_"
    )


def test_subjects_naming_a_patient_are_pseudonymized() -> None:
    assert guard_subject("patient:12345", SECRET) == f"patient:{pseudonym('12345', SECRET)}"
    assert (
        guard_subject("encounter:e9", SECRET) == f"encounter:{pseudonym('e9', SECRET, kind='enc')}"
    )
    assert guard_subject("model:readmission@3", SECRET) == "model:readmission@3"


def test_no_raw_identifier_reaches_the_store(log: AuditLog) -> None:
    raw = "MRN-0042-RAWID"
    event = log.append("svc-serve", "serve.predict", f"patient:{raw}",
                       {"patient_id": raw, "score": 0.31, "model": "readmission@3"})  # fmt: skip
    assert event.payload["patient_id"] == pseudonym(raw, log.secret or b"")
    with log.store.begin() as conn:
        stored = [str(v) for r in conn.execute(sa.select(AUDIT_EVENTS)) for v in r]
    assert not any(raw in v for v in stored)
    assert log.events(subject=f"patient:{raw}")[0].seq == event.seq  # found by its pseudonym
    with pytest.raises(AuditError, match=r"payload\.ssn"):
        log.append("svc", "serve.predict", "x", {"ssn": "123-45-6789"})
    assert log.verify().events_checked == 1  # the refused event left no row
