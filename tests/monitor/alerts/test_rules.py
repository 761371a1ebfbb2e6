"""Alert rules: YAML validation with one-line errors, the packaged defaults, conditions."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wardwatch.errors import ConfigError
from wardwatch.monitor import Observation
from wardwatch.monitor.alerts import Condition, load_rules, parse_rules, window_kind

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def obs(value: float, *, lower: float | None = None, upper: float | None = None,
        drifted: bool | None = None, days: float = 1) -> Observation:  # fmt: skip
    return Observation("m", "model", value, T0, T0 + timedelta(days=days), "sepsis", 1,
                       lower=lower, upper=upper, drifted=drifted)  # fmt: skip


def test_defaults_load_and_route_each_problem_to_its_owner() -> None:
    rules = load_rules()
    owners = {r.name: r.owner for r in rules}
    for name in ("feature-drift", "feature-missingness", "feature-new-categories",
                 "feed-unit-switch", "feed-invalid-codes"):  # fmt: skip
        assert owners[name] == "data-feed"
    model = ("prediction-drift", "flag-rate", "estimated-auroc-decay", "realized-auroc-decay",
             "calibration-slope", "calibration-oe", "override-rate")  # fmt: skip
    for name in model:
        assert owners[name] == "model"
    assert owners["latency-p99"] == owners["error-rate"] == "sre"
    assert rules.get("feed-unit-switch").severity == "critical"
    assert rules.get("estimated-auroc-decay").condition.use == "upper"
    assert all(r.runbook and r.description for r in rules)


def test_rule_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - name: auc\n    metric: realized.auroc\n    scope: 'subgroup:*'\n"
        "    condition: {below: 0.6, use: upper}\n    window: weekly\n    for_windows: 2\n"
        "    min_n: 50\n    severity: critical\n    owner: model\n"
        "    runbook: https://wiki.example.org/auc\n"
    )
    (rule,) = load_rules(path)
    assert (rule.window, rule.for_windows, rule.min_n) == ("weekly", 2, 50)
    assert rule.condition.describe() == "upper bound below 0.6"


@pytest.mark.parametrize(
    ("rule", "field", "expected"),
    [
        ({"name": "x", "metric": "m", "condition": {"above": 1}}, "owner", "Field required"),
        ({"name": "x", "metric": "m", "owner": "ops", "condition": {"above": 1}}, "owner",
         "'data-feed', 'model' or 'sre'"),
        ({"name": "x", "metric": "m", "owner": "sre", "condition": {"above": 1, "below": 2}},
         "condition", "exactly one of above, below, drifted, outside"),
        ({"name": "x", "metric": "m", "owner": "sre", "condition": {"outside": [2, 1]}},
         "condition", "lo < hi"),
        ({"name": "x", "metric": "m", "owner": "sre", "condition": {"above": 1}, "colour": 1},
         "colour", "Extra inputs are not permitted"),
        ({"name": "x", "metric": "m", "owner": "sre", "condition": {"above": 1},
          "for_windows": 0}, "for_windows", "greater than or equal to 1"),
    ],
)  # fmt: skip
def test_errors_name_file_rule_field_expected_and_found(
    rule: dict[str, object], field: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules({"rules": [rule]}, "my_rules.yaml")
    text = str(info.value)
    assert "\n" not in text
    assert "my_rules.yaml rule 'x'" in text
    assert f"field {field}" in text
    assert expected in text
    assert "found" in text


def test_duplicate_names_and_bad_shapes_are_refused(tmp_path: Path) -> None:
    rule = {"name": "x", "metric": "m", "owner": "sre", "condition": {"above": 1}}
    with pytest.raises(ConfigError, match="duplicate name"):
        parse_rules({"rules": [rule, rule]})
    with pytest.raises(ConfigError, match="no list of rules"):
        parse_rules({"rules": "x"})
    with pytest.raises(ConfigError, match=r"unknown key; .*field ruels"):
        parse_rules({"ruels": []})
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rules(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")


def test_conditions_against_hand_computed_cases() -> None:
    assert Condition(above=0.2).fires(obs(0.21))
    assert not Condition(above=0.2).fires(obs(0.2))
    # the estimate is low but the upper bound is not: sampling noise, no alert
    assert not Condition(below=0.65, use="upper").fires(obs(0.6, lower=0.5, upper=0.7))
    assert Condition(below=0.65, use="upper").fires(obs(0.55, lower=0.5, upper=0.62))
    # a whole interval outside [0.7, 1.3] on either side
    slope = Condition(outside=(0.7, 1.3), use="interval")
    assert not slope.fires(obs(0.65, lower=0.5, upper=0.8))
    assert slope.fires(obs(0.5, lower=0.4, upper=0.69))
    assert slope.fires(obs(1.5, lower=1.31, upper=1.7))
    assert Condition(outside=(0.5, 2.0)).fires(obs(2.5))
    assert Condition(drifted=True).fires(obs(0.3, drifted=True))
    assert not Condition(drifted=True).fires(obs(0.3))
    # without the bound asked for, the value is judged
    assert Condition(below=0.65, use="upper").fires(obs(0.6))
    assert not Condition(above=0.2).fires(obs(math.nan))


def test_window_kinds_and_globs() -> None:
    assert window_kind(obs(1, days=1)) == "daily"
    assert window_kind(obs(1, days=7)) == "weekly"
    assert window_kind(obs(1, days=30)) == "any"
    rules = load_rules()
    o = Observation("feature.drift_score", "feature:glucose", 0.4, T0, T0 + timedelta(days=1),
                    "m", 1, drifted=True, n=500)  # fmt: skip
    assert rules.get("feature-drift").matches(o)
    assert not rules.get("prediction-drift").matches(o)
    assert not rules.get("feature-drift").enough_rows(
        Observation("feature.psi", "feature:glucose", 0.4, T0, T0, "m", 1, n=10)
    )
