"""Service SLIs from the service's own logs: request volume, error rates, latency
percentiles, predictions per day and how often clinicians override the cards.

Three lake tables written by the scoring service are read with DuckDB for one window
``[start, end)`` (UTC):

- ``requests`` (:data:`~wardwatch.serve._sink.REQUEST_LOG_SCHEMA`): one row per HTTP request
  answered, health probes and metric scrapes excepted;
- ``predictions`` (:data:`~wardwatch.serve._sink.PREDICTION_LOG_SCHEMA`): one row per scored
  row (shadow scores are not counted);
- ``cds_feedback``: accepted and overridden CDS Hooks cards.

Only the ``date=YYYY-MM-DD`` folders that can hold rows of the window are read (the window's
days, plus the day after its end, because the prediction and feedback logs are partitioned
by the day they were written, which may follow the row's ``at``), so a long history is not
scanned; rows are then kept by ``at``. Missing or empty folders give zero volume.

    slis = service_slis(ws.lake_dir, start, end)
    slis.error_rate, slis.latency_p99_ms, slis.override_rate
    slis.observations("readmission-30d", 3)   # for the alert rules
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from wardwatch.core.timeutil import as_utc
from wardwatch.monitor._log import window_files
from wardwatch.monitor._observation import Observation
from wardwatch.serve._cds_routes import HOOKS

__all__ = [
    "QUANTILE_METHOD",
    "SCORING_ROUTES",
    "ServiceSLIs",
    "service_slis",
    "wilson_interval",
]

SCORING_ROUTES: tuple[str, ...] = ("/v1/models/{name}/predict", "/cds-services/{service_id}")
"""Routes (POST) that score: latency percentiles are taken over their 2xx answers only, so
that fast refusals (401, 422, 429) do not flatter them."""

QUANTILE_METHOD = "linear"
"""Latency quantiles interpolate linearly between the two nearest order statistics: for
sorted values ``x[0..n-1]`` the q-quantile is ``x[h] + (h - floor(h)) * (x[h+1] - x[h])``
with ``h = q * (n - 1)`` (DuckDB's ``quantile_cont``; NumPy's ``percentile`` with
``method="linear"``, its default; Hyndman and Fan type 7)."""

_Z95 = 1.959963984540054
_SCAN = "read_parquet($files, hive_partitioning = true, union_by_name = true)"


def wilson_interval(k: int, n: int, z: float = _Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval (95% by default) of a proportion ``k / n``; (None, None)
    when ``n`` is 0. It stays inside [0, 1] and behaves at 0 and ``n`` events, where the
    normal approximation collapses to a point."""
    if n <= 0:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ServiceSLIs:
    """The SLIs of one window.

    Attributes:
        window_start, window_end: the window ``[start, end)``, UTC.
        model: the model the figures are restricted to (None: the whole service).
        requests: requests answered in the window (the volume; probes excluded).
        server_errors: requests answered 5xx (the service failed).
        client_errors: requests answered 4xx (refused: bad input, keys, limits).
        scored_ok: successful (2xx) scoring requests: the ``n`` of the latency percentiles.
        latency_p50_ms, latency_p95_ms, latency_p99_ms: latency percentiles in milliseconds
            over ``scored_ok`` requests (:data:`QUANTILE_METHOD`); None without any.
        predictions: rows scored by the served (non-shadow) versions in the window.
        predictions_by_day: those rows by UTC day (``YYYY-MM-DD``).
        accepted, overridden: CDS cards clinicians accepted or overrode in the window.
    """

    window_start: datetime
    window_end: datetime
    model: str | None
    requests: int
    server_errors: int
    client_errors: int
    scored_ok: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    predictions: int
    predictions_by_day: dict[str, int] = field(default_factory=dict)
    accepted: int = 0
    overridden: int = 0

    @property
    def error_rate(self) -> float | None:
        """Share of requests answered 5xx, in [0, 1] (0 is the goal); None without requests."""
        return self.server_errors / self.requests if self.requests else None

    @property
    def client_error_rate(self) -> float | None:
        """Share of requests answered 4xx, in [0, 1]; a rise usually means a client or key
        broke, not the service. None without requests."""
        return self.client_errors / self.requests if self.requests else None

    @property
    def predictions_per_day(self) -> float:
        """Predictions divided by the window's length in days (a window of 6 hours with 100
        predictions is 400 a day)."""
        days = (self.window_end - self.window_start).total_seconds() / 86400
        return self.predictions / days if days > 0 else 0.0

    @property
    def feedback(self) -> int:
        """Cards with an accepted or overridden outcome: the ``n`` of the override rate."""
        return self.accepted + self.overridden

    @property
    def override_rate(self) -> float | None:
        """overridden / (accepted + overridden), in [0, 1]: how often clinicians disagreed
        with a card (a rise suggests alert fatigue or a model they no longer trust). None
        without feedback."""
        return self.overridden / self.feedback if self.feedback else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: counts, rates with their 95% Wilson intervals, percentiles."""

        def rate(k: int, n: int) -> dict[str, Any]:
            lo, hi = wilson_interval(k, n)
            return {"value": k / n if n else None, "lower": lo, "upper": hi, "k": k, "n": n}

        return {
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "model": self.model,
            "requests": self.requests,
            "error_rate": rate(self.server_errors, self.requests),
            "client_error_rate": rate(self.client_errors, self.requests),
            "latency_ms": {
                "p50": self.latency_p50_ms,
                "p95": self.latency_p95_ms,
                "p99": self.latency_p99_ms,
                "n": self.scored_ok,
                "method": QUANTILE_METHOD,
            },
            "predictions": self.predictions,
            "predictions_per_day": self.predictions_per_day,
            "predictions_by_day": dict(self.predictions_by_day),
            "override_rate": rate(self.overridden, self.feedback),
        }

    def observations(
        self,
        model: str,
        version: int,
        window_start: datetime | None = None,
        window_end: datetime | None = None,
    ) -> list[Observation]:
        """The SLIs as observations for the alert rules (window: this result's by default).

        ``service.volume``, ``error_rate``, ``client_error_rate`` and ``latency.p50_ms`` /
        ``p95_ms`` / ``p99_ms`` have scope ``service``; ``prediction.per_day`` and
        ``override_rate`` scope ``model``. Rates carry their Wilson interval and ``n``. A
        figure with no data behind it (no requests, no successful scoring, no feedback) is
        left out rather than reported as 0; the volume is always there.
        """
        start = window_start or self.window_start
        end = window_end or self.window_end

        def obs(metric: str, scope: str, value: float, n: int, **kw: Any) -> Observation:
            return Observation(metric, scope, value, start, end, model, version, n=n, **kw)

        out = [obs("service.volume", "service", float(self.requests), self.requests)]
        for metric, k in (
            ("error_rate", self.server_errors),
            ("client_error_rate", self.client_errors),
        ):
            if self.requests:
                lo, hi = wilson_interval(k, self.requests)
                out.append(
                    obs(
                        metric,
                        "service",
                        k / self.requests,
                        self.requests,
                        lower=lo,
                        upper=hi,
                        detail={"count": k},
                    )
                )
        for q, value in (
            ("p50", self.latency_p50_ms),
            ("p95", self.latency_p95_ms),
            ("p99", self.latency_p99_ms),
        ):
            if value is not None:
                out.append(
                    obs(
                        f"latency.{q}_ms",
                        "service",
                        value,
                        self.scored_ok,
                        detail={"method": QUANTILE_METHOD},
                    )
                )
        out.append(
            obs(
                "prediction.per_day",
                "model",
                self.predictions_per_day,
                self.predictions,
                detail={"by_day": dict(self.predictions_by_day)},
            )
        )
        if self.feedback:
            lo, hi = wilson_interval(self.overridden, self.feedback)
            out.append(
                obs(
                    "override_rate",
                    "model",
                    self.overridden / self.feedback,
                    self.feedback,
                    lower=lo,
                    upper=hi,
                    detail={"accepted": self.accepted, "overridden": self.overridden},
                )
            )
        return out


def _utc(when: datetime, what: str) -> datetime:
    if not isinstance(when, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(when).__name__}")
    return as_utc(when)


def service_slis(
    lake_dir: Path, start: datetime, end: datetime, *, model: str | None = None
) -> ServiceSLIs:
    """The SLIs of ``[start, end)`` from the lake at ``lake_dir`` (``ws.lake_dir``).

    With ``model``, only requests that addressed that served model (its predict route, its
    CDS services), its predictions and its cards' feedback count; without, the whole
    service. Naive datetimes are taken as UTC.
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    if not start < end:
        raise ValueError(f"empty window: start {start.isoformat()} is not before end")
    params: dict[str, Any] = {"start": start, "end": end}
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        req = (0, 0, 0, 0, None)
        files = window_files(lake_dir / "requests", start, end)
        if files:
            where = ' AND "model" = $model' if model is not None else ""
            row = con.execute(
                f"""
                SELECT count(*), count(*) FILTER (WHERE status >= 500),
                       count(*) FILTER (WHERE status >= 400 AND status < 500),
                       count(*) FILTER (WHERE ok),
                       quantile_cont(latency_ms, [0.5, 0.95, 0.99]) FILTER (WHERE ok)
                FROM (SELECT *, method = 'POST' AND list_contains($routes, route)
                                AND status >= 200 AND status < 300 AS ok
                      FROM {_SCAN})
                WHERE "at" >= $start AND "at" < $end{where}
                """,
                {
                    **params,
                    "files": files,
                    "routes": list(SCORING_ROUTES),
                    **({"model": model} if model is not None else {}),
                },
            ).fetchone()
            assert row is not None
            req = row
        by_day: dict[str, int] = {}
        files = window_files(lake_dir / "predictions", start, end)
        if files:
            where = ' AND "model" = $model' if model is not None else ""
            rows = con.execute(
                f"""
                SELECT strftime(CAST("at" AS DATE), '%Y-%m-%d') AS day, count(*)
                FROM {_SCAN}
                WHERE "at" >= $start AND "at" < $end AND NOT coalesce(shadow, false){where}
                GROUP BY day ORDER BY day
                """,
                {**params, "files": files, **({"model": model} if model is not None else {})},
            ).fetchall()
            by_day = {str(d): int(c) for d, c in rows}
        accepted = overridden = 0
        files = window_files(lake_dir / "cds_feedback", start, end)
        if files:
            services = [f"{model}-{suffix}" for suffix in HOOKS] if model is not None else None
            where = " AND list_contains($services, service)" if services is not None else ""
            row = con.execute(
                f"""
                SELECT count(*) FILTER (WHERE outcome = 'accepted'),
                       count(*) FILTER (WHERE outcome = 'overridden')
                FROM {_SCAN}
                WHERE "at" >= $start AND "at" < $end{where}
                """,
                {**params, "files": files, **({"services": services} if services else {})},
            ).fetchone()
            assert row is not None
            accepted, overridden = int(row[0]), int(row[1])
    quantiles = req[4] or [None, None, None]
    return ServiceSLIs(
        window_start=start,
        window_end=end,
        model=model,
        requests=int(req[0]),
        server_errors=int(req[1]),
        client_errors=int(req[2]),
        scored_ok=int(req[3]),
        latency_p50_ms=_float(quantiles[0]),
        latency_p95_ms=_float(quantiles[1]),
        latency_p99_ms=_float(quantiles[2]),
        predictions=sum(by_day.values()),
        predictions_by_day=by_day,
        accepted=accepted,
        overridden=overridden,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
