"""Rendering pages: the Jinja2 environment, the common context and the response headers.

Every page extends ``base.html`` and gets ``session`` (None on the login page), ``csrf``,
``nav`` (the entries the role may open), ``can(action)`` and ``page`` (the current nav
entry). Responses are never cached (pages may show identifiers) and carry a strict
Content-Security-Policy: scripts only from the package's own static files, no frames.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from wardwatch.web._access import can, nav_for
from wardwatch.web._session import Session

__all__ = ["SECURITY_HEADERS", "environment", "render"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(value: Any) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM UTC`` ('' for None; text passes through)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # naive timestamps are UTC by the store's convention
            value = value.astimezone(UTC)
        return str(value.strftime("%Y-%m-%d %H:%M UTC"))
    return str(value)


def _finite(value: Any) -> float | None:
    """``value`` as a float; None for None, NaN or what is not a number."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if x != x else x


def _num(value: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals ('—' for None or NaN; text passes through)."""
    x = _finite(value)
    if x is None:
        return "—" if value is None or isinstance(value, float | int) else str(value)
    return f"{x:.{digits}f}"


def _pct(value: Any, digits: int = 1) -> str:
    """A share as a percentage ('—' for None or NaN; text passes through)."""
    x = _finite(value)
    if x is None:
        return "—" if value is None or isinstance(value, float | int) else str(value)
    return f"{100 * x:.{digits}f}%"


def environment() -> Environment:
    """The templates of ``wardwatch/web/templates`` with HTML autoescaping."""
    env = Environment(
        loader=PackageLoader("wardwatch.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


_ENV = environment()


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    session: Session | None,
    page: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` rendered with the common context (see the module docstring)."""
    role = session.role if session else ""
    values: dict[str, Any] = {
        "request": request,
        "session": session,
        "csrf": session.csrf if session else "",
        "nav": nav_for(role) if session else [],
        "page": page,
        "can": lambda what: bool(session) and can(role, what),
        "htmx": request.headers.get("hx-request") == "true",
        **(context or {}),
    }
    html = _ENV.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
