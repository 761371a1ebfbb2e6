"""What the monitoring page draws, gathered from the store as plain dataclasses.

Every number comes from the stored observations of one model version
(:func:`wardwatch.monitor.load_observations`), window by window, oldest first; a window
where a metric was not measured (no labels yet, no scoring requests, no CDS feedback) is a
gap (None), never a zero. Alert thresholds come from the packaged alert rules
(:func:`wardwatch.monitor.load_rules`), except the drift tests' own thresholds, which each
observation's detail carries (a K-S or chi-square test is judged on its Benjamini-Hochberg
adjusted p-value against alpha; a Wasserstein or Jensen-Shannon distance on its threshold).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from wardwatch.core.store import Store
from wardwatch.monitor import Observation, RuleSet, load_observations, load_rules

__all__ = [
    "METRICS",
    "DriftRow",
    "FeatureTrack",
    "Monitoring",
    "Span",
    "Track",
    "default_rules",
    "gather",
    "limits",
    "monitored_versions",
]

METRICS = (
    "feature.drift_score",
    "feature.psi",
    "prediction.psi",
    "prediction.volume",
    "estimated.auroc",
    "realized.auroc",
    "calibration.slope",
    "calibration.oe_ratio",
    "flag_rate.ratio",
    "override_rate",
    "latency.p50_ms",
    "latency.p95_ms",
    "latency.p99_ms",
    "error_rate",
    "service.volume",
)
"""The metrics the page shows (subgroup scopes of the same metrics are left out)."""

TESTS = {"ks": "K-S test", "chisquare": "chi-square test", "z": "Z-test"}
"""Drift methods judged by a p-value: drift when the adjusted p-value is at or below alpha
(K-S) or below it (chi-square, Z), so smaller is more drifted."""
DISTANCES = {
    "wasserstein": "Wasserstein distance (normed)",
    "jensenshannon": "Jensen-Shannon distance",
    "psi": "PSI",
}
"""Drift methods judged by a distance: drift at or above the threshold."""


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged alert rules (read once)."""
    return load_rules(None)


def limits(*metrics: str, scope: str = "model", rules: RuleSet | None = None,
           ) -> list[tuple[str, float]]:  # fmt: skip
    """The alert thresholds the rules set on ``metrics`` at ``scope``, as (label, value)
    lines to draw: one for ``above``/``below``, the two ends of the range for ``outside``;
    a value several rules share is drawn once, naming them all."""
    lines: dict[float, list[str]] = {}
    for rule in rules or default_rules():
        if not fnmatch.fnmatchcase(scope, rule.scope):
            continue
        if not any(fnmatch.fnmatchcase(m, rule.metric) for m in metrics):
            continue
        c = rule.condition
        if c.outside is not None:
            lo, hi = c.outside
            marks = [(lo, f"{rule.name}: low end {lo:g}"), (hi, f"{rule.name}: high end {hi:g}")]
        else:
            value = c.above if c.above is not None else c.below
            marks = [] if value is None else [(value, f"{rule.name}: {c.describe()}")]
        for value, label in marks:
            lines.setdefault(float(value), []).append(label)
    return [(" / ".join(names), v) for v, names in sorted(lines.items())]


@dataclass(frozen=True)
class Span:
    """One monitored window ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """The window's start: the date for windows of whole days, else date and time."""
        whole = (self.end - self.start) >= timedelta(days=1) and self.start.hour == 0 \
            and self.start.minute == 0  # fmt: skip
        return self.start.strftime("%Y-%m-%d" if whole else "%Y-%m-%d %H:%M")


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class Track:
    """One metric of one scope over the windows: the value and its confidence interval per
    window (None where it was not measured) and the rows it was measured on."""

    metric: str
    scope: str
    values: list[float | None]
    lower: list[float | None]
    upper: list[float | None]
    n: list[int | None]
    details: list[dict[str, Any] | None]

    @property
    def measured(self) -> bool:
        """Whether any window has a value."""
        return any(v is not None for v in self.values)

    @property
    def has_interval(self) -> bool:
        return any(v is not None for v in self.lower)


@dataclass(frozen=True)
class FeatureTrack:
    """Drift of one input feature over the windows.

    ``statistic`` is the stored ``feature.drift_score`` (the test statistic, e.g. K-S D, or
    the distance); ``score`` the number the drift verdict was judged on, against
    ``threshold``: the adjusted p-value for a test (drift when at or below alpha), the
    distance itself for a distance (drift when at or above). ``psi`` is the population
    stability index on reference deciles (0 = same distribution; 0.1 and 0.2 are the usual
    "moderate" and "significant" marks).
    """

    name: str
    method: str | None
    statistic: list[float | None]
    score: list[float | None]
    threshold: list[float | None]
    drifted: list[bool | None]
    psi: list[float | None]
    n: list[int | None]

    @property
    def is_test(self) -> bool:
        return self.method in TESTS

    @property
    def method_label(self) -> str:
        m = self.method or ""
        return TESTS.get(m) or DISTANCES.get(m) or (m or "unknown")

    @property
    def score_label(self) -> str:
        return "adjusted p-value" if self.is_test else "distance"

    @property
    def rule_text(self) -> str:
        """What the drift verdict means, in words."""
        t = next((x for x in reversed(self.threshold) if x is not None), None)
        if t is None:
            return "no verdict recorded"
        if self.is_test:
            op = "≤" if self.method == "ks" else "<"
            return f"drift when the adjusted p-value of the {self.method_label} is {op} {t:g}"
        return f"drift when the {self.method_label} is ≥ {t:g}"


@dataclass(frozen=True)
class DriftRow:
    """One feature in the latest window's drift table."""

    feature: str
    method: str
    statistic: float | None
    score: float | None
    score_label: str
    threshold: float | None
    drifted: bool | None
    psi: float | None
    n: int | None


def _judged(o: Observation) -> float | None:
    method = str(o.detail.get("method") or "")
    if method in TESTS:
        p = o.detail.get("p_adjusted")
        if p is None:
            p = o.detail.get("p_value")
        return _num(float(p)) if isinstance(p, int | float) else None
    return _num(o.value)


def _threshold(o: Observation) -> float | None:
    t = o.detail.get("threshold")
    return _num(float(t)) if isinstance(t, int | float) else None


@dataclass(frozen=True)
class Monitoring:
    """Everything the page shows for one model version (see the module docstring)."""

    model: str
    version: int
    windows: list[Span]
    tracks: dict[tuple[str, str], Track]
    features: dict[str, FeatureTrack]

    @property
    def labels(self) -> list[str]:
        return [w.label for w in self.windows]

    def track(self, metric: str, scope: str = "model") -> Track:
        """The metric's track (all gaps when it was never measured)."""
        found = self.tracks.get((metric, scope))
        if found is not None:
            return found
        empty: list[Any] = [None] * len(self.windows)
        return Track(metric, scope, empty, empty, empty, empty, empty)

    def latest_drift(self) -> list[DriftRow]:
        """Every feature's drift in the latest window where it was measured, drifted first
        then by name."""
        rows = []
        for f in self.features.values():
            i = next((k for k in range(len(self.windows) - 1, -1, -1)
                      if f.statistic[k] is not None or f.drifted[k] is not None), None)  # fmt: skip
            if i is None or i != len(self.windows) - 1:
                continue
            rows.append(DriftRow(f.name, f.method_label, f.statistic[i], f.score[i],
                                 f.score_label, f.threshold[i], f.drifted[i], f.psi[i],
                                 f.n[i]))  # fmt: skip
        return sorted(rows, key=lambda r: (not r.drifted, r.feature))

    @property
    def latest(self) -> Span | None:
        return self.windows[-1] if self.windows else None


def monitored_versions(store: Store, model: str) -> list[int]:
    """The versions of ``model`` with at least one monitored window, ascending."""
    rows = load_observations(store, model, metrics=["prediction.volume"])
    return sorted({o.version for o in rows})


def _tracks(observations: Iterable[Observation], index: dict[tuple[datetime, datetime], int],
            size: int) -> dict[tuple[str, str], Track]:  # fmt: skip
    out: dict[tuple[str, str], Track] = {}
    for o in observations:
        key = (o.metric, o.scope)
        t = out.get(key)
        if t is None:
            t = out[key] = Track(o.metric, o.scope, [None] * size, [None] * size,
                                 [None] * size, [None] * size, [None] * size)  # fmt: skip
        i = index[(o.window_start, o.window_end)]
        t.values[i], t.lower[i], t.upper[i] = _num(o.value), _num(o.lower), _num(o.upper)
        t.n[i], t.details[i] = o.n, dict(o.detail)
    return out


def _features(observations: Sequence[Observation], index: dict[tuple[datetime, datetime], int],
              size: int) -> dict[str, FeatureTrack]:  # fmt: skip
    out: dict[str, FeatureTrack] = {}

    def get(scope: str) -> FeatureTrack:
        name = scope.removeprefix("feature:")
        if name not in out:
            out[name] = FeatureTrack(name, None, [None] * size, [None] * size, [None] * size,
                                     [None] * size, [None] * size, [None] * size)  # fmt: skip
        return out[name]

    for o in observations:
        if not o.scope.startswith("feature:"):
            continue
        i = index[(o.window_start, o.window_end)]
        f = get(o.scope)
        if o.metric == "feature.psi":
            f.psi[i] = _num(o.value)
        elif o.metric == "feature.drift_score":
            f.statistic[i], f.score[i] = _num(o.value), _judged(o)
            f.threshold[i], f.drifted[i], f.n[i] = _threshold(o), o.drifted, o.n
            method = o.detail.get("method")
            if isinstance(method, str):  # the latest window's method names the track
                out[f.name] = FeatureTrack(f.name, method, f.statistic, f.score, f.threshold,
                                           f.drifted, f.psi, f.n)  # fmt: skip
    return dict(sorted(out.items()))


def gather(store: Store, model: str, version: int) -> Monitoring:
    """The page's data for ``model`` version ``version`` (no windows: never monitored)."""
    observations = load_observations(store, model, version=version, metrics=METRICS)
    spans = sorted({(o.window_start, o.window_end) for o in observations})
    index = {s: i for i, s in enumerate(spans)}
    size = len(spans)
    shown = [o for o in observations if o.scope in ("model", "service")]
    return Monitoring(
        model=model,
        version=version,
        windows=[Span(a, b) for a, b in spans],
        tracks=_tracks(shown, index, size),
        features=_features(observations, index, size),
    )
