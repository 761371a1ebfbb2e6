"""The registry on a trained workspace: store on SQLite and PostgreSQL, MLflow on SQLite.

Registration with lineage, gates, approvals by a second person, promotion of a protected
alias, one-step rollback, aliases moved behind wardwatch's back, break-glass, and the audit
trail of all of it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import sqlalchemy as sa
from tests.registry.conftest import LENIENT, STRICT, USECASE, People, Trained

from wardwatch.audit import AuditEvent
from wardwatch.core.workspace import Workspace
from wardwatch.registry import (
    PERMISSIONS,
    ROLES,
    ForbiddenError,
    GateRefusedError,
    Identity,
    Registry,
    RegistryError,
    alias_problems,
    parse_policy,
)
from wardwatch.registry._mlflow import mlflow_client

pytestmark = pytest.mark.slow

LENIENT_POLICY = parse_policy(LENIENT)
STRICT_POLICY = parse_policy(STRICT)


def mlflow_alias(reg: Registry, alias: str) -> int | None:
    with mlflow_client(reg.tracking_uri) as client:
        aliases = client.get_registered_model(USECASE).aliases
    return int(aliases[alias]) if alias in aliases else None


def events(reg: Registry, action: str) -> list[AuditEvent]:
    return reg.audit.events(action=action)


def ready(reg: Registry, people: People, model: str) -> int:
    """Register ``model`` under the lenient policy and have it approved; its version."""
    v = reg.register(USECASE, model=model, identity=people.engineer, policy=LENIENT_POLICY)
    assert v.gate is not None
    assert v.gate.passed, v.gate.summary
    reg.approve(USECASE, v.version, identity=people.approver, comment="evidence reviewed")
    return v.version


def test_register_attaches_lineage_evidence_and_gates(
    registry: Registry, people: People, trained: Trained, rws: Workspace
) -> None:
    v = registry.register(USECASE, identity=people.engineer)
    assert (v.name, v.version, v.model) == (USECASE, 1, trained.best)
    assert v.run_id == trained.runs[trained.best]
    assert v.registered_by == "eve"
    assert v.registered_role == "ml-engineer"
    lin = v.lineage
    assert lin["mlflow"]["run_id"] == v.run_id
    assert lin["mlflow"]["model_uri"] == v.model_uri
    assert v.model_uri.startswith("models:/m-")
    assert len(lin["dataset"]["fingerprint"]) == 64
    assert lin["dataset"]["rows"] > 0
    assert lin["code"]["version"]
    assert lin["environment"]["packages"]["mlflow"] == "3.17.2"
    assert lin["usecase_spec"]["spec"]["name"] == USECASE
    assert len(lin["usecase_spec"]["sha256"]) == 64
    assert lin["registered_by"]["name"] == "eve"
    assert "test_auroc" in lin["metrics"]
    # Each report's hash is the SHA-256 of the file as it lies in the workspace.
    for kind, file in (
        ("quality", "quality-20261101T080000Z.json"),
        ("leakage", f"leakage-{USECASE}.json"),
        ("evaluation", f"evaluation-{USECASE}-{trained.best}.json"),
    ):
        digest = hashlib.sha256((rws.reports_dir / file).read_bytes()).hexdigest()
        assert lin["reports"][kind]["sha256"] == digest
        assert lin["reports"][kind]["source"] == file
    assert lin["reports"]["quality"]["verdict"] == "pass"
    # The evidence is kept exactly, and the gates ran on it (default policy).
    ev = registry.evidence(USECASE, 1, identity=people.viewer)
    assert ev.evaluation is not None
    assert (
        ev.evaluation.text.encode() == trained.reports[f"evaluation-{USECASE}-{trained.best}.json"]
    )
    assert v.gate is not None
    assert v.gate.policy == "default"
    assert [c.check for c in v.gate.checks][:3] == [
        "quality_passed",
        "leakage_clean",
        "auroc_lower_ci",
    ]
    assert v.status in ("gates-passed", "gates-failed")
    # MLflow's version carries the lineage in brief.
    with mlflow_client(registry.tracking_uri) as client:
        mv = client.get_model_version(USECASE, "1")
    assert mv.run_id == v.run_id
    assert mv.tags["wardwatch.dataset_fingerprint"] == lin["dataset"]["fingerprint"]
    assert mv.tags["wardwatch.code_version"] == lin["code"]["version"]
    assert mv.tags["wardwatch.registered_by"] == "eve"
    assert mv.tags["wardwatch.gates"] == v.gate.verdict
    assert mv.tags["wardwatch.lineage_sha256"] == v.lineage_sha256
    # Audited, with who and in which role.
    (reg_event,) = events(registry, "registry.register")
    assert (reg_event.actor, reg_event.role, reg_event.subject) == (
        "eve",
        "ml-engineer",
        f"model:{USECASE}@1",
    )
    assert reg_event.payload["dataset_fingerprint"] == lin["dataset"]["fingerprint"]
    (gate_event,) = events(registry, "registry.gate")
    assert gate_event.payload["result_sha256"] == v.gate_sha256


def test_register_refuses_a_run_twice_and_a_foreign_run(
    registry: Registry, people: People, trained: Trained
) -> None:
    registry.register(USECASE, model="logreg", identity=people.engineer)
    with pytest.raises(RegistryError, match="registered already") as err:
        registry.register(USECASE, run_id=trained.runs["logreg"], identity=people.engineer)
    assert "\n" not in str(err.value)
    with pytest.raises(RegistryError, match="no such MLflow run"):
        registry.register(USECASE, run_id="0" * 32, identity=people.engineer)
    with pytest.raises(RegistryError, match="no finished training session"):
        registry.register("other-usecase", identity=people.engineer)


def test_register_refuses_an_evaluation_of_another_run(
    registry: Registry, people: People, trained: Trained
) -> None:
    registry.audit.append(
        "eve", "evaluate.run", f"usecase:{USECASE}", {"model": "lgbm", "run_id": "f" * 32}
    )
    with pytest.raises(RegistryError, match="newest evaluation of this model is of another run"):
        registry.register(USECASE, model="lgbm", identity=people.engineer)
    registry.audit.append(
        "eve",
        "evaluate.run",
        f"usecase:{USECASE}",
        {"model": "lgbm", "run_id": trained.runs["lgbm"]},
    )
    v = registry.register(USECASE, model="lgbm", identity=people.engineer)
    assert v.lineage["evaluation_run_id"] == trained.runs["lgbm"]


def test_every_action_checks_the_role(registry: Registry, people: People) -> None:
    v = ready(registry, people, "logreg")
    calls: dict[str, Any] = {
        "registry.register": lambda who: registry.register(USECASE, model="lgbm", identity=who),
        "registry.gate": lambda who: registry.evaluate_gates(USECASE, v, identity=who),
        "registry.approve": lambda who: registry.approve(USECASE, v, identity=who, comment="x"),
        "registry.reject": lambda who: registry.reject(USECASE, v, identity=who, comment="x"),
        "registry.promote": lambda who: registry.promote(USECASE, v, identity=who),
        "registry.rollback": lambda who: registry.rollback(USECASE, identity=who, reason="x"),
        "registry.show": lambda who: registry.show(USECASE, v, identity=who),
        "registry.history": lambda who: registry.history(USECASE, identity=who),
    }
    refused = 0
    for action, call in calls.items():
        for role in ROLES:
            if role in PERMISSIONS[action]:
                continue
            who = people.by_role(role)
            with pytest.raises(ForbiddenError) as err:
                call(who)
            message = str(err.value)
            assert "\n" not in message
            assert f"{who.name} (role {role}) may not" in message
            refused += 1
    denied = events(registry, "access.denied")
    assert len(denied) == refused
    assert {e.payload["action"] for e in denied} == {
        a for a in calls if PERMISSIONS[a] != frozenset(ROLES)
    }
    assert registry.audit.verify().ok


def test_a_person_cannot_approve_what_they_registered(registry: Registry, people: People) -> None:
    v = registry.register(USECASE, identity=people.admin, policy=LENIENT_POLICY)
    with pytest.raises(ForbiddenError, match="a second person must") as err:
        registry.approve(USECASE, v.version, identity=people.admin, comment="mine, looks fine")
    assert "\n" not in str(err.value)
    # The name is what counts, not the key or the role.
    other_key = Identity(name="ADA", role="approver", key_id="x")
    with pytest.raises(ForbiddenError):
        registry.approve(USECASE, v.version, identity=other_key, comment="still mine")
    decision = registry.approve(USECASE, v.version, identity=people.approver, comment="ok")
    assert decision.by == "ann"
    assert decision.gate_result_sha256 == v.gate_sha256
    assert decision.gate_verdict == "pass"
    with pytest.raises(RegistryError, match="comment is required"):
        registry.approve(USECASE, v.version, identity=people.approver, comment="  ")


def test_promotion_needs_passing_gates_and_an_approval(registry: Registry, people: People) -> None:
    v = registry.register(USECASE, model="logreg", identity=people.engineer, policy=STRICT_POLICY)
    assert v.gate is not None
    assert not v.gate.passed
    with pytest.raises(GateRefusedError) as err:
        registry.promote(USECASE, 1, identity=people.engineer)
    message = str(err.value)
    assert "\n" not in message
    assert "gates fail: AUROC lower 95% bound" in message
    assert "no approval" in message
    registry.approve(USECASE, 1, identity=people.approver, comment="seen")
    with pytest.raises(GateRefusedError, match="gates fail") as err:
        registry.promote(USECASE, 1, identity=people.engineer)
    assert "no approval" not in str(err.value)
    # Passing gates void the approval of the earlier (failing) result.
    registry.evaluate_gates(USECASE, 1, identity=people.engineer, policy=LENIENT_POLICY)
    with pytest.raises(GateRefusedError, match="approval was of an earlier gate result"):
        registry.promote(USECASE, 1, identity=people.engineer)
    registry.approve(USECASE, 1, identity=people.approver, comment="seen again")
    registry.reject(USECASE, 1, identity=people.approver2, comment="subgroup too small")
    with pytest.raises(GateRefusedError, match="rejected by abe"):
        registry.promote(USECASE, 1, identity=people.engineer)
    assert mlflow_alias(registry, "champion") is None
    registry.approve(USECASE, 1, identity=people.approver, comment="discussed with abe")
    event = registry.promote(USECASE, 1, identity=people.engineer)
    assert (event.from_version, event.to_version) == (None, 1)
    assert mlflow_alias(registry, "champion") == 1
    refusals = events(registry, "registry.promote_refused")
    assert len(refusals) == 4
    assert all(e.payload["problems"] for e in refusals)


def test_promote_then_rollback_restores_the_previous_champion(
    registry: Registry, people: People
) -> None:
    v1 = ready(registry, people, "logreg")
    v2 = ready(registry, people, "lgbm")
    registry.promote(USECASE, v1, identity=people.engineer)
    registry.promote(USECASE, v2, identity=people.approver, reason="better calibrated")
    assert mlflow_alias(registry, "champion") == v2
    with pytest.raises(RegistryError, match="already champion"):
        registry.promote(USECASE, v2, identity=people.engineer)
    with pytest.raises(RegistryError, match="reason is required"):
        registry.rollback(USECASE, identity=people.engineer, reason="")
    event = registry.rollback(USECASE, identity=people.engineer, reason="alert volume doubled")
    assert (event.from_version, event.to_version) == (v2, v1)
    with mlflow_client(registry.tracking_uri) as client:
        assert int(client.get_model_version_by_alias(USECASE, "champion").version) == v1
    assert registry.aliases(USECASE)["champion"] == v1
    with pytest.raises(RegistryError, match="no earlier champion"):
        registry.rollback(USECASE, identity=people.engineer, reason="again")
    (rb,) = events(registry, "registry.rollback")
    assert rb.payload["reason"] == "alert volume doubled"
    assert (rb.payload["from_version"], rb.payload["to_version"]) == (v2, v1)
    assert registry.check_aliases() == []
    hist = registry.history(USECASE, identity=people.viewer)
    assert [e["action"] for e in hist["alias_events"]] == ["promote", "promote", "rollback"]
    assert hist["aliases"] == {"champion": v1, "challenger": None}
    assert [v["version"] for v in hist["versions"]] == [v2, v1]
    assert hist["versions"][0]["decisions"][0]["by"] == "ann"
    assert registry.audit.verify().ok


def test_challenger_for_canary_then_champion(registry: Registry, people: People) -> None:
    v1 = ready(registry, people, "logreg")
    v2 = ready(registry, people, "lgbm")
    registry.promote(USECASE, v1, identity=people.engineer)
    registry.promote(USECASE, v2, identity=people.engineer, alias="challenger")
    assert (mlflow_alias(registry, "champion"), mlflow_alias(registry, "challenger")) == (v1, v2)
    registry.promote(USECASE, v2, identity=people.engineer)
    assert (mlflow_alias(registry, "champion"), mlflow_alias(registry, "challenger")) == (v2, None)
    assert registry.check_aliases() == []
    with pytest.raises(RegistryError, match="not a protected alias"):
        registry.promote(USECASE, v1, identity=people.engineer, alias="production")


def test_an_alias_moved_outside_wardwatch_is_reported_and_blocks_promotion(
    registry: Registry, people: People, rws: Workspace
) -> None:
    v1 = ready(registry, people, "logreg")
    v2 = ready(registry, people, "lgbm")
    registry.promote(USECASE, v1, identity=people.engineer)
    assert alias_problems(rws) == []
    with mlflow_client(registry.tracking_uri) as client:  # someone with MLflow access
        client.set_registered_model_alias(USECASE, "champion", str(v2))
    problems = registry.check_aliases()
    assert problems == [
        f"{USECASE}@champion: MLflow points to version {v2} but wardwatch recorded version "
        f"{v1} (alias moved outside wardwatch)"
    ]
    assert alias_problems(rws) == problems
    with pytest.raises(GateRefusedError, match="moved outside wardwatch"):
        registry.promote(USECASE, v2, identity=people.engineer)
    with pytest.raises(ForbiddenError, match="may not break_glass"):
        registry.promote(USECASE, v2, identity=people.engineer, break_glass=True, reason="x")
    with pytest.raises(RegistryError, match="reason is required"):
        registry.promote(USECASE, v2, identity=people.admin, break_glass=True)
    registry.promote(
        USECASE,
        v2,
        identity=people.admin,
        break_glass=True,
        reason="MLflow alias was moved by hand; re-recorded",
    )
    assert registry.check_aliases() == []
    (glass,) = events(registry, "admin.break_glass")
    assert glass.actor == "ada"
    assert glass.role == "admin"
    assert glass.payload["alias_drift"] == {"alias": "champion", "recorded": v1, "mlflow": v2}
    assert any("moved outside wardwatch" in p for p in glass.payload["bypassed"])
    # An alias removed by hand is reported too, and a rollback records the drift it finds.
    with mlflow_client(registry.tracking_uri) as client:
        client.delete_registered_model_alias(USECASE, "champion")
    assert "MLflow points to no version" in registry.check_aliases()[0]
    # A break-glass promotion of the recorded version repairs it in place ...
    registry.promote(
        USECASE, v2, identity=people.admin, break_glass=True, reason="put champion back"
    )
    assert mlflow_alias(registry, "champion") == v2
    assert registry.check_aliases() == []
    assert registry.aliases(USECASE)["champion"] == v2
    with mlflow_client(registry.tracking_uri) as client:
        client.delete_registered_model_alias(USECASE, "champion")
    # ... and a rollback records the drift it finds before it moves the alias.
    registry.rollback(USECASE, identity=people.engineer, reason="restore after tampering")
    (drift,) = events(registry, "registry.alias_drift")
    assert drift.payload == {
        "name": USECASE,
        "alias": "champion",
        "recorded": v2,
        "mlflow": None,
        "key_id": people.engineer.key_id,
    }
    assert mlflow_alias(registry, "champion") == v1
    assert registry.check_aliases() == []


def test_break_glass_promotes_without_gates_or_approval(registry: Registry, people: People) -> None:
    v = registry.register(USECASE, identity=people.engineer, policy=STRICT_POLICY)
    event = registry.promote(
        USECASE,
        v.version,
        identity=people.admin,
        break_glass=True,
        reason="downtime procedure: previous model unusable",
    )
    assert event.break_glass
    assert mlflow_alias(registry, "champion") == v.version
    (glass,) = events(registry, "admin.break_glass")
    assert {"gates fail", "no approval"} <= {
        p.split(":")[0].split(" (")[0] for p in glass.payload["bypassed"]
    }
    (promote,) = events(registry, "registry.promote")
    assert promote.payload["break_glass"] is True


def test_changed_alias_events_disagree_with_the_audit_log(
    registry: Registry, people: People
) -> None:
    v1 = ready(registry, people, "logreg")
    registry.promote(USECASE, v1, identity=people.engineer)
    from wardwatch.registry._tables import ALIAS_EVENTS

    with registry.store.begin() as conn:  # someone with database access hides the promotion
        conn.execute(sa.delete(ALIAS_EVENTS))
    problems = registry.check_aliases()
    assert any(
        "MLflow points to version 1 but wardwatch recorded no version" in p for p in problems
    )
    assert any("the audit log says version 1" in p for p in problems)


def test_show_lists_gates_decisions_and_aliases(registry: Registry, people: People) -> None:
    v = ready(registry, people, "logreg")
    registry.promote(USECASE, v, identity=people.engineer)
    shown = registry.show(USECASE, "champion", identity=people.clinician)
    assert shown["version"] == v
    assert shown["aliases"] == ["champion"]
    assert shown["gate"]["verdict"] == "pass"
    assert [c["check"] for c in shown["gate"]["checks"]] == [
        "quality_passed",
        "leakage_clean",
        "auroc_lower_ci",
    ]
    auroc = shown["gate"]["checks"][2]["evidence"]
    evaluation = json.loads(registry.evidence(USECASE, v, identity=people.viewer).evaluation.text)  # type: ignore[union-attr]
    assert auroc["ci_low"] == evaluation["discrimination"]["auroc"]["ci"][0]
    assert len(shown["gate_history"]) == 1
    assert shown["decisions"][0]["comment"] == "evidence reviewed"
    assert shown["alias_events"][0]["to_version"] == v
    assert shown["evidence"]["quality"]["sha256"]
    assert json.dumps(shown)  # JSON-ready
    with pytest.raises(RegistryError, match="has no challenger"):
        registry.show(USECASE, "challenger", identity=people.viewer)
    with pytest.raises(RegistryError, match="no such model version"):
        registry.show(USECASE, 99, identity=people.viewer)


def test_every_action_is_in_the_verified_audit_log(registry: Registry, people: People) -> None:
    v1 = ready(registry, people, "logreg")
    v2 = registry.register(
        USECASE, model="lgbm", identity=people.engineer2, policy=LENIENT_POLICY
    ).version
    registry.reject(USECASE, v2, identity=people.approver, comment="not now")
    registry.approve(USECASE, v2, identity=people.approver2, comment="now")
    registry.promote(USECASE, v1, identity=people.engineer)
    registry.promote(USECASE, v2, identity=people.engineer)
    registry.rollback(USECASE, identity=people.approver, reason="drill")
    actions = [e.action for e in registry.audit.events()]
    for action in (
        "identity.bootstrap",
        "identity.create",
        "registry.register",
        "registry.gate",
        "registry.approve",
        "registry.reject",
        "registry.promote",
        "registry.rollback",
    ):
        assert action in actions, action
    for e in registry.audit.events(action="registry."):
        assert e.role in ROLES
        assert e.actor in {"eve", "emil", "ann", "abe"}
        assert e.payload["key_id"]
    # Comments stay in the registry; the audit log holds their hash.
    (reject,) = events(registry, "registry.reject")
    assert reject.payload["comment_sha256"] == hashlib.sha256(b"not now").hexdigest()
    assert registry.audit.verify().ok
