"""What every command shares: ``--workspace``, ``--json``, one-line errors and progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

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

if TYPE_CHECKING:
    from wardwatch.core.workspace import Workspace

__all__ = [
    "JsonOpt",
    "WorkspaceOpt",
    "console",
    "current_actor",
    "emit_json",
    "err_console",
    "fail",
    "parse_as_of",
    "progress_bar",
    "record_audit",
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


def current_actor() -> str:
    """Who runs the command: ``WARDWATCH_ACTOR`` if set, else the operating-system user."""
    import getpass
    import os

    actor = os.environ.get("WARDWATCH_ACTOR", "").strip()
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still say something
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def record_audit(
    ws: Workspace, action: str, subject: str, payload: dict[str, Any], *, as_json: bool = False
) -> None:
    """Append a consequential action to the workspace's hash-chained audit log.

    A command whose action cannot be recorded fails (exit 2): an unaudited gate decision or
    training run must not pass as a recorded one. Patient ids in ``payload`` are
    pseudonymized by the log; direct identifiers are refused.
    """
    from wardwatch.audit import AuditLog

    def write() -> None:
        log = AuditLog.from_workspace(ws)
        try:
            log.append(current_actor(), action, subject, payload)
        finally:
            log.store.dispose()

    run_guarded(write, as_json=as_json)


def parse_as_of(text: str | None, as_json: bool) -> datetime | None:
    """An ``--as-of`` option: ISO 8601 date or time (UTC when no zone is given), or None."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"bad --as-of; expected ISO 8601 date or time; found {text!r}", as_json=as_json)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
