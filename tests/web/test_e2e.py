"""End to end in Debian's headless Chromium (Playwright): every role signs in through the
form and opens every page it may (screenshots of each), the navigation follows the role, a
page the role may not open is refused, and a workspace without data shows empty states,
never an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.registry.conftest import LENIENT, USECASE, Trained, make_people, stage
from tests.serve.conftest import Served, start_server, stop_server
from tests.web.conftest import Dash, login, shot

from wardwatch.core.workspace import init_workspace
from wardwatch.registry import Registry, parse_policy
from wardwatch.web._access import NAV, PAGE_ROLES

pytestmark = pytest.mark.xdist_group("web")

ROLES = ("admin", "ml-engineer", "approver", "viewer", "clinician")


def _no_error(pg: Any) -> None:
    heading = pg.locator("main h1").first.inner_text()
    assert heading not in ("Not found", "Not allowed", "Cannot show this page"), heading
    assert "Traceback" not in pg.content()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_and_opens_every_page_it_may(
    page: Any, server: Served, dash: Dash, role: str
) -> None:
    login(page, server, dash.key(role))
    assert role in page.get_by_test_id("who").inner_text()
    links = page.locator('nav[aria-label="Main"] a')
    shown = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert shown == [item.href for item in NAV if role in PAGE_ROLES[item.page]]
    shot(page, f"overview-{role}")
    for item in NAV:
        response = page.goto(f"{server.url}{item.href}")
        assert response is not None
        if role in PAGE_ROLES[item.page]:
            assert response.status == 200, item.href
            _no_error(page)
            if role == "admin":
                shot(page, f"{item.page}-admin")
        else:
            assert response.status == 403, item.href
            assert page.locator("main h1").inner_text() == "Not allowed"
    # signing out ends the session
    page.goto(f"{server.url}/ui/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/ui/login*")
    page.goto(f"{server.url}/ui/")
    assert "/ui/login" in page.url


def test_a_wrong_key_stays_on_the_login_page(page: Any, server: Served) -> None:
    page.goto(f"{server.url}/ui/login")
    page.fill("#api_key", "ww_000000000000_" + "x" * 43)
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "That API key is not valid."
    shot(page, "login-refused")


@pytest.fixture(scope="module")
def bare(
    trained: Trained, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, str]]:
    """A champion and nothing else: no quality run, no predictions, no monitoring."""
    ws = init_workspace(tmp_path_factory.mktemp("bare") / "ws")
    stage(trained, ws)
    reg = Registry.from_workspace(ws)
    try:
        people = make_people(reg.store, reg.audit)
        v = reg.register(USECASE, model="logreg", identity=people.engineer,
                         policy=parse_policy(LENIENT))  # fmt: skip
        reg.approve(USECASE, v.version, identity=people.approver, comment="ok")
        reg.promote(USECASE, v.version, identity=people.engineer, reason="first")
    finally:
        reg.close()
    for report in ws.reports_dir.glob("quality*.json"):  # registered; now no gate run shows
        report.unlink()
    served = start_server(ws, Path(str(tmp_path_factory.mktemp("bare-log"))) / "server.log")
    yield served, people.keys["ada"]
    stop_server(served)


def test_pages_without_data_show_empty_states(page: Any, bare: tuple[Served, str]) -> None:
    served, admin = bare
    login(page, served, admin)
    assert page.locator(".empty").count() >= 1  # the overview: no quality gate yet
    for path in ("/ui/quality", f"/ui/monitoring/{USECASE}", "/ui/triage"):
        response = page.goto(f"{served.url}{path}")
        assert response is not None
        assert response.status == 200, path
        _no_error(page)
        assert page.locator(".empty").count() >= 1, path
        shot(page, "empty-" + path.strip("/").replace("/", "-"))


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080), (2560, 1440)])
def test_pages_fit_laptop_and_wall_monitor_screens(
    browser: Any, server: Served, dash: Dash, width: int, height: int
) -> None:
    """No page scrolls sideways at laptop or wall-monitor sizes (wide tables scroll inside
    their own box), and text scales up on a wall monitor."""
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        pg = context.new_page()
        login(pg, server, dash.key("admin"))
        for item in NAV:
            pg.goto(f"{server.url}{item.href}")
            overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (item.href, width, overflow)
        pg.goto(f"{server.url}/ui/")
        size = pg.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert size == (19 if width >= 1920 else 15)
        shot(pg, f"overview-{width}x{height}")
    finally:
        context.close()
