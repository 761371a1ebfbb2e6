"""Where alerts go: a webhook (Slack incoming webhooks or PagerDuty Events v2), e-mail over
SMTP, and the store itself (what the dashboard reads).

A sink's ``send(alert, action)`` delivers one message or raises; :class:`Router` picks the
sinks of the alert's owner, retries briefly, and never raises: it returns a
:class:`Delivery` that :class:`~wardwatch.monitor.alerts.AlertBook` records on the alert
(``delivered_at``, ``last_error`` with the exception type only, never a URL or a secret).
"""

from __future__ import annotations

import math
import smtplib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal, Protocol

import httpx

from wardwatch.errors import ConfigError
from wardwatch.monitor._observation import Owner
from wardwatch.monitor.alerts._alert import Action, Alert

__all__ = [
    "Delivery",
    "EmailSink",
    "Router",
    "Sink",
    "StoreSink",
    "WebhookSink",
    "pagerduty_payload",
    "slack_payload",
]

PD_SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}
"""PagerDuty Events v2 severities (critical | error | warning | info) for rule severities."""
_VERB = {"trigger": "", "acknowledge": "ACKNOWLEDGED ", "resolve": "RESOLVED "}


class Sink(Protocol):
    """Anything that delivers an alert message: ``send`` returns when it was accepted and
    raises when it was not."""

    name: str

    def send(self, alert: Alert, action: Action) -> None: ...


def _num(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.4g}"


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def _headline(alert: Alert, action: Action) -> str:
    tail = ""
    if action == "acknowledge" and alert.acknowledged_by:
        tail = f" by {alert.acknowledged_by}"
    elif action == "resolve" and alert.resolved_by:
        tail = f" by {alert.resolved_by}"
    return f"{_VERB[action]}{alert.title}{tail}"


def slack_payload(alert: Alert, action: Action = "trigger") -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the fallback and notification line) and
    Block Kit ``blocks`` (header, the why, the facts, the runbook)."""
    head = _headline(alert, action)
    runbook = alert.runbook or "none"
    if _is_url(alert.runbook):
        runbook = f"<{alert.runbook}|runbook>"
    facts = [
        ("Owner", alert.owner),
        ("Severity", alert.severity),
        ("Model", f"{alert.model} v{alert.version}"),
        ("Scope", alert.scope),
        ("Metric", alert.metric),
        ("Value", f"{_num(alert.value)} ({alert.condition})"),
    ]
    return {
        "text": f"{head}: {alert.why}"[:3000],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": head[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": alert.why[:3000]}},
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in facts],
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Runbook: {runbook} · alert #{alert.id} · seen {alert.count}×"
                        f" · fingerprint {alert.fingerprint}",
                    }
                ],
            },
        ],
    }


def pagerduty_payload(alert: Alert, routing_key: str, action: Action = "trigger") -> dict[str, Any]:
    """A PagerDuty Events v2 event; ``dedup_key`` is the alert's fingerprint, so that
    acknowledge and resolve events reach the same incident."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": alert.fingerprint,
    }
    if action != "trigger":
        return event
    event["payload"] = {
        "summary": f"{alert.title}: {alert.why}"[:1024],
        "source": f"wardwatch:{alert.model}",
        "severity": PD_SEVERITY[alert.severity],
        "component": alert.scope,
        "group": alert.model,
        "class": alert.metric,
        "custom_details": {
            "alert_id": alert.id,
            "rule": alert.rule,
            "owner": alert.owner,
            "version": alert.version,
            "value": alert.value if math.isfinite(alert.value) else None,
            "condition": alert.condition,
            "n": alert.n,
            "window_start": alert.window_start.isoformat(),
            "window_end": alert.window_end.isoformat(),
            "count": alert.count,
            "why": alert.why,
            "caused_by": list(alert.caused_by),
            "runbook": alert.runbook,
        },
    }
    if _is_url(alert.runbook):
        event["links"] = [{"href": alert.runbook, "text": f"runbook: {alert.rule}"}]
    return event


class WebhookSink:
    """POST the alert as JSON to ``url``: ``format="slack"`` (incoming webhook) or
    ``"pagerduty"`` (Events v2, which needs a ``routing_key``). A non-2xx answer raises."""

    def __init__(
        self,
        url: str,
        format: Literal["slack", "pagerduty"] = "slack",  # the word the route config uses
        routing_key: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        if not _is_url(url):
            raise ConfigError("bad webhook URL", field="url",
                              expected="http:// or https:// URL", found=url[:40])  # fmt: skip
        if format not in ("slack", "pagerduty"):
            raise ConfigError("bad webhook format", field="format",
                              expected="slack | pagerduty", found=repr(format))  # fmt: skip
        if format == "pagerduty" and not routing_key:
            raise ConfigError("a PagerDuty webhook needs a routing key", field="routing_key",
                              expected="the integration key of the service",
                              found="nothing")  # fmt: skip
        self.url = url
        self.format = format
        self.routing_key = routing_key
        self.timeout = timeout
        self.name = f"webhook:{format}"

    def payload(self, alert: Alert, action: Action) -> dict[str, Any]:
        """The JSON body this sink posts for ``alert``."""
        if self.format == "pagerduty":
            assert self.routing_key is not None
            return pagerduty_payload(alert, self.routing_key, action)
        return slack_payload(alert, action)

    def send(self, alert: Alert, action: Action) -> None:
        response = httpx.post(self.url, json=self.payload(alert, action), timeout=self.timeout)
        response.raise_for_status()


class EmailSink:
    """Send the alert by e-mail over SMTP to the addresses of its owner (``recipients``
    maps ``data-feed``/``model``/``sre`` to addresses); an owner without addresses gets
    nothing from this sink."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Mapping[Owner, Sequence[str]],
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = {k: tuple(v) for k, v in recipients.items()}
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.name = "email"

    def message(self, alert: Alert, action: Action) -> EmailMessage | None:
        """The e-mail for ``alert`` (None when its owner has no address here)."""
        to = self.recipients.get(alert.owner, ())
        if not to:
            return None
        msg = EmailMessage()
        msg["Subject"] = f"[wardwatch] {_headline(alert, action)}"[:250]
        msg["From"] = self.sender
        msg["To"] = ", ".join(to)
        msg["X-Wardwatch-Severity"] = alert.severity
        msg["X-Wardwatch-Owner"] = alert.owner
        msg["X-Wardwatch-Fingerprint"] = alert.fingerprint
        lines = [
            alert.why,
            "",
            f"owner:     {alert.owner}",
            f"severity:  {alert.severity}",
            f"model:     {alert.model} v{alert.version}",
            f"scope:     {alert.scope}",
            f"metric:    {alert.metric} = {_num(alert.value)} ({alert.condition})",
            f"window:    {alert.window_start.isoformat()} to {alert.window_end.isoformat()}",
            f"seen:      {alert.count} time(s); alert #{alert.id}, status {alert.status}",
            f"runbook:   {alert.runbook or 'none'}",
        ]
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def send(self, alert: Alert, action: Action) -> None:
        msg = self.message(alert, action)
        if msg is None:
            return
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)


class StoreSink:
    """The store itself: every alert is already there (the dashboard reads it), so sending
    does nothing. Listed in routes to say so explicitly."""

    name = "store"

    def send(self, alert: Alert, action: Action) -> None:
        return None


@dataclass(frozen=True)
class Delivery:
    """What delivering one message did: ``sent`` names the sinks that accepted it, ``failed``
    the ones that did not (``"<sink>: <exception type>"``), ``attempts`` counts every try."""

    sent: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    attempts: int = 0

    @property
    def error(self) -> str | None:
        return "; ".join(self.failed) or None


@dataclass
class Router:
    """The sinks of each owner; ``deliver`` tries each ``1 + retries`` times, waiting
    ``backoff`` seconds, doubled each retry, and never raises."""

    routes: Mapping[Owner, Sequence[Sink]] = field(default_factory=dict)
    retries: int = 2
    backoff: float = 0.2

    def sinks(self, owner: Owner) -> tuple[Sink, ...]:
        return tuple(self.routes.get(owner, ()))

    def deliver(self, alert: Alert, action: Action = "trigger") -> Delivery:
        """Send ``alert`` to every sink of its owner; a :class:`Delivery` says how it went."""
        sent: list[str] = []
        failed: list[str] = []
        attempts = 0
        for sink in self.sinks(alert.owner):
            if isinstance(sink, StoreSink):
                continue
            wait = self.backoff
            for attempt in range(self.retries + 1):
                attempts += 1
                try:
                    sink.send(alert, action)
                except Exception as exc:  # a failed page must not lose the alert
                    if attempt == self.retries:
                        failed.append(f"{sink.name}: {type(exc).__name__}")
                    else:
                        time.sleep(wait)
                        wait *= 2
                else:
                    sent.append(sink.name)
                    break
        return Delivery(sent=tuple(sent), failed=tuple(failed), attempts=attempts)
