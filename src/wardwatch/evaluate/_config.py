"""How an evaluation runs: bootstrap size and seed, thresholds, operating-point policies.

Every field has a safe default, so ``EvaluationConfig()`` evaluates a readmission model the
way a careful team would: 1,000 patient-level bootstrap replicates (seed 0) for 95% intervals,
a threshold grid from 0.05 to 0.95, net benefit from 1% to 50%, three operating points
(catch 80% of readmissions; a PPV of at least 30%; flag at most 10% of patients), and
subgroups or months with fewer than 11 patients suppressed.

A config can also come from YAML or JSON as a mapping: :func:`evaluation_config` validates it
and turns every problem into a one-line :class:`~wardwatch.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wardwatch.errors import ConfigError

__all__ = ["POLICY_METRICS", "EvaluationConfig", "OperatingPolicy", "evaluation_config"]

PolicyMetric = Literal["sensitivity", "specificity", "ppv", "npv", "flag_rate"]
POLICY_METRICS: tuple[str, ...] = ("sensitivity", "specificity", "ppv", "npv", "flag_rate")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _grid(start: int, stop: int, step: int, scale: int = 100) -> tuple[float, ...]:
    return tuple(round(i / scale, 6) for i in range(start, stop + 1, step))


class OperatingPolicy(_Strict):
    """A rule that picks one threshold: a bound on one metric (``sensitivity >= 0.8``).

    Among the thresholds that meet the bound, the policy takes the one that flags the fewest
    patients when the bound is a floor on sensitivity or NPV (catch enough, with as few
    alerts as possible), and otherwise the one that flags the most (catch as many as the
    bound on specificity, PPV or flag rate allows).
    """

    name: str = Field(min_length=1, max_length=80)
    metric: PolicyMetric
    at_least: float | None = Field(default=None, ge=0.0, le=1.0)
    at_most: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_bound(self) -> OperatingPolicy:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    @property
    def rule(self) -> str:
        """The bound in words, e.g. ``sensitivity ≥ 0.8``."""
        if self.at_least is not None:
            return f"{self.metric} ≥ {self.at_least:g}"
        return f"{self.metric} ≤ {self.at_most:g}"

    @property
    def fewest_flags(self) -> bool:
        """True when the policy prefers the feasible threshold that flags the fewest."""
        return self.at_least is not None and self.metric in ("sensitivity", "npv")

    def met(self, values: Any) -> Any:
        """Whether metric values meet the bound, elementwise (NaN never does)."""
        v = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            if self.at_least is not None:
                return v >= self.at_least
            return v <= float(self.at_most)  # type: ignore[arg-type]


DEFAULT_POLICIES: tuple[OperatingPolicy, ...] = (
    OperatingPolicy(name="catch 80% of events", metric="sensitivity", at_least=0.8),
    OperatingPolicy(name="PPV at least 30%", metric="ppv", at_least=0.3),
    OperatingPolicy(name="flag at most 10%", metric="flag_rate", at_most=0.1),
)


class EvaluationConfig(_Strict):
    """Settings of :func:`wardwatch.evaluate.evaluate_predictions` (all optional)."""

    n_bootstrap: int = Field(default=1000, ge=0, le=100_000)
    """Patient-level bootstrap replicates behind every confidence interval (0: no intervals)."""
    seed: int = Field(default=0, ge=0)
    """Seed of the bootstrap: the same seed gives the same intervals, to the last digit."""
    ci_level: float = Field(default=0.95, gt=0.5, lt=1.0)
    """Coverage of the percentile intervals."""
    threshold_grid: tuple[float, ...] = _grid(5, 95, 5)
    """Thresholds of the threshold table (a patient is flagged when its probability >= t)."""
    decision_thresholds: tuple[float, ...] = _grid(1, 50, 1)
    """Threshold probabilities of the decision curve."""
    policies: tuple[OperatingPolicy, ...] = DEFAULT_POLICIES
    """Operating points, each chosen on the whole evaluation set and applied to every group."""
    census_per_day: float | None = Field(default=None, gt=0)
    """Patients scored per day, for alerts per day (default: predictions / days spanned)."""
    min_group_size: int = Field(default=11, ge=1)
    """Subgroups and months with fewer patients (or positive or negative labels) are hidden."""
    calibration_bins: int = Field(default=10, ge=2, le=100)
    """Equal-count bins of predicted probability for the reliability diagram and ECE."""
    min_events: int = Field(default=10, ge=1)
    """Fewest positive and negative labels for calibration estimates (curve, ECE, slope)."""
    min_defined: float = Field(default=0.9, gt=0.0, le=1.0)
    """Share of replicates in which a metric must be defined for its interval to be shown."""
    disparity_bounds: tuple[float, float] = (0.8, 1.25)
    """A subgroup's ratio to the overall value outside these bounds is marked as a disparity."""

    @field_validator("threshold_grid", "decision_thresholds")
    @classmethod
    def _thresholds(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value:
            raise ValueError("give at least one threshold")
        bad = [t for t in value if not 0.0 < t < 1.0]
        if bad:
            raise ValueError(f"thresholds must lie strictly between 0 and 1, found {bad[0]}")
        return tuple(sorted(set(value)))

    @field_validator("policies")
    @classmethod
    def _unique_names(cls, value: tuple[OperatingPolicy, ...]) -> tuple[OperatingPolicy, ...]:
        names = [p.name for p in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"policy names must be unique, found {dupes[0]!r} twice")
        return value

    @field_validator("disparity_bounds")
    @classmethod
    def _bounds(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0.0 < low < 1.0 < high:
            raise ValueError("disparity bounds must be (low, high) with 0 < low < 1 < high")
        return value

    @property
    def alpha(self) -> float:
        """The two tails left out of an interval together (0.05 for 95%)."""
        return 1.0 - self.ci_level


def evaluation_config(data: EvaluationConfig | Mapping[str, Any] | None = None) -> EvaluationConfig:
    """A validated config from a mapping (YAML or JSON content), a config, or ``None``.

    Raises :class:`~wardwatch.errors.ConfigError` naming the key, the problem and the value.
    """
    if data is None:
        return EvaluationConfig()
    if isinstance(data, EvaluationConfig):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(
            "evaluation config must be a mapping",
            expected="n_bootstrap, seed, policies, ...",
            found=type(data).__name__,
        )
    try:
        return EvaluationConfig.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top)"
        found = repr(err.get("input"))
        raise ConfigError(
            err["msg"].removeprefix("Value error, "),
            record="evaluation config",
            field=loc,
            found=found if len(found) <= 80 else found[:77] + "...",
        ) from None
