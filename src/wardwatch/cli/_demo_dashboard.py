"""The demo's last step: the scoring service with its dashboard, left running.

The service serves the demo's use case on 127.0.0.1 (port 8000, or a free one when 8000 is
taken) with the dashboard under ``/ui/``; the demo prints the URL and who can sign in (the
demo's people and their API keys are in ``.wardwatch/demo-keys.json``) and serves until
Ctrl-C, which drains the prediction log like ``wardwatch serve``.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from wardwatch.core.workspace import Workspace

__all__ = ["dashboard_server", "pick_port", "serve_until_interrupted"]


def pick_port(host: str, wanted: int) -> int:
    """``wanted`` when it is free on ``host``, else (or for 0) a free port the system
    picks."""
    if wanted:
        with socket.socket() as s:
            try:
                s.bind((host, wanted))
                return wanted
            except OSError:
                pass
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def dashboard_server(
    ws: Workspace, usecase: str, *, host: str = "127.0.0.1", port: int = 8000
) -> tuple[Any, str]:
    """A uvicorn server (not started: call ``run()``) of the service with the dashboard,
    and the dashboard's URL."""
    import uvicorn

    from wardwatch.serve import ServeSettings
    from wardwatch.web import build_web_app

    port = pick_port(host, port)
    url = f"http://{host}:{port}"
    settings = ServeSettings(models=(usecase,), public_url=url, dashboard_url=f"{url}/ui")
    app = build_web_app(ws, settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=30)  # fmt: skip
    return uvicorn.Server(config), f"{url}/ui/"


def serve_until_interrupted(server: Any, url: str, on_ready: Callable[[], None]) -> None:
    """Run ``server`` in a thread, call ``on_ready`` once ``url`` answers (the service is
    up when the demo prints its URL), and serve until Ctrl-C or SIGTERM; then stop it
    gracefully (the prediction log is drained on shutdown)."""
    thread = threading.Thread(target=server.run, name="wardwatch-dashboard", daemon=True)
    thread.start()
    base = url.removesuffix("/ui/")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and thread.is_alive():
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    on_ready()

    def stop(_sig: int, _frame: object) -> None:
        server.should_exit = True  # uvicorn drains and shuts down; no KeyboardInterrupt

    before = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while thread.is_alive():
            thread.join(0.5)
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
