"""The dashboard mounted on the scoring service's FastAPI app under ``/ui``.

:func:`mount_ui` adds the login and logout routes, the pages (``wardwatch.web.pages``), the
package's static files (``/ui/static``: the stylesheet, htmx and Chart.js, no CDN) and the
error pages to an app made by :func:`wardwatch.serve.build_app`; it reads the same registry
and store as the service. :func:`build_web_app` does both.
"""

from __future__ import annotations

import posixpath
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from wardwatch.core.workspace import Workspace
from wardwatch.registry import AuthError, active_identity
from wardwatch.serve import ServeSettings, build_app
from wardwatch.web._context import UI, LoginRequiredError, UIError, checked_form, signed_in, ui
from wardwatch.web._render import render
from wardwatch.web._session import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SessionSigner,
    tokens_match,
)

__all__ = ["build_web_app", "mount_ui"]

STATIC = Path(__file__).parent / "static"


def _safe_next(value: str | None) -> str:
    """A redirect target inside the dashboard (anything else becomes the overview)."""
    target = unquote(value or "")
    if not target.startswith("/ui/") or "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/ui/"
    path, sep, query = target.partition("?")
    normal = posixpath.normpath(path) + ("/" if path.endswith("/") else "")
    if not normal.startswith("/ui/") or normal.startswith("//"):
        return "/ui/"
    return normal + sep + query


def _login_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"login_token": token, "next": _safe_next(request.query_params.get("next")),
         "error": error},
        session=None,
        status_code=status,
    )  # fmt: skip
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=600, path="/ui", httponly=True, samesite="strict",
        secure=ui(request).secure_cookies,
    )  # fmt: skip
    return response


def _auth_router() -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    @router.get("/login")
    def login_form(request: Request) -> Response:
        return _login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        key, token = form.get("api_key"), form.get(CSRF_FIELD)
        if not isinstance(key, str) or not isinstance(token, str):
            return _login_page(request, error="Enter your API key.", status=400)
        if not tokens_match(request.cookies.get(LOGIN_COOKIE), token):
            return _login_page(request, error="The form expired; try again.", status=403)
        state = ui(request)
        try:
            from wardwatch.registry import authenticate

            identity = authenticate(state.store, key.strip())
        except AuthError:
            state.audit.append("anonymous", "ui.login_failed", "ui", {})
            return _login_page(request, error="That API key is not valid.", status=401)
        value, _ = state.signer.issue(identity)
        state.audit.append(identity.name, "ui.login", "ui", {"role": identity.role})
        nxt = form.get("next")
        response = RedirectResponse(_safe_next(nxt if isinstance(nxt, str) else None), 303)
        response.set_cookie(
            SESSION_COOKIE, value, max_age=state.signer.max_age_s, path="/ui", httponly=True,
            samesite="strict", secure=state.secure_cookies,
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path="/ui")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        session = signed_in(request)
        await checked_form(request, session)
        response = RedirectResponse("/ui/login", 303)
        response.delete_cookie(SESSION_COOKIE, path="/ui")
        return response

    return router


def mount_ui(app: FastAPI) -> FastAPI:
    """Add the dashboard to ``app`` (made by :func:`wardwatch.serve.build_app`)."""
    from wardwatch.web.pages import routers

    service: Any = app.state.service
    registry = service.registry
    app.state.ui = UI(
        ws=service.ws,
        registry=registry,
        signer=SessionSigner(service.secret, lambda kid: active_identity(registry.store, kid)),
        secure_cookies=str(service.settings.public_url).startswith("https://"),
    )
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(_auth_router())
    for router in routers():
        app.include_router(router)

    @app.get("/ui", include_in_schema=False)
    def ui_root() -> Response:
        return RedirectResponse("/ui/", 307)

    @app.api_route("/ui/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    def not_found(request: Request, rest: str) -> Response:
        signed_in(request)
        raise UIError(404, "there is no such page")

    @app.exception_handler(LoginRequiredError)
    async def to_login(request: Request, exc: LoginRequiredError) -> Response:
        target = f"/ui/login?next={exc.next_url}"
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, 303)

    @app.exception_handler(UIError)
    async def ui_error(request: Request, exc: UIError) -> Response:
        session = ui(request).signer.read(request.cookies.get(SESSION_COOKIE))
        return render(
            request, "error.html", {"status": exc.status, "message": exc.message},
            session=session, status_code=exc.status,
        )  # fmt: skip

    del not_found, ui_root, to_login, ui_error  # registered on the app
    return app


def build_web_app(ws: Workspace, settings: ServeSettings) -> FastAPI:
    """The scoring service for ``settings.models`` with the dashboard under ``/ui``."""
    app: FastAPI = build_app(ws, settings)  # type: ignore[assignment]
    return mount_ui(app)


def app_from_env() -> FastAPI:
    """The app described by ``WARDWATCH_SERVE_SPEC`` with the dashboard (uvicorn workers)."""
    from wardwatch.serve._factory import app_from_env as service_from_env

    app: FastAPI = service_from_env()
    return mount_ui(app)
