"""Evidence bundles verify offline, and any change to them is caught."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.audit._tamper import fill, make_log

from wardwatch.audit import (
    AuditError,
    AuditLog,
    chain_proof,
    load_public_key,
    public_key_hex,
    verify_proof,
)


@pytest.fixture
def proved(store_url: str, key_dir: Path) -> tuple[AuditLog, dict[str, Any], str]:
    log = make_log(store_url, key_dir, every=4)
    fill(log, 10)
    proof = chain_proof(log, log.events(subject="model:readmission@1"))  # seqs 1, 5, 9
    return log, json.loads(json.dumps(proof)), load_public_key(key_dir / "audit_ed25519.pub")


def test_a_bundle_verifies_offline(proved: tuple[AuditLog, dict[str, Any], str]) -> None:
    _log, proof, key = proved
    assert proof["selected"] == [1, 5, 9]
    assert [e["seq"] for e in proof["events"]] == list(range(1, 11))
    assert proof["checkpoint"]["seq"] == 10  # none covered seq 9 yet: signed on export
    assert [("payload" in e) for e in proof["events"]].count(True) == 3
    result = verify_proof(proof, key)
    assert result.ok, result.message
    assert (result.selected, result.events_checked, result.checkpoint_seq) == (3, 10, 10)


def test_an_existing_checkpoint_is_reused(store_url: str, key_dir: Path) -> None:
    log = make_log(store_url, key_dir, every=4)
    fill(log, 10)
    proof = chain_proof(log, log.events(after_seq=1, limit=2))  # seqs 2, 3
    assert proof["checkpoint"]["seq"] == 4
    assert [e["seq"] for e in proof["events"]] == [2, 3, 4]
    assert len(log.checkpoints()) == 2


def _edit(proof: dict[str, Any], how: str) -> dict[str, Any]:
    p = copy.deepcopy(proof)
    events = p["events"]
    if how == "payload":
        events[4]["payload"]["auc"] = 0.99
    elif how == "actor":
        events[2]["actor"] = "mallory"
    elif how == "drop":
        del events[3]
    elif how == "swap":
        events[2], events[3] = events[3], events[2]
    elif how == "unselect":
        del events[4]["payload"]
    elif how == "cp-hash":
        p["checkpoint"]["hash"] = events[-2]["hash"]
    elif how == "truncate":
        del events[-1]
    elif how == "format":
        p["format"] = "other"
    elif how == "no-cp":
        p["checkpoint"] = None
    elif how == "malformed":
        del events[1]["at"]
    return p


@pytest.mark.parametrize(
    ("how", "bad_seq"),
    [("payload", 5), ("actor", 3), ("drop", 5), ("swap", 4), ("unselect", 5), ("cp-hash", 10),
     ("truncate", 10), ("format", None), ("no-cp", None), ("malformed", None)],
)  # fmt: skip
def test_any_change_to_a_bundle_is_caught(
    proved: tuple[AuditLog, dict[str, Any], str], how: str, bad_seq: int | None
) -> None:
    _, proof, key = proved
    result = verify_proof(_edit(proof, how), key)
    assert not result.ok
    assert result.first_bad_seq == bad_seq, result.message
    assert "\n" not in result.message


def test_a_bundle_re_signed_with_another_key_is_caught(
    proved: tuple[AuditLog, dict[str, Any], str],
) -> None:
    _, proof, _key = proved
    other = public_key_hex(Ed25519PrivateKey.generate())
    assert "another key" in (verify_proof(proof, other).detail or "")
    assert "64 hex digits" in (verify_proof(proof, "zz").detail or "")


def test_nothing_to_prove(log: AuditLog) -> None:
    with pytest.raises(AuditError, match="nothing to prove"):
        chain_proof(log, [])


def test_a_keyless_log_exports_an_unverifiable_bundle(store_url: str, key_dir: Path) -> None:
    log = make_log(store_url, None)
    fill(log, 2)
    proof = chain_proof(log, log.events())
    assert proof["checkpoint"] is None
    result = verify_proof(proof, public_key_hex(Ed25519PrivateKey.generate()))
    assert not result.ok
    assert "no signed checkpoint" in (result.detail or "")
