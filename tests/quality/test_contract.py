"""Contracts load with one-line errors; the policy turns results into verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardwatch.errors import ConfigError
from wardwatch.quality import (
    CHECKS,
    MASK,
    CheckResult,
    Finding,
    Policy,
    Severity,
    Verdict,
    contract_from_dict,
    default_contract,
    load_contract,
)
from wardwatch.quality._report import QualityReport, is_identifying, mask_finding, verdict_of


def test_default_contract_names_only_registered_checks() -> None:
    c = default_contract()
    assert c.name == "default"
    assert {s.check for s in c.checks} <= set(CHECKS)
    assert {s.check for s in c.checks} == set(CHECKS)  # every check is in the default


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"name": "x", "checks": [{"check": "nope"}]},
         "unknown check; record c.yaml; field checks.0.check"),
        ({"name": "x", "checks": [{"check": "times", "params": {"window": 1}}]},
         "checks.0.params.window"),
        ({"name": "x", "checks": [{"check": "times", "params": {"window_tolerance_hours": -1}}]},
         "checks.0.params.window_tolerance_hours"),
        ({"name": "x", "checks": [{"check": "required", "tables": ["labz"]}]}, "unknown table"),
        ({"name": "x", "checks": [{"check": "required", "max_rate": 2}]}, "checks.0.max_rate"),
        ({"checks": []}, "field name"),
        ({"name": "x", "checks": [], "colour": "red"}, "field colour"),
        (["a"], "contract must be a mapping"),
    ],
)  # fmt: skip
def test_bad_contracts_get_one_line_errors(data: object, needle: str) -> None:
    with pytest.raises(ConfigError) as exc:
        contract_from_dict(data, origin="c.yaml")
    text = str(exc.value)
    assert needle in text
    assert "\n" not in text


def test_load_contract_from_yaml(tmp_path: Path) -> None:
    p = tmp_path / "labs.yaml"
    p.write_text(
        "name: labs\nsources: ['*/labs/*']\npolicy: {fail_on: error, warn_on: info}\n"
        "checks:\n  - check: charting-delay\n    severity: error\n    max_rate: 0.05\n"
        "    params: {max_delay_hours: 24}\n"
    )
    c = load_contract(p)
    assert c.sources == ["*/labs/*"]
    assert c.policy.warn_on is Severity.INFO
    assert c.checks[0].params == {"max_delay_hours": 24}


@pytest.mark.parametrize("text", ["name: [unclosed", "\x00\x01binary"])
def test_unreadable_yaml_is_one_line(tmp_path: Path, text: str) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_contract(p)
    assert "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match="cannot read contract"):
        load_contract(tmp_path / "missing.yaml")


def result(severity: Severity, failed: int, checked: int = 100, **kw: object) -> CheckResult:
    r = CheckResult("c", "t", severity, "d", checked=checked, failed=failed)
    for k, v in kw.items():
        setattr(r, k, v)
    return r


def test_policy() -> None:
    p = Policy()
    assert verdict_of([], p) is Verdict.PASS
    assert verdict_of([result(Severity.INFO, 5)], p) is Verdict.PASS
    assert verdict_of([result(Severity.WARN, 5)], p) is Verdict.WARN
    assert verdict_of([result(Severity.WARN, 5), result(Severity.ERROR, 1)], p) is Verdict.FAIL
    assert verdict_of([result(Severity.ERROR, 1, max_rate=0.01)], p) is Verdict.PASS
    assert verdict_of([result(Severity.ERROR, 2, max_rate=0.01)], p) is Verdict.FAIL
    # a check that could not run fails the gate: nothing seen is not "clean"
    assert verdict_of([result(Severity.ERROR, 0, error="boom")], p) is Verdict.FAIL
    strict = Policy(fail_on=Severity.WARN, warn_on=Severity.INFO)
    assert verdict_of([result(Severity.WARN, 1)], strict) is Verdict.FAIL
    assert verdict_of([result(Severity.INFO, 1)], strict) is Verdict.WARN


def test_rate() -> None:
    assert result(Severity.ERROR, 3, checked=12).rate == 0.25
    assert result(Severity.ERROR, 0, checked=0).rate == 0.0


def finding(field: str, found: str, table: str = "patients") -> Finding:
    return Finding("c", "r", Severity.ERROR, table, "id1", field, "x", found)


def test_identifying_values_are_masked() -> None:
    assert is_identifying("patients.family_name")
    assert is_identifying("patients.phone")
    assert not is_identifying("patients.sex")
    assert not is_identifying("observations.code")
    assert not is_identifying(None)
    assert mask_finding(finding("patients.family_name", "Smith"))["found"] == MASK
    assert mask_finding(finding("patients.sex", "bogus"))["found"] == "bogus"
    q = Finding("quarantine", "wrong-type", Severity.WARN, "quarantine", None, "Patient.name",
                "string", "Jane", message="found 'Jane'")  # fmt: skip
    assert mask_finding(q)["found"] == MASK
    assert mask_finding(q)["message"] == MASK


def test_report_counts_and_json() -> None:
    r1 = result(Severity.ERROR, 2, by_source={"a": 2}, findings=[finding("patients.ssn", "123")])
    r2 = CheckResult("d", "u", Severity.WARN, "d", checked=5, failed=1, by_source={"a": 1})
    rep = QualityReport("c", "duckdb", "2026-01-01", "2026-01-01", 0.1, Policy(), [r1, r2])
    d = rep.to_dict()
    assert d["verdict"] == "fail"
    assert d["counts"]["by_source"] == {"a": 3}
    assert d["counts"]["by_check"] == {"c": 2, "d": 1}
    assert d["summary"]["checks_failed"] == 2
    assert b"123" not in rep.to_json()
    html = rep.to_html()
    assert "FAIL" in html
    assert ">123<" not in html
    assert MASK in html
