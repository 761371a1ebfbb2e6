"""Monitoring results kept in the workspace store: every observation of every window.

The ``monitor_observations`` table is what consecutive-window rules and rollback criteria
read back ("below x for 2 windows"), and what the dashboard draws over time. A window that
is monitored again replaces its earlier observations (same model, version, window start,
window end), so a re-run after late labels arrive updates the record instead of doubling it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from wardwatch.core.store import METADATA, Store
from wardwatch.core.timeutil import as_utc
from wardwatch.monitor._observation import Observation

__all__ = ["OBSERVATIONS", "load_history", "load_observations", "save_window"]

_TS = sa.DateTime(timezone=True)

OBSERVATIONS = sa.Table(
    "monitor_observations",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("window_start", _TS, nullable=False),
    sa.Column("window_end", _TS, nullable=False),
    sa.Column("metric", sa.String(200), nullable=False),
    sa.Column("scope", sa.String(300), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("lower", sa.Float),
    sa.Column("upper", sa.Float),
    sa.Column("drifted", sa.Boolean),
    sa.Column("n", sa.BigInteger),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("computed_at", _TS, nullable=False),
    sa.Index("ix_monitor_obs_window", "model", "version", "window_start"),
)


def _ensure(store: Store) -> None:
    store.ensure([OBSERVATIONS], "the monitoring table")


def _num(x: float | None) -> float | None:
    return None if x is None or x != x else float(x)  # NaN is stored as NULL


def save_window(store: Store, run_id: str, observations: Sequence[Observation]) -> None:
    """Store one window's observations (all of one model version and window), replacing
    what an earlier run stored for that window."""
    if not observations:
        return
    _ensure(store)
    first = observations[0]
    now = datetime.now(UTC)
    with store.begin() as conn:
        conn.execute(
            OBSERVATIONS.delete().where(
                OBSERVATIONS.c.model == first.model,
                OBSERVATIONS.c.version == first.version,
                OBSERVATIONS.c.window_start == first.window_start,
                OBSERVATIONS.c.window_end == first.window_end,
            )
        )
        conn.execute(
            OBSERVATIONS.insert(),
            [
                {
                    "run_id": run_id,
                    "model": o.model,
                    "version": o.version,
                    "window_start": o.window_start,
                    "window_end": o.window_end,
                    "metric": o.metric,
                    "scope": o.scope,
                    "value": _num(o.value),
                    "lower": _num(o.lower),
                    "upper": _num(o.upper),
                    "drifted": o.drifted,
                    "n": o.n,
                    "detail": orjson.dumps(dict(o.detail), default=str).decode(),
                    "computed_at": now,
                }
                for o in observations
            ],
        )


def load_history(
    store: Store, model: str, version: int, *, before: datetime, windows: int
) -> list[list[Observation]]:
    """The observations of the ``windows`` latest windows of ``model`` version ``version``
    that ended at or before ``before``, oldest window first."""
    _ensure(store)
    c = OBSERVATIONS.c
    with store.begin() as conn:
        starts = [
            r[0]
            for r in conn.execute(
                sa.select(c.window_start)
                .where(c.model == model, c.version == version, c.window_end <= before)
                .group_by(c.window_start)
                .order_by(c.window_start.desc())
                .limit(windows)
            )
        ]
        if not starts:
            return []
        rows = conn.execute(
            sa.select(OBSERVATIONS)
            .where(c.model == model, c.version == version, c.window_start.in_(starts))
            .order_by(c.window_start, c.id)
        ).all()
    out: dict[datetime, list[Observation]] = {}
    for r in rows:
        out.setdefault(r.window_start, []).append(_observation(r))
    return [out[k] for k in sorted(out)]


def _observation(r: Any) -> Observation:
    return Observation(
        metric=r.metric,
        scope=r.scope,
        value=float("nan") if r.value is None else r.value,
        window_start=as_utc(r.window_start),
        window_end=as_utc(r.window_end),
        model=r.model,
        version=r.version,
        lower=r.lower,
        upper=r.upper,
        drifted=r.drifted,
        n=r.n,
        detail=orjson.loads(r.detail),
    )


def load_observations(
    store: Store,
    model: str,
    *,
    version: int | None = None,
    metrics: Sequence[str] | None = None,
    scope_prefix: str | None = None,
    limit: int = 20_000,
) -> list[Observation]:
    """Stored observations of ``model`` (one ``version``, or all), oldest window first:
    only the given ``metrics`` and scopes starting with ``scope_prefix`` when given, at most
    ``limit`` rows (the newest). What the dashboard draws over time."""
    _ensure(store)
    c = OBSERVATIONS.c
    query = sa.select(OBSERVATIONS).where(c.model == model)
    if version is not None:
        query = query.where(c.version == version)
    if metrics is not None:
        query = query.where(c.metric.in_(list(metrics)))
    if scope_prefix is not None:
        query = query.where(c.scope.startswith(scope_prefix, autoescape=True))
    query = query.order_by(c.window_start.desc(), c.id.desc()).limit(limit)
    with store.begin() as conn:
        rows = conn.execute(query).all()
    return [_observation(r) for r in reversed(rows)]
