"""The unit that monitoring produces and alert rules judge: one measured value for one
window, one scope and one model version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["Observation", "Owner"]

Owner = Literal["data-feed", "model", "sre"]
"""Who is paged: the data-feed owner (input drift, missingness, unit and code changes), the
model owner (performance and calibration decay) or the SRE (latency, errors, volume)."""


@dataclass(frozen=True)
class Observation:
    """One value measured over ``[window_start, window_end)``.

    ``metric`` is a dotted name (``feature.drift_score``, ``feature.psi``,
    ``feature.missing_delta``, ``prediction.psi``, ``flag_rate.ratio``, ``estimated.auroc``,
    ``realized.auroc``, ``calibration.slope``, ``latency.p99_ms``, ``error_rate``,
    ``override_rate``, ``feed.unit_switch``, ...). ``scope`` says what it is about:
    ``model``, ``feature:<name>``, ``subgroup:<attribute>=<value>``, ``service`` or
    ``feed:<table>.<column>``. ``lower``/``upper`` bound its confidence interval where
    sampling matters; ``drifted`` is the statistic's own verdict (its test or distance
    threshold) where it has one. ``detail`` carries context for the alert's explanation
    (medians, units, counts); it never holds identifiers.
    """

    metric: str
    scope: str
    value: float
    window_start: datetime
    window_end: datetime
    model: str
    version: int
    lower: float | None = None
    upper: float | None = None
    drifted: bool | None = None
    n: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601)."""
        return {
            "metric": self.metric,
            "scope": self.scope,
            "value": self.value,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "model": self.model,
            "version": self.version,
            "lower": self.lower,
            "upper": self.upper,
            "drifted": self.drifted,
            "n": self.n,
            "detail": dict(self.detail),
        }
