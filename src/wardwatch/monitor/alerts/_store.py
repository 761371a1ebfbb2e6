"""The alert book: alerts in the store, deduplicated, cooled down, acknowledged, resolved,
paged through a :class:`Router`, and written to the audit log.

    book = AlertBook.from_workspace(ws)
    raised = book.raise_alerts(evaluate_rules(load_rules(), observations), now=now)
    book.acknowledge(raised[0].alert.id, identity, "looking at the lab feed")
    book.resolve(raised[0].alert.id, identity, "feed fixed, values back in mg/dL")

Lifecycle of one fingerprint (rule, model, scope): a candidate with no active alert opens
one and pages its owner (``new``); while it is open or acknowledged, repeats update
``last_seen``, ``count`` and the latest values and page no one (``repeat``); after a
resolution, a repeat within ``cooldown`` opens a recorded alert that pages no one
(``cooldown``); later, it pages again. Raising (new and cooldown), acknowledging and
resolving are audit events (``monitor.alert``, ``monitor.alert.ack``,
``monitor.alert.resolve``) carrying names, scopes, numbers and counts only.

Who may acknowledge and resolve: the roles that look after models in production
(``ml-engineer``, ``approver``) and ``admin``, for the models their key may use; viewers and
clinicians may only read.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.audit import AuditLog, PendingEvent
from wardwatch.core.store import Store
from wardwatch.core.timeutil import as_utc
from wardwatch.core.workspace import Workspace
from wardwatch.monitor.alerts._alert import Action, Alert, AlertError
from wardwatch.monitor.alerts._evaluate import AlertCandidate
from wardwatch.monitor.alerts._routes import routes_for_workspace
from wardwatch.monitor.alerts._sinks import Router
from wardwatch.monitor.alerts._tables import ALERTS, ensure_tables, lock
from wardwatch.registry import ForbiddenError, Identity, require_role

__all__ = ["ACK_ROLES", "SYSTEM_ACTOR", "AlertBook", "Raised"]

ACK_ROLES = ("ml-engineer", "approver", "admin")
"""The registry roles that may acknowledge and resolve alerts."""
SYSTEM_ACTOR = "wardwatch-monitor"
_A = ALERTS.c
_ACTIVE = ("open", "acknowledged")


@dataclass(frozen=True)
class Raised:
    """What raising one candidate did: ``new`` (a new alert, paged), ``repeat`` (an active
    alert updated, not paged) or ``cooldown`` (a new alert recorded but not paged, because
    the same problem was resolved less than ``cooldown`` ago)."""

    alert: Alert
    outcome: Literal["new", "repeat", "cooldown"]

    @property
    def paged(self) -> bool:
        return self.outcome == "new"


def _alert(m: Any) -> Alert:
    def ts(v: datetime | None) -> datetime | None:
        return None if v is None else as_utc(v)

    data = {c.name: m[c.name] for c in ALERTS.columns}
    data["caused_by"] = tuple(json.loads(data["caused_by"] or "[]"))
    for k in ("window_start", "window_end", "first_seen", "last_seen", "acknowledged_at",
              "resolved_at", "delivered_at"):  # fmt: skip
        data[k] = ts(data[k])
    return Alert(**data)


def _values(c: AlertCandidate, now: datetime) -> dict[str, Any]:
    obs = c.observation
    return {
        "severity": c.severity,
        "owner": c.owner,
        "version": obs.version,
        "value": obs.value,
        "lower": obs.lower,
        "upper": obs.upper,
        "judged": c.judged,
        "condition": c.rule.condition.describe(),
        "n": obs.n,
        "window_start": obs.window_start,
        "window_end": obs.window_end,
        "last_seen": now,
        "why": c.why,
        "runbook": c.rule.runbook,
        "caused_by": json.dumps(list(c.caused_by)),
        "quiet_windows": 0,
    }


class AlertBook:
    """Alerts of one store: raise, acknowledge, resolve, list; pages through ``router``
    (None: the store only) and writes every raise, acknowledgement and resolution to
    ``audit``."""

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        *,
        router: Router | None = None,
        cooldown: timedelta = timedelta(hours=24),
    ) -> None:
        self.store = store
        self.audit = audit
        self.router = router
        self.cooldown = cooldown
        ensure_tables(store)

    @classmethod
    def from_workspace(
        cls, ws: Workspace, *, router: Router | None = None, cooldown: timedelta | None = None
    ) -> AlertBook:
        """The workspace's book: its store, its audit log, its routes (``router`` given, or
        the workspace's routes file, see ``_routes``)."""
        return cls(
            Store(ws.store_url),
            AuditLog.from_workspace(ws),
            router=router if router is not None else routes_for_workspace(ws),
            cooldown=cooldown if cooldown is not None else timedelta(hours=24),
        )

    # -- raising ---------------------------------------------------------------------------

    def raise_alerts(
        self, candidates: Iterable[AlertCandidate], *, now: datetime | None = None
    ) -> builtins.list[Raised]:
        """Record ``candidates`` (see the module doc for new, repeat and cooldown), page the
        owners of new alerts, and return what happened to each, in order. Delivery failures
        are recorded on the alert, never raised."""
        now = now or datetime.now(UTC)
        done: list[tuple[int, Literal["new", "repeat", "cooldown"]]] = []
        with self.store.begin() as conn:
            lock(conn)
            for c in candidates:
                done.append(self._raise_one(conn, c, now))
        raised = [Raised(self.get(i), outcome) for i, outcome in done]
        fresh = [r for r in raised if r.outcome != "repeat"]
        self.audit.append_many(
            [
                PendingEvent(
                    SYSTEM_ACTOR,
                    "monitor.alert",
                    f"alert:{r.alert.id}",
                    r.alert.audit_payload(),
                    role="system",
                )
                for r in fresh
            ]
        )
        return [
            Raised(self._deliver(r.alert, "trigger", now), r.outcome) if r.paged else r
            for r in raised
        ]

    def _raise_one(
        self, conn: Connection, c: AlertCandidate, now: datetime
    ) -> tuple[int, Literal["new", "repeat", "cooldown"]]:
        active = conn.execute(
            sa.select(_A.id, _A["count"].label("seen")).where(
                _A.fingerprint == c.fingerprint, _A.status.in_(_ACTIVE)
            )
        ).first()
        if active is not None:
            conn.execute(
                ALERTS.update()
                .where(_A.id == active.id)
                .values(count=active.seen + 1, **_values(c, now))
            )
            return int(active.id), "repeat"
        last_resolved = conn.execute(
            sa.select(sa.func.max(_A.resolved_at)).where(
                _A.fingerprint == c.fingerprint, _A.status == "resolved"
            )
        ).scalar()
        cooling = last_resolved is not None and as_utc(last_resolved) + self.cooldown > now
        new_id = conn.execute(
            ALERTS.insert().values(
                fingerprint=c.fingerprint,
                rule=c.name,
                metric=c.observation.metric,
                scope=c.observation.scope,
                model=c.observation.model,
                status="open",
                first_seen=now,
                count=1,
                paged=not cooling,
                suppressed="cooldown" if cooling else None,
                delivery_attempts=0,
                **_values(c, now),
            )
        ).inserted_primary_key
        assert new_id is not None
        return int(new_id[0]), "cooldown" if cooling else "new"

    def _deliver(self, alert: Alert, action: Action, now: datetime) -> Alert:
        if self.router is None or not self.router.sinks(alert.owner):
            return alert
        delivery = self.router.deliver(alert, action)
        values: dict[str, Any] = {
            "last_error": delivery.error,
            "delivery_attempts": alert.delivery_attempts + delivery.attempts,
        }
        if delivery.sent:
            values["delivered_at"] = now
        with self.store.begin() as conn:
            conn.execute(ALERTS.update().where(_A.id == alert.id).values(**values))
        return self.get(alert.id)

    # -- acknowledging and resolving -------------------------------------------------------

    def acknowledge(
        self, alert_id: int, identity: Identity, comment: str, *, now: datetime | None = None
    ) -> Alert:
        """Mark an open alert acknowledged by ``identity`` (someone is on it); pages stop
        escalating (PagerDuty gets ``acknowledge``). Raises :class:`ForbiddenError` for a
        role that may not, :class:`AlertError` for a missing or resolved alert."""
        return self._close(alert_id, identity, comment, "acknowledge", now)

    def resolve(
        self, alert_id: int, identity: Identity, comment: str, *, now: datetime | None = None
    ) -> Alert:
        """Mark an open or acknowledged alert resolved; the next firing of its fingerprint
        opens a new alert (not paged within the cooldown)."""
        return self._close(alert_id, identity, comment, "resolve", now)

    def _close(
        self,
        alert_id: int,
        identity: Identity | None,
        comment: str,
        action: Action,
        now: datetime | None,
    ) -> Alert:
        now = now or datetime.now(UTC)
        comment = (comment or "").strip()
        if not comment:
            raise AlertError(f"an alert {action} needs a comment", record=f"alert {alert_id}",
                             field="comment", expected="what was done or found",
                             found="nothing")  # fmt: skip
        if identity is not None:
            require_role(identity, *ACK_ROLES)
        current = self.get(alert_id)
        if identity is not None and not identity.may_use(current.model):
            raise ForbiddenError(
                f"{identity.name}'s key does not cover model {current.model}",
                record=f"alert {alert_id}",
                field="model",
                expected=" or ".join(identity.models or ()),
                found=current.model,
            )
        by = identity.name if identity is not None else SYSTEM_ACTOR
        with self.store.begin() as conn:
            lock(conn)
            status = conn.execute(sa.select(_A.status).where(_A.id == alert_id)).scalar_one()
            allowed = ("open",) if action == "acknowledge" else _ACTIVE
            if status not in allowed:
                raise AlertError(f"cannot {action} an alert that is {status}",
                                 record=f"alert {alert_id}", field="status",
                                 expected=" or ".join(allowed), found=status)  # fmt: skip
            if action == "acknowledge":
                values = {"status": "acknowledged", "acknowledged_at": now,
                          "acknowledged_by": by, "ack_comment": comment[:2000]}  # fmt: skip
            else:
                values = {"status": "resolved", "resolved_at": now, "resolved_by": by,
                          "resolve_comment": comment[:2000]}  # fmt: skip
            conn.execute(ALERTS.update().where(_A.id == alert_id).values(**values))
        alert = self.get(alert_id)
        verb = "ack" if action == "acknowledge" else "resolve"
        payload = {**alert.audit_payload(), "comment": comment[:500], "auto": identity is None}
        self.audit.append(by, f"monitor.alert.{verb}", f"alert:{alert_id}", payload,
                          role=identity.role if identity is not None else "system")  # fmt: skip
        return self._deliver(alert, action, now) if alert.paged else alert

    def auto_resolve(
        self,
        fired: Iterable[AlertCandidate],
        *,
        models: Iterable[str],
        after_windows: int = 3,
        now: datetime | None = None,
    ) -> builtins.list[Alert]:
        """After one evaluation of ``models``: count a quiet window for each of their active
        alerts whose fingerprint is not in ``fired``, and resolve (as the monitor) those
        quiet for ``after_windows`` windows in a row. Returns the alerts resolved."""
        fps = {c.fingerprint for c in fired}
        resolved: list[int] = []
        with self.store.begin() as conn:
            lock(conn)
            rows = conn.execute(
                sa.select(_A.id, _A.fingerprint, _A.quiet_windows).where(
                    _A.status.in_(_ACTIVE), _A.model.in_(list(models))
                )
            ).all()
            for row in rows:
                if row.fingerprint in fps:
                    continue
                quiet = row.quiet_windows + 1
                conn.execute(ALERTS.update().where(_A.id == row.id).values(quiet_windows=quiet))
                if quiet >= after_windows:
                    resolved.append(int(row.id))
        comment = f"auto-resolved: the rule did not fire for {after_windows} windows"
        return [self._close(i, None, comment, "resolve", now) for i in resolved]

    # -- reading ---------------------------------------------------------------------------

    def get(self, alert_id: int) -> Alert:
        """The alert ``alert_id``; :class:`AlertError` if there is none."""
        with self.store.begin() as conn:
            row = conn.execute(sa.select(ALERTS).where(_A.id == alert_id)).first()
        if row is None:
            raise AlertError("no such alert", record=f"alert {alert_id}",
                             hint="`list` shows the alerts")  # fmt: skip
        return _alert(row._mapping)

    def list(
        self,
        *,
        status: str | None = None,
        owner: str | None = None,
        model: str | None = None,
        limit: int = 500,
    ) -> builtins.list[Alert]:
        """Alerts, newest first, filtered by status (``open``, ``acknowledged``,
        ``resolved``, or ``active`` for the first two), owner and model."""
        query = sa.select(ALERTS).order_by(_A.last_seen.desc(), _A.id.desc()).limit(limit)
        if status == "active":
            query = query.where(_A.status.in_(_ACTIVE))
        elif status is not None:
            query = query.where(_A.status == status)
        if owner is not None:
            query = query.where(_A.owner == owner)
        if model is not None:
            query = query.where(_A.model == model)
        with self.store.begin() as conn:
            rows = conn.execute(query).all()
        return [_alert(r._mapping) for r in rows]
