"""MLflow's model registry, opened quietly for the length of a ``with`` block.

MLflow is imported lazily (seconds) with telemetry off unless the user set
``MLFLOW_DISABLE_TELEMETRY``. Its registry store looks logged models up through a client made
from the process-wide tracking URI, so the block sets that URI and restores it (and the
variable MLflow mirrors it into) afterwards; a notebook's own MLflow set-up is left as it
was. MLflow's INFO logs, warnings and download progress bars stay off the console.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from wardwatch.core.store import normalize_url
from wardwatch.registry._errors import RegistryError

__all__ = ["mlflow_client", "mlflow_error", "not_found", "redact"]

_QUIET = ("mlflow", "alembic")
_ENV = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


@contextmanager
def mlflow_client(tracking_uri: str) -> Iterator[Any]:
    """An ``MlflowClient`` for the tracking and registry store at ``tracking_uri``."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow
    from mlflow.tracking._tracking_service import utils as tracking_utils

    uri = normalize_url(tracking_uri)
    saved_uri = getattr(tracking_utils, "_tracking_uri", None)
    saved_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", *_ENV)}
    levels = {name: logging.getLogger(name).level for name in _QUIET}
    try:
        for name in _QUIET:
            logging.getLogger(name).setLevel(logging.ERROR)
        os.environ.update(_ENV)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"mlflow(\..*)?$")
            mlflow.set_tracking_uri(uri)
            try:
                client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
            except mlflow.exceptions.MlflowException as exc:
                raise mlflow_error(exc, "cannot open the MLflow store", uri) from None
            yield client
    finally:
        mlflow_any: Any = mlflow  # the saved URI may be None (MLflow's default)
        mlflow_any.set_tracking_uri(saved_uri)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def mlflow_error(exc: Exception, message: str, record: str | None = None) -> RegistryError:
    """A one-line :class:`RegistryError` from an MLflow exception."""
    text = str(getattr(exc, "message", "") or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return RegistryError(message, record=redact(record) if record else None, found=first[:200])


def redact(uri: str) -> str:
    """A database URI without its password (other URIs as they are)."""
    import sqlalchemy as sa

    if "://" not in uri or uri.startswith(("file:", "http")):
        return uri
    try:
        return sa.engine.make_url(uri).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URI>"


def not_found(exc: Exception) -> bool:
    """Whether an MLflow exception says that the thing asked for does not exist."""
    code = str(getattr(exc, "error_code", ""))
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or (
        code == "INVALID_PARAMETER_VALUE" and "not found" in str(exc).lower()
    )
