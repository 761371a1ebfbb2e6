"""The FastAPI application: REST predictions, FHIR output, health, readiness and metrics.

Every error is JSON ``{"error": "<one line>", "request_id": ...}`` and never echoes what the
request held (FastAPI's default 422 body repeats the input; here it names the field only).
Request bodies over the size limit get 413 before they are read whole. Every request but
health probes and metric scrapes leaves one row in the lake's request log (route template,
method, status, latency; see :class:`GuardMiddleware`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from wardwatch.serve._cds_routes import HOOKS, cds_router
from wardwatch.serve._guard import bearer
from wardwatch.serve._json import json_response
from wardwatch.serve._service import Outcome, Refused, Service
from wardwatch.serve._sink import PredictionSink

__all__ = ["create_app"]

Scalar = float | int | str | bool | None


class PredictRequest(BaseModel):
    """Rows of features (name -> number, text or null) and, optionally, the patient id of
    each row (kept only as a keyed pseudonym); or, instead of rows, a FHIR R4 Bundle of one
    patient's resources from which the use case's features are built at request time
    (``encounter_id`` names the index stay; default: the latest inpatient stay)."""

    model_config = ConfigDict(extra="forbid")
    rows: list[dict[str, Scalar]] | None = Field(default=None, min_length=1, max_length=1000)
    patient_ids: list[str | None] | None = Field(default=None, max_length=1000)
    bundle: dict[str, Any] | None = None
    encounter_id: str | None = Field(default=None, min_length=1, max_length=200)
    format: str = Field(default="json", pattern="^(json|fhir)$")


class FactorOut(BaseModel):
    feature: str
    label: str
    value: str
    contribution: float
    direction: str


class PredictionOut(BaseModel):
    risk: float
    band: str
    decision: bool
    factors: list[FactorOut]


class PredictResponse(BaseModel):
    request_id: str
    model: str
    version: int
    alias: str
    threshold: float
    predictions: list[PredictionOut]


class ErrorOut(BaseModel):
    """Every error: one line that never repeats what the request held."""

    error: str
    request_id: str | None = None


class FhirBundleOut(BaseModel):
    """With ``format: fhir``: a collection Bundle of R4 RiskAssessment resources."""

    model_config = ConfigDict(extra="allow")
    resourceType: str  # noqa: N815 - FHIR element name
    type: str
    entry: list[dict[str, Any]]


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer (all :class:`ErrorOut`)."""
    return {code: {"model": ErrorOut} for code in codes}


UNLOGGED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: answered, counted in the metrics, kept out of the request log (they
would swamp the volume and latency of the requests that matter)."""

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class GuardMiddleware:
    """Plain ASGI middleware (cheaper than ``@app.middleware``): refuses bodies over the size
    limit with 413 before they are read, counts requests and latency per route, and queues
    one request-log row per request (except :data:`UNLOGGED_ROUTES`) on ``log``.

    The row holds the route template, never the raw path, query, headers or body; the model
    only when the path names one of ``models`` (a name typed into the URL that is not served
    could be anything); the request id only as the service answered it (``X-Request-ID``).
    """

    def __init__(
        self,
        app: Any,
        *,
        limit: int,
        metrics: Any,
        log: PredictionSink | None = None,
        models: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.limit = limit
        self.metrics = metrics
        self.log = log
        self.models = models
        # CDS service ids are "<model>-<suffix>"
        self._cds = {f"{m}-{suffix}": m for m in models for suffix in HOOKS}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at = time.time()
        t0 = time.perf_counter()
        # status 500 unless a response starts: an exception escaping the app is answered
        # 500 by Starlette's outermost middleware, and counted and logged here as such
        status: dict[str, Any] = {"code": 500, "id": None}
        try:
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and (not length.isdigit() or int(length) > self.limit):
                response = _error(413, f"request body over {self.limit} bytes")
                await response(scope, receive, send)
                status["code"] = 413
            else:

                async def sending(message: Any) -> None:
                    if message["type"] == "http.response.start":
                        status["code"] = message["status"]
                        for k, v in message.get("headers") or ():
                            if k.lower() == b"x-request-id":
                                status["id"] = v.decode("latin-1")
                    await send(message)

                await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - t0
            route = getattr(scope.get("route"), "path", "unmatched")
            code = status["code"]
            self.metrics.requests.labels(route, str(code)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            if self.log is not None and route not in UNLOGGED_ROUTES:
                method = scope["method"] if scope["method"] in _METHODS else "OTHER"
                model = self._model(scope.get("path_params"))
                self.log.put_request(
                    (at, route, method, code, elapsed * 1000.0, model, status["id"])
                )

    def _model(self, params: Any) -> str | None:
        """The served model a request's path names (None: none, or not a served one)."""
        if not params:
            return None
        name = params.get("name")
        if name is not None:
            return name if name in self.models else None
        sid = params.get("service_id")
        return self._cds.get(sid) if sid is not None else None


def _error(status: int, message: str, request_id: str | None = None, **headers: str) -> Response:
    return json_response(
        {"error": message, "request_id": request_id}, status_code=status, headers=headers or None
    )


def create_app(service: Service, *, manage: bool = True) -> FastAPI:
    """The app over ``service``; with ``manage`` its lifespan starts and stops the service
    (loading models, then draining the prediction sink on shutdown)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage:
            service.start()
        try:
            yield
        finally:
            if manage:
                service.stop()

    app = FastAPI(
        title="wardwatch scoring service",
        version="1",
        description="Calibrated clinical risk predictions with explanations, CDS Hooks and "
        "FHIR RiskAssessment output. Every prediction is audited.",
        lifespan=lifespan,
    )
    app.state.service = service  # the dashboard (wardwatch.web) reads the same registry
    limit = service.settings.max_body_bytes
    metrics = service.metrics

    app.add_middleware(
        GuardMiddleware,
        limit=limit,
        metrics=metrics,
        log=service.sink,
        models=frozenset(service.hub.names),
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        err = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        return _error(422, f"invalid request at {where}: {err.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail).splitlines()[0][:200] if exc.detail else "request refused"
        return _error(exc.status_code, detail)

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> Response:
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return _error(exc.status, exc.message, **headers)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"model": ErrorOut}})
    async def readyz() -> Response:
        """Every served model has a champion loaded (503 and why not, otherwise)."""
        problems = {k: v for k, v in service.hub.ready().items() if v}
        body = {"ready": not problems, "models": service.hub.versions(), "problems": problems}
        return json_response(body, status_code=503 if problems else 200)

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def prometheus() -> Response:
        """Prometheus text exposition."""
        metrics.sink_pending.set(service.sink.pending)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models", tags=["models"], responses=errors(401, 403, 422, 429))
    async def models(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """The models this key may use, with their versions and input features."""
        who = service.caller(bearer(authorization, x_api_key))
        out = []
        for name in service.hub.names:
            m = service.hub.model(name)
            if m is not None and who.may_use(name):
                out.append({**m.describe(), "aliases": service.hub.versions()[name]})
        return {"models": out}

    @app.post(
        "/v1/models/{name}/predict",
        tags=["models"],
        response_model=PredictResponse | FhirBundleOut,
        responses=errors(400, 401, 403, 404, 413, 422, 429, 503),
    )
    def predict(
        name: str,
        body: PredictRequest,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
        x_request_id: Annotated[str | None, Header(max_length=64)] = None,
    ) -> Any:
        """Calibrated risk, band, threshold decision and top factors for each row."""
        who = service.caller(bearer(authorization, x_api_key), name)
        rows, patients = body.rows, body.patient_ids
        if (rows is None) == (body.bundle is None):
            raise Refused(422, "give either rows or a FHIR bundle")
        if body.bundle is not None:
            rows, patients = service.rows_from_fhir(name, body.bundle, body.encounter_id)
        assert rows is not None
        out = service.predict(who, name, rows, patients=patients, request_id=x_request_id)
        if body.format == "fhir":
            return json_response(_fhir_bundle(out), headers={"X-Request-ID": out.request_id})
        return json_response(_predict_body(out), headers={"X-Request-ID": out.request_id})

    verifier = None
    if service.settings.cds_issuers:
        from wardwatch.serve._jwt import JwtVerifier

        verifier = JwtVerifier(
            service.settings.cds_issuers,
            audience_base=f"{service.settings.public_url.rstrip('/')}/cds-services",
        )
    app.include_router(cds_router(service, verifier))
    return app


def _predict_body(out: Outcome) -> dict[str, Any]:
    m = out.route.served
    return {
        "request_id": out.request_id,
        "model": m.name,
        "version": m.version,
        "alias": out.route.alias,
        "threshold": m.threshold,
        "predictions": [p.to_dict() for p in out.predictions],
    }


def _fhir_bundle(out: Outcome) -> dict[str, Any]:
    from datetime import UTC, datetime

    from wardwatch.serve._fhir import risk_assessment

    m = out.route.served
    when = datetime.now(UTC)
    entries = []
    for i, p in enumerate(out.predictions):
        rid = out.request_id if len(out.predictions) == 1 else f"{out.request_id}-{i}"
        entries.append(
            {
                "resource": risk_assessment(
                    patient_ref=None,
                    encounter_ref=None,
                    risk=p.risk,
                    band=p.band,
                    decision=p.decision,
                    threshold=m.threshold,
                    model_name=m.name,
                    model_version=str(m.version),
                    outcome_text=m.usecase.description.strip().splitlines()[0][:200]
                    if m.usecase.description
                    else m.name,
                    outcome_code=None,
                    when=when,
                    factors=[f.to_dict() for f in p.factors],
                    request_id=rid,
                )
            }
        )
    return {"resourceType": "Bundle", "id": out.request_id or uuid.uuid4().hex,
            "type": "collection", "entry": entries}  # fmt: skip
