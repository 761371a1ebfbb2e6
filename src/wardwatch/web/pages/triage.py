"""Triage (``/ui/triage``): one patient's or one request's scores, and why.

Search (GET ``?q=``) by a request id from the prediction log, by a patient pseudonym
(``pt_`` and 16 hex digits) or, for the clinician role only, by the patient id the EHR
knows (turned into its pseudonym with the workspace secret). CDS cards link here with
``?request_id=``. The result lists the matching predictions, newest first: time, model,
version, alias, risk (the calibrated probability, as a percentage), risk band and decision
(flagged: the risk crossed the version's decision threshold). The selected prediction
(``rid`` and ``v``; by default the newest one a clinician saw, i.e. not a shadow score) is
explained again from its logged input by the version that scored it (top factors in
clinical words, drawn as bars), with the key lines of that version's model card.

Identifying data (the patient id searched; name, birth date and MRN from the lake's
``patients`` table) appear for the clinician role only, and each such lookup is an audit
event (``ui.triage.identify``, subject the pseudonym). Every other role sees pseudonyms; a
search by a raw patient id gets the same answer whether or not that patient exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from wardwatch.audit import is_pseudonym, pseudonym
from wardwatch.errors import WardwatchError
from wardwatch.web import _triage_data as data
from wardwatch.web._access import can
from wardwatch.web._charts import bars
from wardwatch.web._context import UI, UIError, signed_in, ui
from wardwatch.web._render import render
from wardwatch.web._session import Session

__all__ = ["NOT_A_PSEUDONYM", "Found", "Selected", "router", "search"]

router = APIRouter(prefix="/ui", include_in_schema=False)
log = logging.getLogger("wardwatch.web")

_BAD_QUERY = (
    "the search must be a request id, a pseudonym (pt_ and 16 hex digits) or a patient id: "
    "1 to 128 letters, digits or . _ : @ / + = -"
)
NOT_A_PSEUDONYM = (
    "Search by pseudonym or request id: no prediction has this request id, and patient ids "
    "can be searched by the clinician role only."
)


@dataclass(frozen=True)
class Selected:
    """The prediction being explained, its explanation (None with ``explain_error`` when it
    cannot be recomputed) and its version's card lines."""

    prediction: data.LoggedPrediction
    explanation: data.Explanation | None
    explain_error: str | None
    chart: dict[str, Any] | None
    card: data.CardLines | None
    card_error: str | None


@dataclass(frozen=True)
class Found:
    """A search's result. ``searched_by`` is ``request id``, ``pseudonym`` or ``patient id``;
    ``patient`` the pseudonym the predictions are about (None for a request without one);
    ``raw_id`` and ``records`` are set for the clinician role only."""

    searched_by: str
    patient: str | None
    predictions: list[data.LoggedPrediction]
    total: int
    selected: Selected | None
    links: dict[tuple[str, int], str]
    raw_id: str | None = None
    records: list[data.PatientRecord] | None = None


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not data.valid_query(value):
        raise UIError(400, f"{name}: {_BAD_QUERY}")
    return value


def _selection(request: Request) -> tuple[str, int] | None:
    rid, v = _param(request, "rid"), request.query_params.get("v")
    if rid is None:
        return None
    if v is None or not v.isdigit() or len(v) > 9:
        raise UIError(400, "v: expected a version number with rid")
    return rid, int(v)


def _explain(state: UI, session: Session, pred: data.LoggedPrediction) -> Selected:
    explanation, chart, why = None, None, None
    try:
        explanation = data.explain(state.registry, pred)
    except WardwatchError as exc:
        why = f"the explanation cannot be recomputed: {exc}"
    except Exception as exc:  # a malformed logged input must not take the page down
        log.warning("triage explanation failed (%s)", type(exc).__name__)
        why = f"the explanation cannot be recomputed ({type(exc).__name__})"
    if explanation is not None and explanation.factors:
        rows = explanation.rows()
        chart = bars(
            [f"{r['label']}: {r['value']}" for r in rows],
            [r["contribution"] for r in rows],
            x_label="Contribution to the risk (log-odds; right raises it, left lowers it)",
        )
    card, card_error = None, None
    try:
        card = data.card_lines(state.registry, pred.model, pred.version, session.identity)
    except WardwatchError as exc:
        card_error = f"the model card cannot be read: {exc}"
    return Selected(pred, explanation, why, chart, card, card_error)


def _pick(
    preds: list[data.LoggedPrediction], wanted: tuple[str, int] | None
) -> data.LoggedPrediction | None:
    if wanted is not None:
        for p in preds:
            if p.key == wanted:
                return p
    return next((p for p in preds if not p.shadow), preds[0] if preds else None)


def _identify(state: UI, session: Session, found: Found) -> Found:
    """The clinician's identifying data for ``found``'s patient, recorded as an audit event
    (subject and payload name the pseudonym only)."""
    if found.patient is None or not found.predictions:
        return found
    records = data.patient_records(
        state.ws.lake_dir, state.ws.secret(), patient_id=found.raw_id, pseudo=found.patient
    )
    state.audit.append(
        session.name,
        "ui.triage.identify",
        f"patient:{found.patient}",
        {"patient": found.patient, "searched_by": found.searched_by,
         "records_shown": len(records), "key_id": session.identity.key_id},
        role=session.role,
    )  # fmt: skip
    return Found(found.searched_by, found.patient, found.predictions, found.total,
                 found.selected, found.links, found.raw_id, records)  # fmt: skip


def search(
    state: UI,
    session: Session,
    *,
    q: str | None,
    request_id: str | None,
    wanted: tuple[str, int] | None = None,
) -> tuple[Found | None, str | None]:
    """The result of a search and a notice for the page (one of them None, or both when
    nothing was asked). See the module docstring for what each role may search by."""
    models = session.identity.models
    lake = state.ws.lake_dir
    clinician = can(session.role, "identify")
    text = request_id or q
    if text is None:
        return None, None
    base = {"request_id": request_id} if request_id else {"q": q}
    raw_id: str | None = None
    patient: str | None
    if request_id is None and q is not None and is_pseudonym(q) and q.startswith("pt_"):
        searched_by, patient = "pseudonym", q
        preds, total = data.read_predictions(lake, patient=q, models=models)
    else:
        preds, total = data.read_predictions(lake, request_id=text, models=models)
        searched_by = "request id"
        patient = next((p.patient for p in preds if p.patient), None)
        if not preds and request_id is None:
            if not clinician:
                return None, NOT_A_PSEUDONYM
            raw_id, searched_by = text, "patient id"
            patient = pseudonym(text, state.ws.secret())
            preds, total = data.read_predictions(lake, patient=patient, models=models)
        if not preds:
            return None, (
                "No prediction in the log has this request id."
                if searched_by == "request id"
                else "No predictions in the log for this patient."
            )
    if not preds:
        return None, "No predictions in the log for this patient."
    links = {
        p.key: "/ui/triage?" + urlencode({**base, "rid": p.request_id, "v": p.version})
        for p in preds
    }
    chosen = _pick(preds, wanted)
    selected = _explain(state, session, chosen) if chosen is not None else None
    found = Found(searched_by, patient, preds, total, selected, links, raw_id)
    return (_identify(state, session, found) if clinician else found), None


@router.get("/triage")
def triage(request: Request) -> Response:
    session = signed_in(request, "triage")
    state = ui(request)
    q, request_id = _param(request, "q"), _param(request, "request_id")
    wanted = _selection(request)
    try:
        found, notice = search(state, session, q=q, request_id=request_id, wanted=wanted)
    except (duckdb.Error, OSError) as exc:  # a damaged or unreadable log file
        log.warning("triage: prediction log unreadable (%s)", type(exc).__name__)
        raise UIError(503, f"the prediction log cannot be read ({type(exc).__name__})") from None
    clinician = can(session.role, "identify")
    # the search box keeps what was typed, except a raw id typed by a role that may not
    # search by one (the page must not carry it back)
    shown = (q or request_id or "") if (clinician or notice != NOT_A_PSEUDONYM) else ""
    return render(
        request,
        "triage.html",
        {
            "query": shown,
            "searched": (q or request_id) is not None,
            "found": found,
            "notice": notice,
            "clinician": clinician,
            "log_empty": not data.has_predictions(state.ws.lake_dir),
            "top": data.TOP_FACTORS,
        },
        session=session,
        page="triage",
    )
