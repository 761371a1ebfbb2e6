"""Model version (``/ui/models/{name}/{version}``): one registered version and its evidence.

``version`` is a number or a protected alias (``champion``, ``challenger``). The page shows
the version's status, the aliases it holds and who registered it; its evaluation report
(discrimination, the calibration curve, thresholds and alert burden, the decision curve,
subgroups with the report's small-group suppression); the latest gate result check by check
and every gate evaluation; decisions and alias moves; lineage (data, code and configuration
hashes); and the model card with the 31 ONC HTI-1 source attributes
(``/ui/models/{name}/{version}/card`` serves the card's full HTML page).

Approvers and admins get a form to approve or reject with a comment (``POST .../approve``,
``.../reject``). The registry decides: a role that may not, or the person who registered the
version, is refused with the registry's one-line reason on the page and nothing recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from wardwatch.errors import WardwatchError
from wardwatch.registry import (
    PROTECTED_ALIASES,
    ForbiddenError,
    Identity,
    ModelVersion,
    RegistryError,
    card_for,
)
from wardwatch.registry.cards import ModelCard
from wardwatch.web import _charts
from wardwatch.web._context import UI, UIError, checked_form, signed_in, ui
from wardwatch.web._render import SECURITY_HEADERS, render
from wardwatch.web._session import Session
from wardwatch.web._version_data import (
    RATES,
    SUBGROUP_METRICS,
    Evaluation,
    GateCheck,
    evaluation_of,
    gate_checks,
    lineage_rows,
)

__all__ = [
    "VersionPage",
    "calibration_chart",
    "card_of",
    "decision_chart",
    "gather",
    "parse_ref",
    "router",
]

router = APIRouter(prefix="/ui", include_in_schema=False)

_NUMBER = re.compile(r"[0-9]{1,9}")
_DECISIONS = ("approve", "reject")


def parse_ref(text: str) -> int | str:
    """The version asked for: a number, or a protected alias; anything else is a 400."""
    if _NUMBER.fullmatch(text):
        return int(text)
    if text.isascii() and text.isdigit():  # beyond any version the registry could hold
        raise UIError(404, f"no version {text[:40]} is registered")
    if text in PROTECTED_ALIASES:
        return text
    names = ", ".join(PROTECTED_ALIASES)
    raise UIError(400, f"version must be a number or one of {names}; found {text[:40]!r}")


def _read_error(exc: WardwatchError) -> UIError:
    """A library error as a page: 403 for a role that may not, 404 for what the registry
    does not hold, 500 (with its one-line message) for anything else."""
    if isinstance(exc, ForbiddenError):
        return UIError(403, str(exc))
    return UIError(404 if isinstance(exc, RegistryError) else 500, str(exc))


def _model_for(state: UI, session: Session, name: str) -> str:
    """``name`` when it is registered and the session's key may use it (404 otherwise: a
    scoped key learns nothing of the models outside its scope)."""
    if not session.identity.may_use(name) or name not in state.registry.names():
        raise UIError(404, f"no model named {name[:80]!r} is registered")
    return name


@dataclass(frozen=True)
class VersionPage:
    """Everything the page shows of one version, as the registry holds it."""

    mv: ModelVersion
    aliases: list[str]
    checks: list[GateCheck]
    gate_history: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    alias_events: list[dict[str, Any]]
    lineage: list[tuple[str, str, bool]]
    """(label, value, whether the value is a hash or an id shown in monospace)."""
    evidence: list[tuple[str, str | None, str | None]]
    """(report kind, file it came from, SHA-256) of the reports the gates saw."""
    evaluation: Evaluation | None
    card: dict[str, Any] | None
    """The model card (:meth:`ModelCard.to_dict`); None when it cannot be built."""
    card_error: str | None
    card_groups: list[tuple[int, str, list[dict[str, Any]]]]
    """The HTI-1 source attributes in their nine groups (number, name, attributes)."""


def card_of(state: UI, name: str, ref: int | str, who: Identity) -> ModelCard:
    """The model card of version ``ref`` of ``name`` (every role may read it)."""
    return card_for(state.registry, name, ref, identity=who)


def gather(state: UI, name: str, ref: int | str, who: Identity) -> VersionPage:
    """The page's data for version ``ref`` of ``name`` (raises the registry's errors)."""
    reg = state.registry
    shown = reg.show(name, ref, identity=who)
    number = int(shown["version"])
    mv = reg.version(name, number, identity=who)
    evidence = reg.evidence(name, number, identity=who)
    card: dict[str, Any] | None = None
    card_error = None
    try:
        card = card_for(reg, name, number, identity=who).to_dict()
    except WardwatchError as exc:
        card_error = str(exc)
    attributes = (card or {}).get("hti1", {}).get("attributes", [])
    groups = [
        (number_, items[0]["group"], items)
        for number_, grouped in groupby(attributes, key=lambda a: int(a["group_number"]))
        for items in [list(grouped)]
    ]
    return VersionPage(
        mv=mv,
        aliases=list(shown["aliases"]),
        checks=gate_checks(mv.gate),
        gate_history=list(shown["gate_history"]),
        decisions=list(shown["decisions"]),
        alias_events=list(shown["alias_events"]),
        lineage=lineage_rows(mv),
        evidence=[
            (kind, d["source"] if d else None, d["sha256"] if d else None)
            for kind, d in shown["evidence"].items()
        ],
        evaluation=evaluation_of(evidence.evaluation.data) if evidence.evaluation else None,
        card=card,
        card_error=card_error,
        card_groups=groups,
    )


def calibration_chart(ev: Evaluation) -> dict[str, Any] | None:
    """Observed event rate against mean predicted risk per reliability bin, with the
    diagonal of perfect calibration (None when no bin has an observed rate)."""
    points = [(b.predicted.value, b.observed.value) for b in ev.reliability]
    shown = [(x, y) for x, y in points if x is not None and y is not None]
    if not shown:
        return None
    top = max(max(x, y) for x, y in shown)
    hi = min(1.0, max(0.1, -(-top * 10 // 1) / 10))
    return _charts.xy(
        [("observed event rate", shown)],
        x_label="mean predicted risk",
        y_label="observed event rate",
        diagonal=True,
        x_range=(0.0, hi),
        y_range=(0.0, hi),
    )


def decision_chart(ev: Evaluation) -> dict[str, Any] | None:
    """Net benefit of acting on the model, of treating everyone and of treating no one, by
    threshold probability; treat-all is cut where it falls below the chart (None when the
    report has no decision curve)."""
    model = [(p.threshold, p.model.value) for p in ev.decision_curve if p.model.value is not None]
    if not model:
        return None
    top = max([0.01, *(v for _, v in model),
               *(p.treat_all.value or 0.0 for p in ev.decision_curve)])  # fmt: skip
    low = -top / 4
    everyone = [(p.threshold, p.treat_all.value) for p in ev.decision_curve
                if p.treat_all.value is not None and p.treat_all.value >= low]  # fmt: skip
    ts = [t for t, _ in model]
    return _charts.xy(
        [
            ("model", model),
            ("treat all", everyone),
            ("treat none", [(min(ts), 0.0), (max(ts), 0.0)]),
        ],
        x_label="threshold probability",
        y_label="net benefit",
        y_range=(low, top * 1.05),
    )


def _done_notice(page: VersionPage, session: Session, decided: str | None) -> str | None:
    """The confirmation after a decision, only when the latest decision is this person's."""
    if decided not in _DECISIONS or not page.decisions:
        return None
    last = page.decisions[-1]
    if last.get("by") != session.name or last.get("decision") != decided:
        return None
    verb = "approved" if decided == "approve" else "rejected"
    return f"You {verb} {page.mv.name} version {page.mv.version}."


def _respond(request: Request, session: Session, name: str, version: str, *,
             error: str | None = None, status: int = 200) -> Response:  # fmt: skip
    """The page of version ``version`` (as asked) of ``name``; ``error``: a refused
    decision's reason, shown above the page."""
    state = ui(request)
    try:
        page = gather(state, _model_for(state, session, name), parse_ref(version),
                      session.identity)  # fmt: skip
    except WardwatchError as exc:
        raise _read_error(exc) from None
    ev = page.evaluation
    return render(
        request,
        "version.html",
        {
            "v": page,
            "ev": ev,
            "rates": RATES,
            "subgroup_metrics": SUBGROUP_METRICS,
            "calibration_chart": calibration_chart(ev) if ev else None,
            "decision_chart": decision_chart(ev) if ev else None,
            "asked": version,
            "notice": _done_notice(page, session, request.query_params.get("done")),
            "error": error,
        },
        session=session,
        page="overview",
        status_code=status,
    )


@router.get("/models/{name}/{version}")
def version_page(request: Request, name: str, version: str) -> Response:
    session = signed_in(request, "version")
    return _respond(request, session, name, version)


@router.get("/models/{name}/{version}/card")
def model_card(request: Request, name: str, version: str) -> Response:
    """The model card's own self-contained HTML page (no scripts; same facts as the page)."""
    session = signed_in(request, "version")
    state = ui(request)
    try:
        card = card_of(state, _model_for(state, session, name), parse_ref(version),
                       session.identity)  # fmt: skip
    except WardwatchError as exc:
        raise _read_error(exc) from None
    return HTMLResponse(card.to_html(), headers=SECURITY_HEADERS)


def _decide(state: UI, session: Session, name: str, ref: int | str, decision: str,
            comment: str) -> None:  # fmt: skip
    """Record the decision through the registry (which checks the role, the second person
    and the comment, and writes the audit event)."""
    reg = state.registry
    try:
        number = reg.version(name, ref, identity=session.identity).version
    except WardwatchError as exc:
        raise _read_error(exc) from None
    decide = reg.approve if decision == "approve" else reg.reject
    decide(name, number, identity=session.identity, comment=comment)


async def _post(request: Request, name: str, version: str, decision: str) -> Response:
    session = signed_in(request, "version")
    form = await checked_form(request, session)
    state = ui(request)
    model = await run_in_threadpool(_model_for, state, session, name)
    ref = parse_ref(version)
    try:
        await run_in_threadpool(_decide, state, session, model, ref, decision,
                                form.get("comment", ""))  # fmt: skip
    except WardwatchError as exc:
        # the registry's one-line reason on the page; nothing was recorded
        status = 403 if isinstance(exc, ForbiddenError) else 409
        if isinstance(exc, RegistryError) and exc.field == "comment":
            status = 400
        message = str(exc)
        return await run_in_threadpool(
            lambda: _respond(request, session, name, version, error=message, status=status)
        )
    target = f"/ui/models/{quote(model)}/{quote(version)}?done={decision}"
    return RedirectResponse(target, 303)


@router.post("/models/{name}/{version}/approve")
async def approve(request: Request, name: str, version: str) -> Response:
    return await _post(request, name, version, "approve")


@router.post("/models/{name}/{version}/reject")
async def reject(request: Request, name: str, version: str) -> Response:
    return await _post(request, name, version, "reject")
