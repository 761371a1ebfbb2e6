"""The scoring service's state: models, keys, limits, metrics, and the prediction sink.

:class:`Service` is what the HTTP layer calls. :meth:`Service.predict` authorizes the
caller for the model, routes the request (champion, canary or shadow), scores, and queues
one audit event and one prediction-log row per row, all without touching the database on
the request path.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from wardwatch.audit import AuditLog, PendingEvent, pseudonym
from wardwatch.core.workspace import Workspace
from wardwatch.registry import Identity, Registry, authenticate
from wardwatch.serve._guard import KeyCache, RateLimiter
from wardwatch.serve._hub import ModelHub, Route
from wardwatch.serve._loaded import Prediction, load_version
from wardwatch.serve._metrics import ServiceMetrics
from wardwatch.serve._sink import PredictionSink, Record

__all__ = ["Outcome", "Refused", "ServeSettings", "Service"]

_FEATURE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
REQUEST_ID = re.compile(r"[0-9A-Fa-f][0-9A-Fa-f-]{7,63}")
"""Client request ids accepted (hex or UUID): anything else, which could carry text, is
replaced by the service's own."""

CALLER_ROLES = frozenset({"clinician", "ml-engineer", "approver", "admin"})
"""Roles that may request predictions (a viewer reads the registry, it does not score)."""


@dataclass(frozen=True)
class ServeSettings:
    """How the service runs.

    Attributes:
        models: registered models to serve.
        operating_point: the evaluation's operating point whose threshold decides (default:
            each version's first).
        canary_percent: share of requests the challenger answers (0-100).
        shadow: the challenger scores every request too, logged and not returned.
        max_body_bytes, max_rows: request size limits (413 beyond them).
        rate, burst: requests a second per key, and the burst allowed (0: no limit).
        poll_s: how often the registry's aliases are checked.
        public_url: the service's URL as clients see it (CDS Hooks ``aud``, links).
        dashboard_url: the dashboard's base URL (``.../ui``); a CDS card links to its
            triage view of the card's prediction (None: no link).
        top_factors: contributing factors returned per prediction.
        cds_issuers: EHRs allowed to call the CDS Hooks services
            (:class:`~wardwatch.serve._jwt.TrustedIssuer`); none: every hook call is 401.
        fhir_servers: ``fhirServer`` values accepted in hook calls (never queried).
    """

    models: tuple[str, ...]
    operating_point: str | None = None
    canary_percent: float = 0.0
    shadow: bool = False
    max_body_bytes: int = 1_048_576
    max_rows: int = 100
    rate: float = 0.0
    burst: float = 100.0
    poll_s: float = 1.0
    public_url: str = "http://127.0.0.1:8000"
    dashboard_url: str | None = None
    top_factors: int = 5
    cds_issuers: tuple[Any, ...] = ()
    fhir_servers: tuple[str, ...] = ()


class Refused(Exception):  # noqa: N818 - an HTTP outcome, not a programming error
    """A request the service answers with a 4xx/5xx and one line (never request content)."""

    def __init__(self, status: int, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Outcome:
    """What :meth:`Service.predict` returns to the HTTP layer."""

    request_id: str
    route: Route
    predictions: list[Prediction]
    latency_ms: float
    shadow: list[Prediction] | None = field(default=None)


class Service:
    """See the module docstring. Build with :meth:`from_workspace`; call :meth:`start`."""

    def __init__(
        self,
        ws: Workspace,
        registry: Registry,
        settings: ServeSettings,
        *,
        hub: ModelHub | None = None,
    ) -> None:
        self.ws = ws
        self.registry = registry
        self.settings = settings
        self.audit: AuditLog = registry.audit
        self.secret = ws.secret()
        self.metrics = ServiceMetrics()
        self.keys = KeyCache(lambda key: authenticate(registry.store, key))
        self.limiter = RateLimiter(settings.rate, settings.burst)
        self.hub = hub or ModelHub(
            registry,
            settings.models,
            lambda reg, name, version: load_version(
                reg, name, version, operating_point=settings.operating_point
            ),
            canary_percent=settings.canary_percent,
            shadow=settings.shadow,
            poll_s=settings.poll_s,
        )
        self.hub.on_change = self._on_change
        self.sink = PredictionSink(self.audit, ws.lake_dir)

    @classmethod
    def from_workspace(cls, ws: Workspace, settings: ServeSettings) -> Service:
        return cls(ws, Registry.from_workspace(ws), settings)

    def start(self) -> None:
        self.hub.start()
        for name, aliases in self.hub.versions().items():
            for alias, version in aliases.items():
                self.metrics.model_version.labels(name, alias).set(version or 0)

    def stop(self) -> None:
        """Stop following the registry and write every queued record."""
        self.hub.stop()
        self.sink.close()
        self.registry.close()

    def _on_change(self, name: str, alias: str, version: int | None) -> None:
        self.metrics.model_version.labels(name, alias).set(version or 0)
        self.audit.append(
            "wardwatch-serve",
            "serve.reload",
            f"model:{name}@{version}" if version else f"model:{name}",
            {"name": name, "alias": alias, "model_version": version},
        )

    # -- requests ----------------------------------------------------------------------------

    def caller(self, key: str | None, model: str | None = None) -> Identity:
        """The identity of ``key``, allowed to score ``model`` and within its rate."""
        from wardwatch.registry import AuthError

        try:
            who = self.keys.identity(key)
        except AuthError as exc:
            raise Refused(401, str(exc)) from None
        if who.role not in CALLER_ROLES:
            raise Refused(403, f"role {who.role} may not request predictions")
        if model is not None and not who.may_use(model):
            raise Refused(403, "this key may not use this model")
        wait = self.limiter.allow(who.key_id or who.name)
        if wait > 0:
            raise Refused(429, "rate limit reached for this key", retry_after=wait)
        return who

    def rows_from_fhir(
        self, name: str, bundle: Mapping[str, Any], encounter_id: str | None
    ) -> tuple[list[dict[str, Any]], list[str | None]]:
        """One feature row (and its patient id) built from a FHIR Bundle for model ``name``."""
        from wardwatch.errors import WardwatchError
        from wardwatch.features import features_from_fhir, flatten_resources

        model = self.hub.model(name)
        if model is None:
            raise Refused(404 if name not in self.hub.names else 503, "no such model is served")
        try:
            built = features_from_fhir(
                flatten_resources(bundle),
                model.usecase,
                encounter_id=encounter_id,
                now=datetime.now(UTC),
            )
        except WardwatchError as exc:
            raise Refused(422, str(exc).splitlines()[0][:300]) from None
        return [built.row], [built.patient_id]

    def predict(
        self,
        who: Identity,
        name: str,
        rows: Sequence[Mapping[str, Any]],
        *,
        patients: Sequence[str | None] | None = None,
        channel: str = "rest",
        request_id: str | None = None,
    ) -> Outcome:
        """Score ``rows`` for ``who`` with model ``name`` and queue their records."""
        t0 = time.perf_counter()
        if request_id is None or not REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        if not rows:
            raise Refused(422, "no rows to score")
        if len(rows) > self.settings.max_rows:
            raise Refused(413, f"too many rows: at most {self.settings.max_rows} per request")
        route = self.hub.route(name, request_id)
        if route is None:
            if name not in self.hub.names:
                raise Refused(404, "no such model is served here")
            raise Refused(503, "the model has no champion version loaded yet")
        served = route.served
        unknown = sorted({k for r in rows for k in r} - set(served.features))
        if unknown:
            known = ", ".join(served.features)
            # name the field only when it looks like a feature name: a key holding free
            # text (a patient's name pasted as a key) is not repeated back
            what = repr(unknown[0]) if _FEATURE_NAME.fullmatch(unknown[0]) else "(not a name)"
            raise Refused(422, f"unknown feature {what}; expected some of {known}")
        try:
            preds = served.predict(rows, top=self.settings.top_factors)
        except (TypeError, ValueError):
            raise Refused(422, "a feature value has the wrong type (numbers or text)") from None
        shadow_preds = route.shadow.predict(rows, top=0) if route.shadow is not None else None
        latency = (time.perf_counter() - t0) * 1000
        self._record(who, route, rows, preds, shadow_preds, patients, channel, request_id, latency)
        return Outcome(request_id, route, preds, latency, shadow_preds)

    def _record(
        self,
        who: Identity,
        route: Route,
        rows: Sequence[Mapping[str, Any]],
        preds: list[Prediction],
        shadow: list[Prediction] | None,
        patients: Sequence[str | None] | None,
        channel: str,
        request_id: str,
        latency_ms: float,
    ) -> None:
        now = datetime.now(UTC)
        served = route.served
        for i, (row, pred) in enumerate(zip(rows, preds, strict=True)):
            given = {k: row.get(k) for k in served.features}
            input_hash = hashlib.sha256(
                orjson.dumps(given, option=orjson.OPT_SORT_KEYS)
            ).hexdigest()
            kept = {k: served.scorer.loggable(k, v) for k, v in given.items()}
            body = orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)
            patient_id = patients[i] if patients and i < len(patients) else None
            patient = pseudonym(patient_id, self.secret) if patient_id else None
            base = {
                "request_id": request_id if len(rows) == 1 else f"{request_id}:{i}",
                "at": now,
                "model": served.name,
                "patient": patient,
                "caller": who.key_id or who.name,
                "features": body.decode(),
                "latency_ms": latency_ms,
                "input_hash": input_hash,
            }
            payload: dict[str, Any] = {
                "model_version": served.version,
                "alias": route.alias,
                "channel": channel,
                "request_id": base["request_id"],
                "input_hash": input_hash,
                "output": {
                    "risk": round(pred.risk, 6),
                    "band": pred.band,
                    "decision": pred.decision,
                },
                "key_id": who.key_id,
            }
            if patient:
                payload["patient"] = patient
            event = PendingEvent(
                who.name,
                "serve.predict",
                f"model:{served.name}@{served.version}",
                payload,
                role=who.role,
            )
            row_out = {**base, "version": served.version, "alias": route.alias, "shadow": False,
                       "risk": pred.risk, "band": pred.band, "decision": pred.decision}  # fmt: skip
            if not self.sink.put(Record(event, row_out)):
                raise Refused(503, "the prediction log is not accepting records; try again")
            self.metrics.predictions.labels(
                served.name, str(served.version), route.alias, pred.band
            ).inc()
            if shadow is not None and route.shadow is not None:
                s = shadow[i]
                self.sink.put(Record(None, {**base, "version": route.shadow.version,
                                            "alias": "challenger", "shadow": True,
                                            "risk": s.risk, "band": s.band,
                                            "decision": s.decision}))  # fmt: skip
        self.metrics.sink_pending.set(self.sink.pending)
