"""Gate policies: what a model version must show before it may be promoted.

A policy is YAML validated strictly (an unknown key or a bad bound is a one-line
:class:`~wardwatch.errors.ConfigError` naming the key)::

    name: readmission-default
    model: readmission-30d          # optional: the registered model it is for
    gates:
      - check: quality_passed       # data-quality verdict pass (or warn, unless allow_warn: false)
      - check: leakage_clean        # leakage audit verdict pass (warn fails unless allow_warn)
      - check: auroc_lower_ci       # lower 95% bound of the test AUROC
        min: 0.65
      - check: calibration_slope    # calibration slope within [min, max]
        min: 0.8
        max: 1.2
      - check: ece                  # expected calibration error
        max: 0.05
      - check: subgroup_auroc       # no shown subgroup level's AUROC below min
        min: 0.6
      - check: disparity_ratio      # no level's ratio to overall outside [1/max, max]
        max: 1.25                   # metric: auroc (default), or a rate with at: <policy>
      - check: net_benefit_vs_treat_all
        at: catch 80% of events     # an operating policy of the report, or a threshold


Each check is its own strict model (:data:`GateSpec` tells them apart by ``check``);
:attr:`Policy.sha256` names a policy's exact content in every gate result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wardwatch.errors import ConfigError

__all__ = [
    "CHECKS",
    "PACKAGED_POLICIES",
    "AurocLowerCI",
    "CalibrationSlope",
    "Check",
    "DisparityRatio",
    "Ece",
    "GateSpec",
    "LeakageClean",
    "NetBenefitVsTreatAll",
    "Policy",
    "QualityPassed",
    "SubgroupAuroc",
    "default_policy",
    "load_policy",
    "packaged_policy",
    "parse_policy",
]

PACKAGED_POLICIES: tuple[str, ...] = ("default", "pilot")

_Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class Check(BaseModel):
    """A check of a policy (every kind below)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class QualityPassed(Check):
    """The data-quality gate's verdict is ``pass`` (or ``warn`` when ``allow_warn``)."""

    check: Literal["quality_passed"]
    allow_warn: bool = True


class LeakageClean(Check):
    """The leakage audit's verdict is ``pass`` (``warn`` fails unless ``allow_warn``)."""

    check: Literal["leakage_clean"]
    allow_warn: bool = False


class AurocLowerCI(Check):
    """The lower bound of the test AUROC's bootstrap interval is at least ``min``."""

    check: Literal["auroc_lower_ci"]
    min: _Unit


class CalibrationSlope(Check):
    """The calibration slope lies within ``[min, max]`` (1 is ideal; < 1: too extreme)."""

    check: Literal["calibration_slope"]
    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> CalibrationSlope:
        if not self.min < self.max:
            raise ValueError("min must be below max")
        return self


class Ece(Check):
    """The expected calibration error is at most ``max``."""

    check: Literal["ece"]
    max: _Unit


class SubgroupAuroc(Check):
    """Every shown (not suppressed) subgroup level has an AUROC of at least ``min``."""

    check: Literal["subgroup_auroc"]
    min: _Unit
    attributes: tuple[str, ...] | None = None
    """Only these attributes (default: every attribute of the report)."""
    bound: Literal["estimate", "upper_ci"] = "estimate"
    """What is compared with ``min``: the level's AUROC (``estimate``), or the upper bound
    of its confidence interval (``upper_ci``: a level fails only when the data show it is
    below ``min``, not when a small level is merely uncertain)."""


class DisparityRatio(Check):
    """Every shown level's ratio to the overall value lies within ``[min, max]``.

    ``metric`` is ``auroc`` (default) or a rate (sensitivity, specificity, ppv, npv,
    flag_rate) at the operating policy named by ``at``; ``min`` defaults to ``1 / max``.
    """

    check: Literal["disparity_ratio"]
    max: float = Field(gt=1.0)
    min: float | None = Field(default=None, gt=0.0, lt=1.0)
    metric: Literal["auroc", "sensitivity", "specificity", "ppv", "npv", "flag_rate"] = "auroc"
    at: str | None = None
    attributes: tuple[str, ...] | None = None
    bound: Literal["estimate", "ci"] = "estimate"
    """``estimate``: a level fails when its ratio is outside ``[min, max]``; ``ci``: only
    when its whole confidence interval is (the disparity is shown, not just possible)."""

    @model_validator(mode="after")
    def _rate_needs_policy(self) -> DisparityRatio:
        if (self.metric == "auroc") != (self.at is None):
            raise ValueError("give at: <operating policy> with a rate metric, and only then")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.min if self.min is not None else 1.0 / self.max, self.max)


class NetBenefitVsTreatAll(Check):
    """At the operating threshold, the model's net benefit exceeds treating everyone (and
    treating no one, whose net benefit is 0) by more than ``margin``.

    ``at`` is an operating policy of the report (its chosen threshold) or a threshold of
    the decision curve.
    """

    check: Literal["net_benefit_vs_treat_all"]
    at: str | Annotated[float, Field(gt=0.0, lt=1.0)]
    margin: float = Field(default=0.0, ge=0.0)


GateSpec = Annotated[
    QualityPassed
    | LeakageClean
    | AurocLowerCI
    | CalibrationSlope
    | Ece
    | SubgroupAuroc
    | DisparityRatio
    | NetBenefitVsTreatAll,
    Field(discriminator="check"),
]
CHECKS: tuple[str, ...] = (
    "quality_passed",
    "leakage_clean",
    "auroc_lower_ci",
    "calibration_slope",
    "ece",
    "subgroup_auroc",
    "disparity_ratio",
    "net_benefit_vs_treat_all",
)


class Policy(BaseModel):
    """A gate policy: a name, optionally the model it is for, and its checks in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    model: str | None = None
    gates: tuple[GateSpec, ...] = Field(min_length=1)

    @property
    def sha256(self) -> str:
        """SHA-256 of the policy's canonical form (what a gate result names)."""
        from wardwatch.audit import canonical_json

        return hashlib.sha256(canonical_json(self.model_dump(mode="json"))).hexdigest()


def parse_policy(data: Any, source: str = "policy") -> Policy:
    """Validate a policy mapping; raise :class:`ConfigError` naming the first bad key."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            "a gate policy must be a mapping",
            record=source,
            expected="name, gates",
            found=type(data).__name__,
        )
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top)"
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            tag = err.get("ctx", {}).get("tag")
            raise ConfigError(
                "invalid gate policy: unknown check" if tag else "invalid gate policy: no check",
                record=source,
                field=f"{loc}.check",
                expected=" | ".join(CHECKS),
                found=repr(tag) if tag else "nothing",
            ) from None
        found = repr(err.get("input"))
        raise ConfigError(
            f"invalid gate policy: {err['msg'].removeprefix('Value error, ')}",
            record=source,
            field=loc,
            found=found if len(found) <= 60 else found[:57] + "...",
        ) from None


def load_policy(path: Path | str) -> Policy:
    """Read and validate a policy YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            "cannot read the gate policy", record=str(p), found=exc.strerror or type(exc).__name__
        ) from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "YAML error"
        raise ConfigError("gate policy is not valid YAML", record=str(p), found=first) from None
    return parse_policy(data, str(p))


def default_policy() -> Policy:
    """The packaged policy (``default_policy.yaml``): safe defaults for a risk model."""
    return packaged_policy("default")


def packaged_policy(name: str) -> Policy:
    """A policy shipped with wardwatch: ``default`` (production) or ``pilot`` (looser
    statistical bounds for a supervised pilot on a small population)."""
    if name not in PACKAGED_POLICIES:
        raise ConfigError(
            "no such packaged policy",
            field="policy",
            expected=" | ".join(PACKAGED_POLICIES),
            found=repr(name)[:40],
        )
    file = f"{name}_policy.yaml"
    text = resources.files("wardwatch.registry").joinpath(file).read_text("utf-8")
    return parse_policy(yaml.safe_load(text), file)
