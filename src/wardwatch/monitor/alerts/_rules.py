"""Alert rules: what to watch, when it is a problem, how bad, and who is paged.

A rule file is YAML::

    rules:
      - name: feature-drift
        metric: "feature.*"          # Observation.metric, exact or a glob
        scope: "feature:*"           # Observation.scope, exact or a glob
        condition: {drifted: true}   # or {above: x} | {below: x} | {outside: [lo, hi]}
        window: daily                # daily | weekly | any
        for_windows: 2               # fire only after this many consecutive windows
        min_n: 200                   # ignore windows with fewer rows than this
        severity: warning            # info | warning | critical
        owner: data-feed             # data-feed | model | sre: who is paged
        runbook: https://wiki.example.org/runbooks/feature-drift
        description: a numeric or categorical input moved away from its reference

``condition.use`` says which number is judged: ``value`` (the estimate, the default),
``lower`` or ``upper`` (a bound of its confidence interval: "the AUROC's upper bound is
below 0.65" means the decay is beyond sampling noise), or ``interval`` (the whole interval:
above/below need the far bound past the threshold, outside needs the interval to miss
``[lo, hi]`` entirely). An observation without the bound asked for is judged on its value.

:func:`load_rules` reads a file (the packaged ``default_rules.yaml`` when given None);
:func:`parse_rules` validates a mapping. Errors are one-line :class:`ConfigError`\\ s naming
the file, the rule, the field, what was expected and what was found.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wardwatch.errors import ConfigError
from wardwatch.monitor._observation import Observation, Owner

__all__ = [
    "DEFAULT_RULES",
    "AlertRule",
    "Condition",
    "RuleSet",
    "Severity",
    "WindowKind",
    "load_rules",
    "parse_rules",
    "window_kind",
]

Severity = Literal["info", "warning", "critical"]
WindowKind = Literal["daily", "weekly", "any"]
DEFAULT_RULES = "default_rules.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """When an observation is a problem: exactly one of ``above``, ``below``, ``drifted``,
    ``outside``; ``use`` picks the number judged (see the module doc)."""

    above: float | None = None
    below: float | None = None
    drifted: bool | None = None
    outside: tuple[float, float] | None = None
    use: Literal["value", "lower", "upper", "interval"] = "value"

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = ("above", "below", "drifted", "outside")
        given = [k for k in tests if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "exactly one of above, below, drifted, outside"
                f" (found {', '.join(given) or 'none'})"
            )
        if self.drifted is not None and self.use != "value":
            raise ValueError("use applies to above/below/outside, not to drifted")
        if self.outside is not None and self.outside[0] >= self.outside[1]:
            raise ValueError(f"outside needs lo < hi (found {list(self.outside)})")
        return self

    def judged(self, obs: Observation) -> float:
        """The number this condition compares (a CI bound when asked and known)."""
        if self.use == "lower" and obs.lower is not None:
            return obs.lower
        if self.use == "upper" and obs.upper is not None:
            return obs.upper
        return obs.value

    def fires(self, obs: Observation) -> bool:
        """Whether ``obs`` breaks this condition (NaN values never fire)."""
        if self.drifted is not None:
            return obs.drifted is not None and obs.drifted == self.drifted
        lo = obs.lower if obs.lower is not None else obs.value
        hi = obs.upper if obs.upper is not None else obs.value
        interval = self.use == "interval"
        x = self.judged(obs)
        if self.above is not None:
            return (lo if interval else x) > self.above
        if self.below is not None:
            return (hi if interval else x) < self.below
        assert self.outside is not None
        low, high = self.outside
        if interval:
            return hi < low or lo > high
        return x < low or x > high

    def describe(self) -> str:
        """The condition in words (``upper bound below 0.65``)."""
        subject = {"value": "", "lower": "lower bound ", "upper": "upper bound ",
                   "interval": "whole CI "}[self.use]  # fmt: skip
        if self.drifted is not None:
            return "drift test flagged" if self.drifted else "drift test not flagged"
        if self.above is not None:
            return f"{subject}above {self.above:g}"
        if self.below is not None:
            return f"{subject}below {self.below:g}"
        assert self.outside is not None
        return f"{subject}outside [{self.outside[0]:g}, {self.outside[1]:g}]"


class AlertRule(_Strict):
    """One rule: which observations (``metric``, ``scope`` globs, ``window``), when they are
    a problem (``condition``, for ``for_windows`` consecutive windows with at least ``min_n``
    rows) and what follows (``severity``, ``owner`` paged, ``runbook``)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")
    metric: str = Field(min_length=1, max_length=200)
    scope: str = Field(default="*", min_length=1, max_length=200)
    condition: Condition
    window: WindowKind = "any"
    for_windows: int = Field(default=1, ge=1, le=100)
    min_n: int | None = Field(default=None, ge=1)
    severity: Severity = "warning"
    owner: Owner
    runbook: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=500)

    def matches(self, obs: Observation) -> bool:
        """Whether ``obs`` is one this rule judges (metric, scope and window kind)."""
        return (
            fnmatch.fnmatchcase(obs.metric, self.metric)
            and fnmatch.fnmatchcase(obs.scope, self.scope)
            and (self.window == "any" or window_kind(obs) == self.window)
        )

    def enough_rows(self, obs: Observation) -> bool:
        """Whether ``obs`` passes the ``min_n`` guard (an observation that does not say how
        many rows it saw, such as a latency percentile, passes)."""
        return self.min_n is None or obs.n is None or obs.n >= self.min_n


class RuleSet(_Strict):
    """A validated set of rules with unique names; iterate it for the rules."""

    rules: tuple[AlertRule, ...] = ()
    source: str = "rules"

    def __iter__(self) -> Iterator[AlertRule]:  # type: ignore[override]
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, name: str) -> AlertRule:
        """The rule called ``name``; KeyError if there is none."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)


def window_kind(obs: Observation) -> WindowKind:
    """``daily`` for windows up to 36 hours, ``weekly`` for 5 to 9 days, else ``any``."""
    span = obs.window_end - obs.window_start
    if span <= timedelta(hours=36):
        return "daily"
    if timedelta(days=5) <= span <= timedelta(days=9):
        return "weekly"
    return "any"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_rules(data: Any, source: str = "rules") -> RuleSet:
    """Validate a rule mapping (``{"rules": [...]}``) or a bare list of rules.

    Raises :class:`ConfigError` naming the source, the rule (its name, or its position when
    it has none), the field, what was expected and what was found.
    """
    if isinstance(data, Mapping):
        extra = sorted(str(k) for k in data if k != "rules")
        if extra:
            raise ConfigError("invalid alert rules: unknown key", record=source,
                              field=extra[0], expected="rules", found=repr(extra[0]))  # fmt: skip
        data = data.get("rules")
    if not isinstance(data, list):
        raise ConfigError("invalid alert rules: no list of rules", record=source,
                          field="rules", expected="a list of rules",
                          found=type(data).__name__)  # fmt: skip
    rules: list[AlertRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data):
        label = f"rules[{i}]"
        if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
            label = f"rule {raw['name']!r}"
        if not isinstance(raw, Mapping):
            raise ConfigError("invalid alert rule", record=f"{source} {label}",
                              expected="a mapping", found=type(raw).__name__)  # fmt: skip
        try:
            rule = AlertRule.model_validate(dict(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "(rule)"
            found = "nothing" if err["type"] == "missing" else _clip(repr(err.get("input")))
            raise ConfigError(
                "invalid alert rule",
                record=f"{source} {label}",
                field=loc,
                expected=err["msg"].removeprefix("Value error, "),
                found=found,
            ) from None
        if rule.name in seen:
            raise ConfigError("invalid alert rule: duplicate name", record=f"{source} {label}",
                              field="name", expected="a unique name",
                              found=repr(rule.name))  # fmt: skip
        seen.add(rule.name)
        rules.append(rule)
    return RuleSet(rules=tuple(rules), source=source)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Read and validate a rule file; None: the packaged defaults (``default_rules.yaml``)."""
    if path is None:
        text = resources.files("wardwatch.monitor.alerts").joinpath(DEFAULT_RULES).read_text()
        source = DEFAULT_RULES
    else:
        p = Path(path)
        source = str(p)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError("cannot read the alert rules", record=source,
                              found=exc.strerror or type(exc).__name__) from None  # fmt: skip
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "YAML error"
        raise ConfigError("alert rules are not valid YAML", record=source, found=first) from None
    return parse_rules(data, source)
