"""What every dashboard route needs: the workspace, the registry, the store and the signed-in
person, and the errors a page answers with.

:func:`signed_in` is the dependency of every page: no valid session means a redirect to the
login page (an ``HX-Redirect`` for htmx requests); a role that may not open the page gets a
403 page naming the roles that may. :func:`checked_form` also verifies the CSRF token and the
request's origin for state-changing requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request

from wardwatch.core.workspace import Workspace
from wardwatch.registry import Registry
from wardwatch.web._access import PAGE_ROLES, can
from wardwatch.web._session import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Session,
    SessionSigner,
    same_origin,
    tokens_match,
)

if TYPE_CHECKING:
    from wardwatch.core.store import Store

__all__ = ["UI", "LoginRequiredError", "UIError", "checked_form", "signed_in", "ui"]


@dataclass(frozen=True)
class UI:
    """The dashboard's handles, shared by every request (on ``app.state.ui``)."""

    ws: Workspace
    registry: Registry
    signer: SessionSigner
    secure_cookies: bool

    @property
    def store(self) -> Store:
        return self.registry.store

    @property
    def audit(self) -> Any:
        return self.registry.audit


class UIError(Exception):
    """A page that cannot be shown: rendered as an error page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequiredError(Exception):
    """No valid session: the login page, then back to ``next``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def ui(request: Request) -> UI:
    state: UI = request.app.state.ui
    return state


def _next_of(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return quote(path, safe="/?=&")


def signed_in(request: Request, page: str | None = None) -> Session:
    """The session of the request, allowed to open ``page`` (see the module docstring)."""
    session = ui(request).signer.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequiredError(_next_of(request))
    if page is not None and not can(session.role, page):
        roles = ", ".join(sorted(PAGE_ROLES.get(page, ())))
        raise UIError(403, f"the {session.role} role may not open this page (roles: {roles})")
    return session


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    """The submitted form of a state-changing request, after the CSRF and origin checks
    (403 otherwise). Only text fields are returned; files are refused."""
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise UIError(400, f"field {key[:40]}: expected text, found a file")
        values[key] = value
    token = values.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER)
    if not same_origin(request):
        raise UIError(403, "refused: the request came from another site")
    if not tokens_match(session.csrf, token):
        raise UIError(403, "refused: the form's security token is missing or out of date; reload")
    return values
