"""Results of the data-quality gate: findings, per-check results, severities and verdicts.

A *finding* is one record (or one pair of records, or one segment of a feed) that breaks a
rule, named precisely enough for a data team to fix the feed: check, reason code, severity,
table, resource type, record id, field path, what was expected and what was found, and the
source file and line it came from. A *check result* counts the findings of one check on one
table (all of them, even when only the first ``max_findings`` are listed) and says how many
rows were checked, so that rates can be gated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["CheckResult", "Finding", "Severity", "Verdict"]


class Severity(StrEnum):
    """How much a failed check matters; the policy maps severities to a verdict."""

    INFO = "info"
    """Reported, never gates (profiles, statistics)."""
    WARN = "warn"
    """Worth a look; the gate passes with a warning."""
    ERROR = "error"
    """The data must not reach a model as it is; the gate fails."""

    @property
    def rank(self) -> int:
        return {"info": 0, "warn": 1, "error": 2}[self.value]


class Verdict(StrEnum):
    """The gate's answer: ``pass`` and ``warn`` let a pipeline go on (exit 0), ``fail`` stops it."""

    PASS = "pass"  # noqa: S105  (a verdict, not a password)
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One record (or pair, or feed segment) that breaks a rule.

    ``found`` holds the offending value as text; for identifying fields (names, addresses,
    phone numbers, identifiers) the report masks it. ``related_id`` names the other record of
    a duplicate pair; ``score`` is the match score of a probable duplicate (0-1).
    """

    check: str
    reason: str
    severity: Severity
    table: str
    record_id: str | None
    field: str | None
    expected: str | None
    found: str | None
    resource_type: str | None = None
    patient_id: str | None = None
    source: str | None = None
    line: int | None = None
    related_id: str | None = None
    score: float | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out


@dataclass
class CheckResult:
    """The outcome of one check on one table.

    ``failed`` counts every offending record (or pair / segment); ``findings`` lists at most
    the contract's ``max_findings`` of them (``truncated`` says whether some were left out).
    ``checked`` is the number of rows the check looked at, so ``failed / checked`` is the
    failure rate the policy can compare with ``max_rate``. ``error`` is set, and nothing else
    is trusted, when the check could not run (a missing reference profile, an engine error):
    a check never raises on bad data.
    """

    check: str
    table: str
    severity: Severity
    description: str
    checked: int = 0
    failed: int = 0
    findings: list[Finding] = field(default_factory=list)
    truncated: bool = False
    by_source: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    max_rate: float = 0.0
    error: str | None = None

    @property
    def rate(self) -> float:
        """Failed / checked (0 when nothing was checked)."""
        return self.failed / self.checked if self.checked else 0.0

    @property
    def passed(self) -> bool:
        """True when the check ran and its failure rate is within ``max_rate``."""
        return self.error is None and (self.failed == 0 or self.rate <= self.max_rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "table": self.table,
            "severity": self.severity.value,
            "description": self.description,
            "checked": self.checked,
            "failed": self.failed,
            "rate": self.rate,
            "max_rate": self.max_rate,
            "passed": self.passed,
            "error": self.error,
            "by_source": dict(sorted(self.by_source.items())),
            "by_reason": dict(sorted(self.by_reason.items())),
            "metrics": self.metrics,
            "truncated": self.truncated,
            "findings": [f.to_dict() for f in self.findings],
        }
