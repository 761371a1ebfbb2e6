"""``wardwatch serve``: the scoring service (FastAPI on uvicorn)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from wardwatch.cli._common import WorkspaceOpt, console, run_guarded
from wardwatch.core.workspace import open_workspace

__all__ = ["serve"]


def serve(
    model: Annotated[
        list[str],
        typer.Option("--model", "-m", help="Registered model to serve (repeatable)."),
    ],
    workspace: WorkspaceOpt = Path("."),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (one per core is typical).")
    ] = 1,
    operating_point: Annotated[
        str | None,
        typer.Option(help="Operating point of the evaluation whose threshold decides."),
    ] = None,
    canary_percent: Annotated[
        float, typer.Option(min=0, max=100, help="Share of requests the challenger answers.")
    ] = 0.0,
    shadow: Annotated[
        bool, typer.Option("--shadow", help="Score with the challenger too (logged only).")
    ] = False,
    rate: Annotated[
        float, typer.Option(min=0, help="Requests a second per API key (0: unlimited).")
    ] = 0.0,
    max_rows: Annotated[int, typer.Option(min=1, max=1000, help="Rows per request.")] = 100,
    public_url: Annotated[
        str | None, typer.Option(help="The URL clients use (CDS Hooks audience, links).")
    ] = None,
    dashboard_url: Annotated[
        str | None,
        typer.Option(help="The dashboard's base URL for CDS card links (default: PUBLIC_URL/ui)."),
    ] = None,
    cds_issuers: Annotated[
        Path | None,
        typer.Option(
            help="JSON list of EHRs allowed to call CDS Hooks: "
            '[{"iss": ..., "jku": [URL, ...], "keys": {"keys": [JWK, ...]}}].'
        ),
    ] = None,
    fhir_server: Annotated[
        list[str] | None,
        typer.Option(help="A fhirServer value hook calls may carry (repeatable; never queried)."),
    ] = None,
) -> None:
    """Serve registered models: REST predictions with explanations, CDS Hooks, FHIR,
    and the web dashboard under /ui/ (sign in with an API key).

    The champion of each model answers; --canary-percent sends that share of requests to
    the challenger, --shadow scores them with it too without answering. Promotions and
    rollbacks in the registry take effect within about a second, without a restart.
    Callers authenticate with API keys from `wardwatch registry identity create`.
    SIGTERM drains the prediction log before exit.

    Examples:

        wardwatch serve -m readmission-30d --port 8000

        wardwatch serve -m readmission-30d --canary-percent 10 --rate 50
    """
    import uvicorn

    from wardwatch.serve import ServeSettings
    from wardwatch.serve._factory import SPEC_ENV, load_issuers, spec_json
    from wardwatch.web import build_web_app

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # LightGBM: one thread per worker
    ws = run_guarded(lambda: open_workspace(workspace))
    url = public_url or f"http://{host}:{port}"
    settings = ServeSettings(
        models=tuple(model),
        operating_point=operating_point,
        canary_percent=canary_percent,
        shadow=shadow,
        rate=rate,
        max_rows=max_rows,
        public_url=url,
        dashboard_url=dashboard_url or f"{url.rstrip('/')}/ui",
        cds_issuers=run_guarded(lambda: load_issuers(cds_issuers)),
        fhir_servers=tuple(fhir_server or ()),
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    target: Any
    if workers > 1:
        # each worker process builds its own app from the same description
        os.environ[SPEC_ENV] = spec_json(ws.root, settings, cds_issuers)
        target = "wardwatch.web:app_from_env"
    else:
        target = run_guarded(lambda: build_web_app(ws, settings))
    console.print(
        f"serving {', '.join(model)} on {settings.public_url} ({workers} worker(s)); "
        f"dashboard {settings.public_url.rstrip('/')}/ui/",
        highlight=False,
    )
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # access lines carry paths and client addresses, not needed
        timeout_graceful_shutdown=30,
    )
