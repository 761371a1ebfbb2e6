"""CDS Hooks 2.0 routes: discovery, ``patient-view`` and ``encounter-discharge``, feedback.

Each served model is offered as two services, ``<model>-patient-view`` and
``<model>-discharge``, whose prefetch templates ask only for the FHIR resource types the
model's features read. A call is authenticated by the EHR's JWT (:mod:`._jwt`; any failure
is a bare 401), its prefetch is turned into the use case's features at request time
(:func:`wardwatch.features.features_from_fhir`), scored like a REST call (audited, logged
under the patient's pseudonym) and answered with one card. The service never queries a
FHIR server: missing prefetch is 412, and a ``fhirServer`` outside the allowlist is
refused (no request forgery through the EHR's context). Feedback on a card (accepted or
overridden, with a reason) is audited and kept in the lake's ``cds_feedback`` table for
alert-burden monitoring.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel

from wardwatch.audit import pseudonym
from wardwatch.errors import WardwatchError
from wardwatch.registry import Identity
from wardwatch.serve._cds import (
    CdsRequestError,
    feedback_items,
    hook_request,
    missing_prefetch,
    prefetch_templates,
    risk_card,
    service_definition,
)
from wardwatch.serve._json import json_response
from wardwatch.serve._jwt import JwtRejected, JwtVerifier
from wardwatch.serve._service import Service

__all__ = ["HOOKS", "cds_router"]

HOOKS = {"patient-view": "patient-view", "discharge": "encounter-discharge"}
"""Service id suffix -> hook."""

_KIND_TYPES = {
    "demographic": "Patient",
    "stay": "Encounter",
    "utilization": "Encounter",
    "comorbidity": "Condition",
    "lab": "Observation",
    "abnormal_labs": "Observation",
    "medications": "MedicationRequest",
}

FEEDBACK_SCHEMA = pa.schema(
    [
        ("at", pa.timestamp("us", tz="UTC")),
        ("service", pa.string()),
        ("card", pa.string()),
        ("outcome", pa.string()),
        ("reason", pa.string()),
        ("outcome_time", pa.string()),
    ]
)


class _Error(BaseModel):
    error: str


_UNAUTHORIZED = {"description": "the EHR's JWT is missing or refused (no body)", "content": {}}
_CALL_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _UNAUTHORIZED,
    **{c: {"model": _Error} for c in (400, 404, 412, 422, 503)},
}
_FEEDBACK_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _UNAUTHORIZED,
    **{c: {"model": _Error} for c in (400, 404, 422)},
}


def _bare(status: int) -> Response:
    return Response(status_code=status)


def cds_router(service: Service, verifier: JwtVerifier | None) -> APIRouter:
    """The CDS Hooks routes over ``service``; without a ``verifier`` every hook call is 401
    (CDS Hooks calls must carry the EHR's JWT)."""
    router = APIRouter(tags=["cds-hooks"])
    settings = service.settings

    def services() -> dict[str, tuple[str, str]]:
        return {
            f"{m}-{suffix}": (m, hook) for m in service.hub.names for suffix, hook in HOOKS.items()
        }

    def caller(authorization: str | None, service_id: str) -> Identity:
        if verifier is None:
            raise JwtRejected("missing")
        url = f"{settings.public_url.rstrip('/')}/cds-services/{service_id}"
        token = verifier.verify(authorization, service_url=url)
        return Identity(name=f"ehr:{token.iss}"[:200], role="clinician", key_id=None)

    def admitted(service_id: str, authorization: str | None, path: str) -> Identity | Response:
        """The EHR calling ``path`` of a known service, or the response refusing it (404 for
        an unknown service, a bare 401 for any JWT failure)."""
        if service_id not in services():
            return json_response({"error": "no such CDS service"}, status_code=404)
        try:
            return caller(authorization, path)
        except JwtRejected:
            return _bare(401)

    @router.get("/cds-services")
    async def discovery() -> dict[str, Any]:
        """The CDS services offered (one per served model and hook)."""
        out = []
        for sid, (name, hook) in services().items():
            model = service.hub.model(name)
            if model is None:
                continue
            types = sorted({_KIND_TYPES.get(f.kind, "Patient") for f in model.usecase.features})
            moment = "chart open" if hook == "patient-view" else "discharge"
            out.append(
                service_definition(
                    service_id=sid,
                    hook=hook,  # type: ignore[arg-type]
                    title=f"{name}: risk at {moment}",
                    description=(model.usecase.description or name).strip()[:500],
                    prefetch=prefetch_templates(["Patient", *types], hook=hook),
                )
            )
        return {"services": out}

    @router.post("/cds-services/{service_id}", responses=_CALL_RESPONSES)
    def call(
        service_id: str,
        body: dict[str, Any],
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Run the hook: one card with the calibrated risk, its band and top factors."""
        who = admitted(service_id, authorization, service_id)
        if isinstance(who, Response):
            return who
        name, hook = services()[service_id]
        try:
            hr = hook_request(body)
        except CdsRequestError as exc:
            return json_response({"error": str(exc)}, status_code=400)
        if hr.hook != hook:
            return json_response({"error": f"this service answers {hook}"}, status_code=400)
        if hr.fhirServer is not None and hr.fhirServer not in settings.fhir_servers:
            return json_response({"error": "fhirServer is not on the allowlist"}, status_code=400)
        model = service.hub.model(name)
        if model is None:
            return json_response({"error": "the model has no champion yet"}, status_code=503)
        types = {_KIND_TYPES.get(f.kind, "Patient") for f in model.usecase.features}
        wanted = prefetch_templates(["Patient", *types], hook=hook)
        if missing_prefetch(wanted, hr.prefetch):
            return json_response(
                {"error": "required prefetch is missing and no FHIR server is queried"},
                status_code=412,
            )
        from wardwatch.features import features_from_fhir, flatten_resources

        try:
            built = features_from_fhir(
                flatten_resources(hr.prefetch),
                model.usecase,
                encounter_id=hr.context.encounterId,
                now=datetime.now(UTC),
            )
        except WardwatchError as exc:
            return json_response({"error": str(exc).splitlines()[0]}, status_code=422)
        card_id = str(uuid.uuid4())
        out = service.predict(
            who,
            name,
            [built.row],
            patients=[built.patient_id],
            channel=f"cds:{hook}",
            request_id=card_id.replace("-", ""),
        )
        p, served = out.predictions[0], out.route.served
        words = {"low": "low", "medium": "elevated", "high": "high"}[p.band]
        card = risk_card(
            summary=f"{words[0].upper()}{words[1:]} risk: {name} {p.risk:.0%}",
            risk=p.risk,
            band=p.band,  # type: ignore[arg-type]
            model_name=served.name,
            model_version=str(served.version),
            factors=[f.to_dict() for f in p.factors],
            source_label=f"wardwatch {served.name} v{served.version}",
            source_url=None,
            dashboard_url=(  # the dashboard's triage view of this very prediction
                f"{settings.dashboard_url.rstrip('/')}/triage?request_id={out.request_id}"
                if settings.dashboard_url
                else None
            ),
            threshold=served.threshold,
            uuid=card_id,
        )
        return json_response({"cards": [card]})

    @router.post("/cds-services/{service_id}/feedback", responses=_FEEDBACK_RESPONSES)
    def feedback(
        service_id: str,
        body: dict[str, Any],
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Accepted / overridden cards, kept for alert-burden monitoring."""
        who = admitted(service_id, authorization, f"{service_id}/feedback")
        if isinstance(who, Response):
            return who
        try:
            items = feedback_items(body)
        except CdsRequestError as exc:
            return json_response({"error": str(exc)}, status_code=400)
        now = datetime.now(UTC)
        rows = []
        for it in items:
            reason = (
                it.overrideReason.reason.code
                if it.overrideReason and it.overrideReason.reason
                else None
            )
            rows.append(
                {"at": now, "service": service_id, "card": str(it.card), "outcome": it.outcome,
                 "reason": reason, "outcome_time": str(it.outcomeTimestamp)}
            )  # fmt: skip
            service.metrics.cds_feedback.labels(service_id, it.outcome).inc()
            service.audit.append(
                who.name,
                "serve.cds_feedback",
                f"cds:{service_id}",
                {"card": str(it.card), "outcome": it.outcome, "reason": reason},
                role=who.role,
            )
        _write_feedback(service, rows)
        return json_response({}, status_code=200)

    return router


def _write_feedback(service: Service, rows: Sequence[Mapping[str, Any]]) -> None:
    now = datetime.now(UTC)
    folder = service.ws.lake_dir / "cds_feedback" / f"date={now:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-{now:%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = folder / f".{name}.tmp"
    pq.write_table(pa.Table.from_pylist(list(rows), schema=FEEDBACK_SCHEMA), tmp)
    tmp.replace(folder / name)


def patient_pseudonym(service: Service, patient_id: str) -> str:
    """How the prediction log names a patient (for tests and the dashboard)."""
    return pseudonym(patient_id, service.secret)
