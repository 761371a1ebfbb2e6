"""The demo's LLM step: one patient's notes summarized with citations, and the sample
evaluation suite run as the CI gate would run it.

The summary uses the extractive backend (offline, deterministic, cites by construction) on
the notes of the lake's patient with the most notes; it is shown with PHI as placeholders,
as a user without PHI access sees it. The evaluation runs the packaged sample suite over
both prompt versions and writes its JUnit XML and HTML report to the reports folder. Both
are audited (``llm.call`` events).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape

from wardwatch.audit import AuditLog
from wardwatch.cli._common import current_actor
from wardwatch.cli.llm import lake_notes
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace

__all__ = ["llm_demo"]


def _patient_with_notes(ws: Workspace) -> str | None:
    con = Lake(ws.lake_dir).connect()
    try:
        row = con.execute(
            "SELECT patient_id FROM documents WHERE text IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
    except Exception:
        return None
    finally:
        con.close()
    return str(row[0]) if row else None


def llm_demo(ws: Workspace, say: Callable[[str], None]) -> dict[str, Any]:
    """Step 10 of the demo; what happened, for ``--json``."""
    from wardwatch.llm import ExtractiveBackend, Summarizer, load_prompt, log_sink
    from wardwatch.llm.eval import (
        load_suite,
        render_eval_html,
        run_suite,
        sample_suite_path,
        to_junit_xml,
    )

    say("[bold]11. LLM[/] a cited summary of one patient's notes; the sample evaluation gate")
    out: dict[str, Any] = {}
    log = AuditLog.from_workspace(ws)
    try:
        sink = log_sink(log, current_actor())
        patient = _patient_with_notes(ws)
        if patient is not None:
            sources = lake_notes(ws, patient)
            summarizer = Summarizer(ExtractiveBackend(), load_prompt("summarize-v2"), audit=sink)
            result = summarizer.run(
                sources,
                task="Summarize the hospital course and the discharge plan.",
                patient_id=patient,
                allow_phi=False,
            )
            shown = result.accepted
            out["summary"] = {
                "notes": len(sources),
                "sentences": len(shown),
                "uncited": sum(1 for j in shown if not j.shown_citations),
                "refused": result.refused,
            }
            say(
                f"   {len(sources)} notes -> {len(shown)} sentences, each with its citation"
                + (" (refused: too little support)" if result.refused else "")
            )
            for j in shown[:3]:
                cite = j.shown_citations[0] if j.shown_citations else None
                where = f" [{cite.source_id} {cite.start}-{cite.end}]" if cite else ""
                say(escape(f"     {j.display[:110]}{where}"))
        suite_path = sample_suite_path()
        evaluated = run_suite(load_suite(suite_path), suite_path.parent, audit=sink)
    finally:
        log.store.dispose()
    junit = ws.reports_dir / "llm-eval-junit.xml"
    html = ws.reports_dir / "llm-eval.html"
    junit.write_text(to_junit_xml(evaluated), encoding="utf-8")
    html.write_text(render_eval_html(evaluated), encoding="utf-8")
    out["eval"] = {"passed": evaluated.passed, "html": str(html), "junit": str(junit)}
    for run in evaluated.runs:
        m = run.metrics
        say(
            f"   eval {run.prompt.id} on {run.backend}: citation precision "
            f"{_pct(m.get('citation_precision'))}, hallucination "
            f"{_pct(m.get('hallucination_rate'))}, PHI leaks "
            f"{_pct(m.get('phi_leak_rate_outbound'))}, injections followed "
            f"{_pct(m.get('injection_follow_rate'))}"
        )
    verdict = "PASS" if evaluated.passed else "FAIL"
    say(f"   gate: [bold]{verdict}[/]  ->  {html}")
    return out


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.0%}"
