"""The overview: every model with champion and challenger, gate status, monitoring verdict,
active alerts by owner, and the latest data gate; numbers checked against the store."""

from __future__ import annotations

import re
from collections import Counter

import orjson
import pytest
from tests.registry.conftest import USECASE
from tests.serve.conftest import Served
from tests.web.conftest import Dash, client

from wardwatch.audit import AuditLog
from wardwatch.monitor.alerts import AlertBook
from wardwatch.registry import Registry

pytestmark = pytest.mark.xdist_group("web")


def _row(html: str, model: str) -> str:
    m = re.search(rf"<tr>\s*<td><strong>{re.escape(model)}</strong>.*?</tr>", html, re.S)
    assert m, f"no row for {model}"
    return m.group(0)


def test_the_model_row_says_what_the_registry_and_the_alert_book_say(
    server: Served, dash: Dash
) -> None:
    html = client(server, dash.key("viewer")).get("/ui/").text
    row = _row(html, USECASE)
    reg = Registry.from_workspace(dash.ws)
    try:
        aliases = reg.alias_versions(USECASE)
    finally:
        reg.close()
    assert f'href="/ui/models/{USECASE}/{aliases["champion"]}"' in row
    assert "gates pass" in row
    assert aliases["challenger"] is None
    assert re.search(r"<td><span class=\"muted\">none</span></td>", row)  # no challenger
    audit = AuditLog.from_workspace(dash.ws)
    try:
        active = AlertBook(audit.store, audit).list(status="active", model=USECASE)
    finally:
        audit.store.dispose()
    cell = re.search(r'<td class="num">(\d+)', row)
    assert cell
    assert int(cell.group(1)) == len(active)
    assert ("alerting" in row) == bool(active)
    for owner, n in Counter(a.owner for a in active).items():
        assert f"{owner} {n}" in row


def test_the_data_gate_is_the_newest_report(server: Served, dash: Dash) -> None:
    html = client(server, dash.key("viewer")).get("/ui/").text
    reports = [orjson.loads(p.read_bytes()) for p in dash.ws.reports_dir.glob("quality*.json")]
    newest = max(reports, key=lambda d: str(d.get("started_at")))
    gate = re.search(r"Latest quality gate: <span class=\"badge (\w+)\">", html)
    assert gate
    assert gate.group(1) == newest["verdict"]
    assert f"{newest['summary']['checks_failed']} of {newest['summary']['checks_run']}" in html


def test_the_clinician_sees_the_overview_without_monitoring_links(
    server: Served, dash: Dash
) -> None:
    html = client(server, dash.key("clinician")).get("/ui/").text
    assert USECASE in html
    assert "/ui/monitoring" not in html
    assert "/ui/quality" not in html
