"""The data-quality page: runs over time, one run's findings by check and source, the masked
findings drill-down (htmx), schema drift and missingness trends.

The ``dash`` workspace holds two real gate runs (``quality-20261102T080000Z`` with injected
defects, ``quality-20261103T080000Z`` clean) and the hand-written minimal
``quality-20261101T080000Z`` (no per-check results). Counts on the page are compared with the
report files; masking is checked against a fresh gate run over the defective lake (the raw,
unmasked findings) and the lake's patients table.
"""

from __future__ import annotations

import json
import re
import shutil
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from tests.web.conftest import client, login, shot

from wardwatch.core.lake import Lake
from wardwatch.quality import default_contract, run_gate
from wardwatch.quality._report import MASK, mask_finding
from wardwatch.web._quality_data import (
    PER_PAGE,
    findings_page,
    latest_report,
    load_runs,
    masked_finding,
    selected_run,
)
from wardwatch.web._quality_trends import missingness, schema_drift
from wardwatch.web._render import render
from wardwatch.web.pages.quality import page_context

pytestmark = pytest.mark.xdist_group("web")

DEFECTS = "quality-20261102T080000Z"
CLEAN = "quality-20261103T080000Z"
MINIMAL = "quality-20261101T080000Z"


def _reports(dash: Any) -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text("utf-8"))
        for p in sorted(dash.ws.reports_dir.glob("quality*.json"))
    }


def _block(html: str, testid: str) -> str:
    m = re.search(rf'<table data-testid="{testid}">(.*?)</table>', html, re.S)
    assert m, f"no {testid} table"
    return m.group(1)


def _rows(block: str, attr: str = "data-run") -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(rf'<tr {attr}="([^"]+)"[^>]*>(.*?)</tr>',
                                                         block, re.S)}  # fmt: skip


def _cells(row: str) -> dict[str, str]:
    return dict(re.findall(r'data-k="([a-z_]+)">([^<]*)<', row))


def _page(dash: Any, server: Any, path: str, role: str = "viewer", **kw: Any) -> str:
    with closing(client(server, dash.key(role))) as c:
        r = c.get(path, **kw)
    assert r.status_code == 200, r.text[:300]
    assert "Traceback" not in r.text
    return r.text


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("role", "status"),
    [("viewer", 200), ("ml-engineer", 200), ("approver", 200), ("admin", 200),
     ("clinician", 403)],
)  # fmt: skip
def test_roles(dash: Any, server: Any, role: str, status: int) -> None:
    with closing(client(server, dash.key(role))) as c:
        findings = f"/ui/quality/{DEFECTS}/findings?check=plausibility&table=observations"
        for path in ("/ui/quality", f"/ui/quality/{DEFECTS}", findings):
            r = c.get(path)
            assert r.status_code == status, (path, r.text[:200])
            if status == 403:
                assert "Data quality</h1>" not in r.text
                assert "plausibility" not in r.text


def test_signed_out_goes_to_login(server: Any) -> None:
    with closing(client(server)) as c:
        r = c.get(f"/ui/quality/{DEFECTS}")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/ui/login?next=/ui/quality/")
        r = c.get("/ui/quality", headers={"HX-Request": "true"})
        assert r.headers.get("hx-redirect", "").startswith("/ui/login")


# --------------------------------------------------------------------------- runs over time


def test_runs_listed_equal_report_files(dash: Any, server: Any) -> None:
    html = _page(dash, server, "/ui/quality")
    listed = _rows(_block(html, "runs"))
    files = {p.stem for p in dash.ws.reports_dir.glob("quality*.json")}
    assert set(listed) == files
    assert {DEFECTS, CLEAN, MINIMAL} <= files
    # newest first: by the start time each report gives
    reports = _reports(dash)
    expected = sorted(files, key=lambda s: (reports[s].get("started_at") or "", s), reverse=True)
    assert list(listed) == expected


def test_run_counts_equal_report_json(dash: Any, server: Any) -> None:
    html = _page(dash, server, "/ui/quality")
    listed = _rows(_block(html, "runs"))
    for stem, doc in _reports(dash).items():
        cells = _cells(listed[stem])
        summary = doc["summary"]
        for key in ("checks_run", "checks_failed", "findings"):
            assert int(cells[key]) == summary[key], (stem, key)
        if "checks_errored" in summary:
            assert int(cells["checks_errored"]) == summary["checks_errored"]
        shown_rows = dict(re.findall(r'data-table="([a-z_]+)">(\d+)<', listed[stem]))
        assert {t: int(n) for t, n in shown_rows.items()} == doc.get("rows", {})
        assert ("badge " + doc["verdict"]) in listed[stem]
    # the defective run failed, the clean one passed
    assert "badge fail" in listed[DEFECTS]
    assert "badge pass" in listed[CLEAN]


def test_latest_run_selected_by_default(dash: Any, server: Any) -> None:
    html = _page(dash, server, "/ui/quality")
    reports = _reports(dash)
    newest = max(reports, key=lambda s: (reports[s]["started_at"], s))
    assert f'data-testid="selected-run" data-run="{newest}"' in html
    assert newest == CLEAN
    assert "Every one of the 96 checks passed with no findings." in html
    assert html.count("data-chart=") >= 2  # runs chart and rows chart


# --------------------------------------------------------------------------- one run


def test_selected_run_counts_equal_report(dash: Any, server: Any) -> None:
    doc = _reports(dash)[DEFECTS]
    html = _page(dash, server, f"/ui/quality/{DEFECTS}")
    kpi = dict(re.findall(r'data-testid="kpi-([a-z_]+)">([^<]*)<', html))
    for key in ("checks_run", "checks_failed", "checks_errored", "findings"):
        assert int(kpi[key]) == doc["summary"][key]
    assert int(kpi["rows"]) == sum(doc["rows"].values())

    failing = re.findall(r'<tr data-check="([^"]+)" data-table="([^"]+)">(.*?)</tr>',
                         _block(html, "failing"), re.S)  # fmt: skip
    expected = {(r["check"], r["table"]): r for r in doc["results"]
                if r["failed"] or not r["passed"]}  # fmt: skip
    assert {(c, t) for c, t, _ in failing} == set(expected)
    assert expected, "the defective run has failing checks"
    for check, table, row in failing:
        cells = _cells(row)
        assert int(cells["checked"]) == expected[(check, table)]["checked"]
        assert int(cells["failed"]) == expected[(check, table)]["failed"]
    # findings by source: every source's count, and in total the report's counts.by_source
    sources = _block(html, "sources")
    per_source: dict[str, int] = {}
    for src, n in re.findall(r'<code class="quality-source">([^<]+)</code>.*?'
                             r'<td class="num">(\d+)</td>', sources, re.S):  # fmt: skip
        per_source[src] = per_source.get(src, 0) + int(n)
    assert per_source == {k: v for k, v in doc["counts"]["by_source"].items() if v}
    assert "data-chart=" in html  # the grouped bar chart of findings by check and table


def test_minimal_report_renders_with_empty_states(dash: Any, server: Any) -> None:
    html = _page(dash, server, f"/ui/quality/{MINIMAL}")
    assert f'data-testid="selected-run" data-run="{MINIMAL}"' in html
    kpi = dict(re.findall(r'data-testid="kpi-([a-z_]+)">([^<]*)<', html))
    assert (kpi["checks_run"], kpi["checks_failed"], kpi["findings"]) == ("12", "0", "0")
    assert kpi["checks_errored"] == "—"  # the hand-written summary has no such count
    assert "This report has no per-check results." in html
    assert 'class="notice error"' not in html
    assert 'data-testid="failing"' not in html
    # its findings partial has nothing to list: a one-line 404, not a 500
    with closing(client(server, dash.key("viewer"))) as c:
        r = c.get(f"/ui/quality/{MINIMAL}/findings?check=schema&table=patients")
    assert r.status_code == 404
    assert "has no result for check" in r.text


def test_schema_and_missingness_sections_match_reports(dash: Any, server: Any) -> None:
    html = _page(dash, server, "/ui/quality")
    reports = _reports(dash)
    schema_runs = _rows(_block(html, "schema-runs"))
    assert set(schema_runs) == {DEFECTS, CLEAN}  # the minimal report has no schema results
    for stem, row in schema_runs.items():
        nums = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]
        schema = [r for r in reports[stem]["results"] if r["check"] == "schema"]
        assert nums == [len(schema), sum(1 for r in schema if r["failed"]),
                        sum(r["failed"] for r in schema)]  # fmt: skip
    # missingness: one column per profiled run, the fraction as the profile gives it
    table = _block(html, "missingness")
    doc = reports[CLEAN]
    profile = next(r for r in doc["results"]
                   if r["check"] == "profile" and r["table"] == "organizations")  # fmt: skip
    want = profile["metrics"]["columns"]["npi"]["missing"]
    row = re.search(r"<code>organizations\.npi</code></td>(.*?)</tr>", table, re.S)
    assert row, "organizations.npi is missing in the synthetic data"
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(1))
    assert cells[-1] == f"{100 * want:.1f}%"


# --------------------------------------------------------------------------- masked findings


@pytest.fixture(scope="module")
def secrets(dash: Any) -> set[str]:
    """Identifying values the page must never show: those the report masks in the raw
    (unmasked) findings of a fresh gate run over the defective lake, every finding's patient
    id, and the identifiers of the lakes' patients."""
    raw = run_gate(Lake(dash.ws.root / "lake0"), default_contract())
    values: set[str] = set()
    for f in raw.findings:
        masked = mask_finding(f)
        for key in ("found", "message"):
            if masked[key] == MASK and getattr(f, key):
                values.add(str(getattr(f, key)))
        if f.patient_id:
            values.add(f.patient_id)
            if f.table == "patients" or f.resource_type == "Patient":
                values.update(v for v in (f.record_id, f.related_id) if v)
    for lake in (dash.ws.lake_dir, dash.ws.root / "lake0"):
        patients = Lake(lake).read("patients", ["patient_id", "mrn", "ssn", "phone"])
        for column in patients.columns:
            values.update(str(v) for v in column.to_pylist() if v)
    return {v for v in values if len(v) >= 6}


def _findings(c: Any, run: str, check: str, table: str, htmx: bool = True) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    r = c.get(f"/ui/quality/{run}/findings", params={"check": check, "table": table},
              headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text[:300]
    return r.text


def test_findings_partial_shows_masked_values_only(
    dash: Any, server: Any, secrets: set[str]
) -> None:
    doc = _reports(dash)[DEFECTS]
    listed = [r for r in doc["results"] if r["findings"]]
    assert {r["check"] for r in listed} >= {"plausibility", "unit-switch", "quarantine"}
    patient_ids = {f["patient_id"] for r in listed for f in r["findings"] if f["patient_id"]}
    assert patient_ids, "the stored findings name patients: the page must mask them"
    assert patient_ids <= secrets
    with closing(client(server, dash.key("viewer"))) as c:
        for r in listed:
            part = _findings(c, DEFECTS, r["check"], r["table"])
            assert "<html" not in part  # a partial for htmx
            assert 'data-testid="findings-table"' in part
            shown = r["findings"][:PER_PAGE]
            assert part.count("<tr>") == len(shown) + 1  # header row + one per finding
            leaked = [s for s in secrets if s in part]
            assert not leaked, (r["check"], leaked[:3])
            # the masked values are shown as the report stores them
            for f in shown:
                if f["found"] and f["found"] != MASK and r["check"] != "quarantine":
                    assert f["found"].replace("&", "&amp;") in part
                if f["patient_id"]:
                    assert MASK in part
                if f["record_id"] and f.get("resource_type") != "Patient":
                    assert f["record_id"] in part  # non-patient records stay findable
            full = _findings(c, DEFECTS, r["check"], r["table"], htmx=False)
            assert "<html" in full
            assert "Findings</h1>" in full
            assert not [s for s in secrets if s in full]
        for path in ("/ui/quality", f"/ui/quality/{DEFECTS}", f"/ui/quality/{MINIMAL}"):
            html = c.get(path).text
            assert not [s for s in secrets if s in html], path


def test_masked_finding_rules() -> None:
    obs = {"check": "plausibility", "table": "observations", "record_id": "obs-1",
           "field": "observations.value_num", "found": "5.3 mg/dL", "patient_id": "pat-123456",
           "resource_type": "Observation", "related_id": None}  # fmt: skip
    out = masked_finding(obs)
    assert (out["record_id"], out["found"], out["patient_id"]) == ("obs-1", "5.3 mg/dL", MASK)
    dup = {"check": "duplicate-patients", "table": "patients", "record_id": "pat-2",
           "related_id": "pat-1", "field": "patients.family_name", "found": "Smith",
           "patient_id": "pat-2", "resource_type": "Patient"}  # fmt: skip
    out = masked_finding(dup)
    assert {out[k] for k in ("record_id", "related_id", "found", "patient_id")} == {MASK}
    ref = {"check": "references", "table": "observations", "record_id": "obs-2",
           "field": "observations.patient_id", "found": "pat-999999",
           "reason": "encounter-patient-mismatch", "related_id": "pat-888888"}  # fmt: skip
    out = masked_finding(ref)
    assert (out["found"], out["related_id"], out["record_id"]) == (MASK, MASK, "obs-2")
    quarantined = {"check": "quarantine", "table": "quarantine", "record_id": "x",
                   "field": "Patient.name", "found": "Jane", "message": "bad name Jane",
                   "resource_type": "Patient"}  # fmt: skip
    out = masked_finding(quarantined)
    assert (out["found"], out["message"], out["record_id"]) == (MASK, MASK, MASK)
    event = {"check": "duplicate-events", "table": "observations", "record_id": "obs-3",
             "related_id": "obs-4", "patient_id": None}  # fmt: skip
    assert masked_finding(event)["related_id"] == "obs-4"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ui/quality/nope", 404),
        ("/ui/quality/..%2F..%2Fwardwatch.toml", 404),
        ("/ui/quality/..%2F..%2F.wardwatch%2Freports%2Fquality-20261102T080000Z", 404),
        ("/ui/quality/%2e%2e", 404),
        (f"/ui/quality/{DEFECTS}.json", 404),
        ("/ui/quality/leakage-test-readmission", 404),
        (f"/ui/quality/{DEFECTS}/findings", 400),
        (f"/ui/quality/{DEFECTS}/findings?check=plausibility", 400),
        (f"/ui/quality/{DEFECTS}/findings?check=nope&table=observations", 404),
        (f"/ui/quality/{DEFECTS}/findings?check=plausibility&table=patients", 404),
        (f"/ui/quality/{DEFECTS}/findings?check=plausibility&table=..%2F..", 404),
        (f"/ui/quality/{DEFECTS}/findings?check=plausibility&table=observations&page=abc", 400),
        (f"/ui/quality/{DEFECTS}/findings?check=plausibility&table=observations&page=0", 400),
        (f"/ui/quality/{DEFECTS}/findings?check=plausibility&table=observations&page=-1", 400),
        ("/ui/quality/nope/findings?check=plausibility&table=observations", 404),
        ("/ui/quality/..%2F..%2Fwardwatch.toml/findings?check=a&table=b", 404),
    ],
)
def test_bad_input_gives_one_line_error(dash: Any, server: Any, path: str, status: int) -> None:
    with closing(client(server, dash.key("viewer"))) as c:
        r = c.get(path)
    assert r.status_code == status, r.text[:300]
    assert 'class="notice error" role="alert"' in r.text
    message = re.search(r'role="alert">([^<]*)</p>', r.text)
    assert message
    assert "\n" not in message.group(1).strip()
    assert "Traceback" not in r.text


def test_page_number_past_the_end_clamps(dash: Any, server: Any) -> None:
    with closing(client(server, dash.key("viewer"))) as c:
        r = c.get(f"/ui/quality/{DEFECTS}/findings",
                  params={"check": "quarantine", "table": "quarantine", "page": "9"},
                  headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 200
    assert "Findings 1–" in r.text


# --------------------------------------------------------------------------- without a server


def _render(ctx: dict[str, Any]) -> str:
    scope = {"type": "http", "method": "GET", "path": "/ui/quality", "headers": [],
             "query_string": b""}  # fmt: skip
    response = render(Request(scope), "quality.html", ctx, session=None, page="quality")
    return bytes(response.body).decode()


def test_empty_reports_folder(tmp_path: Path) -> None:
    for folder in (tmp_path, tmp_path / "missing"):
        runs = load_runs(folder)
        assert runs == []
        assert selected_run(runs, None) is None
        assert latest_report(folder) is None
        assert schema_drift(runs) == ([], [])
        assert missingness(runs).runs == []
    html = _render(page_context([], None))
    assert "No quality gate has run yet." in html
    assert "wardwatch quality check" in html
    assert "data-chart=" not in html


def test_copy_with_unreadable_and_odd_reports(dash: Any, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    shutil.copytree(dash.ws.reports_dir, folder)
    (folder / "quality-broken.json").write_text("{not json", "utf-8")
    (folder / "quality-list.json").write_text("[1, 2]", "utf-8")
    (folder / "quality-oddities.json").write_text(json.dumps({
        "verdict": "warn", "started_at": "2020-01-01T00:00:00",
        "results": [{"check": "schema", "table": "patients", "failed": "x", "findings": "no"},
                    {"nothing": True}],
    }), "utf-8")  # fmt: skip
    (folder / "quality.json.bak").write_text("{}", "utf-8")
    runs = load_runs(folder)
    names = {r.name for r in runs}
    assert names == {p.stem for p in folder.glob("quality*.json")}
    assert {r.name for r in runs if r.problem} == {"quality-broken", "quality-list"}
    assert selected_run(runs, None).name == CLEAN  # newest readable
    assert latest_report(folder)["file"] == f"{CLEAN}.json"
    for name in (None, "quality-broken", "quality-oddities", MINIMAL, DEFECTS):
        html = _render(page_context(runs, name))
        assert "Traceback" not in html
    assert "is not valid JSON" in _render(page_context(runs, "quality-broken"))
    odd = selected_run(runs, "quality-oddities")
    assert odd is not None
    assert (odd.checks_run, odd.findings) == (1, 0)
    assert findings_page(odd, "schema", "patients", 1).items == []


def test_findings_pagination() -> None:
    from wardwatch.web._quality_data import Run

    findings = [
        {"check": "times", "table": "observations", "record_id": f"obs-{i}",
         "patient_id": f"pat-{i}"} for i in range(120)
    ]  # fmt: skip
    run = Run("quality-x", "quality-x.json", {"verdict": "fail", "results": [
        {"check": "times", "table": "observations", "checked": 500, "failed": 130,
         "passed": False, "truncated": True, "findings": findings}]})  # fmt: skip
    pages = [findings_page(run, "times", "observations", n) for n in (1, 2, 3, 99)]
    assert [p.pages for p in pages] == [3, 3, 3, 3]
    assert [len(p.items) for p in pages] == [PER_PAGE, PER_PAGE, 20, 20]
    assert (pages[1].first, pages[1].last) == (51, 100)
    assert pages[2].items[0]["record_id"] == "obs-100"
    assert {f["patient_id"] for p in pages for f in p.items} == {MASK}
    assert findings_page(run, "times", "patients", 1) is None


# --------------------------------------------------------------------------- in a browser


def test_e2e_viewer_drills_into_findings(
    page: Any, server: Any, dash: Any, secrets: set[str]
) -> None:
    login(page, server, dash.key("viewer"), next_url="/ui/quality")
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.locator('canvas[data-drawn="1"]').count() >= 2
    assert page.get_by_role("heading", name="Data quality").is_visible()
    assert page.get_by_role("heading", name="Runs over time").is_visible()
    shot(page, "quality-viewer")

    page.locator(f'table[data-testid="runs"] a[href="/ui/quality/{DEFECTS}"]').click()
    page.wait_for_url(f"**/ui/quality/{DEFECTS}")
    page.wait_for_selector('canvas[data-drawn="1"]')
    page.locator('tr[data-check="plausibility"] [data-testid="show-findings"]').click()
    page.wait_for_selector('#findings [data-testid="findings-table"]')
    assert page.url.endswith(f"/ui/quality/{DEFECTS}")  # swapped in place by htmx
    listing = page.locator("#findings").inner_text()
    assert "plausibility on observations" in listing
    assert MASK in listing
    assert not [s for s in secrets if s in page.content()]
    page.locator("#findings").scroll_into_view_if_needed()
    shot(page, "quality-findings")
