"""Routing config: which sinks page each owner, from YAML.

    retries: 2            # extra tries per sink, backoff_s doubling between them
    backoff_s: 0.2
    routes:
      data-feed:
        - {type: webhook, url: "https://hooks.slack.com/services/...", format: slack}
        - {type: email, host: smtp.example.org, port: 587, starttls: true,
           sender: wardwatch@example.org, to: [lab-feeds@example.org],
           username: wardwatch, password_env: WARDWATCH_SMTP_PASSWORD}
      model:
        - {type: email, host: smtp.example.org, port: 25, sender: wardwatch@example.org,
           to: [ml-team@example.org]}
      sre:
        - {type: webhook, url: "https://events.pagerduty.com/v2/enqueue",
           format: pagerduty, routing_key_env: WARDWATCH_PD_ROUTING_KEY}

Secrets (SMTP passwords, PagerDuty routing keys) are named by environment variable
(``*_env``) so that they never sit in the file. The store always keeps every alert; a
``{type: store}`` entry only says so.

A workspace finds its routes at the path in ``[monitor] routes`` of ``wardwatch.toml`` when
the settings have that section, else at ``alert_routes.yaml`` in the workspace folder;
without either, alerts are kept in the store and page no one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wardwatch.core.workspace import Workspace
from wardwatch.errors import ConfigError
from wardwatch.monitor._observation import Owner
from wardwatch.monitor.alerts._sinks import EmailSink, Router, Sink, StoreSink, WebhookSink

__all__ = ["ROUTES_FILE", "RoutesConfig", "load_routes", "parse_routes", "routes_for_workspace"]

ROUTES_FILE = "alert_routes.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookRoute(_Strict):
    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    format: Literal["slack", "pagerduty"] = "slack"
    routing_key: str | None = None
    routing_key_env: str | None = None
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class EmailRoute(_Strict):
    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")], ...] = Field(min_length=1)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=60)


class StoreRoute(_Strict):
    type: Literal["store"]


Route = Annotated[WebhookRoute | EmailRoute | StoreRoute, Field(discriminator="type")]


class RoutesConfig(_Strict):
    """The validated routing file."""

    retries: int = Field(default=2, ge=0, le=5)
    backoff_s: float = Field(default=0.2, ge=0, le=10)
    routes: dict[Owner, tuple[Route, ...]] = Field(default_factory=dict)


def _env(name: str | None, source: str, where: str) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError("a secret's environment variable is not set", record=source,
                          field=where, expected=f"{name} in the environment",
                          found="nothing")  # fmt: skip
    return value


def _sink(owner: Owner, route: WebhookRoute | EmailRoute | StoreRoute, source: str,
          where: str) -> Sink:  # fmt: skip
    if isinstance(route, WebhookRoute):
        key = route.routing_key or _env(route.routing_key_env, source, f"{where}.routing_key_env")
        try:
            return WebhookSink(route.url, route.format, key, route.timeout_s)
        except ConfigError as exc:
            raise ConfigError(exc.message, record=source, field=f"{where}.{exc.field}",
                              expected=exc.expected, found=exc.found) from None  # fmt: skip
    if isinstance(route, EmailRoute):
        return EmailSink(
            route.host,
            route.port,
            route.sender,
            {owner: route.to},
            starttls=route.starttls,
            username=route.username,
            password=_env(route.password_env, source, f"{where}.password_env"),
            timeout=route.timeout_s,
        )
    return StoreSink()


def _loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location without the discriminator tag it inserts after an index."""
    parts = [
        str(p)
        for i, p in enumerate(loc)
        if not (p in ("webhook", "email", "store") and i and isinstance(loc[i - 1], int))
    ]
    return ".".join(parts) or "(top)"


def parse_routes(data: Any, source: str = "routes") -> Router:
    """A :class:`Router` from a routing mapping; :class:`ConfigError` names the first bad
    field (``routes.sre.0.url``), what was expected and what was found."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError("invalid alert routes", record=source, expected="a mapping",
                          found=type(data).__name__)  # fmt: skip
    try:
        config = RoutesConfig.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        found = "nothing" if err["type"] == "missing" else repr(err.get("input"))[:60]
        raise ConfigError("invalid alert routes", record=source,
                          field=_loc(err["loc"]),
                          expected=err["msg"].removeprefix("Value error, "),
                          found=found) from None  # fmt: skip
    routes: dict[Owner, list[Sink]] = {}
    for owner, entries in config.routes.items():
        routes[owner] = [
            _sink(owner, r, source, f"routes.{owner}.{i}") for i, r in enumerate(entries)
        ]
    return Router(routes=routes, retries=config.retries, backoff=config.backoff_s)


def load_routes(path: Path | str) -> Router:
    """Read a routing YAML file into a :class:`Router`."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError("cannot read the alert routes", record=str(p),
                          found=exc.strerror or type(exc).__name__) from None  # fmt: skip
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "YAML error"
        raise ConfigError("alert routes are not valid YAML", record=str(p), found=first) from None
    return parse_routes(data, str(p))


def routes_for_workspace(ws: Workspace) -> Router | None:
    """The workspace's router (see the module doc), or None when it has no routes file."""
    section = getattr(ws.settings, "monitor", None)
    configured = getattr(section, "routes", None)
    if isinstance(configured, str) and configured:
        return load_routes(ws.resolve(configured))
    default = ws.root / ROUTES_FILE
    return load_routes(default) if default.exists() else None
