"""What the registry hands back: versions, decisions, alias moves (plain, JSON-ready)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wardwatch.registry._gates import GateResult

__all__ = [
    "PROTECTED_ALIASES",
    "AliasEvent",
    "Decision",
    "ModelVersion",
    "alias_stacks",
    "aware",
    "iso",
]

PROTECTED_ALIASES: tuple[str, ...] = ("champion", "challenger")
"""Aliases only wardwatch moves (promote, rollback); any other move is reported."""


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back naive (always written in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else aware(value).astimezone(UTC).isoformat()


@dataclass(frozen=True)
class ModelVersion:
    """A registered version: its MLflow run and model, who registered it, its lineage and
    its latest gate result. ``status``: registered, gates-passed, gates-failed, approved
    or rejected (an approval holds for the gate result it saw; new gates reset it)."""

    name: str
    version: int
    run_id: str
    model_uri: str
    model: str
    registered_by: str
    registered_role: str
    registered_at: datetime
    status: str
    lineage: dict[str, Any]
    lineage_sha256: str
    evidence_sha256: str
    gate: GateResult | None = None
    gate_sha256: str | None = None

    @property
    def subject(self) -> str:
        """The audit subject: ``model:<name>@<version>``."""
        return f"model:{self.name}@{self.version}"

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], gate: Mapping[Any, Any] | None) -> ModelVersion:
        return cls(
            name=row["name"],
            version=int(row["version"]),
            run_id=row["run_id"],
            model_uri=row["model_uri"],
            model=row["model"],
            registered_by=row["registered_by"],
            registered_role=row["registered_role"],
            registered_at=aware(row["registered_at"]),
            status=row["status"],
            lineage=json.loads(row["lineage"]),
            lineage_sha256=row["lineage_sha256"],
            evidence_sha256=row["evidence_sha256"],
            gate=GateResult.from_dict(json.loads(gate["result"])) if gate else None,
            gate_sha256=gate["result_sha256"] if gate else None,
        )

    def to_dict(self, *, lineage: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "run_id": self.run_id,
            "model_uri": self.model_uri,
            "model": self.model,
            "registered_by": self.registered_by,
            "registered_role": self.registered_role,
            "registered_at": iso(self.registered_at),
            "status": self.status,
            "lineage_sha256": self.lineage_sha256,
            "evidence_sha256": self.evidence_sha256,
            "gate": self.gate.to_dict() if self.gate else None,
            "gate_sha256": self.gate_sha256,
        }
        if lineage:
            out["lineage"] = self.lineage
        return out


@dataclass(frozen=True)
class Decision:
    """An approval or rejection: who, in which role, when, the gate result they saw, why."""

    name: str
    version: int
    decision: str
    by: str
    role: str
    at: datetime
    comment: str
    gate_result_sha256: str
    gate_verdict: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], verdict: str | None = None) -> Decision:
        return cls(
            row["name"],
            int(row["version"]),
            row["decision"],
            row["by"],
            row["role"],
            aware(row["at"]),
            row["comment"],
            row["gate_result_sha256"],
            verdict,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "decision": self.decision,
            "by": self.by,
            "role": self.role,
            "at": iso(self.at),
            "comment": self.comment,
            "gate_result_sha256": self.gate_result_sha256,
            "gate_verdict": self.gate_verdict,
        }


@dataclass(frozen=True)
class AliasEvent:
    """One move of a protected alias (``action``: promote, rollback or clear)."""

    name: str
    alias: str
    action: str
    from_version: int | None
    to_version: int | None
    by: str
    role: str
    at: datetime
    reason: str
    break_glass: bool

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> AliasEvent:
        return cls(
            row["name"],
            row["alias"],
            row["action"],
            row["from_version"],
            row["to_version"],
            row["by"],
            row["role"],
            aware(row["at"]),
            row["reason"],
            bool(row["break_glass"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias,
            "action": self.action,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "by": self.by,
            "role": self.role,
            "at": iso(self.at),
            "reason": self.reason,
            "break_glass": self.break_glass,
        }


def alias_stacks(events: Iterable[AliasEvent]) -> dict[str, list[int | None]]:
    """Replay alias events (oldest first) into one stack per alias: the current version is
    the last item (None: the alias is unset), the one a rollback returns to the one before.

    A promotion pushes its version, a clear pushes None, a rollback pops; a move to the
    version already there (a break-glass repair) changes nothing.
    """
    stacks: dict[str, list[int | None]] = {}
    for ev in events:
        stack = stacks.setdefault(ev.alias, [])
        if ev.action == "rollback" and len(stack) >= 2 and stack[-2] == ev.to_version:
            stack.pop()
        elif stack and stack[-1] == ev.to_version:
            continue  # a repair: the alias put back where it was recorded
        else:  # a promotion, a clear, or a rollback the stack cannot explain (a plain move)
            stack.append(ev.to_version)
    return stacks
