"""The monitoring page (``/ui/monitoring/{name}``) against a real ``wardwatch serve``: who may
open it; its drift, performance, calibration, flag-rate and SLI numbers against the stored
observations (read back with ``load_observations`` and recomputed here, not through the
page's own helpers) and the packaged alert rules' thresholds; its alerts against the alert
book; acknowledging and resolving through the page (role, scope, comment, CSRF, unknown
alerts); and, in Chromium, the issue's end-to-end story: inject a drift, see its alert
appear, acknowledge it.

The shared ``dash`` alerts are only read. Actions are taken on alerts this module raises
for models of its own (``webtest-*``, not registered, so no other page lists them); the
end-to-end drift is injected into a copy of the workspace served by a second server. This
module adds to ``dash``: a key scoped to another model (sam, ml-engineer), those
``webtest-*`` alerts, and one monitored window (label-free estimates only) of the LightGBM
version (v2, never the champion).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from markupsafe import escape
from tests.monitor.conftest import START, deployment_frame
from tests.registry.conftest import USECASE
from tests.serve.conftest import Served, start_server, stop_server
from tests.web.conftest import Dash, client, csrf_of, login, shot

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store
from wardwatch.core.workspace import open_workspace
from wardwatch.monitor import (
    AlertBook,
    Observation,
    Outcomes,
    evaluate_rules,
    load_observations,
    load_rules,
    replay_predictions,
    run_monitor,
)
from wardwatch.monitor._history import save_window
from wardwatch.registry import Registry, authenticate, create_identity
from wardwatch.serve import load_version

pytestmark = pytest.mark.xdist_group("web")

ROLES = ("viewer", "clinician", "ml-engineer", "approver", "admin")
PAGE = f"/ui/monitoring/{USECASE}"


# -- helpers ---------------------------------------------------------------------------------


def _book(dash: Dash) -> AlertBook:
    return AlertBook(Store(dash.ws.store_url), AuditLog.from_workspace(dash.ws))


def _store(dash: Dash) -> Store:
    return Store(dash.ws.store_url)


def _charts(text: str) -> list[dict[str, Any]]:
    """The Chart.js configurations of a page's canvases, in page order."""
    return [json.loads(html.unescape(m)) for m in re.findall(r'data-chart="([^"]*)"', text)]


def _dataset(config: dict[str, Any], label: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [d for d in config["data"]["datasets"] if d["label"] == label]
    assert len(found) == 1, [d["label"] for d in config["data"]["datasets"]]
    return found[0]


def _dashed(config: dict[str, Any]) -> list[float]:
    """The horizontal threshold lines of a chart (their value)."""
    return sorted(
        d["data"][0]
        for d in config["data"]["datasets"]
        if d.get("borderDash") and d.get("pointRadius") == 0 and len(set(d["data"])) == 1
    )


def _chart_with(text: str, label: str) -> dict[str, Any]:
    found = [c for c in _charts(text) if any(d["label"] == label for d in c["data"]["datasets"])]
    assert len(found) == 1, label
    return found[0]


def _windows(obs: list[Observation]) -> list[tuple[datetime, datetime]]:
    return sorted({(o.window_start, o.window_end) for o in obs})


def _by_window(obs: list[Observation], metric: str, scope: str = "model") -> dict[Any, Observation]:
    return {
        (o.window_start, o.window_end): o for o in obs if o.metric == metric and o.scope == scope
    }


def _nan_none(x: float | None) -> float | None:
    return None if x is None or x != x else x


def _alert_ids(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="alert-\d+" data-alert-id="(\d+)"', text)]


def _raise_alert(dash: Dash) -> tuple[int, str]:
    """A new open alert (error-rate on the service) of a model of its own: (id, model)."""
    model = f"webtest-{uuid.uuid4().hex[:8]}"
    start = datetime(2021, 6, 7, tzinfo=UTC)
    obs = Observation("error_rate", "service", 0.2, start, start + timedelta(days=7), model, 1,
                      lower=0.15, upper=0.25, n=500)  # fmt: skip
    book = _book(dash)
    (raised,) = book.raise_alerts(evaluate_rules(load_rules(), [obs]), now=start)
    return raised.alert.id, model


def _post(c: httpx.Client, path: str, data: dict[str, str], *, htmx: bool = False
          ) -> httpx.Response:  # fmt: skip
    headers = {"HX-Request": "true"} if htmx else {}
    return c.post(path, data=data, headers=headers)


@pytest.fixture(scope="module")
def version(dash: Dash) -> int:
    return dash.versions["logreg"]


@pytest.fixture(scope="module")
def observations(dash: Dash, version: int) -> list[Observation]:
    return load_observations(_store(dash), USECASE, version=version)


@pytest.fixture(scope="module")
def scoped_key(dash: Dash) -> str:
    """An ml-engineer key (sam) scoped to another model than the dashboard's."""
    store = _store(dash)
    admin = authenticate(store, dash.key("admin"))
    audit = AuditLog.from_workspace(dash.ws)
    _, key = create_identity(
        store, "sam", "ml-engineer", by=admin, audit=audit, models=["other-model"]
    )
    return key


@pytest.fixture(scope="module")
def engineer(server: Served, dash: Dash) -> Iterator[httpx.Client]:
    c = client(server, dash.key("ml-engineer"))
    yield c
    c.close()


# -- who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_the_page_as_its_permissions_say(server: Served, dash: Dash,
                                                         role: str) -> None:  # fmt: skip
    with closing(client(server, dash.key(role))) as c:
        r = c.get(PAGE)
        index = c.get("/ui/monitoring")
    if role == "clinician":
        assert r.status_code == 403
        assert index.status_code == 403
        assert "may not open this page" in r.text
        return
    assert r.status_code == 200, r.text[:300]
    assert f"<h1>{USECASE} v" in r.text
    assert 'id="alerts"' in r.text
    # one model the key may use: the list goes straight to it
    assert index.status_code == 303
    assert index.headers["location"] == PAGE


def test_signed_out_goes_to_the_login_page(server: Served) -> None:
    with closing(client(server)) as c:
        r = c.get(PAGE)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/login?next=")


# -- numbers against the store ---------------------------------------------------------------


def test_each_features_drift_chart_and_table_equal_the_stored_observations(
    server: Served, engineer: httpx.Client, observations: list[Observation], version: int
) -> None:
    windows = _windows(observations)
    labels = [a.strftime("%Y-%m-%d") for a, _ in windows]
    features = sorted({o.scope.removeprefix("feature:") for o in observations
                       if o.metric == "feature.drift_score"})  # fmt: skip
    assert "sodium_last" in features
    assert len(features) >= 5
    for feature in features:
        r = engineer.get(f"{PAGE}/drift", params={"feature": feature, "version": version},
                         headers={"HX-Request": "true"})  # fmt: skip
        assert r.status_code == 200, r.text[:300]
        assert f'data-feature="{feature}"' in r.text
        score_chart, psi_chart = _charts(r.text)
        drift = _by_window(observations, "feature.drift_score", f"feature:{feature}")
        psi = _by_window(observations, "feature.psi", f"feature:{feature}")
        assert score_chart["data"]["labels"] == labels
        # the judged number: the adjusted p-value of a test, the distance itself otherwise
        expected: list[float | None] = []
        thresholds: list[float | None] = []
        for w in windows:
            o = drift.get(w)
            if o is None:
                expected.append(None)
                thresholds.append(None)
                continue
            test = o.detail["method"] in ("ks", "chisquare", "z")
            expected.append(o.detail["p_adjusted"] if test else _nan_none(o.value))
            thresholds.append(o.detail["threshold"])
        series = score_chart["data"]["datasets"]
        assert series[0]["data"] == expected
        assert series[1]["data"] == thresholds
        assert series[1]["borderDash"]
        assert _dataset(psi_chart, f"PSI of {feature}")["data"] == [
            _nan_none(psi[w].value) if w in psi else None for w in windows
        ]
        assert _dashed(psi_chart) == [0.1, 0.2]
        # the numbers table: the stored statistic, per window
        table = r.text.split('data-testid="feature-drift-table"')[1]
        cells = re.findall(r'<td class="num" data-value="([^"]*)">', table)
        stats = [float(v) if v else None for v in cells[0::3]]
        assert stats == [_nan_none(drift[w].value) if w in drift else None for w in windows]


def test_latest_window_table_lists_every_feature_with_its_verdict(
    engineer: httpx.Client, observations: list[Observation], version: int
) -> None:
    last = _windows(observations)[-1]
    latest = {
        o.scope.removeprefix("feature:"): o
        for o in observations
        if o.metric == "feature.drift_score" and (o.window_start, o.window_end) == last
    }
    text = engineer.get(PAGE, params={"version": version}).text
    table = text.split('data-testid="latest-drift"')[1].split("</table>")[0]
    rows = dict(re.findall(r'<tr data-feature="([^"]+)" data-drifted="(yes|no)">', table))
    assert rows == {f: ("yes" if o.drifted else "no") for f, o in latest.items()}
    assert rows["sodium_last"] == "yes"  # the injected unit switch
    values = re.findall(r'<tr data-feature="([^"]+)"[^>]*>\s*<td>.*?</td>\s*<td>.*?</td>\s*'
                        r'<td class="num" data-value="([^"]*)">', table, re.S)  # fmt: skip
    assert {f: float(v) for f, v in values} == {f: o.value for f, o in latest.items()}


@pytest.mark.parametrize(
    ("label", "metric", "scope", "lines"),
    [
        ("estimated AUROC (CBPE)", "estimated.auroc", "model", [0.65]),
        ("realized AUROC", "realized.auroc", "model", [0.65]),
        ("calibration slope", "calibration.slope", "model", [0.7, 1.3]),
        ("observed / expected", "calibration.oe_ratio", "model", [0.8, 1.25]),
        ("flag rate ÷ approved flag rate", "flag_rate.ratio", "model", [0.5, 2.0]),
        ("p99 latency", "latency.p99_ms", "service", [250.0]),
        ("p50 latency", "latency.p50_ms", "service", [250.0]),
        ("predictions scored", "prediction.volume", "model", []),
        ("PSI of risk scores", "prediction.psi", "model", [0.2]),
    ],
)
def test_charts_draw_the_stored_values_and_the_rules_thresholds(
    engineer: httpx.Client, observations: list[Observation], version: int,
    label: str, metric: str, scope: str, lines: list[float],
) -> None:  # fmt: skip
    text = engineer.get(PAGE, params={"version": version}).text
    config = _chart_with(text, label)
    windows = _windows(observations)
    stored = _by_window(observations, metric, scope)
    assert stored, metric
    assert _dataset(config, label)["data"] == [
        _nan_none(stored[w].value) if w in stored else None for w in windows
    ]
    if any(o.lower is not None for o in stored.values()):  # the interval band
        assert _dataset(config, f"{label} (low)")["data"] == [
            stored[w].lower if w in stored else None for w in windows
        ]
        assert _dataset(config, f"{label} interval")["data"] == [
            stored[w].upper if w in stored else None for w in windows
        ]
    assert _dashed(config) == lines
    # the same thresholds as the packaged rules say
    rules = [r for r in load_rules() if r.metric == metric and r.scope == scope]
    from_rules = sorted(
        float(v) for r in rules for v in
        [r.condition.above, r.condition.below, *(r.condition.outside or ())] if v is not None
    )  # fmt: skip
    if rules:
        assert sorted(set(from_rules)) == lines


def test_numbers_tables_repeat_the_charts(
    engineer: httpx.Client, observations: list[Observation], version: int
) -> None:
    text = engineer.get(PAGE, params={"version": version}).text
    for metric in ("estimated.auroc", "realized.auroc", "calibration.slope", "flag_rate.ratio"):
        cells = re.findall(rf'data-metric="{re.escape(metric)}" data-value="([^"]*)"', text)
        stored = _by_window(observations, metric)
        assert [float(c) if c else None for c in cells] == [
            _nan_none(stored[w].value) if w in stored else None for w in _windows(observations)
        ]


def test_metrics_without_values_say_why(engineer: httpx.Client, version: int) -> None:
    text = engineer.get(PAGE, params={"version": version}).text
    # dash has no CDS feedback and served no scoring requests (a backfill)
    assert "No clinician feedback yet." in text
    assert "No scoring requests served." in text


def test_alerts_listed_equal_the_alert_book(engineer: httpx.Client, dash: Dash) -> None:
    book = _book(dash)
    active = [a.id for a in book.list(status="active", model=USECASE)]
    assert active, "dash should have open alerts"
    assert _alert_ids(engineer.get(PAGE).text) == active
    everything = [a.id for a in book.list(model=USECASE)]
    assert _alert_ids(engineer.get(PAGE, params={"alerts": "all"}).text) == everything
    partial = engineer.get(f"{PAGE}/alerts", params={"status": "all"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="alerts" data-status="all"' in partial.text
    assert _alert_ids(partial.text) == everything
    # every alert's rule, owner, severity, status, scope and why are on its row
    text = engineer.get(PAGE).text
    for a in book.list(status="active", model=USECASE):
        row = text.split(f'<tr id="alert-{a.id}"')[1].split("</tr>")[0]
        for part in (a.rule, a.owner, a.severity, a.status, a.scope):
            assert html.escape(part) in row
        assert str(escape(a.why)) in row


def test_a_version_never_monitored_says_how_to_monitor_it(
    engineer: httpx.Client, dash: Dash
) -> None:
    r = engineer.get(PAGE, params={"version": dash.versions["lgbm"]})
    assert r.status_code == 200
    assert "was never monitored" in r.text
    assert f"wardwatch monitor run -m {USECASE}" in r.text
    assert "data-chart" not in r.text


def test_realized_performance_before_labels_says_when_labels_arrive(
    engineer: httpx.Client, dash: Dash
) -> None:
    """A window of the LightGBM version with label-free estimates only (as before labels
    arrive): the estimate is drawn, realized AUROC and calibration say they wait for labels."""
    v = dash.versions["lgbm"]
    start = datetime(2021, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=7)
    obs = [
        Observation("prediction.volume", "model", 250.0, start, end, USECASE, v, n=250),
        Observation("estimated.auroc", "model", 0.81, start, end, USECASE, v, lower=0.76,
                    upper=0.86, n=250, detail={"method": "cbpe"}),
    ]  # fmt: skip
    save_window(_store(dash), "webtest", obs)
    text = engineer.get(PAGE, params={"version": v}).text
    assert "No realized performance yet." in text
    assert "30 days after discharge" in text
    assert "No calibration measured yet." in text
    chart = _chart_with(text, "estimated AUROC (CBPE)")
    assert _dataset(chart, "estimated AUROC (CBPE)")["data"] == [0.81]
    assert _dataset(chart, "realized AUROC")["data"] == [None]


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{PAGE}?version=abc", 400),
        (f"{PAGE}?version=999", 404),
        (f"{PAGE}?alerts=bogus", 400),
        (f"{PAGE}?feature=no_such_feature", 404),
        ("/ui/monitoring/no-such-model", 404),
        ("/ui/alerts/1", 404),
    ],
)
def test_bad_input_is_a_one_line_error_page(engineer: httpx.Client, path: str,
                                            status: int) -> None:  # fmt: skip
    r = engineer.get(path)
    assert r.status_code == status, r.text[:300]
    assert 'class="notice error"' in r.text
    assert "Traceback" not in r.text


def test_a_key_scoped_to_other_models_sees_none_of_this_one(
    server: Served, dash: Dash, scoped_key: str
) -> None:
    alert_id, _model = _raise_alert(dash)
    with closing(client(server, scoped_key)) as c:
        index = c.get("/ui/monitoring")
        page_ = c.get(PAGE)
        token = csrf_of(index.text)
        ack = c.post(f"/ui/alerts/{alert_id}/ack", data={"comment": "x", "csrf_token": token})
    assert index.status_code == 200
    assert "No models to monitor." in index.text
    assert USECASE not in index.text.split("<main")[1]
    assert page_.status_code == 404
    assert ack.status_code == 404
    assert _book(dash).get(alert_id).status == "open"


# -- acknowledging and resolving -------------------------------------------------------------


def test_an_engineer_acknowledges_then_resolves_with_audit_events(
    engineer: httpx.Client, dash: Dash
) -> None:
    alert_id, model = _raise_alert(dash)
    token = csrf_of(engineer.get(PAGE).text)
    r = _post(engineer, f"/ui/alerts/{alert_id}/ack",
              {"comment": "paging the service owner", "csrf_token": token})  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/ui/monitoring/{model}?")
    alert = _book(dash).get(alert_id)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", "eve")
    assert alert.ack_comment == "paging the service owner"
    audit = AuditLog.from_workspace(dash.ws)
    (event,) = audit.events(action="monitor.alert.ack", subject=f"alert:{alert_id}")
    assert (event.actor, event.role) == ("eve", "ml-engineer")
    assert event.payload["comment"] == "paging the service owner"
    # htmx: the alert's row comes back, resolved
    r = _post(engineer, f"/ui/alerts/{alert_id}/resolve",
              {"comment": "fixed upstream", "csrf_token": token}, htmx=True)  # fmt: skip
    assert r.status_code == 200
    assert r.text.lstrip().startswith(f'<tr id="alert-{alert_id}"')
    assert 'data-status="resolved"' in r.text
    assert "fixed upstream" in r.text
    assert _book(dash).get(alert_id).status == "resolved"
    assert len(audit.events(action="monitor.alert.resolve", subject=f"alert:{alert_id}")) == 1
    # a resolved alert cannot be acknowledged: a one-line notice, nothing recorded
    again = _post(engineer, f"/ui/alerts/{alert_id}/ack",
                  {"comment": "late", "csrf_token": token})  # fmt: skip
    assert again.status_code == 409
    assert "cannot acknowledge an alert that is resolved" in again.text
    notice = _post(engineer, f"/ui/alerts/{alert_id}/ack",
                   {"comment": "late", "csrf_token": token}, htmx=True)  # fmt: skip
    assert notice.status_code == 409
    assert "<html" not in notice.text
    assert len(audit.events(action="monitor.alert.ack", subject=f"alert:{alert_id}")) == 1


def test_a_viewer_has_no_buttons_and_a_forged_post_is_refused(server: Served, dash: Dash) -> None:
    alert_id, _model = _raise_alert(dash)
    audit = AuditLog.from_workspace(dash.ws)
    with closing(client(server, dash.key("viewer"))) as c:
        text = c.get(PAGE).text
        assert _alert_ids(text)  # the alerts are listed
        assert 'action="/ui/alerts/' not in text
        assert "Acknowledge</button>" not in text
        token = csrf_of(text)
        for action in ("ack", "resolve"):
            r = c.post(
                f"/ui/alerts/{alert_id}/{action}", data={"comment": "x", "csrf_token": token}
            )
            assert r.status_code == 403, r.text[:300]
    assert _book(dash).get(alert_id).status == "open"
    assert audit.events(subject=f"alert:{alert_id}", action="monitor.alert.ack") == []


def test_a_comment_is_required(engineer: httpx.Client, dash: Dash) -> None:
    alert_id, _model = _raise_alert(dash)
    token = csrf_of(engineer.get(PAGE).text)
    for data in ({"csrf_token": token}, {"comment": "   ", "csrf_token": token}):
        r = engineer.post(f"/ui/alerts/{alert_id}/ack", data=data)
        assert r.status_code == 400
        assert "needs a comment" in r.text
    assert _book(dash).get(alert_id).status == "open"


def test_an_unknown_alert_is_a_404_page(engineer: httpx.Client) -> None:
    token = csrf_of(engineer.get(PAGE).text)
    for alert in ("99999999", "abc"):
        r = engineer.post(f"/ui/alerts/{alert}/ack", data={"comment": "x", "csrf_token": token})
        assert r.status_code == 404
        assert "Not found" in r.text
        assert "there is no alert" in r.text


def test_without_the_csrf_token_nothing_changes(engineer: httpx.Client, dash: Dash) -> None:
    alert_id, _model = _raise_alert(dash)
    for data in ({"comment": "x"}, {"comment": "x", "csrf_token": "forged"}):
        r = engineer.post(f"/ui/alerts/{alert_id}/ack", data=data)
        assert r.status_code == 403
    r = engineer.post(f"/ui/alerts/{alert_id}/resolve", data={"comment": "x"},
                      headers={"HX-Request": "true"})  # fmt: skip
    assert r.status_code == 403
    assert _book(dash).get(alert_id).status == "open"


# -- in Chromium -----------------------------------------------------------------------------


@pytest.fixture
def copy(dash: Dash, tmp_path: Path) -> Iterator[tuple[Served, Path]]:
    """A copy of the dashboard's workspace served by a second server: the end-to-end drift
    is injected there, so the shared workspace keeps its windows and alerts."""
    root = tmp_path / "ws"
    shutil.copytree(dash.ws.root, root)
    served = start_server(open_workspace(root), tmp_path / "server.log")
    try:
        yield served, root
    finally:
        stop_server(served)


def _age_shift(frame: pd.DataFrame) -> None:
    frame["index_time"] = frame["index_time"] + pd.Timedelta(weeks=12)
    frame["age"] = (frame["age"] + 15).clip(upper=100)


@pytest.mark.slow
def test_inject_a_drift_see_the_alert_appear_and_acknowledge_it(
    page: Any, dash: Dash, copy: tuple[Served, Path]
) -> None:
    served, root = copy
    ws = open_workspace(root)
    version = dash.versions["logreg"]
    login(page, served, dash.key("ml-engineer"), next_url=PAGE)
    age_alert = 'tr[data-rule="feature-drift"][data-scope="feature:age"]'
    assert page.locator(age_alert).count() == 0

    # two weeks of discharges twelve weeks later, every patient fifteen years older
    frame = deployment_frame(2, seed=29, change=_age_shift)
    reg = Registry.from_workspace(ws)
    try:
        model = load_version(reg, USECASE, version)
    finally:
        reg.close()
    replay_predictions(ws, model, frame, latency_ms=20.0)
    run = run_monitor(
        ws, USECASE, version=version, window=timedelta(days=7),
        start=(START + pd.Timedelta(weeks=12)).to_pydatetime(),
        outcomes=Outcomes.from_frame(frame, ws.secret(), window_days=30),
        as_of=datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert any(a["rule"] == "feature-drift" and a["scope"] == "feature:age"
               for w in run.windows for a in w.alerts)  # fmt: skip

    page.reload()
    row = page.locator(age_alert)
    row.wait_for()
    assert row.get_attribute("data-status") == "open"
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.locator('canvas[data-drawn="1"]').count() > 0
    assert page.locator('table[data-testid="latest-drift"] tr[data-feature="age"]'
                        ).get_attribute("data-drifted") == "yes"  # fmt: skip
    shot(page, "monitoring-ml-engineer")

    alert_id = int(row.get_attribute("data-alert-id"))
    row.get_by_placeholder("what is being done").fill("asked the ADT feed team about ages")
    row.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(f'tr[data-alert-id="{alert_id}"][data-status="acknowledged"]')
    acked = page.locator(f'tr[data-alert-id="{alert_id}"]')
    assert "asked the ADT feed team about ages" in acked.inner_text()
    assert acked.get_by_role("button", name="Acknowledge").count() == 0
    shot(page, "monitoring-alert-acked")

    book = AlertBook(Store(ws.store_url), AuditLog.from_workspace(ws))
    assert book.get(alert_id).status == "acknowledged"
    assert book.get(alert_id).acknowledged_by == "eve"
    # the shared workspace did not change
    assert not [a for a in _book(dash).list(model=USECASE) if a.scope == "feature:age"]


def test_a_viewer_sees_the_page_without_buttons(page: Any, server: Served, dash: Dash) -> None:
    login(page, server, dash.key("viewer"), next_url=PAGE)
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.locator('canvas[data-drawn="1"]').count() > 0
    assert page.get_by_role("heading", name="Alerts").is_visible()
    assert page.locator('table[data-testid="alerts"] tbody tr').count() == len(
        _book(dash).list(status="active", model=USECASE)
    )
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    assert page.get_by_role("button", name="Resolve").count() == 0
    # the feature selector swaps the drift charts in place
    page.select_option("#feature-select", "age")
    page.wait_for_selector('#feature-drift[data-feature="age"] canvas[data-drawn="1"]')
    shot(page, "monitoring-viewer")
