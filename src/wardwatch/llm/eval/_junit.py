"""JUnit XML for CI systems: one ``<testsuite>`` per prompt version and backend.

Each suite has one ``<testcase>`` per case (a failure names, in words without PHI, why the
case fails on its own: wrong refusal, PHI leaked, injection followed, forbidden content,
uncited sentences, backend error) and one per threshold (``threshold:<metric>``, failing
when the metric is out of bounds). Counts in the ``tests`` and ``failures`` attributes add up.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from wardwatch.llm.eval._runner import EvalResult

__all__ = ["to_junit_xml"]


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.4g}"


def to_junit_xml(result: EvalResult) -> str:
    """The result as a JUnit XML document (UTF-8 text with an XML declaration)."""
    root = ET.Element("testsuites", name=f"llm-eval:{result.suite}")
    total_tests = total_failures = 0
    for run in result.runs:
        name = f"{run.prompt.id}@{run.backend}"
        suite = ET.SubElement(root, "testsuite", name=name)
        tests = failures = 0
        elapsed = 0.0
        for o in run.outcomes:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"llm.{result.suite}.{name}",
                name=o.case_id,
                time=f"{o.latency_s:.4f}",
            )
            elapsed += o.latency_s
            tests += 1
            if o.problems:
                failures += 1
                ET.SubElement(case, "failure", message="; ".join(o.problems), type="case")
        for c in run.checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"llm.{result.suite}.{name}",
                name=f"threshold:{c.metric}",
                time="0",
            )
            tests += 1
            if not c.passed:
                failures += 1
                bound = " and ".join(
                    s
                    for s in (
                        c.min is not None and f">= {c.min:g}",
                        c.max is not None and f"<= {c.max:g}",
                    )
                    if s
                )
                ET.SubElement(
                    case,
                    "failure",
                    type="threshold",
                    message=f"{c.metric} = {_fmt(c.value)}, expected {bound}",
                )
        if result.fail_on_regression:
            for metric in run.regressions:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"llm.{result.suite}.{name}",
                    name=f"regression:{metric}",
                    time="0",
                )
                tests += 1
                failures += 1
                ET.SubElement(
                    case,
                    "failure",
                    type="regression",
                    message=f"{metric} is worse than the baseline prompt version",
                )
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("time", f"{elapsed:.4f}")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
