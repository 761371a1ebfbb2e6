"""The evidence bundle: hashes in the manifest, tamper detection, same bytes, a real audit proof."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.registry.cards.conftest import (
    APPROVALS,
    CHAI_XSD,
    GATES,
    GENERATED_AT,
    LEAKAGE,
    PATIENT_ID,
    PLANTED,
    QUALITY,
)

from wardwatch.audit import AuditLog, chain_proof, load_public_key, public_key_hex
from wardwatch.core.store import Store
from wardwatch.errors import InputError
from wardwatch.evaluate import EvaluationReport
from wardwatch.registry.cards import (
    MANIFEST,
    ModelCard,
    validate_chai_xml,
    verify_evidence_bundle,
    write_evidence_bundle,
)

SUBJECT = "model:readmission-30d@3"
EXPECTED = [
    "MANIFEST.json", "README.txt", "approvals.json", "audit-events.json",
    "audit-public-key.txt", "gates.json", "model-card.html", "model-card.json",
    "model-card.xml", "reports/evaluation.html", "reports/evaluation.json",
    "reports/leakage.html", "reports/leakage.json", "reports/quality.html",
    "reports/quality.json",
]  # fmt: skip


@pytest.fixture
def audit(tmp_path: Path) -> tuple[dict[str, Any], str]:
    """A real audit log on SQLite: events of this version among others, proved and signed."""
    keys = tmp_path / "keys"
    log = AuditLog(Store(f"sqlite:///{tmp_path / 'store.db'}"), secret=b"k" * 32,
                   signing_key_path=keys / "audit_ed25519.pem", checkpoint_every=0)  # fmt: skip
    log.append("alice", "registry.register", SUBJECT, {"model_version": 3}, role="ml-engineer")
    log.append("carol", "quality.gate", "lake", {"verdict": "pass"})
    log.append("alice", "registry.gate", SUBJECT, {"verdict": "fail", "patient_id": "p-1"})
    log.append("bob", "registry.approve", SUBJECT, {"decision": "approve"}, role="approver")
    log.append("carol", "ingest.run", "feed", {"rows": 10})
    proof = chain_proof(log, log.events(subject=SUBJECT))
    return json.loads(json.dumps(proof)), load_public_key(keys / "audit_ed25519.pub")


@pytest.fixture
def reports(evaluation: EvaluationReport) -> dict[str, bytes]:
    return {
        "evaluation": evaluation.to_json(),
        "leakage": orjson.dumps(LEAKAGE),
        "quality": orjson.dumps(QUALITY),
    }


def _bundle(
    path: Path, card: ModelCard, reports: dict[str, bytes], audit: tuple[dict[str, Any], str]
) -> Path:
    proof, key = audit
    return write_evidence_bundle(
        path,
        card=card,
        reports=reports,
        gate_result=GATES,
        approvals=APPROVALS,
        audit_proof=proof,
        audit_public_key=key,
    )


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of a zip with entries replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in change:
                data = change[info.filename]
                if data is not None:
                    zout.writestr(info, data)
            else:
                zout.writestr(info, zin.read(info.filename))
        for name, data in change.items():
            if name not in zin.namelist() and data is not None:
                zout.writestr(name, data)
    return dst


def test_the_bundle_holds_everything_and_its_manifest_matches(
    tmp_path: Path,
    card: ModelCard,
    reports: dict[str, bytes],
    audit: tuple[dict[str, Any], str],
) -> None:
    path = _bundle(tmp_path / "evidence.zip", card, reports, audit)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == EXPECTED
        manifest = json.loads(zf.read(MANIFEST))
        listed = {f["path"]: f for f in manifest["files"]}
        assert sorted(listed) == [n for n in EXPECTED if n != MANIFEST]
        for name, entry in listed.items():  # an independent re-hash of every file
            data = zf.read(name)
            assert entry["sha256"] == hashlib.sha256(data).hexdigest(), name
            assert entry["bytes"] == len(data)
        assert manifest["model"] == {"name": "readmission-30d", "version": "3"}
        assert manifest["checks"]["chai_xml_valid"] is True
        assert manifest["checks"]["audit_events_selected"] == 3
        assert validate_chai_xml(zf.read("model-card.xml"), CHAI_XSD) == []
        assert zf.read("model-card.json") == card.to_json()
        # a report without identifiers goes in byte for byte: the gates' hash still holds
        assert zf.read("reports/evaluation.json") == reports["evaluation"]
        info = manifest["reports"]
        assert info["evaluation"]["redacted"] is False
        assert (
            info["evaluation"]["source_sha256"] == hashlib.sha256(reports["evaluation"]).hexdigest()
        )
        # the quality report's rows (with a patient id) are withheld, and counted
        assert info["quality"]["redacted"] is True
        quality = json.loads(zf.read("reports/quality.json"))
        assert quality["results"][0]["findings"] == []
        assert quality["results"][0]["findings_withheld"] == 1
        assert quality["results"][0]["failed"] == 1
        assert b"<!DOCTYPE html>" in zf.read("reports/quality.html")
        assert json.loads(zf.read("approvals.json"))[0]["by"] == "bob"
    assert verify_evidence_bundle(path, public_key=audit[1]) == []
    assert verify_evidence_bundle(path) == []  # with the key inside: consistency only


def test_no_patient_identifier_leaves(
    tmp_path: Path,
    card: ModelCard,
    reports: dict[str, bytes],
    audit: tuple[dict[str, Any], str],
) -> None:
    path = _bundle(tmp_path / "evidence.zip", card, reports, audit)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8")
            assert PLANTED not in text, name
            assert not PATIENT_ID.search(text), name
            assert '"p-1"' not in text, name  # the audit log pseudonymized it
            if name != "audit-events.json":
                assert '"patient_id"' not in text, name


def test_the_same_inputs_give_the_same_bytes(
    tmp_path: Path,
    make_inputs: Any,
    reports: dict[str, bytes],
    audit: tuple[dict[str, Any], str],
) -> None:
    one = ModelCard.from_inputs(make_inputs(), generated_at=GENERATED_AT)
    two = ModelCard.from_inputs(make_inputs(), generated_at=GENERATED_AT)
    a = _bundle(tmp_path / "a.zip", one, reports, audit).read_bytes()
    b = _bundle(tmp_path / "b.zip", two, reports, audit).read_bytes()
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as zf:
        assert zf.namelist() == sorted(zf.namelist())
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    later = ModelCard.from_inputs(make_inputs(), generated_at="2026-12-01T00:00:00+00:00")
    assert _bundle(tmp_path / "c.zip", later, reports, audit).read_bytes() != a


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"model-card.json": b"{}"}, "model-card.json: SHA-256 does not match"),
        ({"reports/quality.json": None}, "reports/quality.json: listed in the manifest but"),
        ({"extra.txt": b"hello"}, "extra.txt: in the zip but not in the manifest"),
        ({MANIFEST: None}, "MANIFEST.json is missing"),
        ({MANIFEST: b"not json"}, "MANIFEST.json is malformed"),
    ],
)
def test_tampering_is_detected(
    tmp_path: Path,
    card: ModelCard,
    reports: dict[str, bytes],
    audit: tuple[dict[str, Any], str],
    change: dict[str, bytes | None],
    expected: str,
) -> None:
    path = _bundle(tmp_path / "evidence.zip", card, reports, audit)
    bad = _rewrite(path, tmp_path / "bad.zip", change)
    problems = verify_evidence_bundle(bad, public_key=audit[1])
    assert problems
    assert any(p.startswith(expected) for p in problems), problems


def test_a_changed_audit_event_is_caught_even_with_a_consistent_manifest(
    tmp_path: Path,
    card: ModelCard,
    reports: dict[str, bytes],
    audit: tuple[dict[str, Any], str],
) -> None:
    """Whoever rewrites an event and the manifest still cannot forge the signed chain."""
    path = _bundle(tmp_path / "evidence.zip", card, reports, audit)
    with zipfile.ZipFile(path) as zf:
        proof = json.loads(zf.read("audit-events.json"))
        manifest = json.loads(zf.read(MANIFEST))
    proof["events"][3]["payload"]["decision"] = "reject"
    forged = json.dumps(proof).encode()
    for f in manifest["files"]:
        if f["path"] == "audit-events.json":
            f.update(sha256=hashlib.sha256(forged).hexdigest(), bytes=len(forged))
    bad = _rewrite(
        path,
        tmp_path / "bad.zip",
        {"audit-events.json": forged, MANIFEST: json.dumps(manifest).encode()},
    )
    (problem,) = verify_evidence_bundle(bad, public_key=audit[1])
    assert problem.startswith("audit-events.json: proof invalid at event seq 4")
    assert "payload" in problem


def test_the_proof_is_checked_against_the_key_given(
    tmp_path: Path,
    card: ModelCard,
    reports: dict[str, bytes],
    audit: tuple[dict[str, Any], str],
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = _bundle(tmp_path / "evidence.zip", card, reports, audit)
    other = public_key_hex(Ed25519PrivateKey.generate())
    (problem,) = verify_evidence_bundle(path, public_key=other)
    assert "signed by another key" in problem


def test_without_a_proof_or_gates_the_bundle_says_so(
    tmp_path: Path, card: ModelCard, reports: dict[str, bytes]
) -> None:
    path = write_evidence_bundle(tmp_path / "e.zip", card=card, reports={"leakage": reports[
        "leakage"]})  # fmt: skip
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("gates.json"))["verdict"] is None
        assert json.loads(zf.read("approvals.json")) == []
        assert json.loads(zf.read("audit-events.json"))["format"] is None
        assert "audit-public-key.txt" not in zf.namelist()
    assert verify_evidence_bundle(path) == []


def test_a_proof_without_any_key_is_reported(
    tmp_path: Path, card: ModelCard, audit: tuple[dict[str, Any], str]
) -> None:
    path = write_evidence_bundle(tmp_path / "e.zip", card=card, reports={},
                                 audit_proof=audit[0])  # fmt: skip
    (problem,) = verify_evidence_bundle(path)
    assert "not checked: no audit public key" in problem


def test_bad_reports_are_one_line_errors(tmp_path: Path, card: ModelCard) -> None:
    with pytest.raises(InputError, match="the quality report is not JSON") as err:
        write_evidence_bundle(tmp_path / "e.zip", card=card, reports={"quality": b"<html>"})
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="cannot read the evaluation report"):
        write_evidence_bundle(tmp_path / "e.zip", card=card,
                              reports={"evaluation": tmp_path / "missing.json"})  # fmt: skip
    with pytest.raises(InputError, match="bad report name"):
        write_evidence_bundle(tmp_path / "e.zip", card=card, reports={"../x": b"{}"})
    assert not (tmp_path / "e.zip").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_report_path_is_read(tmp_path: Path, card: ModelCard, reports: dict[str, bytes]) -> None:
    src = tmp_path / "leakage-readmission-30d.json"
    src.write_bytes(reports["leakage"])
    path = write_evidence_bundle(tmp_path / "out" / "e.zip", card=card, reports={"leakage": src})
    with zipfile.ZipFile(path) as zf:
        assert zf.read("reports/leakage.json") == reports["leakage"]
    assert verify_evidence_bundle(tmp_path / "nothing.zip") != []


def test_a_report_whose_page_cannot_be_drawn_still_goes_in(tmp_path: Path, card: ModelCard) -> None:
    """The JSON is the evidence: a leakage report lacking what its HTML page shows is kept
    byte for byte, and the manifest says why it has no page."""
    partial = orjson.dumps({"kind": "leakage-audit", "verdict": "pass"})
    path = write_evidence_bundle(tmp_path / "e.zip", card=card, reports={"leakage": partial})
    with zipfile.ZipFile(path) as zf:
        assert zf.read("reports/leakage.json") == partial
        assert "reports/leakage.html" not in zf.namelist()
        info = json.loads(zf.read(MANIFEST))["reports"]["leakage"]
    assert info["html"] is None
    assert info["html_problem"].startswith("not rendered")
    assert verify_evidence_bundle(path) == []
