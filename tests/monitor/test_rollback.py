"""Rollback criteria: decisions on hand-built observation histories, strict policy files,
and a real registry whose champion is rolled back (or only recommended) with audited
evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.registry.conftest import LENIENT, USECASE, People
from tests.registry.conftest import people as people
from tests.registry.conftest import registry as registry
from tests.registry.conftest import rws as rws
from tests.registry.conftest import trained as trained

from wardwatch.errors import ConfigError
from wardwatch.monitor import Observation
from wardwatch.monitor._rollback import (
    RollbackPolicy,
    apply_rollback,
    default_rollback_policy,
    evaluate_rollback,
    load_rollback_policy,
    parse_rollback_policy,
)
from wardwatch.registry import Registry, parse_policy

T0 = datetime(2026, 11, 2, tzinfo=UTC)


def ob(
    metric: str, value: float, lower: float | None = None, upper: float | None = None, *,
    w: int = 0, version: int = 3, scope: str = "model", n: int | None = 500,
    model: str = "readmission-30d",
) -> Observation:  # fmt: skip
    start = T0 + timedelta(days=7 * w)
    return Observation(metric, scope, value, start, start + timedelta(days=7), model, version,
                       lower=lower, upper=upper, n=n)  # fmt: skip


def auroc(w: int, upper: float, version: int = 3, **kw: Any) -> Observation:
    return ob("estimated.auroc", upper - 0.05, upper - 0.1, upper, w=w, version=version, **kw)


def test_the_default_policy_needs_two_windows_of_low_estimated_auroc() -> None:
    policy = default_rollback_policy()
    assert (policy.action, policy.model) == ("recommend", "*")
    one = evaluate_rollback(policy, [[auroc(0, 0.8)], [auroc(1, 0.55)]])
    assert not one.triggered
    assert "held in 1 of the last 2 window(s)" in one.why
    assert (one.model, one.version) == ("readmission-30d", 3)
    two = evaluate_rollback(policy, [[auroc(0, 0.58)], [auroc(1, 0.55)]])
    assert two.triggered
    assert two.action == "recommend"
    (met,) = two.met
    assert [o.upper for o in met.evidence] == [0.58, 0.55]
    assert "estimated.auroc (model) upper bound below 0.6 for 2 windows" in two.why
    # interrupted by a good window: not two in a row
    gap = [[auroc(0, 0.5)], [auroc(1, 0.7)], [auroc(2, 0.5)]]
    assert not evaluate_rollback(policy, gap).triggered
    # a wide interval whose upper bound reaches 0.6 is uncertainty, not evidence
    assert not evaluate_rollback(policy, [[auroc(0, 0.61)], [auroc(1, 0.65)]]).triggered
    assert not evaluate_rollback(policy, [[auroc(0, 0.5)]]).triggered  # one window only
    assert not evaluate_rollback(policy, []).triggered


def test_calibration_slope_interval_must_lie_entirely_outside_the_band() -> None:
    policy = default_rollback_policy()

    def slope(w: int, lo: float, hi: float) -> Observation:
        return ob("calibration.slope", (lo + hi) / 2, lo, hi, w=w)

    assert evaluate_rollback(policy, [[slope(0, 0.3, 0.5)], [slope(1, 1.5, 1.9)]]).triggered
    straddles = [[slope(0, 0.3, 0.5)], [slope(1, 0.4, 0.7)]]
    assert not evaluate_rollback(policy, straddles).triggered
    missing = [[ob("calibration.slope", 0.3)], [ob("calibration.slope", 0.3, w=1)]]
    assert not evaluate_rollback(policy, missing).triggered  # no interval: no evidence


def test_realized_auroc_triggers_in_one_window_and_evidence_is_per_version() -> None:
    policy = default_rollback_policy()
    decision = evaluate_rollback(policy, [[ob("realized.auroc", 0.5, 0.42, 0.57)]])
    assert decision.triggered
    assert decision.met[0].condition.metric == "realized.auroc"
    # the bad window was the previous champion's: it does not count against version 4
    switched = [[auroc(0, 0.5, version=3)], [auroc(1, 0.5, version=4)]]
    decision = evaluate_rollback(policy, switched)
    assert not decision.triggered
    assert decision.version == 4


def test_conditions_filter_by_model_scope_n_and_use() -> None:
    policy = parse_rollback_policy(
        {"model": "sepsis-*", "action": "rollback",
         "conditions": [{"metric": "feature.psi", "scope": "feature:*", "above": 0.25,
                         "min_n": 100},
                        {"metric": "error_rate", "scope": "service", "use": "lower",
                         "above": 0.05}]}
    )  # fmt: skip
    psi = ob("feature.psi", 0.4, scope="feature:sodium_last", model="sepsis-6h")
    assert evaluate_rollback(policy, [[psi]]).triggered
    assert not evaluate_rollback(policy, [[ob("feature.psi", 0.4, scope="feature:x")]]).triggered
    few = ob("feature.psi", 0.4, scope="feature:age", model="sepsis-6h", n=50)
    assert not evaluate_rollback(policy, [[few]]).triggered
    nan = ob("feature.psi", float("nan"), scope="feature:age", model="sepsis-6h")
    assert not evaluate_rollback(policy, [[nan]]).triggered
    errors = ob("error_rate", 0.09, 0.04, 0.12, scope="service", model="sepsis-6h")
    assert not evaluate_rollback(policy, [[errors]]).triggered  # lower bound 0.04
    two = [psi, ob("feature.psi", 0.3, scope="feature:age", model="sepsis-6h")]
    assert evaluate_rollback(policy, [two], model="sepsis-6h").triggered
    assert not evaluate_rollback(policy, [two], model="sepsis-other").triggered
    d = evaluate_rollback(policy, [two]).to_dict()
    assert json.loads(json.dumps(d))["met"][0]["evidence"][0]["scope"] == "feature:sodium_last"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"action": "auto", "conditions": [{"metric": "x", "below": 1}]}, "field action",
         "expected 'recommend' or 'rollback'; found 'auto'"),
        ({"action": "rollback", "conditions": [{"metric": "x", "below": 1, "colour": 2}]},
         "field conditions.0.colour", "unknown field"),
        ({"action": "rollback", "conditions": [{"metric": "x", "below": 1, "above": 2}]},
         "field conditions.0", "exactly one of below, above, outside"),
        ({"action": "rollback", "conditions": [{"metric": "x", "outside": [2, 1]}]},
         "field conditions.0", "low below high"),
        ({"action": "rollback", "conditions": [{"metric": "x", "below": 1, "use": "mean"}]},
         "field conditions.0.use", "found 'mean'"),
        ({"action": "rollback", "conditions": []}, "field conditions", "at least 1"),
        ({"action": "rollback"}, "field conditions", "found nothing"),
    ],
)  # fmt: skip
def test_bad_policies_get_one_line_naming_the_file_and_field(
    data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rollback_policy(data, "rollback.yaml")
    text = str(info.value)
    assert "record rollback.yaml" in text
    assert field in text
    assert words in text
    assert "\n" not in text


def test_policy_files(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("action: rollback\nconditions:\n  - {metric: realized.auroc, below: 0.6}\n")
    assert load_rollback_policy(good) == RollbackPolicy.model_validate(
        {"action": "rollback", "conditions": [{"metric": "realized.auroc", "below": 0.6}]}
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("action: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rollback_policy(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_rollback_policy(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_rollback_policy(["action"])


# -- with a real registry --------------------------------------------------------------------


def _ready(reg: Registry, people: People, model: str) -> int:
    v = reg.register(USECASE, model=model, identity=people.engineer, policy=parse_policy(LENIENT))
    reg.approve(USECASE, v.version, identity=people.approver, comment="evidence reviewed")
    return v.version


def test_a_rollback_policy_returns_the_champion_and_audits_the_evidence(
    registry: Registry, people: People
) -> None:
    v1, v2 = _ready(registry, people, "logreg"), _ready(registry, people, "lgbm")
    registry.promote(USECASE, v1, identity=people.engineer, reason="first")
    registry.promote(USECASE, v2, identity=people.approver, reason="better")
    auto = parse_rollback_policy(
        {"model": USECASE, "action": "rollback",
         "conditions": [{"metric": "estimated.auroc", "use": "upper", "below": 0.6,
                         "for_windows": 2}]}
    )  # fmt: skip
    history = [[auroc(0, 0.58, v2, model=USECASE)], [auroc(1, 0.52, v2, model=USECASE)]]
    decision = evaluate_rollback(auto, history)
    assert decision.triggered
    assert decision.version == v2
    outcome = apply_rollback(decision, registry, people.engineer)
    assert outcome.performed
    assert outcome.audited == "monitor.rollback"
    assert (outcome.from_version, outcome.to_version) == (v2, v1)
    assert registry.aliases(USECASE)["champion"] == v1
    assert registry.check_aliases() == []
    (event,) = registry.audit.events(action="monitor.rollback")
    assert event.subject == f"model:{USECASE}@{v2}"
    assert event.actor == people.engineer.name
    (cond,) = event.payload["conditions"]
    assert [e["upper"] for e in cond["evidence"]] == [0.58, 0.52]
    assert cond["evidence"][1]["window_end"] == (T0 + timedelta(days=14)).isoformat()
    assert "detail" not in cond["evidence"][0]
    (moved,) = registry.audit.events(action="registry.rollback")
    assert moved.payload["reason"].startswith(f"roll back {USECASE} v{v2}")

    # nothing earlier to return to: recorded as a recommendation that could not be performed
    history = [[auroc(0, 0.5, v1, model=USECASE)], [auroc(1, 0.5, v1, model=USECASE)]]
    again = apply_rollback(evaluate_rollback(auto, history), registry, people.engineer, USECASE)
    assert not again.performed
    assert again.audited == "monitor.rollback.recommended"
    assert again.error is not None
    assert "no earlier champion" in again.error
    (rec,) = registry.audit.events(action="monitor.rollback.recommended")
    assert rec.payload["performed"] is False
    assert rec.payload["policy_action"] == "rollback"
    assert "no earlier champion" in rec.payload["error"]
    assert registry.aliases(USECASE)["champion"] == v1

    # the default policy only recommends; an untriggered decision records nothing
    recommend = evaluate_rollback(default_rollback_policy(), history)
    out = apply_rollback(recommend, registry, people.engineer)
    assert (out.performed, out.audited, out.error) == (False, "monitor.rollback.recommended", None)
    quiet = evaluate_rollback(default_rollback_policy(), [[auroc(0, 0.9, v1, model=USECASE)]])
    assert apply_rollback(quiet, registry, people.engineer).audited is None
    assert len(registry.audit.events(action="monitor.rollback.recommended")) == 2
    assert registry.aliases(USECASE)["champion"] == v1
    assert registry.audit.verify().ok
