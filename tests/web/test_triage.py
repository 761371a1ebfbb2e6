"""The triage page: a patient's or a request's scores with their explanation, against the
prediction log of the ``dash`` workspace read independently (pyarrow) and the explanation
recomputed here with ``load_version(...).predict``; identifying data for the clinician only."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lxml import html as lxml_html
from tests.serve.conftest import Served, start_server, stop_server
from tests.web.conftest import Dash, client, login, shot

from wardwatch.audit import AuditLog, pseudonym
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace, open_workspace
from wardwatch.registry import Registry
from wardwatch.serve import PREDICTION_LOG_SCHEMA, load_version
from wardwatch.web._triage_data import TOP_FACTORS
from wardwatch.web.pages.triage import NOT_A_PSEUDONYM

pytestmark = pytest.mark.xdist_group("web")

ROLES = ("viewer", "clinician", "ml-engineer", "approver", "admin")
RAW_ID = re.compile(r"pt-[0-9a-f]{10}")
"""The form of the frame's patient ids (pseudonyms are ``pt_`` and 16 hex digits)."""


def _log(ws: Workspace) -> list[dict[str, Any]]:
    """Every row of the prediction log, read with pyarrow (not the page's DuckDB query)."""
    files = sorted((ws.lake_dir / "predictions").glob("date=*/*.parquet"))
    return pa.concat_tables(pq.read_table(f) for f in files).to_pylist()


@pytest.fixture(scope="module")
def rows(dash: Dash) -> list[dict[str, Any]]:
    return _log(dash.ws)


def _doc(r: httpx.Response) -> Any:
    return lxml_html.fromstring(r.text)


def _listed(doc: Any) -> list[tuple[str, int, float]]:
    """(request id, version, risk) of each row of the predictions table."""
    return [
        (tr.get("data-request-id"), int(tr.get("data-version")),
         float(tr.xpath(".//td[@data-risk]")[0].get("data-risk")))
        for tr in doc.xpath('//table[@data-testid="predictions"]/tbody/tr')
    ]  # fmt: skip


def _factors(doc: Any) -> list[tuple[str, str, str, str]]:
    """(label, value, effect, contribution) of each row of the factors table."""
    return [
        tuple(td.text_content().strip() for td in tr.xpath("./td"))
        for tr in doc.xpath('//table[@data-testid="factors"]/tbody/tr')
    ]


def _identify_events(ws: Workspace) -> list[Any]:
    log = AuditLog.from_workspace(ws)
    try:
        return log.events(action="ui.triage.identify")
    finally:
        log.store.dispose()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_triage_and_gets_a_search_prompt(server, dash: Dash, role: str) -> None:
    with closing(client(server, dash.key(role))) as c:
        r = c.get("/ui/triage")
    assert r.status_code == 200
    assert "Search for a patient or a request." in r.text
    assert 'name="q"' in r.text
    clinician_hint = "by the patient id the EHR knows" in r.text
    assert clinician_hint == (role == "clinician")


def test_search_by_request_id_shows_the_logged_risk(server, dash: Dash, rows) -> None:
    pick = next(r for r in rows if r["patient"] == pseudonym(dash.patient, dash.ws.secret()))
    with closing(client(server, dash.key("viewer"))) as c:
        r = c.get("/ui/triage", params={"q": pick["request_id"]})
    assert r.status_code == 200, r.text[:300]
    doc = _doc(r)
    listed = _listed(doc)
    assert listed == [(pick["request_id"], pick["version"], pick["risk"])]
    kpi = doc.xpath('//*[@data-testid="risk"]')[0].text_content().strip()
    assert kpi == f"{100 * pick['risk']:.1f}%"
    assert doc.xpath('//*[@data-testid="pseudonym"]')[0].text_content() == pick["patient"]
    link = doc.xpath('//a[@data-testid="version-link"]')[0].get("href")
    assert link == f"/ui/models/{pick['model']}/{pick['version']}"


def test_factors_equal_the_versions_own_explanation_of_the_logged_input(
    server, dash: Dash, rows
) -> None:
    pick = rows[len(rows) // 2]
    reg = Registry.from_workspace(dash.ws)
    try:
        served = load_version(reg, pick["model"], pick["version"])
    finally:
        reg.close()
    row = orjson.loads(pick["features"])
    (oracle,) = served.predict([row], top=TOP_FACTORS)
    given = {k: row.get(k) for k in served.features}
    digest = hashlib.sha256(orjson.dumps(given, option=orjson.OPT_SORT_KEYS)).hexdigest()
    assert digest == pick["input_hash"]  # so the page's "matches" is the true statement
    assert abs(oracle.risk - pick["risk"]) < 1e-12
    with closing(client(server, dash.key("ml-engineer"))) as c:
        r = c.get("/ui/triage", params={"request_id": pick["request_id"]})
    assert r.status_code == 200
    doc = _doc(r)
    expected = [
        (f.label, f.value, f"{f.to_dict()['direction']} the risk",
         f"{round(f.contribution, 4):.3f}")
        for f in oracle.factors
    ]  # fmt: skip
    assert len(expected) == TOP_FACTORS
    assert _factors(doc) == expected
    note = doc.xpath('//*[@data-testid="provenance"]')[0].text_content()
    assert "explanation recomputed from the logged input; input hash matches" in note.lower()
    assert 'data-chart="' in r.text  # the bar chart's configuration
    card = doc.xpath('//dl[@data-testid="card"]')[0].text_content()
    assert "Cautioned uses" in card
    assert "Known risks and limitations" in card


def test_search_by_pseudonym_lists_every_prediction_of_the_patient(
    server, dash: Dash, rows
) -> None:
    pt = pseudonym(dash.patient, dash.ws.secret())
    mine = sorted((r for r in rows if r["patient"] == pt), key=lambda r: r["at"], reverse=True)
    assert mine
    with closing(client(server, dash.key("viewer"))) as c:
        r = c.get("/ui/triage", params={"q": pt})
    assert r.status_code == 200
    listed = _listed(_doc(r))
    assert len(listed) == len(mine)
    assert [x[0] for x in listed] == [m["request_id"] for m in mine]
    assert [x[2] for x in listed] == [m["risk"] for m in mine]
    assert dash.patient not in r.text
    assert "shown to the clinician role only" in r.text


def test_clinician_by_patient_id_sees_it_and_the_lookup_is_audited(server, dash: Dash) -> None:
    pt = pseudonym(dash.patient, dash.ws.secret())
    before = len(_identify_events(dash.ws))
    with closing(client(server, dash.key("clinician"))) as c:
        r = c.get("/ui/triage", params={"q": dash.patient})
    assert r.status_code == 200
    doc = _doc(r)
    assert doc.xpath('//*[@data-testid="raw-id"]')[0].text_content() == dash.patient
    assert doc.xpath('//*[@data-testid="pseudonym"]')[0].text_content() == pt
    assert _listed(doc)
    events = _identify_events(dash.ws)
    assert len(events) == before + 1
    last = events[-1]
    assert (last.actor, last.role, last.subject) == ("cleo", "clinician", f"patient:{pt}")
    assert last.payload["patient"] == pt
    assert last.payload["searched_by"] == "patient id"
    assert dash.patient not in orjson.dumps(last.payload).decode()


def test_a_viewer_searching_a_raw_patient_id_learns_nothing(server, dash: Dash) -> None:
    with closing(client(server, dash.key("viewer"))) as c:
        known = c.get("/ui/triage", params={"q": dash.patient})
        unknown = c.get("/ui/triage", params={"q": "pt-00000000zz"})
    assert known.status_code == unknown.status_code == 200
    assert NOT_A_PSEUDONYM in known.text
    assert dash.patient not in known.text
    assert known.text == unknown.text  # the same page whether or not the patient exists
    assert _listed(_doc(known)) == []


def test_ml_engineer_pages_never_carry_raw_patient_ids(server, dash: Dash, rows) -> None:
    pt = pseudonym(dash.patient, dash.ws.secret())
    pick = next(r for r in rows if r["patient"] == pt)
    with closing(client(server, dash.key("ml-engineer"))) as c:
        pages = [
            c.get("/ui/triage"),
            c.get("/ui/triage", params={"q": pt}),
            c.get("/ui/triage", params={"q": pick["request_id"]}),
            c.get("/ui/triage", params={"request_id": pick["request_id"]}),
            c.get("/ui/triage", params={"q": dash.patient}),
        ]
    frame_ids = set(dash.frame["patient_id"].astype(str))
    for r in pages:
        assert r.status_code == 200
        assert RAW_ID.findall(r.text) == []
        assert not any(pid in r.text for pid in frame_ids)


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a" * 500},
        {"q": "<script>alert(1)</script>"},
        {"q": "pt 1234"},
        {"q": "x' OR '1'='1"},
        {"q": "naïve"},
        {"request_id": "a\x00b"},
        {"q": "pt_0123456789abcdef", "rid": "abc"},
        {"q": "pt_0123456789abcdef", "rid": "abc", "v": "one"},
    ],
)
def test_bad_searches_get_a_clean_400_page(server, dash: Dash, params) -> None:
    with closing(client(server, dash.key("clinician"))) as c:
        r = c.get("/ui/triage", params=params)
    assert r.status_code == 400
    assert "Cannot show this page" in r.text
    assert "<script>alert" not in r.text
    assert "Traceback" not in r.text


def test_unknown_request_and_unknown_pseudonym_say_so(server, dash: Dash) -> None:
    with closing(client(server, dash.key("approver"))) as c:
        by_request = c.get("/ui/triage", params={"request_id": uuid.uuid4().hex})
        by_pseudonym = c.get("/ui/triage", params={"q": "pt_0000000000000000"})
    assert "No prediction in the log has this request id." in by_request.text
    assert "No predictions in the log for this patient." in by_pseudonym.text


# -- a copy of the workspace: a lake patient with a score, and an empty log --------------------


@dataclass(frozen=True)
class Copy:
    ws: Workspace
    served: Served
    patient_id: str
    mrn: str
    family_name: str


@pytest.fixture(scope="module")
def copy(dash: Dash, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Copy]:
    """``dash.ws`` copied, with one more logged score: a copy of a logged row for a patient of
    the lake's ``patients`` table (whose names the clinician should see)."""
    root = tmp_path_factory.mktemp("triage-copy") / "ws"
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
    patients = Lake(ws.lake_dir).read("patients").to_pylist()
    person = next(p for p in patients if p["mrn"] and p["family_name"])
    base = _log(ws)[0]
    extra = {**base, "request_id": uuid.uuid4().hex,
             "patient": pseudonym(person["patient_id"], ws.secret())}  # fmt: skip
    folder = ws.lake_dir / "predictions" / f"date={base['at']:%Y-%m-%d}"
    pq.write_table(
        pa.Table.from_pylist([extra], schema=PREDICTION_LOG_SCHEMA), folder / "part-extra.parquet"
    )
    served = start_server(ws, tmp_path_factory.mktemp("triage-copy-log") / "server.log")
    try:
        yield Copy(ws, served, person["patient_id"], person["mrn"], person["family_name"])
    finally:
        stop_server(served)


def test_clinician_sees_the_lake_patients_name_and_mrn(copy: Copy, dash: Dash) -> None:
    pt = pseudonym(copy.patient_id, copy.ws.secret())
    with closing(client(copy.served, dash.key("clinician"))) as c:
        by_id = c.get("/ui/triage", params={"q": copy.patient_id})
        by_pseudonym = c.get("/ui/triage", params={"q": pt})
    for r in (by_id, by_pseudonym):
        assert r.status_code == 200
        table = _doc(r).xpath('//table[@data-testid="identity"]')[0].text_content()
        assert copy.mrn in table
        assert copy.family_name in table
    events = [e for e in _identify_events(copy.ws) if e.subject == f"patient:{pt}"]
    assert [e.payload["searched_by"] for e in events] == ["patient id", "pseudonym"]
    assert all(e.payload["records_shown"] == 1 for e in events)
    with closing(client(copy.served, dash.key("viewer"))) as c:
        r = c.get("/ui/triage", params={"q": pt})
    assert r.status_code == 200
    assert _listed(_doc(r))
    assert copy.mrn not in r.text
    assert copy.family_name not in r.text
    assert copy.patient_id not in r.text


def test_an_empty_prediction_log_says_so(copy: Copy, dash: Dash) -> None:
    folder = copy.ws.lake_dir / "predictions"
    aside = folder.with_name("predictions-aside")
    folder.rename(aside)
    try:
        with closing(client(copy.served, dash.key("viewer"))) as c:
            r = c.get("/ui/triage", params={"q": "pt_0000000000000000"})
    finally:
        aside.rename(folder)
    assert r.status_code == 200
    assert "No predictions have been logged yet." in r.text
    assert "wardwatch monitor replay" in r.text


# -- in a browser --------------------------------------------------------------------------


def test_clinician_triage_by_patient_id_in_the_browser(server, dash: Dash, page) -> None:
    login(page, server, dash.key("clinician"), next_url="/ui/triage")
    page.fill("#q", dash.patient)
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.locator('canvas[data-drawn="1"]').count() > 0
    assert page.get_by_test_id("raw-id").inner_text() == dash.patient
    assert page.get_by_text("input hash matches").is_visible()
    assert page.locator('table[data-testid="factors"] tbody tr').count() == TOP_FACTORS
    shot(page, "triage-clinician")


def test_viewer_triage_by_pseudonym_in_the_browser(server, dash: Dash, page) -> None:
    pt = pseudonym(dash.patient, dash.ws.secret())
    login(page, server, dash.key("viewer"), next_url=f"/ui/triage?q={pt}")
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.get_by_test_id("pseudonym").inner_text() == pt
    assert page.get_by_test_id("raw-id").count() == 0
    rows = page.locator('table[data-testid="predictions"] tbody tr')
    assert rows.count() >= 1
    if rows.count() > 1:  # explain another score of the patient
        rows.nth(1).get_by_role("link", name="explain").click()
        page.wait_for_selector('tr[aria-current="true"]')
        page.wait_for_selector('canvas[data-drawn="1"]')
    assert dash.patient not in page.content()
    shot(page, "triage-viewer")
