"""The LLM evaluation harness: suites, metrics, a gate, JUnit XML and an HTML report.

    suite = load_suite(Path("suite.yaml"))
    result = run_suite(suite, Path("."))          # every prompt version x backend x case
    result.passed                                 # the gate: every threshold holds
    Path("junit.xml").write_text(to_junit_xml(result))
    Path("report.html").write_text(render_eval_html(result))

``wardwatch llm eval SUITE.yaml`` does the same and exits 1 when the gate fails. The metric
definitions are in :mod:`wardwatch.llm.eval._metrics`; the sample suite that CI runs is
:func:`sample_suite_path`.
"""

from importlib import resources
from pathlib import Path

from wardwatch.llm.eval._html import render_eval_html
from wardwatch.llm.eval._junit import to_junit_xml
from wardwatch.llm.eval._metrics import (
    METRICS,
    CaseOutcome,
    MetricInfo,
    compute_metrics,
    contains_phi,
    percentile,
)
from wardwatch.llm.eval._runner import (
    EvalResult,
    EvalRun,
    ThresholdCheck,
    build_backend,
    measure,
    run_suite,
)
from wardwatch.llm.eval._suite import (
    BackendSpec,
    CaseSpec,
    EvalCase,
    GenerateSpec,
    NoteSpec,
    Suite,
    Threshold,
    backend_spec,
    expand_cases,
    load_suite,
)

__all__ = [
    "METRICS",
    "BackendSpec",
    "CaseOutcome",
    "CaseSpec",
    "EvalCase",
    "EvalResult",
    "EvalRun",
    "GenerateSpec",
    "MetricInfo",
    "NoteSpec",
    "Suite",
    "Threshold",
    "ThresholdCheck",
    "backend_spec",
    "build_backend",
    "compute_metrics",
    "contains_phi",
    "expand_cases",
    "load_suite",
    "measure",
    "packaged_suites",
    "percentile",
    "render_eval_html",
    "run_suite",
    "sample_suite_path",
    "to_junit_xml",
]


def packaged_suites() -> list[str]:
    """Names of the suites shipped with wardwatch (``sample``)."""
    root = resources.files("wardwatch.llm") / "suites"
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def sample_suite_path() -> Path:
    """The path of the packaged sample suite (``wardwatch llm eval`` runs it in CI)."""
    return Path(str(resources.files("wardwatch.llm") / "suites" / "sample.yaml"))
