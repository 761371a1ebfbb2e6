"""Gates and decisions: evaluate a policy on a version's evidence; approve or reject it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from wardwatch.registry._base import RegistryBase, json_text, sha_text
from wardwatch.registry._errors import ForbiddenError, RegistryError
from wardwatch.registry._evidence import Evidence
from wardwatch.registry._gates import GateResult, evaluate_gates
from wardwatch.registry._identity import Identity
from wardwatch.registry._policy import Policy, default_policy
from wardwatch.registry._records import Decision, iso
from wardwatch.registry._tables import APPROVALS, GATE_RESULTS, MODEL_VERSIONS, lock

__all__ = ["ReviewMixin"]


class ReviewMixin(RegistryBase):
    """Gate evaluation and the approve/reject decisions of a second person."""

    def evaluate_gates(
        self, name: str, version: int, *, identity: Identity, policy: Policy | None = None
    ) -> GateResult:
        """Evaluate ``policy`` (default: the packaged one) on the version's stored evidence
        and keep the result with the version; a new result voids earlier approvals."""
        subject = f"model:{name}@{version}"
        self._authorize(identity, "registry.gate", subject)
        policy = policy or default_policy()
        if policy.model is not None and policy.model != name:
            raise RegistryError(
                "the policy is for another model",
                record=policy.name,
                field="model",
                expected=name,
                found=policy.model,
            )
        with self.store.begin() as conn:
            row = self._row(conn, name, version)
        evidence = Evidence.from_dict(json.loads(row["evidence"]))
        result = evaluate_gates(policy, evidence.gate_input())
        now = datetime.now(UTC)
        stored = {
            **result.to_dict(),
            "name": name,
            "version": int(version),
            "evaluated_by": identity.name,
            "evaluated_at": iso(now),
            "policy_spec": policy.model_dump(mode="json"),
        }
        text = json_text(stored)
        digest = sha_text(text)
        with self.store.begin() as conn:
            lock(conn)
            inserted = conn.execute(
                GATE_RESULTS.insert().values(
                    name=name,
                    version=int(version),
                    policy=policy.name,
                    policy_sha256=policy.sha256,
                    passed=result.passed,
                    result=text,
                    result_sha256=digest,
                    evaluated_by=identity.name,
                    evaluated_at=now,
                )
            )
            gid = inserted.inserted_primary_key[0] if inserted.inserted_primary_key else None
            conn.execute(
                MODEL_VERSIONS.update()
                .where(MODEL_VERSIONS.c.name == name, MODEL_VERSIONS.c.version == int(version))
                .values(
                    gate_result_id=gid, status="gates-passed" if result.passed else "gates-failed"
                )
            )
        self._tags(
            name,
            version,
            {
                "wardwatch.gates": result.verdict,
                "wardwatch.gate_policy": policy.name,
                "wardwatch.gate_result_sha256": digest,
            },
        )
        self._event(
            identity,
            "registry.gate",
            subject,
            {
                "model_version": int(version),
                "name": name,
                "policy": policy.name,
                "policy_sha256": policy.sha256,
                "verdict": result.verdict,
                "result_sha256": digest,
                "checks": [
                    {"check": c.check, "status": c.status, "message": c.message}
                    for c in result.checks
                ],
            },
        )
        return result

    def _tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        def work(client: Any) -> None:
            for key, value in tags.items():
                client.set_model_version_tag(name, str(version), key, value)

        self._mlflow(work, "cannot tag the MLflow model version")

    # -- approvals ---------------------------------------------------------------------------

    def approve(self, name: str, version: int, *, identity: Identity, comment: str) -> Decision:
        """Approve the version as its gate result stands (approver role; not the registrant)."""
        return self._decide("approve", name, version, identity, comment)

    def reject(self, name: str, version: int, *, identity: Identity, comment: str) -> Decision:
        """Reject the version (approver role; not the registrant); it cannot be promoted until
        a later approval."""
        return self._decide("reject", name, version, identity, comment)

    def _decide(
        self, decision: str, name: str, version: int, identity: Identity, comment: str
    ) -> Decision:
        subject = f"model:{name}@{version}"
        action = f"registry.{decision}"
        self._authorize(identity, action, subject)
        comment = self._words(comment, "comment")
        with self.store.begin() as conn:
            row = self._row(conn, name, version)
            gate = self._gate_row(conn, row)
        if row["registered_by"].casefold() == identity.name.casefold():
            why = (
                f"{identity.name} registered {name} version {version} and may not "
                f"{decision} it: a second person must"
            )
            self._refused(identity, action, subject, why)
            raise ForbiddenError(
                why,
                record=f"{name}@{version}",
                field="by",
                expected="an approver who did not register it",
                found=identity.name,
            )
        if gate is None:
            raise RegistryError(
                "the version has no gate result to decide on",
                record=f"{name}@{version}",
                hint=f"run `wardwatch registry gates {name} {version}`",
            )
        now = datetime.now(UTC)
        with self.store.begin() as conn:
            lock(conn)
            conn.execute(
                APPROVALS.insert().values(
                    name=name,
                    version=int(version),
                    decision=decision,
                    by=identity.name,
                    role=identity.role,
                    at=now,
                    comment=comment,
                    gate_result_id=gate["id"],
                    gate_result_sha256=gate["result_sha256"],
                )
            )
            conn.execute(
                MODEL_VERSIONS.update()
                .where(MODEL_VERSIONS.c.name == name, MODEL_VERSIONS.c.version == int(version))
                .values(status="approved" if decision == "approve" else "rejected")
            )
        verdict = "pass" if gate["passed"] else "fail"
        self._tags(name, version, {f"wardwatch.{decision}d_by": identity.name})
        self._event(
            identity,
            action,
            subject,
            {
                "model_version": int(version),
                "name": name,
                "decision": decision,
                "gate_result_sha256": gate["result_sha256"],
                "gate_verdict": verdict,
                "comment_sha256": sha_text(comment),
            },
        )
        return Decision(
            name,
            int(version),
            decision,
            identity.name,
            identity.role,
            now,
            comment,
            gate["result_sha256"],
            verdict,
        )
