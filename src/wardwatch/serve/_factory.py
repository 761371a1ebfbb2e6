"""Building the app from a plain description, so that uvicorn's worker processes can.

With ``--workers N`` uvicorn imports the app in each worker process by name: the CLI puts
what it was told (workspace, settings, the CDS issuers file) in ``WARDWATCH_SERVE_SPEC`` as
JSON and each worker calls :func:`app_from_env`. Each worker follows the registry, scores
and writes its own audit batches (the audit log serializes writers) and prediction-log files.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import orjson

from wardwatch.core.workspace import open_workspace
from wardwatch.errors import ConfigError
from wardwatch.serve._jwt import TrustedIssuer
from wardwatch.serve._service import ServeSettings

__all__ = ["SPEC_ENV", "app_from_env", "load_issuers", "spec_json"]

SPEC_ENV = "WARDWATCH_SERVE_SPEC"


def load_issuers(path: Path | None) -> tuple[TrustedIssuer, ...]:
    """The trusted EHRs of a CDS issuers file: a JSON list of ``{"iss", "jku", "keys"}``
    (one-line errors naming the entry)."""
    if path is None:
        return ()
    try:
        items = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError(
            "cannot read the CDS issuers file", record=str(path), found=type(exc).__name__
        ) from None
    if not isinstance(items, list):
        raise ConfigError("CDS issuers must be a JSON list", record=str(path))
    out = []
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not isinstance(it.get("iss"), str):
            raise ConfigError("a CDS issuer needs an iss", record=str(path), field=f"[{i}].iss")
        out.append(
            TrustedIssuer(iss=it["iss"], jku=tuple(it.get("jku") or ()), keys=it.get("keys"))
        )
    return tuple(out)


def spec_json(workspace: Path, settings: ServeSettings, issuers_file: Path | None) -> str:
    """What :func:`app_from_env` needs, as JSON."""
    plain = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    plain["cds_issuers"] = []
    return orjson.dumps(
        {
            "workspace": str(workspace.resolve()),
            "settings": plain,
            "issuers": str(issuers_file.resolve()) if issuers_file else None,
        }
    ).decode()


def app_from_env() -> Any:
    """The app described by ``WARDWATCH_SERVE_SPEC`` (uvicorn's factory in each worker)."""
    from wardwatch.serve import build_app

    spec = orjson.loads(os.environ[SPEC_ENV])
    values = dict(spec["settings"])
    for key in ("models", "fhir_servers"):
        values[key] = tuple(values.get(key) or ())
    issuers = Path(spec["issuers"]) if spec.get("issuers") else None
    values["cds_issuers"] = load_issuers(issuers)
    return build_app(open_workspace(Path(spec["workspace"])), ServeSettings(**values))
