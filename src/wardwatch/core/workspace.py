"""A workspace: a folder with ``wardwatch.toml`` and ``.wardwatch/`` (store, lake, reports).

Every command runs against one workspace (``--workspace``, default: the current folder).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wardwatch.core.settings import Settings, load_settings
from wardwatch.errors import WorkspaceError

__all__ = ["CONFIG_NAME", "Workspace", "init_workspace", "open_workspace"]

CONFIG_NAME = "wardwatch.toml"
STATE_DIR = ".wardwatch"

_TEMPLATE = """\
# wardwatch workspace settings. Paths are relative to this folder.
[workspace]
name = "{name}"
created = "{created}"

[store]
# SQLAlchemy URL. SQLite in the workspace by default; for PostgreSQL use e.g.
# postgresql+psycopg://user@host:5432/wardwatch (or set WARDWATCH_STORE_URL).
url = "sqlite:///.wardwatch/wardwatch.db"

[lake]
path = ".wardwatch/lake"

[privacy]
# Report cells (subgroups, counts) smaller than this are suppressed.
min_cell_size = 11

[mlflow]
# MLflow runs and model registry: empty = SQLite in .wardwatch/mlflow.db; or a URL such as
# postgresql+psycopg://user@host:5432/mlflow (or set WARDWATCH_MLFLOW_URI).
tracking_uri = ""
# Model artifacts: empty = .wardwatch/mlruns; or a folder or URI.
artifacts = ""

[organization]
# Shown on model cards (ONC HTI-1 developer and funding attributes).
name = ""
contact = ""
funding = ""
"""


@dataclass(frozen=True)
class Workspace:
    """An opened workspace: its root folder and validated settings."""

    root: Path
    settings: Settings

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def lake_dir(self) -> Path:
        return self.resolve(self.settings.lake.path)

    @property
    def reports_dir(self) -> Path:
        return self.state_dir / "reports"

    @property
    def mlruns_dir(self) -> Path:
        return self.state_dir / "mlruns"

    @property
    def store_url(self) -> str:
        """The store URL with a relative SQLite path made absolute against the workspace."""
        return self.absolute_url(self.settings.store.url)

    def absolute_url(self, url: str) -> str:
        """A SQLAlchemy URL with a relative SQLite path made absolute against the workspace
        (other URLs unchanged)."""
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url

    def secret(self) -> bytes:
        """The workspace secret (HMAC key for patient pseudonyms); created on first use."""
        path = self.state_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())

    def resolve(self, p: str) -> Path:
        """``p`` as a path: relative paths are relative to the workspace folder."""
        path = Path(p)
        return path if path.is_absolute() else self.root / path


def init_workspace(directory: Path, *, force: bool = False) -> Workspace:
    """Create a workspace in ``directory`` (created if needed) and its store schema.

    Refuses to overwrite an existing ``wardwatch.toml`` unless ``force`` is set; with ``force``
    the settings file is rewritten and the state folder kept.
    """
    directory = directory.resolve()
    config = directory / CONFIG_NAME
    if config.exists() and not force:
        raise WorkspaceError(
            "a workspace already exists here",
            record=str(directory),
            hint="use it as it is, or pass --force to rewrite its settings",
        )
    directory.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    config.write_text(_TEMPLATE.format(name=directory.name, created=created), encoding="utf-8")
    ws = open_workspace(directory)
    for sub in (ws.state_dir, ws.lake_dir, ws.reports_dir):
        sub.mkdir(parents=True, exist_ok=True)
    ws.secret()
    from wardwatch.core.store import Store

    Store(ws.store_url).create_all()
    return ws


def open_workspace(directory: Path | None = None) -> Workspace:
    """Open the workspace at ``directory`` (default: the current folder)."""
    root = (directory or Path.cwd()).resolve()
    config = root / CONFIG_NAME
    if not config.is_file():
        raise WorkspaceError(
            "no workspace here",
            record=str(root),
            expected=CONFIG_NAME,
            found="nothing",
            hint=f"run `wardwatch init {root}` or pass --workspace",
        )
    return Workspace(root=root, settings=load_settings(config))
