"""The audit page: events as the store holds them (compared with ``AuditLog.events``), the
filters, paging, and the chain's verification, intact on ``dash`` and broken on a tampered
copy of its store."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from lxml import html as lxml_html
from tests.serve.conftest import Served, start_server, stop_server
from tests.web.conftest import Dash, client, login, shot

from wardwatch.audit import AuditLog, drop_protection
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace, open_workspace
from wardwatch.web._access import PAGE_ROLES
from wardwatch.web._audit_data import PAGE_SIZE

pytestmark = pytest.mark.xdist_group("web")


def _events(ws: Workspace, **filters: Any) -> list[int]:
    """Seqs of the events ``AuditLog.events`` returns, newest first."""
    log = AuditLog.from_workspace(ws)
    try:
        return [e.seq for e in log.events(newest_first=True, **filters)]
    finally:
        log.store.dispose()


def _seqs(r: httpx.Response) -> list[int]:
    doc = lxml_html.fromstring(r.text) if r.text.lstrip().startswith("<!") else None
    if doc is None:  # an htmx fragment: table rows
        doc = lxml_html.fromstring(f"<table><tbody>{r.text}</tbody></table>")
    return [int(tr.get("data-seq")) for tr in doc.xpath("//tr[@data-seq]")]


@pytest.mark.parametrize("role", ["viewer", "clinician", "ml-engineer", "approver", "admin"])
def test_roles_open_the_audit_page_as_page_roles_say(server, dash: Dash, role: str) -> None:
    with closing(client(server, dash.key(role))) as c:
        r = c.get("/ui/audit")
    if role in PAGE_ROLES["audit"]:
        assert r.status_code == 200
        assert "Chain verification" in r.text
        assert _seqs(r)
    else:
        assert role == "clinician"
        assert r.status_code == 403
        assert "Chain verification" not in r.text


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({"actor": "ann"}, {"actor": "ann"}),
        ({"action": "registry."}, {"action": "registry."}),
        ({"action": "registry.approve"}, {"action": "registry.approve"}),
        ({"actor": "eve", "action": "registry."}, {"actor": "eve", "action": "registry."}),
        ({"action": "ui."}, {"action": "ui."}),
        ({"actor": "nobody-at-all"}, {"actor": "nobody-at-all"}),
    ],
)
def test_filters_list_exactly_the_events_the_log_returns(
    server, dash: Dash, params: dict[str, str], filters: dict[str, str]
) -> None:
    with closing(client(server, dash.key("approver"))) as c:
        r = c.get("/ui/audit", params=params)
    assert r.status_code == 200
    expected = _events(dash.ws, **filters)[:PAGE_SIZE]
    assert _seqs(r) == expected
    if not expected:
        assert "No events match these filters." in r.text


def test_a_date_range_keeps_the_events_of_those_utc_days(server, dash: Dash) -> None:
    today = datetime.now(UTC).date()
    with closing(client(server, dash.key("admin"))) as c:
        r = c.get("/ui/audit", params={"since": today.isoformat(), "until": today.isoformat(),
                                       "action": "registry."})  # fmt: skip
        past = c.get("/ui/audit", params={"until": "2001-01-01"})
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    log = AuditLog.from_workspace(dash.ws)
    try:
        expected = [
            e.seq
            for e in log.events(since=midnight, action="registry.", newest_first=True)
            if e.at < midnight + timedelta(days=1)
        ]
    finally:
        log.store.dispose()
    assert expected
    assert _seqs(r) == expected[:PAGE_SIZE]
    assert _seqs(past) == []


def test_pages_of_fifty_load_more_in_place(server, dash: Dash) -> None:
    while len(_events(dash.ws)) <= 2 * PAGE_SIZE:  # sign-ins are events: make two pages
        client(server, dash.key("viewer")).close()
    with closing(client(server, dash.key("viewer"))) as c:
        first = c.get("/ui/audit")
        expected = _events(dash.ws)
        assert len(expected) > PAGE_SIZE
        assert _seqs(first) == expected[:PAGE_SIZE]
        more = re.search(r'hx-get="([^"]+)"', first.text)
        assert more is not None
        url = more.group(1).replace("&amp;", "&")
        assert url == f"/ui/audit?before={expected[PAGE_SIZE - 1]}"
        fragment = c.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert _seqs(fragment) == expected[PAGE_SIZE : 2 * PAGE_SIZE]
        plain = c.get(url)
        assert "<html" in plain.text
        assert _seqs(plain) == expected[PAGE_SIZE : 2 * PAGE_SIZE]


def test_payloads_expand_to_json_and_carry_no_raw_patient_ids(server, dash: Dash) -> None:
    with closing(client(server, dash.key("clinician"))) as c:  # leaves a ui.triage.identify event
        c.get("/ui/triage", params={"q": dash.patient})
    with closing(client(server, dash.key("admin"))) as c:
        r = c.get("/ui/audit", params={"action": "ui.triage.identify"})
    assert r.status_code == 200
    doc = lxml_html.fromstring(r.text)
    assert doc.xpath("//tr[@data-seq]//details/pre")
    assert "&#34;patient&#34;: &#34;pt_" in r.text or '"patient": "pt_' in r.text
    assert dash.patient not in r.text
    assert re.search(r"pt-[0-9a-f]{10}", r.text) is None


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"until": "2026-13-40"},
        {"since": "2026-02-02", "until": "2026-01-01"},
        {"action": "Registry.<b>"},
        {"subject": "patient:12345"},
        {"actor": "a" * 300},
        {"before": "-3"},
    ],
)
def test_bad_filters_get_a_clean_400_page(server, dash: Dash, params: dict[str, str]) -> None:
    with closing(client(server, dash.key("viewer"))) as c:
        r = c.get("/ui/audit", params=params)
    assert r.status_code == 400
    assert "Cannot show this page" in r.text
    assert "<b>" not in r.text.split("<main", 1)[1]


def test_the_chain_status_says_verified(server, dash: Dash) -> None:
    with closing(client(server, dash.key("ml-engineer"))) as c:
        r = c.get("/ui/audit")
    doc = lxml_html.fromstring(r.text)
    section = doc.xpath('//*[@data-testid="chain"]')[0].text_content()
    assert "verified" in section
    status = doc.xpath('//*[@data-testid="chain-status"]')[0].text_content()
    assert re.search(r"Verified \d+ events and \d+ signed checkpoints; head seq \d+", status)


# -- a tampered copy of the store ----------------------------------------------------------


@dataclass(frozen=True)
class Tampered:
    ws: Workspace
    served: Served
    seq: int


@pytest.fixture(scope="module")
def tampered(dash: Dash, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tampered]:
    """``dash.ws`` copied, and one audit event's payload (the approval of version 1) edited
    in SQLite behind the log's back; a server on the copy."""
    root = tmp_path_factory.mktemp("audit-copy") / "ws"
    shutil.copytree(dash.ws.root, root)
    for db in ("wardwatch.db", "mlflow.db"):  # a consistent snapshot of each SQLite file
        src, dst = (
            sqlite3.connect(dash.ws.state_dir / db),
            sqlite3.connect(root / ".wardwatch" / db),
        )
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
    ws = open_workspace(root)
    (seq,) = _events(ws, action="registry.approve")[-1:]
    store = Store(ws.store_url)
    try:
        with store.begin() as conn:
            drop_protection(conn)
            conn.exec_driver_sql(
                "UPDATE audit_events SET payload = ? WHERE seq = ?",
                ('{"comment":"approved without evidence"}', seq),
            )
    finally:
        store.dispose()
    served = start_server(ws, tmp_path_factory.mktemp("audit-copy-log") / "server.log")
    try:
        yield Tampered(ws, served, seq)
    finally:
        stop_server(served)


def test_a_tampered_store_shows_broken_at_the_first_bad_seq(tampered: Tampered, dash: Dash) -> None:
    log = AuditLog.from_workspace(tampered.ws)
    try:
        assert log.verify().first_bad_seq == tampered.seq  # the oracle
    finally:
        log.store.dispose()
    with closing(client(tampered.served, dash.key("admin"))) as c:
        r = c.get("/ui/audit")
    assert r.status_code == 200
    doc = lxml_html.fromstring(r.text)
    assert doc.xpath('//*[@data-testid="chain"]//span[contains(@class, "badge")]')[0].text == (
        "broken"
    )
    status = doc.xpath('//*[@data-testid="chain-status"]')[0]
    assert status.get("data-first-bad") == str(tampered.seq)
    assert f"Broken at event seq {tampered.seq}" in status.text_content()
    assert "payload changed" in status.text_content()


# -- in a browser --------------------------------------------------------------------------


def test_admin_filters_the_audit_log_by_stage_in_the_browser(server, dash: Dash, page) -> None:
    login(page, server, dash.key("admin"), next_url="/ui/audit")
    page.get_by_label("Action").fill("registry.")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/ui/audit?*action=registry.*")
    rows = page.locator("table[data-testid=events] tr[data-seq]")
    assert rows.count() == len(_events(dash.ws, action="registry.")[:PAGE_SIZE])
    actions = page.locator(
        "table[data-testid=events] tr[data-seq] td:nth-child(4)"
    ).all_inner_texts()
    assert actions
    assert all(a.startswith("registry.") for a in actions)
    first = rows.first.locator("details")
    first.locator("summary").click()
    assert first.locator("pre").is_visible()
    assert page.get_by_test_id("chain").get_by_text("verified", exact=True).is_visible()
    shot(page, "audit-admin")
