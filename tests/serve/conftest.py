"""A served workspace: two registered versions of the small use case (logreg promoted to
champion, LightGBM approved), API keys, and a real ``wardwatch serve`` on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.registry.conftest import LENIENT, USECASE, Trained, make_people, stage
from tests.registry.conftest import trained as trained

from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.registry import Registry, create_identity, parse_policy

__all__ = ["USECASE", "Served", "ServedWs", "free_port", "start_server", "stop_server"]


@dataclass(frozen=True)
class ServedWs:
    ws: Workspace
    keys: dict[str, str]
    versions: dict[str, int]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served_ws(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> ServedWs:
    ws = init_workspace(tmp_path_factory.mktemp("served") / "ws")
    stage(trained, ws)
    reg = Registry.from_workspace(ws)
    try:
        people = make_people(reg.store, reg.audit)
        policy = parse_policy(LENIENT)
        versions = {}
        for name in ("logreg", "lgbm"):
            v = reg.register(USECASE, model=name, identity=people.engineer, policy=policy)
            reg.approve(USECASE, v.version, identity=people.approver, comment="ok")
            versions[name] = v.version
        reg.promote(USECASE, versions["logreg"], identity=people.engineer, reason="first")
        keys = dict(people.keys)
        keys["scoped-other"] = create_identity(
            reg.store, "app", "clinician", by=people.admin, audit=reg.audit, models=["other"]
        )[1]
        keys["scoped-ok"] = create_identity(
            reg.store, "app2", "clinician", by=people.admin, audit=reg.audit, models=[USECASE]
        )[1]
    finally:
        reg.close()
    return ServedWs(ws, keys, versions)


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[str]
    log: Path

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def start_server(ws: Workspace, log: Path, *extra: str) -> Served:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "WARDWATCH_STORE_URL"}
    fh = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "wardwatch", "serve", "-w", str(ws.root), "-m", USECASE,
         "--port", str(port), *extra],
        stdout=fh, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return Served(url, proc, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the server did not get ready: {log.read_text()[-3000:]}")


def stop_server(served: Served) -> int:
    """SIGTERM, as an orchestrator stops it; the exit code."""
    if served.proc.poll() is None:
        served.proc.send_signal(signal.SIGTERM)
        try:
            served.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            served.proc.kill()
    return int(served.proc.returncode)


@pytest.fixture(scope="module")
def server(served_ws: ServedWs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(served_ws.ws, tmp_path_factory.mktemp("serve-log") / "server.log")
    yield served
    stop_server(served)
