"""Who sees which page and which buttons.

Pages follow the registry's permissions (:data:`wardwatch.registry.PERMISSIONS`): a clinician
sees the overview, the model version's card and the triage view, not the data-quality
findings, the monitoring internals or the audit log; buttons appear only for the roles whose
action the server would accept (approve and reject for approvers; acknowledge and resolve
for the roles monitoring accepts). The server checks again on every action: hiding a button
is a courtesy, not the control.
"""

from __future__ import annotations

from dataclasses import dataclass

from wardwatch.monitor.alerts import ACK_ROLES
from wardwatch.registry import PERMISSIONS, ROLES

__all__ = ["NAV", "PAGE_ROLES", "NavItem", "can", "nav_for"]

_ALL = frozenset(ROLES)
_STAFF = _ALL - {"clinician"}

PAGE_ROLES: dict[str, frozenset[str]] = {
    "overview": _ALL,
    "quality": _STAFF,
    "version": PERMISSIONS["registry.show"],
    "monitoring": _STAFF,
    "triage": _ALL,
    "audit": PERMISSIONS["registry.history"],
}
"""The roles that may open each page."""

_ACTIONS: dict[str, frozenset[str]] = {
    "approve": PERMISSIONS["registry.approve"],
    "reject": PERMISSIONS["registry.reject"],
    "ack": frozenset(ACK_ROLES),
    "resolve": frozenset(ACK_ROLES),
    "identify": frozenset({"clinician"}),
}


@dataclass(frozen=True)
class NavItem:
    page: str
    label: str
    href: str


NAV: tuple[NavItem, ...] = (
    NavItem("overview", "Overview", "/ui/"),
    NavItem("quality", "Data quality", "/ui/quality"),
    NavItem("monitoring", "Monitoring", "/ui/monitoring"),
    NavItem("triage", "Triage", "/ui/triage"),
    NavItem("audit", "Audit", "/ui/audit"),
)


def can(role: str, what: str) -> bool:
    """Whether ``role`` may open page ``what`` or take action ``what`` (see
    :data:`PAGE_ROLES`; actions: approve, reject, ack, resolve, identify)."""
    allowed = PAGE_ROLES.get(what) or _ACTIONS.get(what)
    return allowed is not None and role in allowed


def nav_for(role: str) -> list[NavItem]:
    """The navigation entries ``role`` may open."""
    return [item for item in NAV if can(role, item.page)]
