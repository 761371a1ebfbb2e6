"""``wardwatch monitor run``: monitor a model version window by window.

For each complete window of the period (daily, weekly or any length) the version's rows are
read from the prediction log, measured against its reference (:mod:`._window`), stored
(:mod:`._history`), judged by the alert rules with the earlier windows as history, raised
into the alert book (dedup, cooldown, paging the owner), and the rollback criteria are
checked on the stored history. Windows are processed one at a time: memory holds one
window, whatever the length of the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace
from wardwatch.errors import ConfigError
from wardwatch.features import FeatureSet
from wardwatch.features._build import featureset_dir
from wardwatch.monitor._drift import ReferenceProfile
from wardwatch.monitor._feed import newest_quality_report
from wardwatch.monitor._history import load_history, save_window
from wardwatch.monitor._labels import Outcomes
from wardwatch.monitor._log import Window, iter_windows, log_span, windows
from wardwatch.monitor._observation import Observation
from wardwatch.monitor._reference import Reference, load_reference
from wardwatch.monitor._rollback import (
    RollbackPolicy,
    apply_rollback,
    default_rollback_policy,
    evaluate_rollback,
)
from wardwatch.monitor._window import WindowContext, observe_window
from wardwatch.monitor.alerts import AlertBook, RuleSet, evaluate_rules, load_rules
from wardwatch.registry import Identity, Registry
from wardwatch.train import REFERENCE_RISK

__all__ = ["MonitorRun", "WindowResult", "parse_window", "run_monitor"]

Progress = Callable[[str, int, int], None]


def parse_window(text: str) -> timedelta:
    """``daily``, ``weekly``, ``monthly`` (30 days) or ``<n>d`` / ``<n>h`` / ``<n>m``."""
    named = {"daily": 1, "weekly": 7, "monthly": 30}
    t = text.strip().lower()
    if t in named:
        return timedelta(days=named[t])
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if len(t) >= 2 and t[-1] in units and t[:-1].isdigit() and int(t[:-1]) > 0:
        return timedelta(**{units[t[-1]]: int(t[:-1])})
    raise ConfigError(
        "bad window length",
        field="window",
        expected="daily, weekly, monthly or e.g. 14d",
        found=text,
    )


@dataclass(frozen=True)
class WindowResult:
    """One window: its rows, observations and what the alert rules raised."""

    window: Window
    n: int
    observations: list[Observation]
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        drifted = sorted(
            o.scope.removeprefix("feature:")
            for o in self.observations
            if o.metric == "feature.drift_score" and o.drifted
        )
        return {
            "start": self.window.start.isoformat(),
            "end": self.window.end.isoformat(),
            "rows": self.n,
            "observations": len(self.observations),
            "drifted_features": drifted,
            "alerts": self.alerts,
        }


@dataclass(frozen=True)
class MonitorRun:
    """A monitoring run over the windows of one version."""

    run_id: str
    model: str
    version: int
    window: timedelta
    windows: list[WindowResult]
    rollback: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "version": self.version,
            "window_days": self.window.total_seconds() / 86400,
            "windows": [w.to_dict() for w in self.windows],
            "alerts": sum(len(w.alerts) for w in self.windows),
            "rollback": self.rollback,
        }


def _outcomes(ws: Workspace, ref: Reference) -> Outcomes | None:
    folder = featureset_dir(ws.state_dir, ref.usecase.name)
    if not folder.is_dir():
        return None  # no feature set yet: no outcomes to join
    fs = FeatureSet.load(folder)
    return Outcomes.from_frame(fs.frame, ws.secret(), ref.usecase.label.window_days)


def run_monitor(
    ws: Workspace,
    name: str,
    *,
    version: int | str = "champion",
    start: datetime | None = None,
    end: datetime | None = None,
    window: timedelta = timedelta(days=7),
    rules: RuleSet | None = None,
    book: AlertBook | None = None,
    rollback_policy: RollbackPolicy | None = None,
    identity: Identity | None = None,
    outcomes: Outcomes | None = None,
    as_of: datetime | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> MonitorRun:
    """Monitor version ``version`` of ``name`` over ``[start, end)`` (default: the whole
    log up to the last complete window) in windows of ``window``; see the module docstring.

    ``outcomes`` are the index events whose labels join the predictions (default: the use
    case's feature set in the workspace); ``as_of`` is the time labels are judged known at
    (default: now). After the last window
    the rollback criteria (``rollback_policy``, default: the packaged policy, which only
    recommends) are judged on the stored history; a triggered ``rollback`` action acts as
    ``identity`` through the registry (without one, or with a role that may not roll back,
    it is recorded as a recommendation with the reason).
    """
    report = progress or (lambda _what, _done, _total: None)
    registry = Registry.from_workspace(ws)
    ref = load_reference(ws, registry, name, version)
    span = log_span(ws.lake_dir, name)
    if span is None and (start is None or end is None):
        return MonitorRun(uuid.uuid4().hex, name, ref.version, window, [])
    first = start or _floor(span[0] if span else datetime.now(UTC), window)
    now = as_of or datetime.now(UTC)
    if end is not None:
        last = end
    elif span is not None:
        # through the window holding the last row, when that window has ended by now
        k = (span[1] - first) // window + 1
        last = min(first + k * window, now)
    else:
        last = now
    spans = windows(first, last, window)
    ctx = WindowContext(
        reference=ref,
        profile=monitoring_profile(ref),
        seen={c: frozenset(ref.frame[c].dropna().astype(str)) for c in ref.categorical},
        risk_profile=ReferenceProfile.from_table(
            ref.frame[[REFERENCE_RISK]], numeric=[REFERENCE_RISK], categorical=[]
        ),
        lake_dir=ws.lake_dir,
        outcomes=outcomes if outcomes is not None else _outcomes(ws, ref),
        quality=newest_quality_report(ws.reports_dir),
        as_of=now,
        seed=seed,
    )
    rules = rules or load_rules()
    depth = max((r.for_windows for r in rules.rules), default=1)
    store = Store(ws.store_url)
    own_book = book is None
    book = book or AlertBook.from_workspace(ws)
    run_id = uuid.uuid4().hex
    results: list[WindowResult] = []
    try:
        for i, lw in enumerate(
            iter_windows(
                ws.lake_dir, name, ref.version, spans,
                numeric=ref.numeric, categorical=ref.categorical,
            )
        ):  # fmt: skip
            report(f"window {lw.window.label()}", i, len(spans))
            obs = observe_window(ctx, lw)
            history = [
                o
                for past in load_history(
                    store, name, ref.version, before=lw.window.start, windows=depth
                )
                for o in past
            ]
            save_window(store, run_id, obs)
            candidates = evaluate_rules(rules, obs, history=history)
            raised = book.raise_alerts(candidates, now=lw.window.end) if candidates else []
            results.append(
                WindowResult(
                    lw.window,
                    lw.n,
                    obs,
                    [
                        {
                            "id": r.alert.id,
                            "outcome": r.outcome,
                            "rule": r.alert.rule,
                            "owner": r.alert.owner,
                            "severity": r.alert.severity,
                            "scope": r.alert.scope,
                            "why": r.alert.why,
                        }
                        for r in raised
                    ],
                )
            )
        rollback = _rollback(
            registry, store, name, ref.version, rollback_policy or default_rollback_policy(),
            identity, results,
        )  # fmt: skip
        report("done", len(spans), len(spans))
    finally:
        store.dispose()
        registry.close()
        if own_book:
            book.store.dispose()
            book.audit.store.dispose()
    return MonitorRun(run_id, name, ref.version, window, results, rollback)


_SYSTEM = Identity("wardwatch-monitor", "viewer")


def _rollback(
    registry: Registry,
    store: Store,
    name: str,
    version: int,
    policy: RollbackPolicy,
    identity: Identity | None,
    results: list[WindowResult],
) -> dict[str, Any] | None:
    """Judge the rollback criteria on the stored windows up to the last one monitored."""
    if not results:
        return None
    depth = max((c.for_windows for c in policy.conditions), default=1)
    history = load_history(store, name, version, before=results[-1].window.end, windows=depth)
    decision = evaluate_rollback(policy, history, model=name)
    out = decision.to_dict()
    if decision.triggered:
        outcome = apply_rollback(decision, registry, identity or _SYSTEM, name)
        out["outcome"] = outcome.to_dict()
    return out


MIN_EXPECTED = 5
"""A category with fewer reference rows than this is left out of the chi-square test."""


def monitoring_profile(ref: Reference) -> ReferenceProfile:
    """The version's reference profile as monitoring tests it: a category seen fewer than
    :data:`MIN_EXPECTED` times in the reference is left out of its column's test (a
    chi-square with an expected count under 5 is not valid, and a rare code drawn a few
    more times than in a small reference would flag drift week after week); its rows still
    count as seen, not as new categories."""
    data: dict[str, Any] = {c: ref.frame[c].to_numpy() for c in ref.numeric}
    for c in ref.categorical:
        values = ref.frame[c]
        counts = values.value_counts()
        rare = set(counts[counts < MIN_EXPECTED].index)
        data[c] = values[~values.isin(rare)].to_numpy(dtype=object)
    return ReferenceProfile.from_table(data, numeric=ref.numeric, categorical=ref.categorical)


def _floor(t: datetime, size: timedelta) -> datetime:
    day = t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day if size >= timedelta(days=1) else t.replace(minute=0, second=0, microsecond=0)
