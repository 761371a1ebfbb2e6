"""Gate evaluation: a policy applied to a version's evidence, check by check.

:func:`evaluate_gates` applies a policy (see ``_policy``) to the evidence (the quality
report, the leakage audit and the evaluation report, as their ``to_dict()`` JSON) and
returns a :class:`GateResult`: per check ``passed``, ``failed`` or ``not-evaluable`` (the
evidence lacks the number: counted as not passed), the numbers it looked at, and a sentence.
The result passes only when every check passed. A check never raises on odd evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from wardwatch.registry._policy import (
    AurocLowerCI,
    CalibrationSlope,
    Check,
    DisparityRatio,
    Ece,
    LeakageClean,
    NetBenefitVsTreatAll,
    Policy,
    QualityPassed,
    SubgroupAuroc,
)

__all__ = ["CheckOutcome", "GateResult", "evaluate_gates"]

Status = Literal["passed", "failed", "not-evaluable"]


@dataclass(frozen=True)
class CheckOutcome:
    """One check's result: its status, the numbers it used, the bounds, and a sentence."""

    check: str
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    bounds: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "status": self.status,
            "message": self.message,
            "evidence": self.evidence,
            "bounds": self.bounds,
        }


@dataclass(frozen=True)
class GateResult:
    """A policy applied to a version's evidence: passes only when every check passed."""

    policy: str
    policy_sha256: str
    checks: tuple[CheckOutcome, ...]
    evidence_sha256: dict[str, str | None] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    @property
    def failed(self) -> list[CheckOutcome]:
        """Checks that did not pass (failed or not evaluable)."""
        return [c for c in self.checks if not c.passed]

    @property
    def summary(self) -> str:
        """One line: the verdict and what did not pass."""
        if self.passed:
            return f"gates pass ({len(self.checks)} checks, policy {self.policy})"
        return f"gates fail (policy {self.policy}): " + "; ".join(c.message for c in self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "policy_sha256": self.policy_sha256,
            "verdict": self.verdict,
            "passed": self.passed,
            "checks": [c.to_dict() for c in self.checks],
            "evidence_sha256": dict(self.evidence_sha256),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GateResult:
        return cls(
            policy=str(d["policy"]),
            policy_sha256=str(d["policy_sha256"]),
            checks=tuple(
                CheckOutcome(
                    **{k: c[k] for k in ("check", "status", "message", "evidence", "bounds")}
                )
                for c in d["checks"]
            ),
            evidence_sha256=dict(d.get("evidence_sha256", {})),
        )


# -- the checks ----------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _get(d: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(d, list) or not -len(d) <= key < len(d):
                return None
        elif not isinstance(d, Mapping):
            return None
        d = d[key] if isinstance(key, int) else d.get(key)
    return d


def _outcome(
    spec: Check, ok: bool | None, message: str, evidence: dict[str, Any], bounds: dict[str, Any]
) -> CheckOutcome:
    status: Status = "not-evaluable" if ok is None else "passed" if ok else "failed"
    name = str(getattr(spec, "check"))  # noqa: B009 - every check model has it
    return CheckOutcome(name, status, message, evidence, bounds)


def _missing(spec: Check, what: str, bounds: dict[str, Any]) -> CheckOutcome:
    return _outcome(spec, None, f"{what}: not in the evidence", {}, bounds)


def _verdict_check(spec: QualityPassed | LeakageClean, report: Any, label: str) -> CheckOutcome:
    accepted = ["pass", "warn"] if spec.allow_warn else ["pass"]
    bounds = {"accepted": accepted}
    verdict = _get(report, "verdict") if isinstance(report, Mapping) else report
    if not isinstance(verdict, str):
        return _missing(spec, f"{label} verdict", bounds)
    evidence: dict[str, Any] = {"verdict": verdict}
    if isinstance(spec, QualityPassed):
        evidence |= {k: _get(report, "summary", k) for k in ("checks_failed", "findings")}
    else:
        evidence |= {
            "leaky": [
                f.get("name")
                for f in _get(report, "features") or []
                if isinstance(f, Mapping) and f.get("status") == "leak"
            ],
            "patient_overlap": _get(report, "patient_overlap"),
            "label_before_prediction": _get(report, "label_before_prediction"),
        }
    ok = verdict in accepted
    return _outcome(
        spec,
        ok,
        f"{label} verdict {verdict} ({'accepted' if ok else 'needs ' + ' or '.join(accepted)})",
        evidence,
        bounds,
    )


def _auroc_lower(spec: AurocLowerCI, ev: Any) -> CheckOutcome:
    bounds = {"min": spec.min}
    auroc = _get(ev, "discrimination", "auroc")
    ci = _get(auroc, "ci")
    low = _num(_get(ci, 0))
    if low is None:
        return _missing(spec, "AUROC interval", bounds)
    evidence = {"auroc": _num(_get(auroc, "value")), "ci_low": low, "ci_high": _num(_get(ci, 1))}
    ok = low >= spec.min
    return _outcome(
        spec,
        ok,
        f"AUROC lower 95% bound {low:.3f} {'≥' if ok else '<'} {spec.min:g}",
        evidence,
        bounds,
    )


def _slope(spec: CalibrationSlope, ev: Any) -> CheckOutcome:
    bounds = {"min": spec.min, "max": spec.max}
    est = _get(ev, "calibration", "calibration_slope")
    value = _num(_get(est, "value"))
    if value is None:
        return _missing(spec, "calibration slope", bounds)
    ok = spec.min <= value <= spec.max
    return _outcome(
        spec,
        ok,
        f"calibration slope {value:.3f} {'within' if ok else 'outside'} "
        f"[{spec.min:g}, {spec.max:g}]",
        {"calibration_slope": value, "ci": _get(est, "ci")},
        bounds,
    )


def _ece(spec: Ece, ev: Any) -> CheckOutcome:
    bounds = {"max": spec.max}
    est = _get(ev, "calibration", "ece")
    value = _num(_get(est, "value"))
    if value is None:
        return _missing(spec, "ECE", bounds)
    ok = value <= spec.max
    return _outcome(
        spec,
        ok,
        f"ECE {value:.3f} {'≤' if ok else '>'} {spec.max:g}",
        {"ece": value, "ci": _get(est, "ci")},
        bounds,
    )


def _levels(ev: Any, attributes: tuple[str, ...] | None) -> list[tuple[str, Mapping[str, Any]]]:
    """Shown (not suppressed) subgroup levels as ``("attribute=level", level dict)``."""
    out = []
    for group in _get(ev, "subgroups") or []:
        attr = _get(group, "attribute")
        if not isinstance(attr, str) or (attributes is not None and attr not in attributes):
            continue
        for level in _get(group, "levels") or []:
            if isinstance(level, Mapping) and not level.get("suppressed", False):
                out.append((f"{attr}={level.get('level')}", level))
    return out


def _subgroup_auroc(spec: SubgroupAuroc, ev: Any) -> CheckOutcome:
    bounds = {"min": spec.min, "bound": spec.bound}
    upper = spec.bound == "upper_ci"
    values = {
        key: v
        for key, level in _levels(ev, spec.attributes)
        if (v := _num(_get(level, "metrics", "auroc", "value"))) is not None
    }
    if not values:
        return _missing(spec, "subgroup AUROC (no shown subgroup level)", bounds)
    compared = values
    if upper:
        compared = {
            key: hi
            for key, level in _levels(ev, spec.attributes)
            if key in values and (hi := _ci(level, "metrics", "auroc")[1]) is not None
        }
        if len(compared) < len(values):
            return _missing(spec, "subgroup AUROC confidence intervals", bounds)
    what = "subgroup AUROC upper 95% bound" if upper else "subgroup AUROC"
    low = {k: v for k, v in compared.items() if v < spec.min}
    worst = min(values, key=values.__getitem__)
    evidence = {"levels": len(values), "lowest": {worst: values[worst]}, "below": low}
    if low:
        names = ", ".join(f"{k} {v:.3f}" for k, v in sorted(low.items(), key=lambda kv: kv[1]))
        return _outcome(spec, False, f"{what} below {spec.min:g}: {names}", evidence, bounds)
    return _outcome(
        spec,
        True,
        f"every shown {what} ≥ {spec.min:g} (lowest AUROC {worst} {values[worst]:.3f})",
        evidence,
        bounds,
    )


def _ci(level: Any, *path: str) -> tuple[float | None, float | None]:
    """The confidence interval at ``path`` of a subgroup level, (None, None) if absent."""
    ci = _get(level, *path, "ci")
    if isinstance(ci, list | tuple) and len(ci) == 2:
        return _num(ci[0]), _num(ci[1])
    return None, None


def _disparity(spec: DisparityRatio, ev: Any) -> CheckOutcome:
    lo, hi = spec.bounds
    bounds = {"min": lo, "max": hi, "metric": spec.metric, "at": spec.at, "bound": spec.bound}
    what = spec.metric if spec.at is None else f"{spec.metric} at '{spec.at}'"
    path: tuple[str, ...] = ("auroc",) if spec.at is None else (spec.at, spec.metric)
    ratios: dict[str, float] = {}
    cis: dict[str, tuple[float | None, float | None]] = {}
    for key, level in _levels(ev, spec.attributes):
        if (r := _num(_get(level, "disparity", *path, "value"))) is not None:
            ratios[key] = r
            cis[key] = _ci(level, "disparity", *path)
    if not ratios:
        return _missing(spec, f"disparity ratios of {what}", bounds)
    if spec.bound == "ci":
        if any(a is None or b is None for a, b in cis.values()):
            return _missing(spec, f"confidence intervals of the {what} disparity ratios", bounds)
        what = f"{what} (whole 95% interval)"
        out = {k: r for k, r in ratios.items() if (cis[k][1] or 0) < lo or (cis[k][0] or 0) > hi}
    else:
        out = {k: r for k, r in ratios.items() if not lo <= r <= hi}
    extreme = max(ratios, key=lambda k: abs(math.log(ratios[k])) if ratios[k] > 0 else math.inf)
    evidence = {"levels": len(ratios), "most_extreme": {extreme: ratios[extreme]}, "outside": out}
    if out:
        names = ", ".join(f"{k} {r:.2f}x" for k, r in sorted(out.items()))
        return _outcome(
            spec, False, f"{what} disparity outside [{lo:.2f}, {hi:.2f}]: {names}", evidence, bounds
        )
    return _outcome(
        spec,
        True,
        f"{what} disparity within [{lo:.2f}, {hi:.2f}] for every shown "
        f"level (most extreme {extreme} {ratios[extreme]:.2f}x)",
        evidence,
        bounds,
    )


def _net_benefit(spec: NetBenefitVsTreatAll, ev: Any) -> CheckOutcome:
    bounds = {"at": spec.at, "margin": spec.margin}
    model: float | None
    if isinstance(spec.at, str):
        point = next(
            (
                p
                for p in _get(ev, "operating_points") or []
                if isinstance(p, Mapping) and p.get("name") == spec.at
            ),
            None,
        )
        threshold = _num(_get(point, "threshold"))
        model = _num(_get(point, "net_benefit", "value"))
        prevalence = _num(_get(ev, "data", "prevalence", "value"))
        if point is None or threshold is None or model is None or prevalence is None:
            return _missing(spec, f"net benefit at operating policy '{spec.at}'", bounds)
        if _get(point, "reached") is False:
            return _outcome(
                spec,
                None,
                f"operating policy '{spec.at}' was not reached",
                {"threshold": threshold},
                bounds,
            )
        # Treat-all at the threshold, as the evaluation defines it (prev - (1-prev) t/(1-t)).
        treat_all = (
            prevalence - (1.0 - prevalence) * threshold / (1.0 - threshold)
            if threshold < 1.0
            else -math.inf
        )
        where = f"'{spec.at}' (threshold {threshold:.3f})"
    else:
        row = next(
            (
                r
                for r in _get(ev, "decision_curve") or []
                if isinstance(r, Mapping)
                and _num(r.get("threshold")) is not None
                and abs(float(r["threshold"]) - spec.at) < 1e-9
            ),
            None,
        )
        threshold = spec.at
        model = _num(_get(row, "net_benefit", "value"))
        treat_all = _num(_get(row, "treat_all", "value"))  # type: ignore[assignment]
        if row is None or model is None or treat_all is None:
            return _missing(spec, f"decision curve at threshold {spec.at:g}", bounds)
        where = f"threshold {threshold:g}"
    best_default = max(treat_all, 0.0)
    advantage = model - best_default
    evidence = {
        "threshold": threshold,
        "net_benefit": model,
        "treat_all": treat_all if math.isfinite(treat_all) else None,
        "treat_none": 0.0,
        "advantage": advantage,
    }
    ok = advantage > spec.margin
    verb = "exceeds" if ok else "does not exceed"
    return _outcome(
        spec,
        ok,
        f"net benefit {model:.4f} at {where} {verb} treat-all "
        f"{treat_all:.4f} and treat-none 0"
        + (f" by more than {spec.margin:g}" if spec.margin else ""),
        evidence,
        bounds,
    )


def evaluate_gates(policy: Policy, evidence: Mapping[str, Any]) -> GateResult:
    """Apply ``policy`` to ``evidence`` and return the result, check by check.

    ``evidence`` maps ``quality`` (the quality report dict, or just its verdict),
    ``leakage`` (the leakage audit dict) and ``evaluation`` (the evaluation report dict) to
    their content, None where missing; ``sha256`` may map the same keys to the hashes of
    the report files, which the result then names. A check never raises on odd evidence:
    what it cannot find makes it not evaluable.
    """
    ev = evidence.get("evaluation")
    outcomes: list[CheckOutcome] = []
    for spec in policy.gates:
        if isinstance(spec, QualityPassed):
            outcomes.append(_verdict_check(spec, evidence.get("quality"), "data-quality"))
        elif isinstance(spec, LeakageClean):
            outcomes.append(_verdict_check(spec, evidence.get("leakage"), "leakage audit"))
        elif isinstance(spec, AurocLowerCI):
            outcomes.append(_auroc_lower(spec, ev))
        elif isinstance(spec, CalibrationSlope):
            outcomes.append(_slope(spec, ev))
        elif isinstance(spec, Ece):
            outcomes.append(_ece(spec, ev))
        elif isinstance(spec, SubgroupAuroc):
            outcomes.append(_subgroup_auroc(spec, ev))
        elif isinstance(spec, DisparityRatio):
            outcomes.append(_disparity(spec, ev))
        else:
            outcomes.append(_net_benefit(spec, ev))
    hashes = evidence.get("sha256")
    return GateResult(
        policy=policy.name,
        policy_sha256=policy.sha256,
        checks=tuple(outcomes),
        evidence_sha256=dict(hashes) if isinstance(hashes, Mapping) else {},
    )
