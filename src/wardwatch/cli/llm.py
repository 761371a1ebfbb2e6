"""``wardwatch llm``: cited chart summaries with PHI boundaries, and the evaluation gate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    current_actor,
    emit_json,
    err_console,
    fail,
    progress_bar,
    run_guarded,
)
from wardwatch.core.workspace import open_workspace

if TYPE_CHECKING:
    from wardwatch.core.workspace import Workspace
    from wardwatch.llm import Backend, Source
    from wardwatch.llm.eval import EvalResult

__all__ = ["llm_app"]

API_KEY_ENV = "WARDWATCH_LLM_API_KEY"

llm_app = typer.Typer(
    help="LLM workflows: summaries that cite their sources, PHI redaction, evaluation gate.",
    no_args_is_help=True,
)

BackendOpt = Annotated[
    str, typer.Option("--backend", "-b", help="extractive (offline default), openai or llamacpp.")
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="WARDWATCH_LLM_URL",
        help="OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama).",
    ),
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", envvar="WARDWATCH_LLM_MODEL", help="Model name to ask for.")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds per model request.")]
GgufOpt = Annotated[Path | None, typer.Option("--gguf", help="GGUF model file (llamacpp).")]


def _backend(
    kind: str,
    url: str | None,
    model: str | None,
    gguf: Path | None,
    timeout: float,
    fallback: bool,
    audit: Any,
    as_json: bool,
) -> Backend:
    from wardwatch.llm import (
        ExtractiveBackend,
        LlamaCppBackend,
        OpenAIBackend,
        ResilientBackend,
    )

    if kind == "extractive":
        return ExtractiveBackend()
    primary: Backend
    if kind == "openai":
        if not url or not model:
            fail("the openai backend needs --url and --model", as_json=as_json)
        api_key = os.environ.get(API_KEY_ENV) or None
        primary = run_guarded(
            lambda: OpenAIBackend(url, model, api_key=api_key, timeout_s=timeout), as_json=as_json
        )
    elif kind == "llamacpp":
        if gguf is None:
            fail("the llamacpp backend needs --gguf MODEL.gguf", as_json=as_json)
        primary = run_guarded(lambda: LlamaCppBackend(gguf), as_json=as_json)
    else:
        fail(
            f"unknown --backend {kind!r}; expected extractive, openai or llamacpp", as_json=as_json
        )
    return ResilientBackend(
        primary, fallback=ExtractiveBackend() if fallback else None, audit=audit
    )


def lake_notes(ws: Workspace, patient: str) -> list[Source]:
    from wardwatch.core.lake import Lake
    from wardwatch.errors import InputError
    from wardwatch.llm import Source

    con = Lake(ws.lake_dir).connect()
    rows = con.execute(
        "SELECT document_id, text, CAST(recorded_time AS VARCHAR) FROM documents "
        "WHERE patient_id = ? AND text IS NOT NULL AND coalesce(status, '') <> 'entered-in-error' "
        "ORDER BY recorded_time NULLS LAST, document_id",
        [patient],
    ).fetchall()
    if not rows:
        raise InputError(
            "no notes for this patient in the lake",
            field="documents.patient_id",
            hint="ingest DocumentReference resources first, or pass note files",
        )
    return [Source(str(d), str(t), patient_id=patient, date=r) for d, t, r in rows]


@llm_app.command("summarize")
def summarize(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Note files or folders: FHIR DocumentReference JSON/NDJSON, or text."),
    ] = None,
    patient: Annotated[
        str | None, typer.Option("--patient", help="Summarize this patient's notes from the lake.")
    ] = None,
    policy: Annotated[
        list[Path] | None,
        typer.Option("--policy", help="Approved policy documents (text/Markdown)."),
    ] = None,
    task: Annotated[str, typer.Option("--task", help="What to summarize or ask.")] = (
        "Summarize the patient's notes."
    ),
    prompt: Annotated[str, typer.Option("--prompt", help="Prompt version id or file.")] = (
        "summarize-v2"
    ),
    backend: BackendOpt = "extractive",
    url: UrlOpt = None,
    model: ModelOpt = None,
    gguf: GgufOpt = None,
    timeout: TimeoutOpt = 30.0,
    fallback: Annotated[
        bool, typer.Option("--fallback/--no-fallback", help="Fall back to extractive on failure.")
    ] = True,
    retrieval: Annotated[str, typer.Option("--retrieval", help="bm25 or dense (extra).")] = "bm25",
    show_phi: Annotated[
        bool, typer.Option("--show-phi", help="Show identifiers (you are allowed to see PHI).")
    ] = False,
    workspace: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Summarize notes into sections whose every sentence cites its source span.

    Text for a backend that is not local is redacted first (placeholders such as [NAME_1]),
    and restored on screen only with --show-phi. Sentences their citations do not support
    are removed; too little support gives a refusal that says why. Every call is recorded
    in the workspace's audit log (llm.call). The API key of an OpenAI-compatible server is
    read from WARDWATCH_LLM_API_KEY.

    Examples:

        wardwatch llm summarize notes/ --task "Summarize the admission" -w ward

        wardwatch llm summarize --patient P-00042 -w ward --json

        wardwatch llm summarize n.txt -b openai --url http://127.0.0.1:8000/v1 --model llama3
    """
    from wardwatch.audit import AuditLog
    from wardwatch.llm import Summarizer, load_prompt, load_sources, log_sink

    if retrieval not in ("bm25", "dense"):
        fail(f"unknown --retrieval {retrieval!r}; expected bm25 or dense", as_json=as_json)
    if not paths and patient is None:
        fail("give note files or folders, or --patient ID", as_json=as_json)
    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    sources: list[Source] = []
    if paths:
        sources += run_guarded(lambda: load_sources(paths), as_json=as_json)
    if patient is not None:
        sources += run_guarded(lambda: lake_notes(ws, patient), as_json=as_json)
    if policy:
        sources += run_guarded(lambda: load_sources(policy, kind="policy"), as_json=as_json)
    version = run_guarded(lambda: load_prompt(prompt), as_json=as_json)
    log = run_guarded(lambda: AuditLog.from_workspace(ws), as_json=as_json)
    try:
        sink = log_sink(log, current_actor())
        chosen = _backend(backend, url, model, gguf, timeout, fallback, sink, as_json)
        summarizer = run_guarded(
            lambda: Summarizer(chosen, version, audit=sink, retrieval=retrieval),  # type: ignore[arg-type]
            as_json=as_json,
        )
        result = run_guarded(
            lambda: summarizer.run(sources, task=task, patient_id=patient, allow_phi=show_phi),
            as_json=as_json,
        )
    finally:
        log.store.dispose()
    if as_json:
        emit_json(result.to_dict())
        return
    console.print(result.to_text(), highlight=False, soft_wrap=True, markup=False)
    via = f"{result.backend} ({result.model})"
    if result.fallback_from:
        via += f", fallback from {result.fallback_from}"
    err_console.print(
        f"[dim]prompt {result.prompt_id} {result.prompt_hash[:12]} · {via} · "
        f"{len(result.dropped)} sentence(s) removed · {result.latency_s:.2f} s[/]",
        highlight=False,
    )


def _resolve_suite(name: str) -> Path:
    from wardwatch.llm.eval import packaged_suites, sample_suite_path

    path = Path(name)
    if not path.exists() and name in packaged_suites():
        return sample_suite_path().parent / f"{name}.yaml"
    return path


def _print_eval(result: EvalResult) -> None:
    from wardwatch.llm.eval import METRICS

    for backend in dict.fromkeys(r.backend for r in result.runs):
        runs = [r for r in result.runs if r.backend == backend]
        table = Table(title=f"backend {backend}", show_lines=False)
        table.add_column("metric")
        for r in runs:
            table.add_column(f"{r.prompt.id}\n{r.prompt.short_hash}", justify="right")
        for name, info in METRICS.items():
            cells = []
            for r in runs:
                v = r.metrics.get(name)
                text = (
                    "—" if v is None else (f"{v:.3f} s" if info.kind == "seconds" else f"{v:.1%}")
                )
                check = next((c for c in r.checks if c.metric == name), None)
                if check is not None and not check.passed:
                    text = f"[bold red]{text} ✕[/]"
                elif name in r.regressions:
                    text = f"[yellow]{text} ▼[/]"
                cells.append(text)
            table.add_row(info.label, *cells)
        console.print(table)
    verdict = "[bold green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    console.print(f"gate: {verdict}", highlight=False)


@llm_app.command("eval")
def eval_suite(
    suite: Annotated[str, typer.Argument(help="Suite YAML file, or a packaged suite: sample.")],
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", "-b", help="Evaluate this backend instead.")
    ] = None,
    url: UrlOpt = None,
    model: ModelOpt = None,
    gguf: GgufOpt = None,
    timeout: TimeoutOpt = 30.0,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Record llm.* events in this audit log."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run an evaluation suite for every prompt version and backend; gate on its thresholds.

    Measures citation precision and recall, hallucination, omission of expected facts,
    refusal correctness, PHI leaks (in what is shown and in what is sent out), injected
    instructions followed, and latency. Exit code 0 when every threshold holds, 1 when the
    gate fails, 2 when the suite cannot be run. Runs offline with the extractive backend.

    Examples:

        wardwatch llm eval sample --junit llm-junit.xml --html llm-eval.html

        wardwatch llm eval suite.yaml --backend openai --url http://127.0.0.1:8000/v1 --model m
    """
    from wardwatch.audit import AuditLog
    from wardwatch.llm import log_sink
    from wardwatch.llm.eval import (
        backend_spec,
        load_suite,
        render_eval_html,
        run_suite,
        to_junit_xml,
    )

    path = _resolve_suite(suite)
    spec = run_guarded(lambda: load_suite(path), as_json=as_json)
    specs = None
    if backend is not None:
        if backend not in ("extractive", "openai", "llamacpp"):
            fail(
                f"unknown --backend {backend!r}; expected extractive, openai or llamacpp",
                as_json=as_json,
            )
        options = {
            "kind": backend,
            "url": url,
            "model": model,
            "timeout_s": timeout,
            "model_path": str(gguf) if gguf else None,
        }
        specs = [run_guarded(lambda: backend_spec(options), as_json=as_json)]
    log = None
    sink = None
    if workspace is not None:
        ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
        log = run_guarded(lambda: AuditLog.from_workspace(ws), as_json=as_json)
        sink = log_sink(log, current_actor())
    try:
        with progress_bar(not as_json and err_console.is_terminal) as bar:
            task = bar.add_task("cases", total=None)
            result = run_guarded(
                lambda: run_suite(
                    spec, path.parent, backends=specs, audit=sink, on_case=lambda: bar.advance(task)
                ),
                as_json=as_json,
            )
    finally:
        if log is not None:
            log.store.dispose()
    if junit is not None:
        run_guarded(
            lambda: junit.write_text(to_junit_xml(result), encoding="utf-8"), as_json=as_json
        )
    if html is not None:
        run_guarded(
            lambda: html.write_text(render_eval_html(result), encoding="utf-8"), as_json=as_json
        )
    if as_json:
        emit_json(result.to_dict())
    else:
        _print_eval(result)
    if not result.passed:
        raise typer.Exit(1)


@llm_app.command("prompts")
def prompts(as_json: JsonOpt = False) -> None:
    """List the packaged prompt versions with their content hashes.

    Examples:

        wardwatch llm prompts --json
    """
    from wardwatch.llm import load_prompt, packaged_prompts

    versions = [load_prompt(p) for p in packaged_prompts()]
    if as_json:
        emit_json([{"id": v.id, "hash": v.hash, "description": v.description} for v in versions])
        return
    for v in versions:
        console.print(f"{v.id}  {v.short_hash}  {v.description}", highlight=False)
