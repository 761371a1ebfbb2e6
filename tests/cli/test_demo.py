"""``wardwatch demo``: the whole pipeline on synthetic data, as ``make demo`` runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wardwatch.cli._demo_dashboard import dashboard_server, pick_port
from wardwatch.core.workspace import open_workspace
from wardwatch.web._access import NAV, PAGE_ROLES

# both tests read the one demo run: keep them in one test process
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


@dataclass(frozen=True)
class DemoRun:
    ws: Path
    out: dict[str, Any]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    ws = tmp_path_factory.mktemp("demo") / "demo"
    out = subprocess.run(
        [sys.executable, "-m", "wardwatch", "demo", "--workspace", str(ws), "--patients", "800",
         "--json"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return DemoRun(ws, json.loads(out.stdout))


@pytest.mark.timeout(900)
def test_demo_runs_every_stage_and_says_where_things_are(demo_run: DemoRun) -> None:
    ws, d = demo_run.ws, demo_run.out
    assert "dashboard" not in d  # --json does not stay serving
    assert d["reingest_records_in"] == 0
    assert d["quality"]["clean feed"]["verdict"] == "pass"
    assert d["quality"]["all feeds"]["verdict"] == "fail"
    assert d["features"]["index_events"] > 200
    assert d["leakage"]["verdict"] == "pass"
    assert d["train"]["best_model"] in ("logreg", "lgbm")
    assert d["train"]["split"]["patient_overlap"] == 0
    assert Path(d["evaluation"]["report"]).is_file()
    assert d["evaluation"]["auroc"] is not None
    reg = d["registry"]
    assert reg["version"] == 1
    assert reg["default_gates"] in ("pass", "fail")
    assert reg["pilot_gates"] in ("pass", "fail")
    assert (reg["champion"] == 1) == (reg["pilot_gates"] == "pass")
    assert reg["evidence"]["verified"] is True
    assert reg["evidence"]["audit_events"] >= 4
    assert Path(reg["evidence"]["path"]).is_file()
    assert Path(reg["card"]["xml"]).is_file()
    if reg["champion"]:
        assert d["serve"]["rest"]["status"] == 200
        assert len(d["serve"]["rest"]["predictions"]) == 3
        assert d["serve"]["cds"]["status"] == 200
        assert d["serve"]["cds"]["card"]["indicator"] in ("info", "warning", "critical")
        assert d["serve"]["metrics_predictions"] == 4
        mon = d["monitor"]
        assert mon["glucose_switched"] > 0
        assert mon["replayed"]["rows"] > 0
        windows = mon["monitoring"]["windows"]
        assert len(windows) == 7
        # the silent unit switch from January 2026 (the fifth quarter) pages the data feed
        switched = [a for w in windows[4:] for a in w["alerts"] if a["owner"] == "data-feed"]
        assert any("glucose_last" in a["scope"] for a in switched)
        rollback = mon["monitoring"]["rollback"]
        assert rollback["triggered"] is True
        assert rollback["action"] == "recommend"
    assert d["llm"]["summary"]["sentences"] > 0
    assert d["llm"]["summary"]["uncited"] == 0
    assert d["llm"]["eval"]["passed"] is True
    assert Path(d["llm"]["eval"]["html"]).is_file()
    assert d["audit"]["ok"] is True
    assert d["audit"]["events_checked"] >= 15
    for path in (d["where"]["reports"], d["where"]["lake"]):
        assert Path(path).is_dir()
    # the next person can pick up where the demo stopped
    again = subprocess.run(
        [sys.executable, "-m", "wardwatch", "evaluate", "-w", str(ws), "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]


@pytest.mark.timeout(600)
def test_the_dashboard_shows_the_demo_to_every_role(demo_run: DemoRun) -> None:
    """What `make demo` leaves running: the service with its dashboard on the demo's data
    (with or without a champion); every demo person signs in and opens every page (or is
    refused the ones their role may not open), and no page fails on real data."""
    usecase = demo_run.out["train"]["usecase"]
    ws = open_workspace(demo_run.ws)
    server, url = dashboard_server(ws, usecase, port=pick_port("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = url.removesuffix("/ui/")
    try:
        for _ in range(600):
            if server.started:
                break
            thread.join(0.1)
        people = json.loads((ws.state_dir / "demo-keys.json").read_text())
        pages = [item.href for item in NAV] + [
            f"/ui/models/{usecase}/1",
            f"/ui/monitoring/{usecase}",
        ]
        for name, person in people.items():
            with httpx.Client(base_url=base, timeout=60) as c:
                form = c.get("/ui/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token
                r = c.post("/ui/login", data={"api_key": person["api_key"],
                                              "csrf_token": token.group(1)})  # fmt: skip
                assert r.status_code == 303, (name, r.text[:300])
                for path in pages:
                    segment = path.split("/")[2]  # "" for the overview
                    key = {"": "overview", "models": "version"}.get(segment, segment)
                    page_ok = person["role"] in PAGE_ROLES[key]
                    got = c.get(path, follow_redirects=True)  # /ui/monitoring: its model
                    assert got.status_code == (200 if page_ok else 403), (name, path)
                    assert "Traceback" not in got.text
    finally:
        server.should_exit = True
        thread.join(60)
