"""Prometheus metrics of the scoring service (``GET /metrics``).

Request counts by route and status, request latency histograms by route, predictions by
model, version and risk band, the version each alias serves, and the sink's backlog. Labels
never carry request content: routes are templates (``/v1/models/{name}/predict``), model
names come from the registry, never from the URL as typed.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["ServiceMetrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The service's metrics in their own registry (one per app, so tests do not mix)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "wardwatch_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "wardwatch_request_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.predictions = Counter(
            "wardwatch_predictions",
            "Predictions by model, version, alias and risk band",
            ["model", "version", "alias", "band"],
            registry=r,
        )
        self.model_version = Gauge(
            "wardwatch_model_version",
            "The version each alias of a model serves (0: none)",
            ["model", "alias"],
            registry=r,
        )
        self.sink_pending = Gauge(
            "wardwatch_sink_pending", "Prediction records waiting to be written", registry=r
        )
        self.cds_feedback = Counter(
            "wardwatch_cds_feedback",
            "CDS Hooks card feedback by service and outcome",
            ["service", "outcome"],
            registry=r,
        )
