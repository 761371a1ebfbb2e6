"""Promotion and rollback reach a running service within seconds, under load, without a
failed request; canary and shadow traffic; SIGTERM drains every record to the audit log
and the prediction log."""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from tests.serve.conftest import USECASE, Served, ServedWs, start_server, stop_server
from tests.serve.test_api import PATH, rows

from wardwatch.audit import AuditLog
from wardwatch.registry import Registry, authenticate

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


class Load:
    """Requests from ``threads`` threads until stopped; every response's status and version."""

    def __init__(self, server: Served, key: str, threads: int = 3) -> None:
        self.server, self.key = server, key
        self.results: list[tuple[float, int, int | None]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, i: int) -> None:
        body = {"rows": rows(1, seed=20 + i)}
        with self.server.client(self.key) as c:
            while not self._stop.is_set():
                try:
                    r = c.post(PATH, json=body)
                    version = r.json().get("version") if r.status_code == 200 else None
                    status = r.status_code
                except Exception:
                    status, version = -1, None
                with self._lock:
                    self.results.append((time.monotonic(), status, version))

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def wait_for(self, version: int, timeout: float = 20.0) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            with self._lock:
                recent = [v for at, _, v in self.results[-5:] if at > t0]
            if recent and all(v == version for v in recent):
                return time.monotonic() - t0
            time.sleep(0.05)
        raise AssertionError(f"version {version} was not served within {timeout} s")


def test_rollback_under_load_fails_no_request(
    server: Served, served_ws: ServedWs, tmp_path: Path
) -> None:
    v1, v2 = served_ws.versions["logreg"], served_ws.versions["lgbm"]
    reg = Registry.from_workspace(served_ws.ws)
    approver = authenticate(reg.store, served_ws.keys["ann"])
    try:
        with Load(server, served_ws.keys["cleo"]) as load:
            load.wait_for(v1)
            reg.promote(USECASE, v2, identity=approver, reason="better calibrated")
            to_v2 = load.wait_for(v2)
            reg.rollback(USECASE, identity=approver, reason="alert storm")
            to_v1 = load.wait_for(v1)
            time.sleep(0.5)
    finally:
        reg.close()
    statuses = Counter(s for _, s, _ in load.results)
    assert statuses == Counter({200: len(load.results)}), statuses
    assert {v for *_, v in load.results} == {v1, v2}
    assert to_v2 < 10
    assert to_v1 < 10
    # every response after the switch is labelled with the version that served it, in order
    versions = [v for *_, v in load.results]
    switches = [b for a, b in itertools.pairwise(versions) if a != b]
    assert switches[0] == v2
    assert switches[-1] == v1
    # the service recorded the reloads in the audit log
    log = AuditLog.from_workspace(served_ws.ws)
    reloads = [e.payload for e in log.events(action="serve.reload")]
    assert {"alias": "champion", "model_version": v2, "name": USECASE} in reloads
    # SIGTERM drains: one audit event and one log row per successful prediction
    served = sum(1 for _, s, _ in load.results if s == 200)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it: exit status -15
    assert stop_server(server) in (0, -signal.SIGTERM)
    events = log.events(action="serve.predict")
    log_rows = ds.dataset(served_ws.ws.lake_dir / "predictions", partitioning="hive").to_table()
    assert len(events) == served
    assert log_rows.num_rows == len(events)
    assert log.verify().ok


def test_canary_and_shadow(served_ws: ServedWs, tmp_path: Path) -> None:
    v1, v2 = served_ws.versions["logreg"], served_ws.versions["lgbm"]
    reg = Registry.from_workspace(served_ws.ws)
    try:
        approver = authenticate(reg.store, served_ws.keys["ann"])
        if reg.alias_versions(USECASE)["challenger"] != v2:
            reg.promote(USECASE, v2, identity=approver, alias="challenger", reason="canary")
    finally:
        reg.close()
    canary = start_server(served_ws.ws, tmp_path / "canary.log", "--canary-percent", "30")
    try:
        seen = Counter()
        with canary.client(served_ws.keys["cleo"]) as c:
            for i in range(200):
                body = c.post(
                    PATH, json={"rows": rows(1)}, headers={"X-Request-ID": f"a{i:08d}"}
                ).json()
                seen[(body["alias"], body["version"])] += 1
    finally:
        stop_server(canary)
    assert set(seen) == {("champion", v1), ("challenger", v2)}
    assert 0.15 < seen[("challenger", v2)] / 200 < 0.45
    shadow = start_server(served_ws.ws, tmp_path / "shadow.log", "--shadow")
    try:
        with shadow.client(served_ws.keys["cleo"]) as c:
            for i in range(20):
                body = c.post(
                    PATH, json={"rows": rows(1)}, headers={"X-Request-ID": f"b{i:08d}"}
                ).json()
                assert (body["alias"], body["version"]) == ("champion", v1)
    finally:
        stop_server(shadow)
    table = ds.dataset(served_ws.ws.lake_dir / "predictions", partitioning="hive").to_table()
    shadowed = table.filter(ds.field("shadow")).to_pylist()
    assert len([r for r in shadowed if r["request_id"].startswith("b")]) == 20
    assert {r["version"] for r in shadowed} == {v2}
