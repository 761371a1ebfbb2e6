"""Rollback criteria: when monitoring evidence says a model's champion should be rolled back.

A rollback policy (YAML, validated strictly) lists conditions on observations; any one
that holds in the most recent windows triggers the policy's action: ``recommend`` (a person
decides; the recommendation is audited) or ``rollback`` (the registry returns the champion
alias to the version before it, and that is audited with the evidence)::

    model: "*"                     # the registered model it is for (a glob; "*": any)
    action: recommend              # or: rollback
    conditions:
      - metric: estimated.auroc    # an Observation metric
        scope: model               # its scope (a glob: "subgroup:*")
        below: 0.60                # or above: x, or outside: [a, b]
        use: upper                 # value | lower | upper | interval
        for_windows: 2             # in each of the last 2 windows
        min_n: 200                 # only observations with n >= 200 count

``use`` picks what is compared: the estimate (``value``), one bound of its confidence
interval (``lower``, ``upper``), or the whole ``interval``: ``below: x`` then means the
interval lies entirely below x (``upper < x``), ``above: x`` entirely above
(``lower > x``), ``outside: [a, b]`` entirely outside (``upper < a`` or ``lower > b``).
Comparing the bound away from the threshold (``upper`` with ``below``) triggers only when
the data show the problem, not when a small window is merely uncertain.

:func:`evaluate_rollback` is pure (observations in, decision out); :func:`apply_rollback`
acts on a decision through the registry and the audit log.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wardwatch.errors import ConfigError
from wardwatch.monitor._observation import Observation

if TYPE_CHECKING:
    from wardwatch.audit import AuditLog
    from wardwatch.registry import Identity, Registry

__all__ = [
    "Condition",
    "ConditionMet",
    "RollbackDecision",
    "RollbackOutcome",
    "RollbackPolicy",
    "apply_rollback",
    "default_rollback_policy",
    "evaluate_rollback",
    "load_rollback_policy",
    "parse_rollback_policy",
]


class Condition(BaseModel):
    """One rollback condition (see the module docstring); exactly one of ``below``,
    ``above`` and ``outside``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(min_length=1, max_length=200)
    scope: str = Field(default="model", min_length=1, max_length=200)
    below: float | None = None
    above: float | None = None
    outside: tuple[float, float] | None = None
    use: Literal["value", "lower", "upper", "interval"] = "value"
    for_windows: int = Field(default=1, ge=1, le=1000)
    min_n: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [k for k in ("below", "above", "outside") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of below, above, outside")
        if self.outside is not None and not self.outside[0] < self.outside[1]:
            raise ValueError("outside needs [low, high] with low below high")
        return self

    def holds(self, obs: Observation) -> bool:
        """Whether ``obs`` meets this condition (its metric and scope are not checked here).
        False when it lacks what is compared (a bound, ``n`` under ``min_n``) or it is NaN."""
        if self.min_n is not None and (obs.n is None or obs.n < self.min_n):
            return False
        if self.use == "interval":
            lo, hi = obs.lower, obs.upper
        else:
            lo = hi = {"value": obs.value, "lower": obs.lower, "upper": obs.upper}[self.use]
        if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
            return False
        if self.below is not None:
            return hi < self.below
        if self.above is not None:
            return lo > self.above
        assert self.outside is not None
        return hi < self.outside[0] or lo > self.outside[1]

    def matches(self, obs: Observation) -> bool:
        """Whether ``obs`` is about what this condition judges (metric, scope glob)."""
        return obs.metric == self.metric and fnmatchcase(obs.scope, self.scope)

    def describe(self) -> str:
        """The condition in words: ``estimated.auroc (model) upper bound below 0.6 for 2
        windows``."""
        what = {"value": "", "lower": " lower bound", "upper": " upper bound",
                "interval": " interval entirely"}[self.use]  # fmt: skip
        if self.below is not None:
            test = f"below {self.below:g}"
        elif self.above is not None:
            test = f"above {self.above:g}"
        else:
            assert self.outside is not None
            test = f"outside [{self.outside[0]:g}, {self.outside[1]:g}]"
        runs = f" for {self.for_windows} windows" if self.for_windows > 1 else ""
        floor = f" (n >= {self.min_n})" if self.min_n is not None else ""
        return f"{self.metric} ({self.scope}){what} {test}{runs}{floor}"


class RollbackPolicy(BaseModel):
    """The rollback criteria of the models ``model`` matches (a glob; ``*``: any): any
    condition met triggers ``action``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(default="*", min_length=1, max_length=200)
    description: str = ""
    action: Literal["recommend", "rollback"]
    conditions: tuple[Condition, ...] = Field(min_length=1)

    def covers(self, model: str) -> bool:
        return fnmatchcase(model, self.model)


@dataclass(frozen=True)
class ConditionMet:
    """A condition that held for one model version in each of its last windows, with the
    observation that showed it in each (oldest first)."""

    condition: Condition
    model: str
    version: int
    evidence: tuple[Observation, ...]

    def describe(self) -> str:
        def one(o: Observation) -> str:
            ci = (
                f" [{o.lower:.3g}, {o.upper:.3g}]"
                if o.lower is not None and o.upper is not None
                else ""
            )
            n = f" n={o.n}" if o.n is not None else ""
            return f"{o.value:.3g}{ci}{n} to {o.window_end:%Y-%m-%d %H:%M}"

        return f"{self.condition.describe()}: " + "; ".join(one(o) for o in self.evidence)

    def to_dict(self) -> dict[str, Any]:
        """The condition and its evidence (metric names, values, bounds, n and windows; no
        ``detail``, so nothing but numbers and names leaves monitoring)."""
        keep = ("metric", "scope", "value", "lower", "upper", "n", "drifted", "window_start",
                "window_end", "model", "version")  # fmt: skip
        return {
            "condition": self.condition.describe(),
            "spec": self.condition.model_dump(mode="json", exclude_none=True),
            "model": self.model,
            "model_version": self.version,
            "evidence": [{k: o.to_dict()[k] for k in keep} for o in self.evidence],
        }


@dataclass(frozen=True)
class RollbackDecision:
    """What :func:`evaluate_rollback` concluded.

    ``triggered``: some condition held (``met`` says which, with evidence); ``action`` is
    the policy's; ``model``/``version``: the version judged (the one the first condition met
    names, else the newest window's, when there is one); ``why``: one paragraph in words.
    """

    triggered: bool
    action: Literal["recommend", "rollback"]
    model: str | None
    version: int | None
    met: tuple[ConditionMet, ...]
    why: str
    windows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "triggered": self.triggered,
            "action": self.action,
            "model": self.model,
            "model_version": self.version,
            "windows": self.windows,
            "why": self.why,
            "met": [m.to_dict() for m in self.met],
        }


def evaluate_rollback(
    policy: RollbackPolicy,
    history: Sequence[Sequence[Observation]],
    *,
    model: str | None = None,
) -> RollbackDecision:
    """Judge ``history`` (windows oldest to newest, each the observations of one window)
    under ``policy``.

    A condition holds for a model version when, in each of the last ``for_windows``
    windows, an observation of that version with the condition's metric and scope meets
    it; evidence of an earlier version does not count against the current one. Only
    observations of models the policy covers (and of ``model``, when given) are judged;
    the versions judged are those of the newest window.
    """

    def judged(o: Observation) -> bool:
        return policy.covers(o.model) and (model is None or o.model == model)

    windows = [[o for o in w if judged(o)] for w in history]
    keys = sorted({(o.model, o.version) for o in windows[-1]}) if windows else []
    met: list[ConditionMet] = []
    notes: list[str] = []
    for cond in policy.conditions:
        for key in keys:
            recent = windows[-cond.for_windows :]
            evidence = [
                next((o for o in w if (o.model, o.version) == key and cond.matches(o)
                      and cond.holds(o)), None)
                for w in recent
            ]  # fmt: skip
            shown = sum(e is not None for e in evidence)
            if len(recent) == cond.for_windows and shown == cond.for_windows:
                found = tuple(e for e in evidence if e is not None)
                met.append(ConditionMet(cond, key[0], key[1], found))
            elif shown:
                notes.append(
                    f"{cond.describe()}: held in {shown} of the last {len(recent)} window(s) "
                    f"of {key[0]} v{key[1]}"
                )
    if met:
        first = met[0]
        verb = "roll back" if policy.action == "rollback" else "recommend rolling back"
        why = f"{verb} {first.model} v{first.version}: " + " | ".join(m.describe() for m in met)
        return RollbackDecision(
            True, policy.action, first.model, first.version, tuple(met), why, len(history)
        )
    only = keys[0] if len(keys) == 1 else (None, None)
    why = f"no rollback condition met over {len(history)} window(s)"
    if not keys:
        why += " (no observations of a covered model in the newest window)"
    if notes:
        why += ": " + "; ".join(notes)
    return RollbackDecision(False, policy.action, only[0], only[1], (), why, len(history))


def parse_rollback_policy(data: Any, source: str = "rollback policy") -> RollbackPolicy:
    """Validate a policy mapping; raise :class:`ConfigError` naming the first bad field."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            "a rollback policy must be a mapping",
            record=source,
            expected="action, conditions",
            found=type(data).__name__,
        )
    try:
        return RollbackPolicy.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top)"
        expected = err.get("ctx", {}).get("expected")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            model = Condition if err["loc"][0] == "conditions" else RollbackPolicy
            message, expected = "unknown field", ", ".join(model.model_fields)
        elif expected is not None:
            message = "unknown value"
        found = repr(err.get("input")) if err["type"] != "missing" else "nothing"
        raise ConfigError(
            f"invalid rollback policy: {message}",
            record=source,
            field=loc,
            expected=str(expected) if expected is not None else None,
            found=found if len(found) <= 60 else found[:57] + "...",
            hint="fix the policy file",
        ) from None


def load_rollback_policy(path: Path | str) -> RollbackPolicy:
    """Read and validate a rollback policy YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            "cannot read the rollback policy",
            record=str(p),
            found=exc.strerror or type(exc).__name__,
        ) from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "YAML error"
        raise ConfigError("rollback policy is not valid YAML", record=str(p), found=first) from None
    return parse_rollback_policy(data, str(p))


def default_rollback_policy() -> RollbackPolicy:
    """The packaged policy (``rollback_policy.yaml``): recommend, never act alone, when the
    estimated AUROC's upper bound is below 0.60 for 2 windows, the calibration slope's
    interval lies outside [0.6, 1.4] for 2 windows, or the realized AUROC's upper bound is
    below 0.60."""
    text = resources.files("wardwatch.monitor").joinpath("rollback_policy.yaml").read_text("utf-8")
    return parse_rollback_policy(yaml.safe_load(text), "rollback_policy.yaml")


@dataclass(frozen=True)
class RollbackOutcome:
    """What :func:`apply_rollback` did.

    ``audited``: the audit action recorded (``monitor.rollback``: performed;
    ``monitor.rollback.recommended``: a recommendation, or a rollback the registry could not
    perform, with ``error`` saying why); None when the decision was not triggered.
    ``from_version``/``to_version``: the champion's move when performed.
    """

    performed: bool
    audited: str | None
    name: str | None
    from_version: int | None = None
    to_version: int | None = None
    error: str | None = None
    event_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "performed": self.performed,
            "audited": self.audited,
            "name": self.name,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "error": self.error,
            "event_seq": self.event_seq,
        }


def apply_rollback(
    decision: RollbackDecision,
    registry: Registry,
    identity: Identity,
    name: str | None = None,
    *,
    audit: AuditLog | None = None,
) -> RollbackOutcome:
    """Act on ``decision`` for registered model ``name`` (default: the decision's model).

    Not triggered: nothing happens. ``rollback``: :meth:`Registry.rollback` returns the
    ``champion`` alias to the previous version as ``identity`` (the registry audits the
    move itself), and ``monitor.rollback`` records the evidence; when the registry refuses
    (no earlier champion, a role that may not roll back, MLflow unreachable) the refusal is
    caught and recorded as ``monitor.rollback.recommended`` with the reason. ``recommend``:
    ``monitor.rollback.recommended`` with the evidence. Events go to ``audit`` (default:
    the registry's, the workspace's log) and hold names, numbers and windows only.
    """
    from wardwatch.errors import WardwatchError

    target = name or decision.model
    if not decision.triggered:
        return RollbackOutcome(False, None, target)
    if target is None:
        raise ValueError("a triggered decision names its model; give name")
    log = audit if audit is not None else registry.audit
    performed, error = False, None
    moved: tuple[int | None, int | None] = (None, None)
    if decision.action == "rollback":
        try:
            event = registry.rollback(target, identity=identity, reason=decision.why[:2000])
        except WardwatchError as exc:
            error = str(exc)
        else:
            performed, moved = True, (event.from_version, event.to_version)
    action = "monitor.rollback" if performed else "monitor.rollback.recommended"
    payload = {
        "name": target,
        "model_version": decision.version,
        "policy_action": decision.action,
        "performed": performed,
        "from_version": moved[0],
        "to_version": moved[1],
        "error": error,
        "why": decision.why[:4000],
        "windows": decision.windows,
        "conditions": [m.to_dict() for m in decision.met],
        "key_id": identity.key_id,
    }
    version = f"@{decision.version}" if decision.version is not None else ""
    stored = log.append(
        identity.name, action, f"model:{target}{version}", payload, role=identity.role
    )
    return RollbackOutcome(performed, action, target, moved[0], moved[1], error, stored.seq)
