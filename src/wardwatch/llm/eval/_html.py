"""The evaluation report: one self-contained HTML page comparing prompt versions side by side.

Per backend, one table: a row per metric, a column per prompt version (the first is the
baseline), with the threshold; a value out of bounds is marked failed, a value worse than
the baseline's is marked as a regression. Below, a row per case with each version's status.
Rendered with the shared report look (:mod:`wardwatch.report`): no scripts, nothing fetched.
"""

from __future__ import annotations

from typing import Any

from wardwatch.llm.eval._metrics import METRICS
from wardwatch.llm.eval._runner import EvalResult, EvalRun
from wardwatch.report import render
from wardwatch.report._base import EMPTY, fmt_duration, fmt_rate

__all__ = ["render_eval_html"]


def _value(metric: str, value: float | None) -> str:
    if value is None:
        return EMPTY
    return fmt_duration(value) if METRICS[metric].kind == "seconds" else fmt_rate(value)


def _bound(metric: str, lo: float | None, hi: float | None) -> str:
    parts = []
    if lo is not None:
        parts.append(f"≥ {_value(metric, lo)}")
    if hi is not None:
        parts.append(f"≤ {_value(metric, hi)}")
    return " and ".join(parts) or EMPTY


def _case_status(o: dict[str, Any]) -> tuple[str, str]:
    if o["problems"]:
        return "failed", "; ".join(o["problems"])
    if o["refused"]:
        return "passed", "refused (expected)"
    covered, expected = o["facts"]
    facts = f", {covered}/{expected} facts" if expected else ""
    return "passed", f"{o['sentences']} sentences{facts}"


def _backend_view(runs: list[EvalRun]) -> dict[str, Any]:
    thresholds: dict[str, tuple[float | None, float | None]] = {}
    for r in runs:
        for c in r.checks:
            thresholds[c.metric] = (c.min, c.max)
    rows = []
    for name, info in METRICS.items():
        cells = []
        for r in runs:
            check = next((c for c in r.checks if c.metric == name), None)
            cells.append(
                {
                    "text": _value(name, r.metrics.get(name)),
                    "failed": check is not None and not check.passed,
                    "regressed": name in r.regressions,
                }
            )
        lo, hi = thresholds.get(name, (None, None))
        rows.append(
            {
                "name": name,
                "label": info.label,
                "better": info.better,
                "bound": _bound(name, lo, hi),
                "cells": cells,
            }
        )
    case_ids = [o.case_id for o in runs[0].outcomes]
    cases = []
    for i, cid in enumerate(case_ids):
        statuses = []
        for r in runs:
            d = r.to_dict()["cases"][i]
            status, text = _case_status(d)
            statuses.append({"status": status, "text": text})
        cases.append({"id": cid, "statuses": statuses})
    return {
        "backend": runs[0].backend,
        "prompts": [
            {
                "id": r.prompt.id,
                "hash": r.prompt.short_hash,
                "description": r.prompt.description,
                "passed": r.passed,
                "regressions": len(r.regressions),
            }
            for r in runs
        ],
        "rows": rows,
        "cases": cases,
    }


def render_eval_html(result: EvalResult) -> str:
    """The suite's result as one self-contained HTML page (module docstring)."""
    groups: dict[str, list[EvalRun]] = {}
    for r in result.runs:
        groups.setdefault(r.backend, []).append(r)
    verdict = "pass" if result.passed else "fail"
    n_reg = sum(len(r.regressions) for r in result.runs)
    return render(
        "llm_eval.html.j2",
        suite=result.suite,
        verdict=verdict,
        verdict_label=verdict.upper(),
        verdict_text=(
            "Every threshold holds for every prompt version and backend."
            if result.passed
            else "A threshold failed (or a regression, where the suite gates on them): see below."
        ),
        n_runs=len(result.runs),
        n_cases=len(result.runs[0].outcomes) if result.runs else 0,
        n_regressions=n_reg,
        backends=[_backend_view(runs) for runs in groups.values()],
    )
