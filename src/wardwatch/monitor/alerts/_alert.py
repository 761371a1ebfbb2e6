"""An alert as stored: one problem (a fingerprint: rule, model, scope) from the first time
it fired until it is resolved, with who acknowledged and resolved it and whether it was
delivered. Alerts carry metric names, scopes, numbers and counts only, never identifiers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from wardwatch.core.timeutil import as_utc
from wardwatch.errors import WardwatchError
from wardwatch.monitor._observation import Owner
from wardwatch.monitor.alerts._rules import Severity

__all__ = ["Action", "Alert", "AlertError", "AlertStatus"]

AlertStatus = Literal["open", "acknowledged", "resolved"]
Action = Literal["trigger", "acknowledge", "resolve"]
"""What a sink is told: a new alert, its acknowledgement, its resolution (PagerDuty's
``event_action`` names)."""


class AlertError(WardwatchError):
    """An alert action that cannot be done: no such alert, or one already resolved."""


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Alert:
    """One stored alert.

    ``count`` is how many evaluations fired it (1 when new; repeats update ``last_seen``,
    ``count`` and the latest values instead of raising a new alert). ``paged`` says whether
    its owner was notified: False for an alert that fired again within the cooldown after
    a resolution (``suppressed`` = ``"cooldown"``), which is recorded but pages no one.
    ``delivered_at`` is the last time a sink accepted it; ``last_error`` names the sinks
    that failed on the latest delivery and the exception type only.
    """

    id: int
    fingerprint: str
    rule: str
    owner: Owner
    severity: Severity
    status: AlertStatus
    metric: str
    scope: str
    model: str
    version: int
    value: float
    lower: float | None
    upper: float | None
    judged: float
    condition: str
    n: int | None
    window_start: datetime
    window_end: datetime
    first_seen: datetime
    last_seen: datetime
    count: int
    paged: bool
    suppressed: str | None
    why: str
    runbook: str
    caused_by: tuple[str, ...] = ()
    quiet_windows: int = 0
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ack_comment: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolve_comment: str | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None
    delivery_attempts: int = 0

    @property
    def active(self) -> bool:
        """Open or acknowledged (not resolved)."""
        return self.status != "resolved"

    @property
    def title(self) -> str:
        """A one-line headline: ``[CRITICAL] feed-unit-switch: sepsis v3 feed:labs.glucose``."""
        return f"[{self.severity.upper()}] {self.rule}: {self.model} v{self.version} {self.scope}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601, UTC)."""
        return {
            "id": self.id,
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "owner": self.owner,
            "severity": self.severity,
            "status": self.status,
            "metric": self.metric,
            "scope": self.scope,
            "model": self.model,
            "version": self.version,
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "judged": self.judged,
            "condition": self.condition,
            "n": self.n,
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "count": self.count,
            "paged": self.paged,
            "suppressed": self.suppressed,
            "why": self.why,
            "runbook": self.runbook,
            "caused_by": list(self.caused_by),
            "quiet_windows": self.quiet_windows,
            "acknowledged_at": _iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "ack_comment": self.ack_comment,
            "resolved_at": _iso(self.resolved_at),
            "resolved_by": self.resolved_by,
            "resolve_comment": self.resolve_comment,
            "delivered_at": _iso(self.delivered_at),
            "last_error": self.last_error,
            "delivery_attempts": self.delivery_attempts,
        }

    def audit_payload(self) -> dict[str, Any]:
        """What the audit log keeps of it: names, scope, numbers and counts (no PHI)."""
        return {
            "alert_id": self.id,
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "owner": self.owner,
            "severity": self.severity,
            "status": self.status,
            "metric": self.metric,
            "scope": self.scope,
            "model_version": f"{self.model}@{self.version}",
            "value": _finite(self.value),
            "judged": _finite(self.judged),
            "condition": self.condition,
            "n": self.n,
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "count": self.count,
            "paged": self.paged,
            "suppressed": self.suppressed,
            "caused_by": list(self.caused_by),
        }
