"""What every command shares: ``--workspace``, ``--json``, one-line errors and progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from wardwatch.errors import WardwatchError

__all__ = [
    "JsonOpt",
    "WorkspaceOpt",
    "console",
    "emit_json",
    "err_console",
    "fail",
    "progress_bar",
    "run_guarded",
]

console = Console()
"""Results for people, on stdout."""
err_console = Console(stderr=True)
"""Errors and progress, on stderr (stdout stays clean for --json)."""

WorkspaceOpt = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (holds wardwatch.toml). Default: the current folder.",
        envvar="WARDWATCH_WORKSPACE",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print a machine-readable JSON result on stdout.")
]


def emit_json(payload: Any) -> None:
    """Write ``payload`` as indented JSON on stdout (dates, paths and dataclasses serialized)."""
    sys.stdout.write(
        orjson.dumps(
            payload, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=_default
        ).decode()
        + "\n"
    )


def _default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(type(obj).__name__)


def fail(message: str, *, as_json: bool = False, code: int = 2) -> NoReturn:
    """Print a one-line error (as JSON too when asked) and exit with ``code``."""
    if as_json:
        emit_json({"error": message})
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def run_guarded(fn: Callable[[], Any], *, as_json: bool = False) -> Any:
    """Run ``fn``; a :class:`WardwatchError` or an OS error becomes a one-line message, exit 2."""
    try:
        return fn()
    except WardwatchError as exc:
        fail(str(exc), as_json=as_json)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "), as_json=as_json)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr; silent when ``enabled`` is false or stderr is no terminal."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=not enabled,
        transient=True,
    ) as progress:
        yield progress
