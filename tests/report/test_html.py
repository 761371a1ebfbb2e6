"""The data-quality report's HTML page: verdict, checks, escaping, no external assets."""

from __future__ import annotations

import copy
import re
import time
from importlib import resources
from typing import Any

import pytest
from tests.report._html import parse

from wardwatch.report import environment, render_quality_html
from wardwatch.report._base import fmt_duration, fmt_number, fmt_rate, fmt_value

SCRIPT = "<script>alert(1)</script>"


def _finding(i: int, **over: Any) -> dict[str, Any]:
    f: dict[str, Any] = {
        "check": "code_format",
        "reason": "bad_code",
        "severity": "error",
        "table": "conditions",
        "record_id": f"cond-{i}",
        "field": "conditions.code",
        "expected": "an ICD-10-CM code",
        "found": f"X{i}",
        "resource_type": "Condition",
        "patient_id": "pt-SECRET-PSEUDONYM",
        "source": "feed-a.ndjson",
        "line": i + 1,
        "related_id": None,
        "score": None,
        "message": "free text that may carry SECRET-MESSAGE",
    }
    f.update(over)
    return f


def _result(check: str, table: str, findings: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    r: dict[str, Any] = {
        "check": check,
        "table": table,
        "severity": "error",
        "description": f"{check} description",
        "checked": 100,
        "failed": len(findings),
        "rate": len(findings) / 100,
        "max_rate": 0.0,
        "passed": not findings,
        "error": None,
        "by_source": {"feed-a.ndjson": len(findings)} if findings else {},
        "by_reason": {"bad_code": len(findings)} if findings else {},
        "metrics": {},
        "truncated": False,
        "findings": findings,
    }
    r.update(over)
    return r


def make_report(verdict: str = "fail") -> dict[str, Any]:
    """A report dict shaped like ``QualityReport.to_dict()``, written by hand."""
    code = _result(
        "code_format",
        "conditions",
        [_finding(0, found=SCRIPT), _finding(1), _finding(2)],
        checked=1000,
        failed=250,
        rate=0.25,
        truncated=True,
        by_reason={"bad_code": 250},
        by_source={"feed-a.ndjson": 200, "feed-b.hl7": 50},
    )
    names = _result(
        "required_fields",
        "patients",
        [
            _finding(
                0,
                check="required_fields",
                reason="missing",
                table="patients",
                field="patients.family_name",
                expected="a value",
                found="[masked]",
                resource_type="Patient",
            )
        ],
        severity="warn",
        by_reason={"missing": 1},
    )
    dupes = _result(
        "duplicates",
        "patients",
        [
            _finding(
                0,
                check="duplicates",
                reason="probable_duplicate",
                table="patients",
                record_id="pat-1",
                related_id="pat-2",
                score=0.9312,
                field=None,
                expected=None,
                found=None,
                source=None,
                line=None,
            )
        ],
        severity="warn",
        max_rate=0.05,
        passed=True,
        by_reason={"probable_duplicate": 1},
    )
    ok = _result("unique_ids", "encounters", [], description="Every record id is unique.")
    broken = _result(
        "drift",
        "observations",
        [],
        checked=0,
        rate=0.0,
        passed=False,
        error="no reference profile <found>",
    )
    profile = _result(
        "profile",
        "observations",
        [],
        severity="info",
        description="Column profile",
        metrics={
            "rows": 1234,
            "columns": {
                "value": {"null_rate": 0.01, "mean": 5.25, "min": 0, "max": 99},
                "unit <b>": {"null_rate": 0.5, "top": ["mg/dL", "mmol/L"]},
            },
            "thresholds": {"null_rate": 0.2},
        },
    )
    return {
        "verdict": verdict,
        "summary": {
            "checks_run": 6,
            "checks_failed": 3,
            "checks_errored": 1,
            "findings": 252,
            "failed_by_severity": {"info": 0, "warn": 1, "error": 2},
        },
        "contract": "default <contract>",
        "engine": "duckdb",
        "as_of": "2026-11-01T00:00:00+00:00",
        "started_at": "2026-11-02T08:15:00+00:00",
        "seconds": 3.217,
        "policy": {"fail_on": "error", "warn_on": "warn"},
        "rows": {"conditions": 1000, "patients": 100, "encounters": 400, "observations": 5000},
        "sources": ["feed-a.ndjson", "feed-b.hl7", "feed-c.csv"],
        "counts": {
            "by_check": {"code_format": 250, "required_fields": 1, "duplicates": 1},
            "by_table": {"conditions": 250, "patients": 2, "encounters": 0, "observations": 0},
            "by_source": {"feed-a.ndjson": 202, "feed-b.hl7": 50},
            "by_severity": {"error": 250, "warn": 2, "info": 0},
        },
        # passing checks first on purpose: the page must put the failed ones first
        "results": [ok, profile, dupes, names, code, broken],
    }


@pytest.fixture(scope="module")
def page() -> str:
    return render_quality_html(make_report())


def test_is_well_formed(page: str) -> None:
    p = parse(page)
    assert p.errors == []
    assert p.stack == []
    assert page.startswith("<!DOCTYPE html>")
    for tag in ("html", "head", "body", "main", "h1", "style", "title"):
        assert p.tags.get(tag) == 1, tag
    # checks, per table, per source, three findings tables, and the metrics tables
    assert p.tags["table"] >= 6


@pytest.mark.parametrize(
    ("verdict", "label"), [("pass", "PASS"), ("warn", "WARN"), ("fail", "FAIL")]
)
def test_verdict_in_words_and_colour(verdict: str, label: str) -> None:
    page = render_quality_html(make_report(verdict))
    assert f'class="verdict verdict-{verdict}"' in page
    assert f"Verdict: {label}" in page
    assert f"<title>Data quality: {label}" in page
    text = " ".join(parse(page).text)
    assert f"Verdict: {label}" in text  # a text label, not only a colour


def test_run_facts(page: str) -> None:
    text = " ".join(parse(page).text)
    for fact in ("default <contract>", "duckdb", "2026-11-01T00:00:00+00:00", "3.22 s"):
        assert fact in text
    assert "fail_on" in text


def test_checks_listed_failed_first(page: str) -> None:
    checks = page.split('<table class="checks">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="row-(\w+)">', checks)
    assert rows == ["errored", "failed", "failed", "passed", "passed", "passed"]
    order = [checks.index(name) for name in ("drift", "code_format", "required_fields")]
    assert order == sorted(order)  # errored, then error severity, then warn
    for name in ("unique_ids", "profile", "duplicates", "Every record id is unique."):
        assert name in checks
    assert "25%" in checks
    assert "250" in checks
    assert "no reference profile &lt;found&gt;" in checks
    drift = checks.split('<tr class="row-errored">', 1)[1].split("</tr>", 1)[0]
    assert drift.count('<td class="num">—') == 3  # no counts from a check that did not run


def test_counts_per_table_and_source(page: str) -> None:
    by_table = page.split('id="by-table"', 1)[1].split("</section>", 1)[0]
    assert re.search(
        r"<td>conditions</td><td class=\"num\">1,000</td><td class=\"num\">250", by_table
    )
    by_source = page.split('id="by-source"', 1)[1].split("</section>", 1)[0]
    assert "feed-b.hl7" in by_source
    assert "feed-c.csv" in by_source  # a source with no findings is still listed


def test_values_are_escaped(page: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert SCRIPT in " ".join(parse(page).text)  # shown as text, exactly
    assert "default &lt;contract&gt;" in page
    assert "unit &lt;b&gt;" in page
    assert "<b>" not in page


def test_escapes_in_every_field() -> None:
    report = make_report()
    evil = '"><img src=x onerror=alert(1)>'
    code = report["results"][4]
    code["check"] = code["description"] = evil
    code["findings"][1].update(
        dict.fromkeys(("reason", "record_id", "field", "expected", "resource_type", "source"), evil)
    )
    report["engine"] = evil
    page = render_quality_html(report)
    p = parse(page)
    assert p.errors == []
    assert "img" not in p.tags
    assert not any(k.startswith("on") for _, k, _ in p.attrs)


def test_no_external_assets(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    p = parse(page)
    refs = [(t, k, v) for t, k, v in p.attrs if k in {"src", "href", "srcset", "action"}]
    assert refs, "the checks table links to its findings"
    assert all(v is not None and v.startswith("#") for _, _, v in refs), refs
    anchors = {v for t, k, v in p.attrs if k == "id"}
    assert all(v is not None and v[1:] in anchors for _, _, v in refs)  # links land
    assert "@import" not in page
    assert "url(" not in page
    assert "script" not in p.tags
    assert "link" not in p.tags
    assert "default-src 'none'" in page  # the page may not fetch anything, even by mistake


def test_urls_in_data_stay_text() -> None:
    report = make_report()
    report["results"][4]["findings"][1]["expected"] = "https://example.org/CodeSystem"
    page = render_quality_html(report)
    refs = [v for _, k, v in parse(page).attrs if k in {"src", "href"}]
    assert all(v is not None and v.startswith("#") for v in refs)


def test_truncated_findings_say_so(page: str) -> None:
    assert "Showing 3 of 250 findings" in page
    assert page.count("Showing ") == 1


def test_masked_values_stay_masked(page: str) -> None:
    names = page.split("required_fields on patients", 1)[1].split("</section>", 1)[0]
    assert "[masked]" in names
    # the pseudonymous patient id and free-text messages are not shown at all
    assert "SECRET" not in page


def test_findings_columns(page: str) -> None:
    dupes = page.split("duplicates on patients", 1)[1].split("</section>", 1)[0]
    assert "<td>pat-2</td>" in dupes
    assert "<td>0.931</td>" in dupes
    code = page.split("code_format on conditions", 1)[1].split("</section>", 1)[0]
    assert "<td>feed-a.ndjson:2</td>" in code
    assert "<code>bad_code</code> 250" in code


def test_metrics_in_details(page: str) -> None:
    details = page.split("<details>", 1)[1].split("</details>", 1)[0]
    assert "profile on observations" in details
    assert "null_rate" in details
    assert "1,234" in details
    assert "mg/dL, mmol/L" in details
    assert "code_format on" not in details  # only checks with metrics


def test_empty_report() -> None:
    page = render_quality_html({"verdict": "pass", "results": []})
    p = parse(page)
    assert p.errors == []
    assert p.stack == []
    assert "Verdict: PASS" in page
    assert "No checks ran." in page


def test_input_is_not_changed() -> None:
    report = make_report()
    before = copy.deepcopy(report)
    render_quality_html(report)
    assert report == before


def test_large_report_renders() -> None:
    findings = [_finding(i, found=f"<v{i}>") for i in range(10_000)]
    report = make_report()
    report["results"] = [_result("code_format", "conditions", findings)]
    start = time.perf_counter()
    page = render_quality_html(report)
    elapsed = time.perf_counter() - start
    assert page.count("<tr>") >= 10_000
    assert "&lt;v9999&gt;" in page
    print(f"10,000 findings rendered in {elapsed * 1000:.0f} ms ({len(page) / 1e6:.1f} MB)")


def test_templates_are_package_data() -> None:
    templates = resources.files("wardwatch.report") / "templates"
    for name in ("base.html.j2", "quality.html.j2", "style.css"):
        assert (templates / name).is_file(), name
    assert environment().autoescape is True


def test_quality_report_to_html() -> None:
    """The page renders what ``QualityReport.to_dict`` really produces."""
    from wardwatch.quality import CheckResult, Finding, Policy, QualityReport, Severity

    finding = Finding(
        check="code_format",
        reason="bad_code",
        severity=Severity.ERROR,
        table="conditions",
        record_id="c1",
        field="conditions.code",
        expected="ICD-10-CM",
        found=SCRIPT,
    )
    result = CheckResult(
        check="code_format",
        table="conditions",
        severity=Severity.ERROR,
        description="Codes are valid",
        checked=10,
        failed=1,
        findings=[finding],
    )
    report = QualityReport(
        contract="default",
        engine="duckdb",
        as_of="2026-11-01",
        started_at="2026-11-02T00:00:00Z",
        seconds=0.5,
        policy=Policy(),
        results=[result],
        rows={"conditions": 10},
        sources=["a.ndjson"],
    )
    page = report.to_html()
    assert "Verdict: FAIL" in page
    assert "&lt;script&gt;" in page
    assert "<script" not in page
    assert parse(page).errors == []


@pytest.mark.parametrize(
    ("func", "value", "expected"),
    [
        (fmt_number, 1234567, "1,234,567"),
        (fmt_number, None, "—"),
        (fmt_number, 0.123456, "0.1235"),
        (fmt_rate, 0, "0%"),
        (fmt_rate, 0.25, "25%"),
        (fmt_rate, 0.012345, "1.23%"),
        (fmt_rate, 0.0000001, "<0.01%"),
        (fmt_rate, 0.9999999, ">99.99%"),
        (fmt_rate, 1.0, "100%"),
        (fmt_duration, 0.4213, "0.42 s"),
        (fmt_duration, 185, "3 min 05 s"),
        (fmt_value, "", "—"),
        (fmt_value, ["a", 1000], "a, 1,000"),
    ],
)
def test_formatting(func: Any, value: Any, expected: str) -> None:
    assert func(value) == expected


def test_long_values_are_cut() -> None:
    text = fmt_value("x" * 1200)
    assert text.startswith("x" * 500)
    assert text.endswith("(700 more characters)")
