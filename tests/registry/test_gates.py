"""Gate policies: strict YAML, and every check against hand-made and real evidence."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from wardwatch.errors import ConfigError
from wardwatch.registry import (
    CHECKS,
    GateResult,
    default_policy,
    evaluate_gates,
    load_policy,
    packaged_policy,
    parse_policy,
)

PREVALENCE = 0.25


def level(name: str, auroc: float | None, ratio: float | None, sens_ratio: float = 1.0) -> dict:  # type: ignore[type-arg]
    return {
        "level": name,
        "suppressed": False,
        "metrics": {"auroc": {"value": auroc, "ci": None}},
        "disparity": {
            "auroc": {"value": ratio, "ci": None},
            "catch 80% of events": {"sensitivity": {"value": sens_ratio, "ci": None}},
        },
    }


EVALUATION: dict[str, Any] = {
    "kind": "evaluation",
    "model": "m/logreg",
    "data": {"prevalence": {"value": PREVALENCE, "ci": [0.2, 0.3]}},
    "discrimination": {"auroc": {"value": 0.74, "ci": [0.66, 0.81]}},
    "calibration": {
        "calibration_slope": {"value": 0.93, "ci": [0.8, 1.05]},
        "ece": {"value": 0.031, "ci": [0.02, 0.05]},
    },
    "operating_points": [
        {
            "name": "catch 80% of events",
            "threshold": 0.2,
            "reached": True,
            "net_benefit": {"value": 0.09, "ci": [0.05, 0.12]},
        },
        {
            "name": "never",
            "threshold": 0.9,
            "reached": False,
            "net_benefit": {"value": 0.0, "ci": None},
        },
    ],
    "decision_curve": [
        {
            "threshold": 0.1,
            "net_benefit": {"value": 0.18, "ci": None},
            "treat_all": {"value": 0.1667, "ci": None},
            "treat_none": 0.0,
        },
        {
            "threshold": 0.3,
            "net_benefit": {"value": 0.02, "ci": None},
            "treat_all": {"value": -0.0714, "ci": None},
            "treat_none": 0.0,
        },
    ],
    "subgroups": [
        {
            "attribute": "sex",
            "levels": [
                level("female", 0.71, 0.96),
                level("male", 0.77, 1.04, sens_ratio=0.7),
                {"level": "unknown", "suppressed": True, "reason": "fewer than 11 patients"},
            ],
        },
        {"attribute": "site", "levels": [level("north", 0.58, 0.78), level("south", 0.8, 1.08)]},
    ],
}
QUALITY = {"verdict": "warn", "summary": {"checks_failed": 1, "findings": 3}}
LEAKAGE = {
    "verdict": "pass",
    "features": [{"name": "age", "status": "ok"}],
    "patient_overlap": 0,
    "label_before_prediction": 0,
}


def run(gates: list[dict], **evidence: Any) -> GateResult:  # type: ignore[type-arg]
    ev = {"quality": QUALITY, "leakage": LEAKAGE, "evaluation": EVALUATION} | evidence
    return evaluate_gates(parse_policy({"name": "t", "gates": gates}), ev)


def one(gate: dict, **evidence: Any) -> Any:  # type: ignore[type-arg]
    (c,) = run([gate], **evidence).checks
    return c


def test_quality_and_leakage_verdicts() -> None:
    c = one({"check": "quality_passed"})
    assert c.status == "passed"
    assert c.evidence == {"verdict": "warn", "checks_failed": 1, "findings": 3}
    assert one({"check": "quality_passed", "allow_warn": False}).status == "failed"
    assert one({"check": "quality_passed"}, quality={"verdict": "fail"}).status == "failed"
    assert one({"check": "quality_passed"}, quality="pass").status == "passed"
    assert one({"check": "quality_passed"}, quality=None).status == "not-evaluable"
    assert one({"check": "leakage_clean"}).status == "passed"
    leaky = {**LEAKAGE, "verdict": "fail", "features": [{"name": "next_ip", "status": "leak"}]}
    c = one({"check": "leakage_clean"}, leakage=leaky)
    assert c.status == "failed"
    assert c.evidence["leaky"] == ["next_ip"]
    assert one({"check": "leakage_clean"}, leakage={"verdict": "warn"}).status == "failed"
    assert (
        one({"check": "leakage_clean", "allow_warn": True}, leakage={"verdict": "warn"}).status
        == "passed"
    )


def test_auroc_lower_bound() -> None:
    c = one({"check": "auroc_lower_ci", "min": 0.65})
    assert c.status == "passed"
    assert c.evidence == {"auroc": 0.74, "ci_low": 0.66, "ci_high": 0.81}
    assert c.message == "AUROC lower 95% bound 0.660 ≥ 0.65"
    c = one({"check": "auroc_lower_ci", "min": 0.7})
    assert c.status == "failed"
    assert c.message == "AUROC lower 95% bound 0.660 < 0.7"
    no_ci = copy.deepcopy(EVALUATION)
    no_ci["discrimination"]["auroc"]["ci"] = None
    assert one({"check": "auroc_lower_ci", "min": 0.5}, evaluation=no_ci).status == "not-evaluable"


def test_calibration_slope_and_ece() -> None:
    assert one({"check": "calibration_slope", "min": 0.8, "max": 1.2}).status == "passed"
    c = one({"check": "calibration_slope", "min": 0.95, "max": 1.05})
    assert c.status == "failed"
    assert c.evidence["calibration_slope"] == 0.93
    assert "outside [0.95, 1.05]" in c.message
    assert one({"check": "ece", "max": 0.05}).status == "passed"
    c = one({"check": "ece", "max": 0.03})
    assert c.status == "failed"
    assert c.message == "ECE 0.031 > 0.03"
    missing = copy.deepcopy(EVALUATION)
    missing["calibration"]["ece"]["value"] = None
    assert one({"check": "ece", "max": 0.05}, evaluation=missing).status == "not-evaluable"


def test_subgroup_auroc_skips_suppressed_levels() -> None:
    c = one({"check": "subgroup_auroc", "min": 0.6})
    assert c.status == "failed"
    assert c.evidence["below"] == {"site=north": 0.58}
    assert c.evidence["levels"] == 4
    assert "site=north 0.580" in c.message
    c = one({"check": "subgroup_auroc", "min": 0.6, "attributes": ["sex"]})
    assert c.status == "passed"
    assert c.evidence["lowest"] == {"sex=female": 0.71}
    assert one({"check": "subgroup_auroc", "min": 0.5}).status == "passed"
    assert one({"check": "subgroup_auroc", "min": 0.5}, evaluation={}).status == "not-evaluable"


def test_disparity_ratio_symmetric_bounds() -> None:
    c = one({"check": "disparity_ratio", "max": 1.25})
    # bounds [1/1.25, 1.25] = [0.8, 1.25]: north's 0.78 is outside
    assert c.bounds["min"] == pytest.approx(0.8)
    assert c.status == "failed"
    assert c.evidence["outside"] == {"site=north": 0.78}
    assert c.evidence["most_extreme"] == {"site=north": 0.78}
    assert one({"check": "disparity_ratio", "max": 1.3}).status == "passed"
    assert one({"check": "disparity_ratio", "max": 1.25, "min": 0.75}).status == "passed"
    c = one(
        {
            "check": "disparity_ratio",
            "max": 1.25,
            "metric": "sensitivity",
            "at": "catch 80% of events",
        }
    )
    assert c.status == "failed"
    assert c.evidence["outside"] == {"sex=male": 0.7}
    c = one({"check": "disparity_ratio", "max": 1.25, "metric": "ppv", "at": "catch 80% of events"})
    assert c.status == "not-evaluable"


def _with_cis(north_auroc_ci: list[float], north_ratio_ci: list[float]) -> dict[str, Any]:
    """EVALUATION with intervals on every level; north's are given."""
    ev = copy.deepcopy(EVALUATION)
    for group in ev["subgroups"]:
        for lv in group["levels"]:
            if lv.get("suppressed"):
                continue
            north = lv["level"] == "north"
            a, r = lv["metrics"]["auroc"]["value"], lv["disparity"]["auroc"]["value"]
            lv["metrics"]["auroc"]["ci"] = north_auroc_ci if north else [a - 0.05, a + 0.05]
            lv["disparity"]["auroc"]["ci"] = north_ratio_ci if north else [r - 0.05, r + 0.05]
    return ev


def test_subgroup_checks_on_confidence_intervals() -> None:
    """``upper_ci`` / ``ci`` fail a level only when its whole interval is on the wrong side."""
    uncertain = _with_cis([0.41, 0.72], [0.55, 0.97])  # north 0.58, 0.78x: could be fine
    shown_bad = _with_cis([0.41, 0.59], [0.55, 0.79])  # north's whole interval is below
    gate = {"check": "subgroup_auroc", "min": 0.6, "bound": "upper_ci"}
    assert one(gate, evaluation=uncertain).status == "passed"
    c = one(gate, evaluation=shown_bad)
    assert c.status == "failed"
    assert c.evidence["below"] == {"site=north": 0.59}
    assert "upper 95% bound" in c.message
    gate = {"check": "disparity_ratio", "max": 1.25, "bound": "ci"}
    assert one(gate, evaluation=uncertain).status == "passed"
    c = one(gate, evaluation=shown_bad)
    assert c.status == "failed"
    assert c.evidence["outside"] == {"site=north": 0.78}
    # Without intervals in the report the check cannot be judged on them.
    assert one(gate).status == "not-evaluable"
    assert one({"check": "subgroup_auroc", "min": 0.6, "bound": "upper_ci"}).status == (
        "not-evaluable"
    )


def test_packaged_policies() -> None:
    assert packaged_policy("default") == default_policy()
    pilot = packaged_policy("pilot")
    assert pilot.name == "pilot"
    assert {g.check for g in pilot.gates} == {g.check for g in default_policy().gates}
    with pytest.raises(ConfigError, match="no such packaged policy"):
        packaged_policy("lenient")


def test_net_benefit_at_an_operating_policy_by_hand() -> None:
    # treat-all at t = 0.2: prev - (1 - prev) * t / (1 - t) = 0.25 - 0.75 * 0.25 = 0.0625
    c = one({"check": "net_benefit_vs_treat_all", "at": "catch 80% of events"})
    assert c.status == "passed"
    assert c.evidence["treat_all"] == pytest.approx(0.0625)
    assert c.evidence["advantage"] == pytest.approx(0.09 - 0.0625)
    c = one({"check": "net_benefit_vs_treat_all", "at": "catch 80% of events", "margin": 0.03})
    assert c.status == "failed"
    assert one({"check": "net_benefit_vs_treat_all", "at": "never"}).status == "not-evaluable"
    assert one({"check": "net_benefit_vs_treat_all", "at": "nope"}).status == "not-evaluable"


def test_net_benefit_at_a_threshold_of_the_curve() -> None:
    c = one({"check": "net_benefit_vs_treat_all", "at": 0.1})
    assert c.status == "passed"
    assert c.evidence["advantage"] == pytest.approx(0.18 - 0.1667)
    # Above treat-all (negative) but also above treat-none (0) is needed: 0.02 > 0 passes.
    c = one({"check": "net_benefit_vs_treat_all", "at": 0.3})
    assert c.status == "passed"
    assert c.evidence["advantage"] == pytest.approx(0.02)
    c = one({"check": "net_benefit_vs_treat_all", "at": 0.3, "margin": 0.05})
    assert c.status == "failed"
    assert one({"check": "net_benefit_vs_treat_all", "at": 0.25}).status == "not-evaluable"


def test_result_passes_only_when_every_check_passes() -> None:
    result = run([{"check": "quality_passed"}, {"check": "ece", "max": 0.05}])
    assert result.passed
    assert result.verdict == "pass"
    result = run(
        [
            {"check": "quality_passed"},
            {"check": "ece", "max": 0.01},
            {"check": "auroc_lower_ci", "min": 0.5},
        ],
        evaluation=EVALUATION,
    )
    assert not result.passed
    assert [c.check for c in result.failed] == ["ece"]
    assert result.summary == "gates fail (policy t): ECE 0.031 > 0.01"
    result = run([{"check": "ece", "max": 0.05}], evaluation=None)
    assert not result.passed
    assert result.checks[0].status == "not-evaluable"
    d = result.to_dict()
    assert GateResult.from_dict(d).to_dict() == d


@pytest.mark.parametrize(
    ("doc", "where", "what"),
    [
        ({"name": "p", "gates": [{"check": "auroc"}]}, "gates.0.check", "unknown check"),
        ({"name": "p", "gates": [{"min": 0.7}]}, "gates.0.check", "no check"),
        (
            {"name": "p", "gates": [{"check": "auroc_lower_ci", "min": 1.5}]},
            "gates.0.auroc_lower_ci.min",
            "less than or equal to 1",
        ),
        (
            {"name": "p", "gates": [{"check": "ece", "max": 0.1, "mx": 1}]},
            "gates.0.ece.mx",
            "Extra inputs",
        ),
        (
            {"name": "p", "gates": [{"check": "calibration_slope", "min": 1.2, "max": 0.8}]},
            "gates.0.calibration_slope",
            "min must be below max",
        ),
        (
            {"name": "p", "gates": [{"check": "disparity_ratio", "max": 1.2, "metric": "ppv"}]},
            "gates.0.disparity_ratio",
            "give at:",
        ),
        ({"name": "p", "gates": []}, "gates", "at least 1"),
        ({"gates": [{"check": "ece", "max": 0.1}]}, "name", "Field required"),
    ],
)
def test_policy_errors_name_the_key(doc: dict, where: str, what: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as err:
        parse_policy(doc, "p.yaml")
    message = str(err.value)
    assert "\n" not in message
    assert f"; field {where};" in message
    assert what in message
    assert "record p.yaml" in message


def test_policy_files(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("name: mine\nmodel: readmission-30d\ngates:\n  - check: ece\n    max: 0.04\n")
    policy = load_policy(path)
    assert policy.model == "readmission-30d"
    assert policy.gates[0].check == "ece"
    assert len(policy.sha256) == 64
    assert policy.sha256 != default_policy().sha256
    path.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_policy(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_policy(["ece"])


def test_default_policy_covers_every_check() -> None:
    policy = default_policy()
    assert policy.name == "default"
    assert [g.check for g in policy.gates] == list(CHECKS)


def test_default_policy_on_a_real_evaluation_report() -> None:
    """The numbers a gate reports are the report's, and agree with scikit-learn and a hand
    computation of net benefit from the predictions themselves."""
    from wardwatch.evaluate import evaluate_predictions

    rng = np.random.default_rng(11)
    n = 3000
    x = rng.normal(size=n)
    sex = rng.choice(np.array(["female", "male"], dtype=object), size=n)
    p = 1 / (1 + np.exp(-(-1.3 + 1.1 * x)))
    y = (rng.random(n) < p).astype(int)
    patients = np.array([f"pt-{i // 2}" for i in range(n)], dtype=object)
    report = evaluate_predictions(
        y, p, patient_ids=patients, subgroups={"sex": sex}, config={"n_bootstrap": 200}
    ).to_dict()
    result = evaluate_gates(
        default_policy(), {"quality": "pass", "leakage": LEAKAGE, "evaluation": report}
    )
    checks = {c.check: c for c in result.checks}
    assert set(checks) == set(CHECKS)
    auroc = checks["auroc_lower_ci"].evidence
    assert auroc["auroc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert auroc["ci_low"] == report["discrimination"]["auroc"]["ci"][0]
    assert checks["auroc_lower_ci"].status == "passed"
    assert checks["calibration_slope"].evidence["calibration_slope"] == pytest.approx(
        report["calibration"]["calibration_slope"]["value"]
    )
    assert checks["calibration_slope"].status == "passed"  # the probabilities are the truth
    assert checks["ece"].evidence["ece"] == report["calibration"]["ece"]["value"]
    levels = {lv["level"]: lv for lv in report["subgroups"][0]["levels"]}
    lowest = min(lv["metrics"]["auroc"]["value"] for lv in levels.values())
    assert list(checks["subgroup_auroc"].evidence["lowest"].values()) == [lowest]
    nb = checks["net_benefit_vs_treat_all"].evidence
    t = nb["threshold"]
    flagged = p >= t
    tp, fp = int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum())
    assert nb["net_benefit"] == pytest.approx(tp / n - fp / n * t / (1 - t))
    assert nb["treat_all"] == pytest.approx(y.mean() - (1 - y.mean()) * t / (1 - t))
    assert checks["net_benefit_vs_treat_all"].status == "passed"
