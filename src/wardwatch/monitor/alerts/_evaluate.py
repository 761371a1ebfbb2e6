"""Judge observations against alert rules: which rules fire, for whom, and why.

    rules = load_rules()                       # the packaged defaults
    candidates = evaluate_rules(rules, todays_observations, history=earlier_observations)
    for c in candidates:
        print(c.owner, c.severity, c.why)

A candidate is not yet an alert: :class:`~wardwatch.monitor.alerts.AlertBook` turns
candidates into alerts (deduplicated by :func:`fingerprint`, with cooldown) and pages.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from wardwatch.monitor._observation import Observation, Owner
from wardwatch.monitor.alerts._explain import describe, unit_switch
from wardwatch.monitor.alerts._rules import AlertRule, RuleSet, Severity

__all__ = ["AlertCandidate", "History", "evaluate_rules", "fingerprint"]

History = Iterable[Observation] | Callable[[Observation], Iterable[Observation]]
"""Earlier windows: observations (any order, any mix of metrics), or a function that returns
the earlier observations of the same metric, scope and model as the one it is given (a
store query)."""

_Key = tuple[str, str, str]


def fingerprint(rule: str, model: str, scope: str) -> str:
    """The deduplication key of an alert: the same rule firing for the same model and scope
    is the same problem, whatever the window or version (32 hex digits)."""
    text = "\x1f".join(("wardwatch-alert-v1", rule, model, scope))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class AlertCandidate:
    """A rule that fires on one observation: what a new or repeated alert is made of.

    ``windows`` counts the consecutive windows the rule fired in (at least the rule's
    ``for_windows``); ``caused_by`` names data-feed alerts of the same model and window that
    explain this one ("<rule> on <scope>"); ``why`` is the full explanation text.
    """

    rule: AlertRule
    observation: Observation
    fingerprint: str
    why: str
    windows: int = 1
    caused_by: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def owner(self) -> Owner:
        return self.rule.owner

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def judged(self) -> float:
        """The number the condition compared (the value, or a CI bound)."""
        return self.rule.condition.judged(self.observation)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the rule's name and verdict, the observation without its detail
        beyond numbers and short strings (the explanation already says what matters)."""
        obs = self.observation
        return {
            "rule": self.rule.name,
            "fingerprint": self.fingerprint,
            "owner": self.rule.owner,
            "severity": self.rule.severity,
            "metric": obs.metric,
            "scope": obs.scope,
            "model": obs.model,
            "version": obs.version,
            "value": obs.value,
            "lower": obs.lower,
            "upper": obs.upper,
            "judged": self.judged,
            "condition": self.rule.condition.describe(),
            "n": obs.n,
            "window_start": obs.window_start.isoformat(),
            "window_end": obs.window_end.isoformat(),
            "windows": self.windows,
            "caused_by": list(self.caused_by),
            "runbook": self.rule.runbook,
            "why": self.why,
        }


def _key(obs: Observation) -> _Key:
    return (obs.metric, obs.scope, obs.model)


class _Earlier:
    """Earlier observations by (metric, scope, model), newest window first."""

    def __init__(self, history: History | None, current: Sequence[Observation]) -> None:
        self._query: Callable[[Observation], Iterable[Observation]] | None = None
        self._by_key: dict[_Key, list[Observation]] = defaultdict(list)
        if callable(history):
            self._query = history
        elif history is not None:
            for obs in history:
                self._by_key[_key(obs)].append(obs)
        # Earlier windows in the batch itself count too (a backfill of several windows).
        for obs in current:
            self._by_key[_key(obs)].append(obs)

    def before(self, obs: Observation) -> list[Observation]:
        pool = list(self._by_key.get(_key(obs), ()))
        if self._query is not None:
            pool.extend(o for o in self._query(obs) if _key(o) == _key(obs))
        by_window: dict[Any, Observation] = {}
        for o in pool:
            if o.window_end <= obs.window_start:
                by_window.setdefault(o.window_start, o)
        return [by_window[k] for k in sorted(by_window, reverse=True)]


def _consecutive(rule: AlertRule, obs: Observation, earlier: _Earlier) -> int:
    """How many consecutive windows, ending with ``obs``'s, the rule fired in (counted up to
    ``for_windows``; the most recent earlier windows of the same metric, scope and model)."""
    count = 1
    if rule.for_windows == 1:
        return count
    for prev in earlier.before(obs)[: rule.for_windows - 1]:
        if not (rule.matches(prev) and rule.enough_rows(prev) and rule.condition.fires(prev)):
            break
        count += 1
    return count


def _latest_window(observations: Sequence[Observation]) -> dict[_Key, Any]:
    latest: dict[_Key, Any] = {}
    for obs in observations:
        key = _key(obs)
        if key not in latest or obs.window_end > latest[key]:
            latest[key] = obs.window_end
    return latest


def _overlap(a: Observation, b: Observation) -> bool:
    return a.window_start < b.window_end and b.window_start < a.window_end


def _is_feed_cause(c: AlertCandidate) -> bool:
    return c.owner == "data-feed" and (
        c.observation.scope.startswith("feed:") or unit_switch(c.observation) is not None
    )


def _attach_causes(candidates: list[AlertCandidate]) -> list[AlertCandidate]:
    """Model-owner alerts that share a model and window with a feed alert (a ``feed:``
    scope, or a feature whose values moved by a unit conversion factor) say so: the feed
    problem likely explains them. Both alerts are kept."""
    causes = [c for c in candidates if _is_feed_cause(c)]
    out: list[AlertCandidate] = []
    for c in candidates:
        if c.owner == "model":
            found = tuple(
                f"{f.name} on {f.observation.scope}"
                for f in causes
                if f.observation.model == c.observation.model
                and _overlap(f.observation, c.observation)
            )
            if found:
                why = c.why.rstrip(".") + f". Likely caused by {', '.join(found)}."
                c = replace(c, caused_by=found, why=why)
        out.append(c)
    return out


def evaluate_rules(
    rules: RuleSet | Iterable[AlertRule],
    observations: Iterable[Observation],
    history: History | None = None,
) -> list[AlertCandidate]:
    """The rules that fire on ``observations`` (the current window, or several).

    An observation fires a rule when the rule matches its metric, scope and window kind, it
    has at least ``min_n`` rows, the condition holds, and the condition also held in the
    ``for_windows - 1`` most recent earlier windows of the same metric, scope and model (from
    ``history`` and from earlier windows in ``observations``). Only the latest window of each
    metric, scope and model is judged; earlier ones serve as history. One candidate per
    fingerprint (rule, model, scope) is kept, the first in order. Each
    model-owner candidate that a feed alert of the same model and window explains names it
    in ``caused_by`` and its ``why``. The result is ordered critical first, then by owner,
    rule and scope; an empty list means nothing fires.
    """
    rule_list = list(rules)
    current = list(observations)
    earlier = _Earlier(history, current)
    latest = _latest_window(current)
    chosen: dict[str, AlertCandidate] = {}
    for obs in current:
        if obs.window_end != latest[_key(obs)]:
            continue  # earlier windows of a backfill only serve as history
        for rule in rule_list:
            if not (rule.matches(obs) and rule.enough_rows(obs) and rule.condition.fires(obs)):
                continue
            windows = _consecutive(rule, obs, earlier)
            if windows < rule.for_windows:
                continue
            fp = fingerprint(rule.name, obs.model, obs.scope)
            if fp in chosen:
                continue
            chosen[fp] = AlertCandidate(
                rule=rule,
                observation=obs,
                fingerprint=fp,
                why=describe(rule, obs, windows),
                windows=windows,
            )
    rank = {"critical": 0, "warning": 1, "info": 2}
    ordered = sorted(
        chosen.values(),
        key=lambda c: (rank[c.severity], c.owner, c.name, c.observation.scope),
    )
    return _attach_causes(ordered)
