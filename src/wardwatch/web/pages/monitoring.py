"""Monitoring (``/ui/monitoring``, ``/ui/monitoring/{name}``): is the model still safe to use?

The list shows the models the key may use (one model: its page directly). A model's page
shows, over its stored monitoring windows (the champion's version by default,
``?version=N`` for another): per-feature drift with the threshold each verdict was judged
on, and PSI (``?feature=`` or the htmx selector, ``.../drift``); the latest window's drift
table; estimated (CBPE) against realized AUROC; calibration slope and O/E against their
acceptable ranges; the flag-rate ratio against the approved operating point and the
clinician override rate; the service's latency, error rate and volume; and the model's
alerts (``?alerts=all`` or the htmx filter, ``.../alerts``).

The roles that look after models in production (``can(role, "ack")``) acknowledge or resolve
an active alert with a required comment (``POST /ui/alerts/{id}/ack`` and ``.../resolve``):
the alert book records it, writes the audit event and tells the owner's sinks, as
``wardwatch monitor ack`` does. htmx gets the alert's row back; a plain form a redirect to
the page. Refusals (a role, a key's scope, an alert already resolved) are one-line 4xx
notices and change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from wardwatch.errors import WardwatchError
from wardwatch.monitor.alerts import Alert, AlertBook, AlertError, routes_for_workspace
from wardwatch.registry import ForbiddenError
from wardwatch.web._access import PAGE_ROLES, can
from wardwatch.web._charts import Series, line
from wardwatch.web._context import UI, UIError, checked_form, signed_in, ui
from wardwatch.web._monitoring_data import (
    FeatureTrack,
    Monitoring,
    Track,
    gather,
    limits,
    monitored_versions,
)
from wardwatch.web._render import render
from wardwatch.web._session import Session

__all__ = ["Column", "charts", "feature_charts", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False)

_NUMBER = re.compile(r"[0-9]{1,9}")
_THRESHOLD = "#A40E26"
_DONE = {"ack": "acknowledged", "resolve": "resolved"}
_QUANTILES = ("p50", "p95", "p99")


# -- charts and tables -----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a section's numbers table: a track's value and interval per window."""

    label: str
    track: Track
    digits: int = 3


def _series(label: str, t: Track, *, band: bool = True) -> Series:
    if band and t.has_interval:
        return Series(label, t.values, low=t.lower, high=t.upper)
    return Series(label, t.values)


def feature_charts(f: FeatureTrack, labels: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A feature's drift charts: the number its verdict was judged on per window with the
    observation's own threshold dashed, and its PSI with the usual 0.1 and 0.2 marks."""
    verdict = "drift at or below" if f.is_test else "drift at or above"
    threshold = Series(f"threshold ({verdict})", f.threshold, dashed=True,
                       extra={"borderColor": _THRESHOLD, "backgroundColor": _THRESHOLD,
                              "pointRadius": 0, "borderWidth": 1.5})  # fmt: skip
    score = line(
        labels,
        [Series(f"{f.score_label} ({f.method_label})", f.score), threshold],
        y_label=f"{f.score_label} of {f.name}",
        y_min=0,
        y_max=1 if f.is_test else None,
    )
    psi = line(
        labels,
        [Series(f"PSI of {f.name}", f.psi)],
        y_label="PSI",
        thresholds=[("PSI 0.1: moderate shift", 0.1), ("PSI 0.2: significant shift", 0.2)],
        y_min=0,
    )
    return score, psi


def charts(d: Monitoring) -> dict[str, dict[str, Any]]:
    """The page's charts (Chart.js configurations) by section name; dashed lines are the
    packaged alert rules' thresholds."""
    labels, t = d.labels, d.track
    est, real = t("estimated.auroc"), t("realized.auroc")
    latency = [_series(f"{q} latency", t(f"latency.{q}_ms", "service")) for q in _QUANTILES]
    volume = [
        _series("predictions scored", t("prediction.volume")),
        _series("scoring requests served", t("service.volume", "service")),
    ]
    out = {
        "performance": line(
            labels,
            [_series("estimated AUROC (CBPE)", est), _series("realized AUROC", real)],
            y_label="AUROC",
            thresholds=limits("estimated.auroc", "realized.auroc"),
            y_max=1,
        ),
        "latency": line(
            labels, latency, y_label="milliseconds", y_min=0,
            thresholds=limits("latency.p99_ms", scope="service"),
        ),
        "volume": line(labels, volume, y_label="rows per window", y_min=0),
    }  # fmt: skip
    singles = (
        ("prediction_psi", "prediction.psi", "model", "PSI of risk scores", "PSI", (0, None)),
        ("slope", "calibration.slope", "model", "calibration slope",
         "slope (1 = calibrated)", (None, None)),
        ("oe", "calibration.oe_ratio", "model", "observed / expected",
         "O/E (1 = as predicted)", (None, None)),
        ("flag_rate", "flag_rate.ratio", "model", "flag rate ÷ approved flag rate",
         "ratio (1 = as approved)", (0, None)),
        ("override", "override_rate", "model", "override rate", "share of flags overridden",
         (0, 1)),
        ("errors", "error_rate", "service", "error rate", "share of scoring requests failed",
         (0, None)),
    )  # fmt: skip
    for key, metric, scope, label, y_label, (y_min, y_max) in singles:
        out[key] = line(
            labels, [_series(label, t(metric, scope))], y_label=y_label,
            thresholds=limits(metric, scope=scope), y_min=y_min, y_max=y_max,
        )  # fmt: skip
    return out


def tables(d: Monitoring) -> dict[str, list[Column]]:
    """The numbers behind each section's charts, as table columns."""
    t = d.track
    return {
        "performance": [Column("estimated AUROC", t("estimated.auroc")),
                        Column("realized AUROC", t("realized.auroc"))],
        "calibration": [Column("slope", t("calibration.slope")),
                        Column("O/E", t("calibration.oe_ratio"))],
        "flags": [Column("flag-rate ratio", t("flag_rate.ratio")),
                  Column("override rate", t("override_rate"))],
        "service": [Column("p50 ms", t("latency.p50_ms", "service"), 1),
                    Column("p95 ms", t("latency.p95_ms", "service"), 1),
                    Column("p99 ms", t("latency.p99_ms", "service"), 1),
                    Column("error rate", t("error_rate", "service"), 4),
                    Column("predictions", t("prediction.volume"), 0),
                    Column("requests", t("service.volume", "service"), 0)],
    }  # fmt: skip


# -- finding the model and version -----------------------------------------------------------


def _models(state: UI, session: Session) -> list[str]:
    return [n for n in state.registry.names() if session.identity.may_use(n)]


def _model(state: UI, session: Session, name: str) -> str:
    if name not in _models(state, session):
        raise UIError(404, f"there is no model named {name[:80]!r} that your key may use")
    return name


def _version(state: UI, session: Session, name: str, text: str | None) -> int | None:
    """The version asked for (checked against the registry), else the champion, else the
    newest monitored version; None when there is none."""
    if text is not None and text != "":
        if not _NUMBER.fullmatch(text):
            raise UIError(400, f"version must be a whole number, not {text[:40]!r}")
        try:
            return state.registry.version(name, int(text), identity=session.identity).version
        except WardwatchError as exc:
            raise UIError(403 if isinstance(exc, ForbiddenError) else 404, str(exc)) from None
    champion = state.registry.alias_versions(name).get("champion")
    if champion is not None:
        return champion
    versions = monitored_versions(state.store, name)
    return versions[-1] if versions else None


def _book(state: UI, *, paging: bool = False) -> AlertBook:
    """The workspace's alert book; with ``paging``, routed to the owners' sinks as the CLI's
    ``monitor ack`` is (a broken routes file is a one-line 500 naming it)."""
    router_ = None
    if paging:
        try:
            router_ = routes_for_workspace(state.ws)
        except WardwatchError as exc:
            raise UIError(500, f"the alert routes cannot be read: {exc}") from None
    return AlertBook(state.store, state.audit, router=router_)


def _alerts(state: UI, name: str, status: str) -> list[Alert]:
    return _book(state).list(status="active" if status == "active" else None, model=name)


def _status(text: str | None) -> Literal["active", "all"]:
    if text in (None, "", "active"):
        return "active"
    if text == "all":
        return "all"
    raise UIError(400, f"alerts must be active or all, not {text[:20]!r}")


def _feature(d: Monitoring, text: str | None) -> FeatureTrack | None:
    """The feature asked for, else the first drifted in the latest window, else the first."""
    if text:
        if text not in d.features:
            raise UIError(404, f"{d.model} v{d.version} has no monitored feature {text[:60]!r}")
        return d.features[text]
    rows = d.latest_drift()
    if rows:
        return d.features[rows[0].feature]
    return next(iter(d.features.values()), None)


# -- pages -------------------------------------------------------------------------------------


@router.get("/monitoring")
def index(request: Request) -> Response:
    session = signed_in(request, "monitoring")
    state = ui(request)
    names = _models(state, session)
    if len(names) == 1:
        return RedirectResponse(f"/ui/monitoring/{names[0]}", 303)
    book = _book(state)
    rows = []
    for name in names:
        aliases = state.registry.alias_versions(name)
        rows.append({"name": name, "champion": aliases.get("champion"),
                     "versions": monitored_versions(state.store, name),
                     "active": len(book.list(status="active", model=name))})  # fmt: skip
    return render(request, "monitoring_index.html", {"models": rows}, session=session,
                  page="monitoring")  # fmt: skip


def _drift_context(d: Monitoring, feature: FeatureTrack | None) -> dict[str, Any]:
    score, psi = feature_charts(feature, d.labels) if feature else ({}, {})
    return {"data": d, "feature": feature, "score_chart": score, "psi_chart": psi}


@router.get("/monitoring/{name}")
def model_page(request: Request, name: str) -> Response:
    session = signed_in(request, "monitoring")
    state = ui(request)
    name = _model(state, session, name)
    q = request.query_params
    version = _version(state, session, name, q.get("version"))
    status = _status(q.get("alerts"))
    d = gather(state.store, name, version) if version is not None else None
    notice = None
    done, which = q.get("done"), q.get("alert")
    if done in _DONE and which and _NUMBER.fullmatch(which):
        notice = f"Alert #{which} {_DONE[done]}."
    context: dict[str, Any] = {
        "name": name,
        "version": version,
        "champion": state.registry.alias_versions(name).get("champion"),
        "versions": monitored_versions(state.store, name),
        "alerts": _alerts(state, name, status),
        "status": status,
        "notice": notice,
        "charts": charts(d) if d else {},
        "tables": tables(d) if d else {},
        "ack_roles": ", ".join(sorted(r for r in PAGE_ROLES["monitoring"] if can(r, "ack"))),
    }
    if d is not None:
        context.update(_drift_context(d, _feature(d, q.get("feature"))))
    else:
        context.update(data=None, feature=None, score_chart={}, psi_chart={})
    return render(request, "monitoring.html", context, session=session, page="monitoring")


@router.get("/monitoring/{name}/drift")
def drift_partial(request: Request, name: str) -> Response:
    """One feature's drift charts and numbers (htmx); a plain request goes to the page."""
    session = signed_in(request, "monitoring")
    state = ui(request)
    name = _model(state, session, name)
    q = request.query_params
    if request.headers.get("hx-request") != "true":
        keep = {k: v for k, v in q.items() if k in ("version", "feature")}
        return RedirectResponse(f"/ui/monitoring/{name}?{urlencode(keep)}", 303)
    version = _version(state, session, name, q.get("version"))
    if version is None:
        raise UIError(404, f"{name} was never monitored")
    d = gather(state.store, name, version)
    context = _drift_context(d, _feature(d, q.get("feature")))
    return render(request, "_monitoring_drift.html", context, session=session, page="monitoring")


@router.get("/monitoring/{name}/alerts")
def alerts_partial(request: Request, name: str) -> Response:
    """The model's alerts table, active or all (htmx); a plain request goes to the page."""
    session = signed_in(request, "monitoring")
    state = ui(request)
    name = _model(state, session, name)
    status = _status(request.query_params.get("status"))
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/ui/monitoring/{name}?alerts={status}", 303)
    return render(request, "_alerts.html",
                  {"name": name, "alerts": _alerts(state, name, status), "status": status},
                  session=session, page="monitoring")  # fmt: skip


# -- acknowledging and resolving -------------------------------------------------------------


async def _close(request: Request, alert_id: str, action: Literal["ack", "resolve"]) -> Response:
    """An acknowledgement or resolution (see the module docstring); for htmx a refusal is the
    alert's one-line notice with the 4xx status, for a plain form the error page."""
    session = signed_in(request, "monitoring")
    try:
        return await _act(request, session, alert_id, action)
    except UIError as exc:
        if request.headers.get("hx-request") != "true":
            raise
        return render(request, "_alert_notice.html",
                      {"message": exc.message, "alert_id": alert_id[:20], "columns": 9},
                      session=session, page="monitoring", status_code=exc.status)  # fmt: skip


async def _act(request: Request, session: Session, alert_id: str,
               action: Literal["ack", "resolve"]) -> Response:  # fmt: skip
    form = await checked_form(request, session)
    verb = "acknowledge" if action == "ack" else "resolve"
    if not can(session.role, action):
        raise UIError(403, f"the {session.role} role may not {verb} alerts")
    if not _NUMBER.fullmatch(alert_id):
        raise UIError(404, f"there is no alert {alert_id[:20]!r}")
    state = ui(request)
    book = await run_in_threadpool(_book, state, paging=True)
    try:
        current = await run_in_threadpool(book.get, int(alert_id))
    except AlertError:
        raise UIError(404, f"there is no alert #{alert_id}") from None
    if not session.identity.may_use(current.model):
        raise UIError(404, f"there is no alert #{alert_id} that your key may use")
    comment = form.get("comment", "").strip()
    if not comment:
        raise UIError(400, f"say what was done or found: {verb} needs a comment")
    fn = book.acknowledge if action == "ack" else book.resolve
    try:
        alert = await run_in_threadpool(fn, current.id, session.identity, comment)
    except WardwatchError as exc:
        status = 403 if isinstance(exc, ForbiddenError) else 409
        raise UIError(status, exc.message if isinstance(exc, AlertError) else str(exc)) from None
    if request.headers.get("hx-request") == "true":
        return render(request, "_alert_row.html", {"a": alert, "name": alert.model},
                      session=session, page="monitoring")  # fmt: skip
    query = urlencode({"alerts": "all", "done": action, "alert": alert.id})
    return RedirectResponse(f"/ui/monitoring/{alert.model}?{query}#alert-{alert.id}", 303)


@router.post("/alerts/{alert_id}/ack")
async def acknowledge(request: Request, alert_id: str) -> Response:
    return await _close(request, alert_id, "ack")


@router.post("/alerts/{alert_id}/resolve")
async def resolve(request: Request, alert_id: str) -> Response:
    return await _close(request, alert_id, "resolve")
