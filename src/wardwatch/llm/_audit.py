"""Where the LLM workflows record what they did: a sink of audit events.

A sink is any callable ``(action, subject, payload)``. :func:`log_sink` appends to the
workspace's hash-chained :class:`~wardwatch.audit.AuditLog` (which pseudonymizes patient ids
and refuses direct identifiers); :class:`MemoryAudit` keeps events in a list (tests, the
evaluation harness). Actions: ``llm.call`` (every summary), ``llm.retry``, ``llm.fallback``,
``llm.breaker`` (circuit state changes). Payloads carry hashes, counts and backend names only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wardwatch.audit import AuditLog

__all__ = ["AuditSink", "MemoryAudit", "log_sink", "null_sink"]

AuditSink = Callable[[str, str, Mapping[str, Any]], None]
"""``(action, subject, payload) -> None``."""


def null_sink(action: str, subject: str, payload: Mapping[str, Any]) -> None:
    """A sink that records nothing."""


@dataclass
class MemoryAudit:
    """A sink that keeps ``(action, subject, payload)`` triples in ``events``."""

    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, action: str, subject: str, payload: Mapping[str, Any]) -> None:
        self.events.append((action, subject, dict(payload)))

    def actions(self) -> list[str]:
        """The actions recorded, in order."""
        return [a for a, _, _ in self.events]


def log_sink(log: AuditLog, actor: str) -> AuditSink:
    """A sink appending to ``log`` as ``actor`` (errors of the log propagate: no silent gaps)."""

    def sink(action: str, subject: str, payload: Mapping[str, Any]) -> None:
        log.append(actor, action, subject, payload)

    return sink
