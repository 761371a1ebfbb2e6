"""``wardwatch quality``: run the data-quality gate, save reference profiles, list checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from wardwatch.cli._common import (
    JsonOpt,
    WorkspaceOpt,
    console,
    emit_json,
    parse_as_of,
    progress_bar,
    record_audit,
    run_guarded,
)
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace, open_workspace

__all__ = ["quality_app"]

quality_app = typer.Typer(
    help="Data-quality gate: checks, contracts, reports.", no_args_is_help=True
)

REFERENCE_NAME = "reference_profile.json"


def _reference_path(ws: Workspace) -> Path:
    return ws.state_dir / REFERENCE_NAME


@quality_app.command("check")
def check(
    workspace: WorkspaceOpt = Path("."),
    contract: Annotated[
        Path | None,
        typer.Option("--contract", "-c", help="Contract YAML (default: the built-in contract)."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", "-e", help="duckdb (default) or spark (local session).")
    ] = "duckdb",
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the HTML report here.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="'Now' for future-date checks (ISO 8601; default: now)."),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Reference profile for drift (default: saved by `quality profile --save`).",
        ),
    ] = None,
    max_findings: Annotated[
        int | None, typer.Option("--max-findings", help="Findings listed per check.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a data contract over the lake and gate on the verdict.

    Exit code 0 when the verdict is pass or warn, 1 when it is fail, 2 when the gate could
    not run (no workspace, a bad contract). The JSON and HTML reports are also written to
    .wardwatch/reports/; identifying values are masked in both.

    Examples:

        wardwatch quality check --workspace ward

        wardwatch quality check --contract labs.yaml --json > quality.json

        wardwatch quality check --engine spark --html quality.html
    """
    from wardwatch.quality import default_contract, load_contract, run_gate
    from wardwatch.quality.checks.profile import load_reference

    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)
    spec = run_guarded(
        lambda: load_contract(contract) if contract else default_contract(), as_json=as_json
    )
    when = parse_as_of(as_of, as_json)
    ref_path = reference or _reference_path(ws)
    ref: dict[str, Any] | None = None
    if reference is not None or ref_path.exists():
        ref = run_guarded(lambda: load_reference(ref_path), as_json=as_json)
    kwargs: dict[str, Any] = {}
    if max_findings is not None:
        kwargs["max_findings"] = max_findings
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task("quality gate", total=None)

        def on_check(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label[:40])

        report = run_guarded(
            lambda: run_gate(
                Lake(ws.lake_dir),
                spec,
                engine=engine,
                as_of=when,
                reference=ref,
                on_check=on_check,
                **kwargs,
            ),
            as_json=as_json,
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path, html_path = report.write(ws.reports_dir, stem=f"quality-{stamp}")
    d = report.to_dict()
    record_audit(
        ws,
        "quality.gate",
        f"contract:{spec.name}",
        {
            "verdict": d["verdict"],
            "engine": engine,
            "as_of": d["as_of"],
            "summary": d["summary"],
            "failed_checks": sorted(
                f"{r['check']}/{r['table']}" for r in d["results"] if not r["passed"]
            ),
            "report": json_path.name,
            "report_sha256": hashlib.sha256(json_path.read_bytes()).hexdigest(),
        },
        as_json=as_json,
    )
    if html is not None:
        html.write_text(html_path.read_text("utf-8"), encoding="utf-8")
    if as_json:
        payload = report.to_dict()
        payload["report_files"] = {"json": str(json_path), "html": str(html or html_path)}
        emit_json(payload)
    else:
        _print(report.to_dict(), html or html_path)
    if report.verdict.value == "fail":
        raise typer.Exit(1)


def _print(d: dict[str, Any], html_path: Path) -> None:
    colour = {"pass": "green", "warn": "yellow", "fail": "red"}[d["verdict"]]
    s = d["summary"]
    console.print(
        f"[bold {colour}]{d['verdict'].upper()}[/]  contract {d['contract']} on {d['engine']}: "
        f"{s['checks_failed']} of {s['checks_run']} checks failed, {s['findings']:,} findings "
        f"({d['seconds']:.1f} s)",
        highlight=False,
    )
    table = Table(title_justify="left")
    for col in ("check", "table", "severity", "checked", "failed", "status"):
        table.add_column(col, justify="right" if col in ("checked", "failed") else "left")
    for r in sorted(d["results"], key=lambda r: (r["passed"], r["check"], r["table"])):
        if r["passed"] and not r["failed"]:
            continue
        status = "error: " + r["error"] if r["error"] else ("ok" if r["passed"] else "FAILED")
        table.add_row(
            r["check"], r["table"], r["severity"], f"{r['checked']:,}", f"{r['failed']:,}", status
        )
    if table.row_count:
        console.print(table)
    console.print(f"report: {html_path}", highlight=False)


@quality_app.command("profile")
def profile(
    workspace: WorkspaceOpt = Path("."),
    save: Annotated[
        bool,
        typer.Option("--save", help="Save it as the reference profile for drift checks."),
    ] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the profile here.")] = None,
    engine: Annotated[str, typer.Option("--engine", "-e", help="duckdb or spark.")] = "duckdb",
    as_json: JsonOpt = False,
) -> None:
    """Profile the lake's tables (missingness per column, source and site; distinct counts;
    numeric summaries) and optionally save it as the reference for `quality check`.

    Examples:

        wardwatch quality profile --save --workspace ward

        wardwatch quality profile --json > profile.json
    """
    from wardwatch.quality import open_engine
    from wardwatch.quality._context import CheckContext
    from wardwatch.quality.checks.profile import profile_tables, save_reference

    ws = run_guarded(lambda: open_workspace(workspace), as_json=as_json)

    def build() -> dict[str, Any]:
        with open_engine(engine, Lake(ws.lake_dir)) as eng:
            result: dict[str, Any] = profile_tables(CheckContext(engine=eng))
            return result

    prof = run_guarded(build, as_json=as_json)
    targets = [p for p in (out, _reference_path(ws) if save else None) if p is not None]
    for target in targets:
        run_guarded(partial(save_reference, prof, target), as_json=as_json)
    if as_json:
        emit_json(prof)
    else:
        for target in targets:
            console.print(f"saved profile: {target}", highlight=False)
        if not targets:
            emit_json(prof)


@quality_app.command("checks")
def checks(as_json: JsonOpt = False) -> None:
    """List the checks a contract can name, with their tables and default severity.

    Example:

        wardwatch quality checks
    """
    from wardwatch.quality import CHECKS

    rows = [
        {
            "check": c.name,
            "severity": c.severity.value,
            "tables": list(c.tables),
            "params": c.params.model_json_schema().get("properties", {}),
            "description": c.description,
        }
        for c in CHECKS.values()
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title_justify="left")
    for col in ("check", "severity", "description"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["check"], r["severity"], r["description"])
    console.print(table)


@quality_app.command("contract")
def contract() -> None:
    """Print the built-in default contract (YAML), to copy and edit.

    Example:

        wardwatch quality contract > labs.yaml
    """
    from importlib import resources

    typer.echo(
        resources.files("wardwatch.quality").joinpath("default_contract.yaml").read_text("utf-8"),
        nl=False,
    )
