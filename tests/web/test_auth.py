"""Signing in to the dashboard: API key -> signed session cookie, CSRF on every form, the
origin check, revocation, role-based navigation, security headers and offline assets,
against a real ``wardwatch serve`` on loopback."""

from __future__ import annotations

import re
import time
from http.cookies import SimpleCookie

import httpx
import pytest
from tests.serve.conftest import Served
from tests.web.conftest import Dash, client, csrf_of

from wardwatch.audit import AuditLog
from wardwatch.registry import Registry, authenticate, create_identity, revoke_identity
from wardwatch.web._access import NAV, PAGE_ROLES

pytestmark = pytest.mark.xdist_group("web")


def _cookie(response: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the ``Set-Cookie`` header for ``name`` (lower-cased keys)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            attrs = {k.lower(): str(v) for k, v in morsel.items() if v}
            attrs["value"] = morsel.value
            attrs["raw"] = header
            return attrs
    raise AssertionError(f"no Set-Cookie for {name}")


def _events(dash: Dash, action: str) -> list[dict[str, object]]:
    log = AuditLog.from_workspace(dash.ws)
    try:
        return [{"actor": e.actor, "action": e.action} for e in log.events(action=action)]
    finally:
        log.store.dispose()


def test_a_page_without_a_session_sends_the_browser_to_the_login_page(server: Served) -> None:
    with httpx.Client(base_url=server.url) as c:
        r = c.get("/ui/monitoring?x=1")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/ui/login?next=/ui/monitoring")
        hx = c.get("/ui/", headers={"HX-Request": "true"})
        assert hx.status_code == 204
        assert hx.headers["HX-Redirect"].startswith("/ui/login")


def test_login_sets_a_signed_httponly_strict_cookie_without_the_key(
    server: Served, dash: Dash
) -> None:
    key = dash.key("viewer")
    with httpx.Client(base_url=server.url) as c:
        form = c.get("/ui/login")
        assert form.status_code == 200
        pre = _cookie(form, "ww_login")
        assert "httponly" in pre["raw"].lower()
        assert pre["samesite"].lower() == "strict"
        r = c.post("/ui/login", data={"api_key": key, "csrf_token": csrf_of(form.text),
                                      "next": "/ui/audit"})  # fmt: skip
        assert r.status_code == 303
        assert r.headers["location"] == "/ui/audit"
        cookie = _cookie(r, "ww_session")
        assert "httponly" in cookie["raw"].lower()
        assert cookie["samesite"].lower() == "strict"
        assert cookie["path"] == "/ui"
        assert key not in cookie["value"]
        assert key.split("_")[2] not in cookie["value"]
        assert c.get("/ui/").status_code == 200
    assert any(e["actor"] == "val" for e in _events(dash, "ui.login"))


@pytest.mark.parametrize(
    ("key", "token", "status", "message"),
    [
        ("ww_000000000000_" + "a" * 43, None, 401, "not valid"),
        ("not-a-key", None, 401, "not valid"),
        ("", None, 401, "not valid"),
        ("VIEWER", "wrong-token", 403, "expired"),
    ],
)
def test_a_bad_key_or_token_signs_nobody_in(server: Served, dash: Dash, key: str, token: str | None,
                                            status: int, message: str) -> None:  # fmt: skip
    key = dash.key("viewer") if key == "VIEWER" else key
    with httpx.Client(base_url=server.url) as c:
        form = c.get("/ui/login")
        r = c.post("/ui/login", data={"api_key": key, "csrf_token": token or csrf_of(form.text)})
        assert r.status_code == status
        assert message in r.text
        assert "ww_session" not in r.headers.get("set-cookie", "")
        assert c.get("/ui/").status_code == 303


def test_the_login_redirect_stays_inside_the_dashboard(server: Served, dash: Dash) -> None:
    for target in ("https://evil.example/", "//evil.example/ui/", "/ui/../../v1/models",
                   "/ui/\\evil"):  # fmt: skip
        with httpx.Client(base_url=server.url) as c:
            form = c.get("/ui/login")
            r = c.post("/ui/login", data={"api_key": dash.key("viewer"), "next": target,
                                          "csrf_token": csrf_of(form.text)})  # fmt: skip
            assert r.status_code == 303
            assert r.headers["location"] == "/ui/", target


def test_a_tampered_cookie_is_no_session(server: Served, dash: Dash) -> None:
    c = client(server, dash.key("admin"))
    value = c.cookies["ww_session"]
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    c.cookies.clear()
    c.cookies.set("ww_session", forged, path="/ui")
    assert c.get("/ui/").status_code == 303


def test_logout_needs_the_token_and_ends_the_session(server: Served, dash: Dash) -> None:
    c = client(server, dash.key("viewer"))
    page = c.get("/ui/")
    assert c.post("/ui/logout").status_code == 403
    assert c.post("/ui/logout", data={"csrf_token": "x" * 43}).status_code == 403
    evil = c.post("/ui/logout", data={"csrf_token": csrf_of(page.text)},
                  headers={"Origin": "http://evil.example"})  # fmt: skip
    assert evil.status_code == 403
    assert "another site" in evil.text
    assert c.get("/ui/").status_code == 200  # still signed in
    out = c.post("/ui/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/ui/login"
    assert c.get("/ui/").status_code == 303


def test_revoking_the_key_ends_its_sessions(server: Served, dash: Dash) -> None:
    reg = Registry.from_workspace(dash.ws)
    try:
        admin = authenticate(reg.store, dash.key("admin"))
        key_id, key = create_identity(reg.store, "temp", "viewer", by=admin, audit=reg.audit)
        c = client(server, key)
        assert c.get("/ui/").status_code == 200
        revoke_identity(reg.store, key_id, by=admin, audit=reg.audit)
    finally:
        reg.close()
    time.sleep(5.5)  # the session's identity cache lives 5 s
    assert c.get("/ui/").status_code == 303


@pytest.mark.parametrize("role", sorted({r for roles in PAGE_ROLES.values() for r in roles}))
def test_each_role_sees_the_pages_it_may_open(server: Served, dash: Dash, role: str) -> None:
    c = client(server, dash.key(role))
    html = c.get("/ui/").text
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav
    shown = set(re.findall(r'href="(/ui/[^"]*)"', nav.group(1)))
    expected = {item.href for item in NAV if role in PAGE_ROLES[item.page]}
    assert shown == expected
    for item in NAV:
        r = c.get(item.href, follow_redirects=True)  # /ui/monitoring -> its one model
        assert r.status_code == (200 if role in PAGE_ROLES[item.page] else 403), item.href
        assert "Traceback" not in r.text


def test_a_key_scoped_to_other_models_sees_none_of_them(server: Served, dash: Dash) -> None:
    reg = Registry.from_workspace(dash.ws)
    try:
        admin = authenticate(reg.store, dash.key("admin"))
        _, key = create_identity(reg.store, "scoped", "viewer", by=admin, audit=reg.audit,
                                 models=["some-other-model"])  # fmt: skip
    finally:
        reg.close()
    html = client(server, key).get("/ui/").text
    assert "test-readmission" not in html
    assert "No models are registered yet" in html or "no models" in html.lower()


def test_pages_carry_security_headers_and_load_nothing_from_elsewhere(
    server: Served, dash: Dash
) -> None:
    c = client(server, dash.key("viewer"))
    r = c.get("/ui/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert assets
    assert all(a.startswith(("/", "#")) for a in assets), assets
    assert "<script>" not in r.text  # no inline script: the CSP would block it
    for path in re.findall(r'src="(/ui/static/[^"]+)"', r.text):
        js = c.get(path)
        assert js.status_code == 200
        assert "javascript" in js.headers["content-type"]


def test_an_unknown_page_is_a_404_page_not_json(server: Served, dash: Dash) -> None:
    c = client(server, dash.key("viewer"))
    r = c.get("/ui/no/such/page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "no such page" in r.text
