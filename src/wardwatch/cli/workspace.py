"""``wardwatch init``: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wardwatch.cli._common import JsonOpt, console, emit_json, run_guarded
from wardwatch.core.workspace import init_workspace

__all__ = ["init"]


def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder to create the workspace in (default: here).")
    ] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Rewrite wardwatch.toml if one exists.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a workspace: wardwatch.toml and .wardwatch/ (SQLite store, Parquet lake, reports).

    Examples:

        wardwatch init ./ward

        wardwatch init --force .
    """
    ws = run_guarded(lambda: init_workspace(directory, force=force), as_json=as_json)
    info = {
        "workspace": str(ws.root),
        "store": ws.store_url,
        "lake": str(ws.lake_dir),
        "reports": str(ws.reports_dir),
    }
    if as_json:
        emit_json(info)
    else:
        console.print(f"[green]workspace ready[/] {ws.root}")
        for k in ("store", "lake", "reports"):
            console.print(f"  {k:8} {info[k]}", highlight=False)
