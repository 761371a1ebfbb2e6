"""``wardwatch.toml``: the workspace settings, validated with clear errors.

Relative paths in the file are relative to the workspace folder. The store URL may be given
by the environment (``WARDWATCH_STORE_URL``) so that a secret password never sits in the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wardwatch.errors import ConfigError

__all__ = [
    "LakeSettings",
    "MlflowSettings",
    "OrganizationSettings",
    "PrivacySettings",
    "Settings",
    "StoreSettings",
    "load_settings",
]

STORE_URL_ENV = "WARDWATCH_STORE_URL"
MLFLOW_URI_ENV = "WARDWATCH_MLFLOW_URI"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Strict):
    """Where operational state lives: a SQLAlchemy URL (SQLite by default, or PostgreSQL)."""

    url: str = "sqlite:///.wardwatch/wardwatch.db"


class LakeSettings(_Strict):
    """Where analytic tables live (Parquet)."""

    path: str = ".wardwatch/lake"


class PrivacySettings(_Strict):
    """PHI safeguards: report cells smaller than ``min_cell_size`` are suppressed."""

    min_cell_size: int = Field(default=11, ge=1)


class IngestSettings(_Strict):
    """Ingest limits: records above these sizes are quarantined, never loaded whole."""

    max_record_bytes: int = Field(default=64 * 2**20, ge=1024)
    max_bundle_bytes: int = Field(default=2**30, ge=1024)
    row_group_rows: int = Field(default=32_768, ge=1_000)


class MlflowSettings(_Strict):
    """Where MLflow keeps runs and the model registry.

    ``tracking_uri`` is a SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``);
    empty means SQLite in the workspace (``.wardwatch/mlflow.db``). ``artifacts`` is where
    model files go (a folder, relative to the workspace, or a URI); empty means
    ``.wardwatch/mlruns``. ``WARDWATCH_MLFLOW_URI`` in the environment overrides the URI.
    """

    tracking_uri: str = ""
    artifacts: str = ""


class OrganizationSettings(_Strict):
    """Who develops the models of this workspace, for model cards (HTI-1 source attributes
    "developer" and "funding"); empty values are marked on the card as needing a person."""

    name: str = ""
    contact: str = ""
    funding: str = ""


class WorkspaceSection(_Strict):
    name: str = "wardwatch"
    created: str | None = None


class Settings(_Strict):
    """The whole of ``wardwatch.toml``."""

    workspace: WorkspaceSection = WorkspaceSection()
    store: StoreSettings = StoreSettings()
    lake: LakeSettings = LakeSettings()
    privacy: PrivacySettings = PrivacySettings()
    ingest: IngestSettings = IngestSettings()
    mlflow: MlflowSettings = MlflowSettings()
    organization: OrganizationSettings = OrganizationSettings()


def load_settings(path: Path) -> Settings:
    """Read and validate ``wardwatch.toml``; a bad key or value is a one-line ConfigError."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "wardwatch.toml is not valid TOML",
            record=str(path),
            found=str(exc),
            hint="fix the syntax or run `wardwatch init --force`",
        ) from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            "invalid setting",
            record=str(path),
            field=loc,
            expected=err["msg"],
            found=repr(err.get("input"))[:60],
        ) from None
    env_url = os.environ.get(STORE_URL_ENV)
    if env_url:
        settings = settings.model_copy(update={"store": StoreSettings(url=env_url)})
    env_mlflow = os.environ.get(MLFLOW_URI_ENV)
    if env_mlflow:
        settings = settings.model_copy(
            update={"mlflow": settings.mlflow.model_copy(update={"tracking_uri": env_mlflow})}
        )
    return settings
