"""What the audit page shows, gathered as plain data: one page of events matching the
filters, newest first, and the verification status of the hash chain.

Filters mean what :meth:`wardwatch.audit.AuditLog.events` means by them: ``actor`` and
``subject`` match exactly, ``action`` exactly or, ending with a dot, a whole stage
(``registry.``). A patient subject is searched by its pseudonym only (``patient:pt_…``): the
page does not turn raw patient ids into pseudonyms for the roles that open it. Dates are UTC
days, both ends included. Pages are cut by ``before`` (the seq below which the next page
starts), so new events do not shift the pages a reader is going through.

Verifying the chain reads every event once (:meth:`AuditLog.verify`); the result is kept
for :data:`VERIFY_TTL_S` seconds per store, so the page does not re-hash a long log on
every view; the page says when it was verified.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from wardwatch.audit import AUDIT_EVENTS, VerifyResult, is_pseudonym

__all__ = [
    "PAGE_SIZE",
    "VERIFY_TTL_S",
    "AuditFilter",
    "Chain",
    "EventRow",
    "FilterError",
    "chain_status",
    "events_page",
    "parse_filter",
]

PAGE_SIZE = 50
VERIFY_TTL_S = 30.0
_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]*)*\.?")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SUBJECT_PATIENT = re.compile(r"(patient|encounter):(.*)")
_E = AUDIT_EVENTS.c


class FilterError(ValueError):
    """A filter value the page cannot use (the message is one line, never the value)."""


@dataclass(frozen=True)
class AuditFilter:
    """The page's filters (None: not filtering on it) and its cursor."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: date | None = None
    until: date | None = None
    before: int | None = None

    def query(self, *, before: int | None = None) -> dict[str, str]:
        """The filters as URL query parameters (``before`` replaced when given)."""
        out = {
            "actor": self.actor, "action": self.action, "subject": self.subject,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "before": str(before) if before is not None else None,
        }  # fmt: skip
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return any((self.actor, self.action, self.subject, self.since, self.until))


def _text(params: Mapping[str, str], name: str, limit: int) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise FilterError(f"{name}: expected up to {limit} printable characters")
    return value


def _day(params: Mapping[str, str], name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}: expected a date as YYYY-MM-DD") from None


def parse_filter(params: Mapping[str, str]) -> AuditFilter:
    """The filters of a request's query parameters; :class:`FilterError` for a bad one."""
    action = _text(params, "action", 100)
    if action is not None and not _ACTION.fullmatch(action):
        raise FilterError("action: expected <stage>.<verb> in lower case, or a stage and a dot "
                          "(registry.)")  # fmt: skip
    subject = _text(params, "subject", 500)
    m = _SUBJECT_PATIENT.fullmatch(subject or "")
    if m is not None and not is_pseudonym(m.group(2)):
        kind = m.group(1)
        prefix = "pt" if kind == "patient" else "enc"
        raise FilterError(f"subject: search {kind} subjects by pseudonym ({kind}:{prefix}_…)")
    since, until = _day(params, "since"), _day(params, "until")
    if since and until and since > until:
        raise FilterError("since: the first day is after the last day")
    before_text = (params.get("before") or "").strip()
    before = None
    if before_text:
        if not before_text.isdigit() or len(before_text) > 18:
            raise FilterError("before: expected an event seq (a whole number)")
        before = int(before_text)
    return AuditFilter(_text(params, "actor", 200), action, subject, since, until, before)


@dataclass(frozen=True)
class EventRow:
    """One event as listed: ``payload`` parsed (None when the stored text is not JSON:
    ``payload_text`` then shows what is there), ``summary`` its first fields in one line."""

    seq: int
    at: datetime | str
    actor: str
    role: str | None
    action: str
    subject: str
    payload: dict[str, Any] | None
    payload_text: str

    @property
    def summary(self) -> str:
        if self.payload is None:
            return "(payload is not readable JSON)"
        parts = []
        for key, value in self.payload.items():
            if isinstance(value, dict):
                shown = "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
            elif isinstance(value, list):
                shown = f"[{len(value)} items]"
            else:
                shown = _short(value)
            parts.append(f"{key}: {shown}")
        text = " · ".join(parts)
        return text if len(text) <= 140 else text[:139] + "…"

    @property
    def pretty(self) -> str:
        if self.payload is None:
            return self.payload_text[:4000]
        return json.dumps(self.payload, indent=2, sort_keys=True, ensure_ascii=False)


def _short(value: Any) -> str:
    """A scalar as JSON writes it (``true``, ``null``), text as it is, cut at 40 characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _time(value: Any) -> datetime | str:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _row(r: Any) -> EventRow:
    text = str(r.payload)
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    return EventRow(
        seq=int(r.seq),
        at=_time(r.at),
        actor=str(r.actor),
        role=r.role,
        action=str(r.action),
        subject=str(r.subject),
        payload=payload if isinstance(payload, dict) else None,
        payload_text=text,
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def events_page(
    audit: Any, f: AuditFilter, *, size: int = PAGE_SIZE
) -> tuple[list[EventRow], int | None]:
    """Up to ``size`` events matching ``f``, newest first, from ``f.before`` down, and the
    cursor of the next page (None when these are the last)."""
    stmt = sa.select(
        _E.seq, sa.type_coerce(_E.at, sa.String).label("at"), _E.actor, _E.role, _E.action,
        _E.subject, _E.payload,
    )  # fmt: skip
    if f.actor is not None:
        stmt = stmt.where(_E.actor == f.actor)
    if f.action is not None:
        stmt = stmt.where(
            _E.action.startswith(f.action) if f.action.endswith(".") else _E.action == f.action
        )
    if f.subject is not None:
        stmt = stmt.where(_E.subject == f.subject)
    if f.since is not None:
        stmt = stmt.where(_E.at >= _midnight(f.since))
    if f.until is not None:
        stmt = stmt.where(_E.at < _midnight(f.until + timedelta(days=1)))
    if f.before is not None:
        stmt = stmt.where(_E.seq < f.before)
    stmt = stmt.order_by(_E.seq.desc()).limit(size + 1)
    with audit.store.begin() as conn:
        rows = [_row(r) for r in conn.execute(stmt)]
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].seq if more and rows else None)


@dataclass(frozen=True)
class Chain:
    """A verification of the whole chain and when it ran (``result.ok``: every link, hash
    and signed checkpoint holds; otherwise ``result.first_bad_seq`` is the first bad event)."""

    result: VerifyResult
    checked_at: datetime
    seconds: float


_CHAINS: dict[str, tuple[float, Chain]] = {}
_CHAIN_LOCK = threading.Lock()


def chain_status(audit: Any, *, ttl_s: float = VERIFY_TTL_S) -> Chain:
    """The chain's verification, at most ``ttl_s`` seconds old (one verification at a time
    per process: concurrent viewers wait for it instead of each re-hashing the log)."""
    key = str(audit.store.engine.url)
    with _CHAIN_LOCK:
        hit = _CHAINS.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        t0 = time.perf_counter()
        result = audit.verify()
        chain = Chain(result, datetime.now(UTC), time.perf_counter() - t0)
        _CHAINS[key] = (time.monotonic() + ttl_s, chain)
        return chain
