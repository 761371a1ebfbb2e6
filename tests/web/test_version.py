"""The model version page (``/ui/models/{name}/{version}``) against a real ``wardwatch serve``:
who may open it, its numbers against the stored evaluation report (and scikit-learn on the
test predictions of a version trained here), its gate checks against the registry, clean
4xx pages for bad paths, and approving or rejecting through the page (second person only,
CSRF, a refused role records nothing), in httpx and in Chromium.

The champion (logreg) and the shared LightGBM version of ``dash`` are only read. The
decisions are taken on versions this module trains and registers itself (:func:`fresh`).
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score
from tests.registry.conftest import LEAKAGE, LENIENT, QUALITY, USECASE
from tests.serve.conftest import Served
from tests.train._data import make_frame, make_usecase
from tests.web.conftest import Dash, client, csrf_of, login, shot

from wardwatch.registry import Evidence, Registry, authenticate, create_identity, parse_policy

pytestmark = pytest.mark.xdist_group("web")

ROLES = ("viewer", "clinician", "ml-engineer", "approver", "admin")


@dataclass(frozen=True)
class Fresh:
    """Versions registered by this module, so deciding on them touches no shared state."""

    own: int
    """logreg of a new training run, registered by ada (admin): she may not decide on it."""
    browser: int
    """LightGBM of the same run, registered by emil (ml-engineer): ann approves it in Chromium."""
    labels: np.ndarray
    """The test split's outcomes of that run."""
    probs: dict[str, np.ndarray]
    """Each model's calibrated test predictions (what its evaluation report was made from)."""


@pytest.fixture(scope="module")
def fresh(dash: Dash) -> Fresh:
    """A new training run in ``dash.ws`` (the shared runs are registered already), each model
    evaluated and registered under the lenient policy."""
    from wardwatch.cli.evaluate import evaluate_test_split
    from wardwatch.train import prediction_column, train_usecase, workspace_tracking

    uri, artifacts = workspace_tracking(dash.ws)
    frame, _ = make_frame(700, seed=5)
    usecase = make_usecase(evaluation={"n_bootstrap": 50})
    with contextlib.redirect_stdout(io.StringIO()):
        run = train_usecase(frame, usecase, tracking_uri=uri, artifact_location=artifacts, seed=2)
    summary = run.to_dict()

    def evidence(model: str) -> Evidence:
        report = evaluate_test_split(run.test_predictions, usecase, summary, model)
        return Evidence.from_reports(quality=QUALITY, leakage=LEAKAGE, evaluation=report.to_dict())

    reg = Registry.from_workspace(dash.ws)
    try:
        policy = parse_policy(LENIENT)
        ada = authenticate(reg.store, dash.keys["ada"])
        emil = authenticate(reg.store, dash.keys["emil"])
        own = reg.register(
            USECASE, model="logreg", identity=ada, policy=policy, evidence=evidence("logreg")
        )
        lgbm = reg.register(
            USECASE, model="lgbm", identity=emil, policy=policy, evidence=evidence("lgbm")
        )
    finally:
        reg.close()
    preds = run.test_predictions
    return Fresh(
        own=own.version,
        browser=lgbm.version,
        labels=preds["label"].to_numpy(),
        probs={m: preds[prediction_column(m)].to_numpy() for m in ("logreg", "lgbm")},
    )


# -- helpers -------------------------------------------------------------------------------


def _session(server: Served, key: str | None = None) -> contextlib.closing[httpx.Client]:
    """A signed-in httpx client (see :func:`client`), closed at the end of the block."""
    return contextlib.closing(client(server, key))


def _url(version: int | str) -> str:
    return f"/ui/models/{USECASE}/{version}"


def _show(dash: Dash, ref: int | str) -> dict[str, Any]:
    reg = Registry.from_workspace(dash.ws)
    try:
        return reg.show(USECASE, ref, identity=authenticate(reg.store, dash.key("viewer")))
    finally:
        reg.close()


def _report(dash: Dash, ref: int | str) -> dict[str, Any]:
    reg = Registry.from_workspace(dash.ws)
    try:
        ev = reg.evidence(USECASE, ref, identity=authenticate(reg.store, dash.key("viewer")))
    finally:
        reg.close()
    assert ev.evaluation is not None
    return ev.evaluation.data


_NUM = r"(-?[0-9]+\.[0-9]+)"


def _metric(text: str, key: str) -> tuple[float, float, float]:
    """(value, low, high) of a metric row (``<tr data-metric=...>``) of the page."""
    m = re.search(
        rf'<tr data-metric="{key}"[^>]*>.*?<td class="num" data-value>{_NUM}</td>'
        rf'<td class="num">{_NUM} to {_NUM}</td>',
        text,
        re.S,
    )
    assert m, f"no row for {key}"
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def _pct_cell(row: str, col: str) -> tuple[float, float, float]:
    """(value, low, high) as shares of a percentage cell ``data-col=col`` of a table row."""
    m = re.search(
        rf'data-col="{col}">([0-9.]+)%<span class="vci">([0-9.]+)%–([0-9.]+)%</span>', row
    )
    assert m, f"no {col} cell"
    return float(m.group(1)) / 100, float(m.group(2)) / 100, float(m.group(3)) / 100


def _close(shown: float, value: float, digits: int) -> bool:
    return abs(shown - value) <= 0.5 * 10.0**-digits + 1e-9


def _row(text: str, attr: str, value: str) -> str:
    m = re.search(rf'<tr {attr}="{re.escape(html.escape(value))}"[^>]*>(.*?)</tr>', text, re.S)
    assert m, f"no row {attr}={value}"
    return m.group(1)


def _decisions(dash: Dash, version: int) -> list[tuple[str, str, str]]:
    return [(d["by"], d["decision"], d["comment"]) for d in _show(dash, version)["decisions"]]


def _post(c: Any, version: int | str, action: str, comment: str, token: str | None) -> Any:
    data = {"comment": comment}
    if token is not None:
        data["csrf_token"] = token
    return c.post(f"{_url(version)}/{action}", data=data)


# -- who may open it ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_the_champion(server: Served, dash: Dash, role: str) -> None:
    number = dash.versions["logreg"]
    with _session(server, dash.key(role)) as c:
        for ref in ("champion", str(number)):
            r = c.get(_url(ref))
            assert r.status_code == 200, r.text[:300]
            assert f"version {number}</span></h1>" in r.text
            assert "@champion" in r.text
            assert 'id="model-card"' in r.text
            assert ('data-testid="decide-form"' in r.text) == (role in ("approver", "admin"))


def test_signed_out_goes_to_the_login_page(server: Served) -> None:
    with _session(server) as c:
        r = c.get(_url("champion"))
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/login?next=/ui/models/")


def test_status_aliases_and_registration_match_the_registry(server: Served, dash: Dash) -> None:
    shown = _show(dash, "champion")
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url("champion")).text
    status = re.search(r'data-testid="status"><span class="badge [a-z]+">([a-z-]+)<', text)
    assert status
    assert status.group(1) == shown["status"] == "approved"
    aliases = re.findall(r'<span class="badge info">@([a-z]+)</span>', text)
    assert aliases == shown["aliases"] == ["champion"]
    assert f'{shown["registered_by"]} <span class="muted">({shown["registered_role"]})' in text
    for d in shown["decisions"]:  # the approval with its comment
        assert f'data-by="{d["by"]}"' in text
        assert html.escape(d["comment"]) in text
    for e in shown["alias_events"]:
        assert html.escape(e["reason"]) in text
    lineage = shown["lineage"]
    for value in (
        lineage["dataset"]["fingerprint"],
        lineage["code"]["version"],
        lineage["usecase_spec"]["sha256"],
        shown["lineage_sha256"],
    ):
        assert value in text


# -- numbers --------------------------------------------------------------------------------


def test_headline_numbers_equal_the_evidence_report(server: Served, dash: Dash) -> None:
    report = _report(dash, "champion")
    both = {**report["calibration"], **report["discrimination"]}
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url("champion")).text
    keys = (
        "auroc",
        "auprc",
        "brier",
        "calibration_slope",
        "calibration_intercept",
        "oe_ratio",
        "ece",
    )
    for key in keys:
        value, low, high = _metric(text, key)
        est = both[key]
        assert _close(value, est["value"], 3), key
        assert _close(low, est["ci"][0], 3), key
        assert _close(high, est["ci"][1], 3), key
    kpi = re.search(r'data-testid="kpi-auroc"><div class="v">([0-9.]+)<', text)
    assert kpi
    assert _close(float(kpi.group(1)), report["discrimination"]["auroc"]["value"], 3)
    data = re.search(r'data-testid="eval-data">(.*?)</p>', text, re.S)
    assert data
    d = report["data"]
    assert (
        f"{d['predictions']} predictions for {d['patients']} patients with "
        f"{d['positives']} events" in " ".join(data.group(1).split())
    )


def test_calibration_curve_and_decision_curve_carry_the_report(server: Served, dash: Dash) -> None:
    report = _report(dash, "champion")
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url("champion")).text
    charts = [html.unescape(m) for m in re.findall(r'data-chart="([^"]*)"', text)]
    assert len(charts) == 2
    calibration, decision = (json.loads(c) for c in charts)
    bins = [b for b in report["calibration"]["reliability"] if b["observed"]["value"] is not None]
    points = calibration["data"]["datasets"][0]["data"]
    assert [(p["x"], p["y"]) for p in points] == [
        (b["mean_predicted"]["value"], b["observed"]["value"]) for b in bins
    ]
    assert calibration["data"]["datasets"][-1]["label"] == "perfect calibration"
    labels = [ds["label"] for ds in decision["data"]["datasets"]]
    assert labels == ["model", "treat all", "treat none"]
    model = decision["data"]["datasets"][0]["data"]
    curve = report["decision_curve"]
    assert [(p["x"], p["y"]) for p in model] == [
        (r["threshold"], r["net_benefit"]["value"]) for r in curve
    ]
    # the numbers are in tables too
    table = re.search(r'data-testid="reliability">(.*?)</table>', text, re.S)
    assert table
    assert table.group(1).count("<tr>") == len(report["calibration"]["reliability"]) + 1
    rows = re.search(r'data-testid="decision-table">(.*?)</table>', text, re.S)
    assert rows
    assert rows.group(1).count("<tr>") == len(curve) + 1


def test_operating_points_equal_the_report(server: Served, dash: Dash) -> None:
    report = _report(dash, "champion")
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url("champion")).text
    assert report["operating_points"]
    for op in report["operating_points"]:
        row = _row(text, "data-policy", op["name"])
        if not op["reached"]:
            assert "No threshold meets" in row
            continue
        threshold = re.search(rf'data-col="threshold">{_NUM}<', row)
        assert threshold
        assert _close(float(threshold.group(1)), op["threshold"], 3)
        for col in ("sensitivity", "specificity", "ppv", "npv", "flag_rate"):
            value, low, high = _pct_cell(row, col)
            assert _close(value, op[col]["value"], 3), col
            assert _close(low, op[col]["ci"][0], 3), col
            assert _close(high, op[col]["ci"][1], 3), col
        per_day = op["alerts_per_day"]["value"]
        shown = re.search(rf'data-col="alerts_per_day">{_NUM}', row)
        assert shown
        assert _close(float(shown.group(1)), per_day, 2)


def test_subgroups_keep_the_reports_suppression(server: Served, dash: Dash) -> None:
    report = _report(dash, "champion")
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url("champion")).text
    suppressed = 0
    for section in report["subgroups"]:
        table = re.search(
            rf'data-testid="subgroup-{section["attribute"]}">(.*?)</table>', text, re.S
        )
        assert table, section["attribute"]
        for level in section["levels"]:
            row = _row(table.group(1), "data-level", str(level["level"]))
            if level["suppressed"]:
                suppressed += 1
                assert "suppressed" in row
                assert html.escape(level["reason"]) in row
                assert not re.search(r"[0-9]\.[0-9]", row)  # no number of a small group
            else:
                auroc = re.search(rf'data-col="auroc">{_NUM}', row)
                assert auroc
                assert _close(float(auroc.group(1)), level["metrics"]["auroc"]["value"], 3)
    assert suppressed >= 1  # the synthetic data has a small "unknown" sex group


def test_auroc_and_brier_agree_with_scikit_learn(
    server: Served,
    dash: Dash,
    fresh: Fresh,
) -> None:
    """An independent oracle: the page's numbers of a version trained here, against
    scikit-learn on that version's test predictions."""
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url(fresh.browser)).text
    y, p = fresh.labels, fresh.probs["lgbm"]
    assert _close(_metric(text, "auroc")[0], float(roc_auc_score(y, p)), 3)
    assert _close(_metric(text, "brier")[0], float(brier_score_loss(y, p)), 3)


def test_gate_checks_equal_the_registry(server: Served, dash: Dash) -> None:
    shown = _show(dash, "champion")
    with _session(server, dash.key("clinician")) as c:
        text = c.get(_url("champion")).text
    listed = re.findall(r'<tr data-check="([a-z_]+)" data-status="([a-z-]+)">', text)
    assert listed == [(c["check"], c["status"]) for c in shown["gate"]["checks"]]
    assert len(listed) == 3
    for check in shown["gate"]["checks"]:
        row = _row(text, "data-check", check["check"])
        assert html.escape(check["message"]) in row
    auroc = _row(text, "data-check", "auroc_lower_ci")
    assert "≥ 0.5" in auroc  # the policy's bound
    history = re.search(r'data-testid="gate-history">(.*?)</table>', text, re.S)
    assert history
    assert history.group(1).count("<tr>") == len(shown["gate_history"]) + 1


def test_the_model_card_is_readable_by_a_clinician(server: Served, dash: Dash) -> None:
    with _session(server, dash.key("clinician")) as c:
        text = c.get(_url("champion")).text
        full = c.get(_url("champion") + "/card")
    section = text[text.index('id="model-card"') :]
    assert "45 CFR 170.315(b)(11)(iv)(B)" in section
    assert "Cautioned out-of-scope use of the intervention" in section
    assert section.count("data-attribute=") == 31
    filled = re.search(r"<strong>([0-9]+)</strong> of 31 filled", section)
    assert filled
    assert section.count('<span class="badge pass">filled</span>') == int(filled.group(1))
    assert full.status_code == 200
    assert full.headers["content-security-policy"].startswith("default-src 'self'")
    assert "<script" not in full.text.lower()
    assert "HTI-1" in full.text


def test_the_card_matches_the_librarys_card(server: Served, dash: Dash) -> None:
    from wardwatch.registry import card_for

    reg = Registry.from_workspace(dash.ws)
    try:
        card = card_for(
            reg, USECASE, "champion", identity=authenticate(reg.store, dash.key("viewer"))
        )
    finally:
        reg.close()
    with _session(server, dash.key("viewer")) as c:
        text = c.get(_url("champion")).text
    filled = re.search(r"<strong>([0-9]+)</strong> of 31 filled", text)
    assert filled
    assert int(filled.group(1)) == card.filled
    for attribute in card.hti1:
        assert f'data-attribute="{attribute.key}"' in text


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ui/models/no-such-model/1", 404),
        (f"{_url('abc')}", 400),
        (f"{_url('999')}", 404),
        (f"{_url('-1')}", 400),
        (f"{_url('1.5')}", 400),
        (f"{_url('99999999999999999999')}", 404),
        (f"{_url('challenger')}", 404),
        (f"{_url('abc')}/card", 400),
        (f"{_url('999')}/card", 404),
    ],
)
def test_bad_paths_give_clean_error_pages(
    server: Served,
    dash: Dash,
    path: str,
    status: int,
) -> None:
    with _session(server, dash.key("viewer")) as c:
        r = c.get(path)
    assert r.status_code == status
    assert '<p class="notice error" role="alert">' in r.text
    assert "Traceback" not in r.text
    assert "Internal Server Error" not in r.text


def test_a_scoped_key_sees_nothing_of_other_models(server: Served, dash: Dash) -> None:
    reg = Registry.from_workspace(dash.ws)
    try:
        ada = authenticate(reg.store, dash.keys["ada"])
        _, viewer = create_identity(
            reg.store, "sol", "viewer", by=ada, audit=reg.audit, models=["some-other-model"]
        )
        _, approver = create_identity(
            reg.store, "sia", "approver", by=ada, audit=reg.audit, models=["some-other-model"]
        )
    finally:
        reg.close()
    before = _decisions(dash, dash.versions["lgbm"])
    with _session(server, viewer) as c:
        assert c.get(_url("champion")).status_code == 404
        assert c.get(_url("champion") + "/card").status_code == 404
    with _session(server, approver) as c:
        token = csrf_of(c.get("/ui/").text)
        r = _post(c, dash.versions["lgbm"], "approve", "out of scope", token)
        assert r.status_code == 404
    assert _decisions(dash, dash.versions["lgbm"]) == before


# -- deciding -------------------------------------------------------------------------------


def test_a_second_approver_approves_then_rejects(
    server: Served,
    dash: Dash,
    fresh: Fresh,
) -> None:
    with _session(server, dash.keys["abe"]) as c:
        page_ = c.get(_url(fresh.own))
        assert 'data-testid="decide-form"' in page_.text
        token = csrf_of(page_.text)
        r = _post(c, fresh.own, "approve", "discrimination and calibration reviewed", token)
        assert r.status_code == 303
        assert r.headers["location"] == f"{_url(fresh.own)}?done=approve"
        after = c.get(r.headers["location"])
        assert "You approved" in after.text
        assert re.search(
            r'<tr data-decision="approve" data-by="abe">.*?discrimination and '
            r"calibration reviewed",
            after.text,
        )
        assert _show(dash, fresh.own)["status"] == "approved"
        assert ("abe", "approve", "discrimination and calibration reviewed") in _decisions(
            dash, fresh.own
        )
        r = _post(c, fresh.own, "reject", "on second thought: slope too low", token)
        assert r.status_code == 303
        assert "You rejected" in c.get(r.headers["location"]).text
    assert _show(dash, fresh.own)["status"] == "rejected"
    assert _decisions(dash, fresh.own)[-1] == ("abe", "reject", "on second thought: slope too low")


def test_the_registrant_may_not_decide_on_their_own_version(
    server: Served, dash: Dash, fresh: Fresh
) -> None:
    with _session(server, dash.keys["ada"]) as c:  # admin: may approve, but registered it
        text = c.get(_url(fresh.own)).text
        assert "You registered this version" in text
        r = _post(c, fresh.own, "approve", "looks fine to me", csrf_of(text))
    assert r.status_code == 403
    notice = re.search(r'data-testid="decision-error">([^<]*)<', r.text)
    assert notice
    assert "ada registered" in notice.group(1)
    assert "second person" in notice.group(1)
    assert not [d for d in _decisions(dash, fresh.own) if d[0] == "ada"]


@pytest.mark.parametrize("role", ["viewer", "clinician", "ml-engineer"])
def test_a_forged_post_by_a_role_that_may_not_decide_is_refused(
    server: Served, dash: Dash, role: str
) -> None:
    number = dash.versions["lgbm"]
    before = _decisions(dash, number)
    with _session(server, dash.key(role)) as c:
        text = c.get(_url(number)).text
        assert 'data-testid="decide-form"' not in text
        assert "formaction" not in text
        token = csrf_of(text)
        for action in ("approve", "reject"):
            r = _post(c, number, action, "forged", token)
            assert r.status_code == 403
            assert "may not" in r.text
    assert _decisions(dash, number) == before
    assert _show(dash, number)["status"] != "approved"


def test_a_post_without_the_csrf_token_is_refused(server: Served, dash: Dash) -> None:
    number = dash.versions["lgbm"]
    before = _decisions(dash, number)
    with _session(server, dash.keys["abe"]) as c:
        c.get(_url(number))
        assert _post(c, number, "approve", "no token", None).status_code == 403
        assert _post(c, number, "approve", "bad token", "x" * 43).status_code == 403
        r = c.post(
            f"{_url(number)}/approve",
            data={"comment": "cross-site", "csrf_token": csrf_of(c.get(_url(number)).text)},
            headers={"origin": "https://evil.example"},
        )
        assert r.status_code == 403
    assert _decisions(dash, number) == before


def test_an_empty_comment_is_refused_with_the_registrys_reason(server: Served, dash: Dash) -> None:
    number = dash.versions["lgbm"]
    before = _decisions(dash, number)
    with _session(server, dash.keys["abe"]) as c:
        r = _post(c, number, "approve", "   ", csrf_of(c.get(_url(number)).text))
    assert r.status_code == 400
    assert "a comment is required" in r.text
    assert _decisions(dash, number) == before


# -- empty states ------------------------------------------------------------------------


def _render_without_evidence(report: dict[str, Any] | None) -> str:
    """The page of a version registered with ``report`` as its evaluation (None: none), no
    gate result, no decision and no card, rendered without a server."""
    from datetime import UTC, datetime

    from wardwatch.registry import ModelVersion
    from wardwatch.web._render import environment
    from wardwatch.web._version_data import RATES, SUBGROUP_METRICS, evaluation_of, lineage_rows
    from wardwatch.web.pages.version import VersionPage, calibration_chart, decision_chart

    mv = ModelVersion(
        name="bare", version=1, run_id="r1", model_uri="models:/m-1", model="logreg",
        registered_by="eve", registered_role="ml-engineer",
        registered_at=datetime(2026, 11, 1, tzinfo=UTC), status="registered", lineage={},
        lineage_sha256="0" * 64, evidence_sha256="1" * 64,
    )  # fmt: skip
    ev = evaluation_of(report) if report is not None else None
    page_ = VersionPage(
        mv=mv, aliases=[], checks=[], gate_history=[], decisions=[], alias_events=[],
        lineage=lineage_rows(mv), evidence=[("evaluation", None, None)], evaluation=ev,
        card=None, card_error="the registry record holds no use case", card_groups=[],
    )  # fmt: skip
    return environment().get_template("version.html").render(
        request=None, session=None, csrf="", nav=[], page="overview", htmx=False,
        can=lambda what: False, v=page_, ev=ev, rates=RATES, subgroup_metrics=SUBGROUP_METRICS,
        calibration_chart=calibration_chart(ev) if ev else None,
        decision_chart=decision_chart(ev) if ev else None,
        asked="1", notice=None, error=None,
    )  # fmt: skip


def test_a_version_without_evidence_shows_empty_states() -> None:
    text = _render_without_evidence(None)
    assert "registered without an evaluation report" in text
    assert "No gate has been evaluated" in text
    assert "No approval or rejection yet." in text
    assert "The model card cannot be built" in text
    assert "the registry record holds no use case" in text
    assert "data-chart" not in text


def test_an_empty_or_odd_report_shows_empty_sections_not_errors() -> None:
    odd = {
        "discrimination": {"auroc": {"value": None, "ci": None}, "auprc": "n/a"},
        "calibration": {"reliability": [{"bin": 1, "n": 4, "mean_predicted": {"value": 0.1},
                                         "observed": {"value": None}}]},
        "operating_points": [{"name": "catch 80%", "rule": "sensitivity ≥ 0.8",
                              "reached": False}],
        "subgroups": [{"attribute": "sex", "suppressed": 1,
                       "levels": [{"level": "x", "suppressed": True, "reason": "small"}]}],
    }  # fmt: skip
    for report in ({}, odd):
        text = _render_without_evidence(report)
        assert "data-chart" not in text
        assert "No calibration curve." in text
        assert "The report has no decision curve." in text
    assert "No threshold meets this policy" in text
    assert 'data-suppressed="1"' in text


# -- in the browser -------------------------------------------------------------------------


def test_an_approver_approves_in_the_browser(
    page: Any, server: Served, dash: Dash, fresh: Fresh
) -> None:
    url = _url(fresh.browser)
    login(page, server, dash.key("approver"), next_url=url)
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.locator('canvas[data-drawn="1"]').count() == 2
    assert page.get_by_role("heading", name="Calibration curve").is_visible()
    assert page.get_by_role("heading", name="Decision curve").is_visible()
    page.fill("#decision-comment", "Gates pass; calibration and net benefit reviewed.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(f"{server.url}{url}?done=approve")
    assert page.get_by_role("status").filter(has_text="You approved").is_visible()
    row = page.locator('tr[data-decision="approve"][data-by="ann"]')
    assert row.is_visible()
    assert "approved" in row.inner_text()
    assert page.locator('[data-testid="status"]').inner_text().strip() == "approved"
    shot(page, "version-approver")
    assert ("ann", "approve", "Gates pass; calibration and net benefit reviewed.") in _decisions(
        dash, fresh.browser
    )


def test_a_viewer_sees_the_evidence_and_no_buttons(page: Any, server: Served, dash: Dash) -> None:
    url = _url("champion")
    login(page, server, dash.key("viewer"), next_url=url)
    page.wait_for_selector('canvas[data-drawn="1"]')
    assert page.locator('canvas[data-drawn="1"]').count() == 2
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_role("button", name="Reject").count() == 0
    assert page.locator('[data-testid="gate-checks"] tr[data-check]').count() == 3
    shot(page, "version-viewer")


def test_a_clinician_reads_the_model_card(page: Any, server: Served, dash: Dash) -> None:
    url = _url("champion")
    login(page, server, dash.key("clinician"), next_url=url)
    page.get_by_role("link", name="Model card", exact=True).click()
    card = page.locator("#model-card")
    assert card.get_by_role("heading", name="Model card").is_visible()
    group = card.get_by_text("Cautioned out-of-scope use of the intervention")
    assert group.is_visible()
    assert card.locator('[data-attribute="out_of_scope"]').is_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    shot(page, "version-clinician")
