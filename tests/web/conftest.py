"""A dashboard workspace with every page's data, a real ``wardwatch serve`` on loopback, and
Debian's headless Chromium driven by Playwright.

``dash`` (once per test process; every web test is in the ``web`` xdist group, so one
process builds it): the small use case's logistic regression registered, approved and
champion, LightGBM registered and waiting for approval; a tiny synthetic hospital ingested
and its quality gate run twice (with injected defects, then without); six weeks of
discharges scored into the prediction log with sodium sent in mol/L from week 4 and weekly
monitoring over them (drift observations and open alerts); people in every role.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from tests.monitor.conftest import START, deployment_frame
from tests.registry.conftest import LENIENT, USECASE, Trained, make_people, stage
from tests.registry.conftest import trained as trained
from tests.serve.conftest import Served, start_server, stop_server

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.ingest import ingest as run_ingest
from wardwatch.monitor import Outcomes, replay_predictions, run_monitor
from wardwatch.quality import default_contract, run_gate
from wardwatch.registry import Registry, parse_policy
from wardwatch.serve import load_version
from wardwatch.synth import SynthConfig, generate

__all__ = ["ARTIFACTS", "USECASE", "Dash", "chromium_path", "login", "shot"]

ARTIFACTS = Path(os.environ.get("WARDWATCH_TEST_ARTIFACTS", "test-artifacts")) / "e2e"
"""Where the end-to-end tests save their screenshots (CI keeps the folder)."""

ROLE_PEOPLE = {"admin": "ada", "ml-engineer": "eve", "approver": "ann", "viewer": "val",
               "clinician": "cleo"}  # fmt: skip
WEEK = 4


@dataclass(frozen=True)
class Dash:
    ws: Workspace
    keys: dict[str, str]
    """API key by person (ada admin, eve and emil ml-engineer, ann and abe approver, val
    viewer, cleo clinician)."""
    versions: dict[str, int]
    """Registered version by model kind: logreg (champion), lgbm (awaiting approval)."""
    patient: str
    """A patient id (as the EHR knows it) with predictions in the log."""
    frame: pd.DataFrame = field(repr=False)

    def key(self, role: str) -> str:
        return self.keys[ROLE_PEOPLE[role]]


def _sodium_in_mol(frame: pd.DataFrame) -> None:
    later = frame["index_time"] >= START + pd.Timedelta(weeks=WEEK)
    frame.loc[later, "sodium_last"] = frame.loc[later, "sodium_last"] / 1000


def _quality_runs(ws: Workspace) -> None:
    """A tiny synthetic hospital ingested into ``ws`` and gated twice: with defects injected
    (first) and clean (second), so the data-quality page has runs over time."""
    for i, defects in enumerate(("unit-switch=0.2,missing-required=0.05", None)):
        feed = generate(
            SynthConfig(patients=25, seed=3, out=ws.root / f"feed{i}", format="ndjson",
                        defects=defects, start=date(2022, 1, 1), end=date(2023, 6, 30),
                        hl7=False, claims_csv=False)
        )  # fmt: skip
        lake_dir = ws.root / f"lake{i}"
        scratch = init_workspace(ws.root / f"scratch{i}")
        run_ingest(scratch, [feed.out])
        shutil.copytree(scratch.lake_dir, lake_dir)
        report = run_gate(Lake(lake_dir), default_contract())
        report.write(ws.reports_dir, stem=f"quality-2026110{i + 2}T080000Z")
    # the second run's lake is the workspace's: the clinician's triage view reads patients
    shutil.rmtree(ws.lake_dir, ignore_errors=True)
    shutil.copytree(ws.root / "lake1", ws.lake_dir)


@pytest.fixture(scope="session")
def dash(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> Dash:
    ws = init_workspace(tmp_path_factory.mktemp("dash") / "ws")
    stage(trained, ws)
    _quality_runs(ws)
    reg = Registry.from_workspace(ws)
    try:
        people = make_people(reg.store, reg.audit)
        policy = parse_policy(LENIENT)
        logreg = reg.register(USECASE, model="logreg", identity=people.engineer, policy=policy)
        reg.approve(USECASE, logreg.version, identity=people.approver, comment="evidence ok")
        reg.promote(USECASE, logreg.version, identity=people.engineer, reason="first release")
        lgbm = reg.register(USECASE, model="lgbm", identity=people.engineer, policy=policy)
        served = load_version(reg, USECASE, "champion")
    finally:
        reg.close()
    frame = deployment_frame(6, seed=11, change=_sodium_in_mol)
    replay_predictions(ws, served, frame, latency_ms=20.0)
    run_monitor(
        ws, USECASE, start=START.to_pydatetime(), window=timedelta(days=7),
        outcomes=Outcomes.from_frame(frame, ws.secret(), window_days=30),
        as_of=datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    return Dash(
        ws=ws,
        keys=dict(people.keys),
        versions={"logreg": logreg.version, "lgbm": lgbm.version},
        patient=str(frame["patient_id"].iloc[-1]),
        frame=frame,
    )


@pytest.fixture(scope="session")
def server(dash: Dash, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(dash.ws, tmp_path_factory.mktemp("ui-log") / "server.log")
    yield served
    stop_server(served)


def client(server: Served, key: str | None = None) -> httpx.Client:
    """An httpx client signed in as the holder of ``key`` (through the login form), or
    signed out; it keeps cookies and does not follow redirects."""
    c = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    if key is not None:
        page = c.get("/ui/login")
        token = _hidden(page.text, "csrf_token")
        r = c.post("/ui/login", data={"api_key": key, "csrf_token": token, "next": "/ui/"})
        assert r.status_code == 303, r.text[:500]
    return c


def _hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no {name} field"
    return m.group(1)


def csrf_of(html: str) -> str:
    """The CSRF token a signed-in page carries in its forms."""
    return _hidden(html, "csrf_token")


def chromium_path() -> str:
    """Debian's Chromium (installed by scripts/setup-system.sh), or $CHROMIUM."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium not found: run `make system-deps` (scripts/setup-system.sh)")
    return path


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def login(page: Any, server: Served, key: str, *, next_url: str = "/ui/") -> None:
    """Sign in through the login form as the holder of ``key``."""
    page.goto(f"{server.url}/ui/login?next={next_url}")
    page.fill("#api_key", key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}{next_url}*")


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot saved as a test artifact (``ARTIFACTS/<name>.png``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
