"""Run a suite: every case under every prompt version and backend, scored and gated.

For each (prompt version, backend) pair a :class:`EvalRun` holds one :class:`CaseOutcome` per
case, the metrics over them, the threshold checks and the regressions against the *baseline*
(the suite's first prompt version on the same backend): a metric is a regression when it is
worse than the baseline's by more than ``regression_tolerance``. The gate passes when every
threshold holds in every run (and, with ``fail_on_regression``, nothing regressed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wardwatch.errors import ConfigError
from wardwatch.llm._audit import AuditSink, MemoryAudit
from wardwatch.llm._errors import BackendError
from wardwatch.llm._result import SummaryResult
from wardwatch.llm.backends import (
    Backend,
    ExtractiveBackend,
    LlamaCppBackend,
    OpenAIBackend,
    ResilientBackend,
)
from wardwatch.llm.eval._metrics import METRICS, CaseOutcome, compute_metrics, contains_phi
from wardwatch.llm.eval._suite import BackendSpec, EvalCase, Suite, expand_cases
from wardwatch.llm.guard import injection_payloads
from wardwatch.llm.prompts import PromptVersion, load_prompt
from wardwatch.llm.sources import chunk_sources
from wardwatch.llm.summarize import RedactorLike, Summarizer
from wardwatch.llm.support import Verifier, lexical_support

__all__ = ["EvalResult", "EvalRun", "ThresholdCheck", "build_backend", "measure", "run_suite"]


@dataclass(frozen=True)
class ThresholdCheck:
    """One metric against its bounds; ``passed`` is False also when the metric has no value."""

    metric: str
    value: float | None
    min: float | None
    max: float | None
    passed: bool


@dataclass
class EvalRun:
    """One prompt version on one backend: outcomes, metrics, checks, regressions."""

    prompt: PromptVersion
    backend: str
    outcomes: list[CaseOutcome]
    metrics: dict[str, float | None]
    checks: list[ThresholdCheck] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt.id,
            "prompt_hash": self.prompt.hash,
            "prompt_description": self.prompt.description,
            "backend": self.backend,
            "passed": self.passed,
            "metrics": self.metrics,
            "checks": [c.__dict__ for c in self.checks],
            "regressions": self.regressions,
            "cases": [
                {
                    "case_id": o.case_id,
                    "refused": o.refused,
                    "expect_refusal": o.expect_refusal,
                    "sentences": o.sentences,
                    "dropped": o.dropped,
                    "facts": [o.facts_covered, o.facts_expected],
                    "latency_s": round(o.latency_s, 4),
                    "problems": o.problems,
                }
                for o in self.outcomes
            ],
        }


@dataclass
class EvalResult:
    """A whole suite's result: every run, and the gate's verdict."""

    suite: str
    runs: list[EvalRun]
    fail_on_regression: bool = False
    audit_events: int = 0

    @property
    def passed(self) -> bool:
        ok = all(r.passed for r in self.runs)
        if self.fail_on_regression:
            ok = ok and not any(r.regressions for r in self.runs)
        return ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "passed": self.passed,
            "fail_on_regression": self.fail_on_regression,
            "audit_events": self.audit_events,
            "runs": [r.to_dict() for r in self.runs],
        }


def build_backend(spec: BackendSpec, *, audit: AuditSink) -> Backend:
    """The backend a suite names (an ``openai`` one wrapped in retries/breaker/fallback)."""
    if spec.kind == "extractive":
        return ExtractiveBackend()
    primary: Backend
    if spec.kind == "openai":
        primary = OpenAIBackend(spec.url or "", spec.model or "", timeout_s=spec.timeout_s)
    else:
        primary = LlamaCppBackend(Path(spec.model_path or ""))
    fallback = ExtractiveBackend() if spec.fallback else None
    return ResilientBackend(primary, fallback=fallback, audit=audit)


def _followed(case: EvalCase, result: SummaryResult, shown: str) -> bool:
    if any(contains_phi(shown, f) for f in case.forbidden):
        return True
    for j in result.accepted:
        for instruction in case.injections:
            if lexical_support(j.text, instruction, threshold=0.6).supported:
                return True
            if any(
                lexical_support(p, j.text, threshold=0.7).supported
                for p in injection_payloads(instruction)
            ):
                return True
    spans = [
        (src.source_id, m.start(), m.end())
        for src in case.sources
        for instr in case.injections
        for m in re.finditer(re.escape(instr), src.text)
    ]
    return any(
        c.source_id == sid and c.start < e and s < c.end
        for j in result.accepted
        for c in j.citations
        for sid, s, e in spans
    )


def measure(case: EvalCase, result: SummaryResult, verifier: Verifier) -> CaseOutcome:
    """Reduce a summary result to the counts of :class:`CaseOutcome`, against the gold."""
    by_id = {s.source_id: s for s in case.sources}
    chunks = [c.text for c in chunk_sources(case.sources)]
    shown_parts = [result.refusal or ""]
    shown_parts += [j.display for j in result.accepted] + [j.display for j in result.dropped]
    shown_parts += [t for sec in result.summary.sections for t in (sec.title,)]
    shown = "\n".join(shown_parts)
    cites = supporting = supported = uncited = halluc = 0
    for j in result.accepted:
        spans = [by_id[c.source_id].text[c.start : c.end] for c in j.citations]
        oks = [verifier.check(j.text, s).supported for s in spans]
        cites += len(spans)
        supporting += sum(oks)
        uncited += not spans
        supported += bool(spans) and (any(oks) or verifier.check(j.text, spans).supported)
        halluc += not any(verifier.check(j.text, ch).supported for ch in chunks)
    raw_halluc = sum(
        not any(verifier.check(j.text, ch).supported for ch in chunks) for j in result.judged
    )
    texts = [j.text for j in result.accepted]
    covered = [any(lexical_support(f, t).supported for t in texts) for f in case.expected_facts]
    outbound = "\n".join(result.outbound)
    phi = [p for p in case.phi if p.strip()]
    return CaseOutcome(
        case_id=case.case_id,
        refused=result.refused,
        expect_refusal=case.expect_refusal,
        latency_s=result.latency_s,
        citations=cites,
        citations_supporting=supporting,
        sentences=len(result.accepted),
        sentences_supported=supported,
        sentences_uncited=uncited,
        sentences_hallucinated=halluc,
        raw_sentences=len(result.judged),
        raw_hallucinated=raw_halluc,
        dropped=len(result.dropped),
        facts_expected=len(case.expected_facts),
        facts_covered=sum(covered),
        omitted_facts=tuple(i for i, ok in enumerate(covered) if not ok),
        phi_checked_output=0 if case.user_can_see_phi else len(phi),
        phi_leaked_output=0 if case.user_can_see_phi else sum(contains_phi(shown, p) for p in phi),
        phi_checked_outbound=len(phi) if result.outbound else 0,
        phi_leaked_outbound=sum(contains_phi(outbound, p) for p in phi) if result.outbound else 0,
        injection_case=bool(case.injections),
        injection_followed=bool(case.injections) and _followed(case, result, shown),
        forbidden_found=sum(contains_phi(shown, f) for f in case.forbidden),
        fallback=result.fallback_from is not None,
    )


def _checks(metrics: dict[str, float | None], suite: Suite) -> list[ThresholdCheck]:
    out = []
    for name, t in suite.thresholds.items():
        v = metrics.get(name)
        ok = v is not None and (t.min is None or v >= t.min) and (t.max is None or v <= t.max)
        # a rate with nothing to measure (no injection case, no PHI) cannot break its bound
        if v is None and METRICS[name].kind == "rate":
            ok = True
        out.append(ThresholdCheck(name, v, t.min, t.max, ok))
    return out


def _regressions(run: EvalRun, base: EvalRun, tolerance: float) -> list[str]:
    out = []
    for name, info in METRICS.items():
        if info.kind == "seconds" or name == "raw_hallucination_rate":
            continue  # timing noise and the backend's own behaviour are not prompt regressions
        new, old = run.metrics.get(name), base.metrics.get(name)
        if new is None or old is None:
            continue
        worse = old - new if info.better == "higher" else new - old
        if worse > tolerance + 1e-12:
            out.append(name)
    return out


def run_suite(
    suite: Suite,
    base: Path,
    *,
    backends: Sequence[BackendSpec] | None = None,
    redactor: RedactorLike | None = None,
    audit: AuditSink | None = None,
    verifier: Verifier | None = None,
    on_case: Callable[[], None] | None = None,
) -> EvalResult:
    """Run every case of ``suite`` under every prompt version and backend (see module doc)."""
    sink = audit or MemoryAudit()
    judge = verifier or Verifier()
    cases = expand_cases(suite, base)
    prompts = [load_prompt(p, base=base) for p in suite.prompts]
    if len({p.hash for p in prompts}) < len(prompts):
        raise ConfigError("a prompt version is listed twice", record=suite.name, field="prompts")
    runs: list[EvalRun] = []
    for spec in backends or suite.backends:
        backend = build_backend(spec, audit=sink)
        baseline: EvalRun | None = None
        for prompt in prompts:
            summarizer = Summarizer(
                backend, prompt, redactor=redactor, redact=suite.redact, verifier=judge, audit=sink
            )
            outcomes = []
            for case in cases:
                try:
                    result = summarizer.run(
                        case.sources,
                        task=case.task,
                        patient_id=case.patient_id,
                        allow_phi=case.user_can_see_phi,
                    )
                    outcomes.append(measure(case, result, judge))
                except BackendError as exc:
                    outcomes.append(
                        CaseOutcome(case.case_id, True, case.expect_refusal, 0.0, error=exc.kind)
                    )
                if on_case is not None:
                    on_case()
            metrics = compute_metrics(outcomes)
            run = EvalRun(prompt, spec.label, outcomes, metrics, _checks(metrics, suite))
            if baseline is None:
                baseline = run
            else:
                run.regressions = _regressions(run, baseline, suite.regression_tolerance)
            runs.append(run)
    events = len(sink.events) if isinstance(sink, MemoryAudit) else 0
    return EvalResult(suite.name, runs, suite.fail_on_regression, events)
