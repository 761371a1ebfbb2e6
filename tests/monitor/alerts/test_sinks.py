"""Sinks against real receivers on loopback: a ThreadingHTTPServer for Slack and PagerDuty
webhooks, an aiosmtpd SMTP server for e-mail, and a closed port for a failed delivery."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from wardwatch.core.workspace import Workspace
from wardwatch.errors import ConfigError
from wardwatch.monitor import Observation
from wardwatch.monitor.alerts import (
    AlertBook,
    AlertCandidate,
    EmailSink,
    Router,
    StoreSink,
    WebhookSink,
    evaluate_rules,
    parse_routes,
    parse_rules,
    routes_for_workspace,
)
from wardwatch.registry import Identity

T0 = datetime(2026, 3, 1, tzinfo=UTC)
RULES = parse_rules({"rules": [
    {"name": "unit-switch", "metric": "feed.unit_switch", "scope": "feed:*",
     "condition": {"above": 0}, "severity": "critical", "owner": "data-feed",
     "runbook": "https://runbooks.example.org/unit-switch"},
    {"name": "auroc", "metric": "realized.auroc", "scope": "model",
     "condition": {"below": 0.65, "use": "upper"}, "severity": "warning", "owner": "model",
     "runbook": "docs/runbooks/auroc.md"},
]})  # fmt: skip


def found(metric: str, scope: str, value: float, **kw: Any) -> list[AlertCandidate]:
    o = Observation(metric, scope, value, T0, T0 + timedelta(days=1), "sepsis", 3, n=500, **kw)
    return evaluate_rules(RULES, [o])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append((self.path, json.loads(body)))
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def test_slack_webhook_payload(workspace: Workspace, receiver: Receiver) -> None:
    router = Router({"data-feed": [StoreSink(), WebhookSink(receiver.url + "/slack")]})
    book = AlertBook.from_workspace(workspace, router=router)
    (r,) = book.raise_alerts(found("feed.unit_switch", "feed:labs.glucose", 0.3), now=T0)
    (path, body) = receiver.posts[0]
    assert path == "/slack"
    assert body["text"].startswith("[CRITICAL] unit-switch: sepsis v3 feed:labs.glucose: ")
    assert "data-feed owner" in body["text"]
    types = [b["type"] for b in body["blocks"]]
    assert types == ["header", "section", "section", "context"]
    assert "*Owner*\ndata-feed" in [f["text"] for f in body["blocks"][2]["fields"]]
    assert (
        "<https://runbooks.example.org/unit-switch|runbook>"
        in (body["blocks"][3]["elements"][0]["text"])
    )
    assert r.alert.delivered_at == T0
    assert r.alert.last_error is None
    assert r.alert.delivery_attempts == 1
    # a repeat pages no one
    book.raise_alerts(found("feed.unit_switch", "feed:labs.glucose", 0.3), now=T0)
    assert len(receiver.posts) == 1


def test_pagerduty_trigger_acknowledge_resolve(workspace: Workspace, receiver: Receiver) -> None:
    sink = WebhookSink(receiver.url + "/v2/enqueue", "pagerduty", routing_key="R0UT1NG")
    book = AlertBook.from_workspace(workspace, router=Router({"data-feed": [sink]}))
    (r,) = book.raise_alerts(found("feed.unit_switch", "feed:labs.glucose", 0.3), now=T0)
    who = Identity("alice", "ml-engineer")
    book.acknowledge(r.alert.id, who, "on it")
    book.resolve(r.alert.id, who, "feed fixed")
    trigger, ack, resolve = (body for _, body in receiver.posts)
    assert trigger["routing_key"] == "R0UT1NG"
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == r.alert.fingerprint
    p = trigger["payload"]
    assert p["severity"] == "critical"
    assert p["source"] == "wardwatch:sepsis"
    assert (p["component"], p["group"], p["class"]) == (
        "feed:labs.glucose", "sepsis", "feed.unit_switch")  # fmt: skip
    assert p["summary"].startswith("[CRITICAL] unit-switch")
    assert p["custom_details"]["owner"] == "data-feed"
    assert trigger["links"] == [
        {"href": "https://runbooks.example.org/unit-switch", "text": "runbook: unit-switch"}
    ]
    assert ack == {"routing_key": "R0UT1NG", "event_action": "acknowledge",
                   "dedup_key": r.alert.fingerprint}  # fmt: skip
    assert resolve["event_action"] == "resolve"


def test_email_goes_to_the_owner(workspace: Workspace, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    sink = EmailSink("127.0.0.1", port, "wardwatch@example.org",
                     {"data-feed": ["feeds@example.org"], "model": ["ml@example.org"]})  # fmt: skip
    book = AlertBook.from_workspace(workspace, router=Router({"data-feed": [sink],
                                                              "model": [sink]}))  # fmt: skip
    book.raise_alerts(found("feed.unit_switch", "feed:labs.glucose", 0.3), now=T0)
    (r,) = book.raise_alerts(found("realized.auroc", "model", 0.55, upper=0.6), now=T0)
    (to1, m1), (to2, m2) = box.mails
    assert to1 == ["feeds@example.org"]
    assert to2 == ["ml@example.org"]
    assert m1["Subject"] == "[wardwatch] [CRITICAL] unit-switch: sepsis v3 feed:labs.glucose"
    assert m1["X-Wardwatch-Severity"] == "critical"
    assert m2["Subject"].startswith("[wardwatch] [WARNING] auroc")
    assert "model owner: performance or calibration decay" in m2.get_payload()
    assert r.alert.delivered_at is not None


def test_failed_delivery_is_recorded_not_raised(workspace: Workspace, receiver: Receiver) -> None:
    dead = WebhookSink(f"http://127.0.0.1:{free_port()}/hook", timeout=2)
    router = Router({"data-feed": [dead]}, retries=1, backoff=0.01)
    book = AlertBook.from_workspace(workspace, router=router)
    (r,) = book.raise_alerts(found("feed.unit_switch", "feed:labs.glucose", 0.3), now=T0)
    assert r.alert.delivered_at is None
    assert r.alert.last_error == "webhook:slack: ConnectError"
    assert r.alert.delivery_attempts == 2
    assert book.get(r.alert.id).status == "open"
    receiver.status = 500
    book2 = AlertBook.from_workspace(workspace, router=Router(
        {"model": [WebhookSink(receiver.url)]}, retries=0))  # fmt: skip
    (r2,) = book2.raise_alerts(found("realized.auroc", "model", 0.5), now=T0)
    assert r2.alert.last_error == "webhook:slack: HTTPStatusError"


def test_routes_config(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PD_KEY", "k123")
    router = parse_routes({"retries": 1, "routes": {
        "sre": [{"type": "webhook", "url": "https://events.example.org/v2/enqueue",
                 "format": "pagerduty", "routing_key_env": "PD_KEY"}, {"type": "store"}],
        "model": [{"type": "email", "host": "localhost", "sender": "w@example.org",
                   "to": ["ml@example.org"]}],
    }})  # fmt: skip
    (pd, store) = router.sinks("sre")
    assert isinstance(pd, WebhookSink)
    assert pd.routing_key == "k123"
    assert isinstance(store, StoreSink)
    assert router.retries == 1
    assert router.sinks("data-feed") == ()
    with pytest.raises(ConfigError, match=r"field routes\.sre\.0\.url"):
        parse_routes({"routes": {"sre": [{"type": "webhook", "url": "ftp://x"}]}}, "r.yaml")
    with pytest.raises(ConfigError, match="NOPE in the environment"):
        parse_routes({"routes": {"sre": [{"type": "webhook", "url": "https://x",
                      "format": "pagerduty", "routing_key_env": "NOPE"}]}})  # fmt: skip
    with pytest.raises(ConfigError, match="needs a routing key"):
        parse_routes({"routes": {"sre": [{"type": "webhook", "url": "https://x",
                                          "format": "pagerduty"}]}})  # fmt: skip
    assert routes_for_workspace(workspace) is None
    Path(workspace.root / "alert_routes.yaml").write_text(
        "routes:\n  model:\n    - {type: store}\n"
    )
    found_router = routes_for_workspace(workspace)
    assert found_router is not None
    assert len(found_router.sinks("model")) == 1
