"""Scoring-service benchmark: ``wardwatch serve`` against ``mlflow models serve``, one model.

Builds, in a temporary folder (or ``--workspace``), everything the service needs: a
workspace, a use case of 30 features (demographics, the stay, comorbidity indices, prior
utilization, abnormal labs, medications and 15 lab and vital-sign statistics over LOINC
codes), a seeded synthetic training frame, a calibrated LightGBM model (200 trees, 31
leaves) trained into the workspace's MLflow, its clinical evaluation, quality and leakage
reports, a registered version approved by a second person and promoted to champion, and a
clinician API key. Then it starts, on 127.0.0.1, in the same run:

* ``wardwatch serve`` (one worker): each request is one row of all 30 features, answered
  with the calibrated risk, band, decision and the top-5 explanations (exact TreeSHAP), and
  audited (one hash-chained ``serve.predict`` event and one prediction-log row);
* ``mlflow models serve --env-manager local`` (one worker) on the very same MLflow model,
  sent the same rows (``dataframe_split``), answering ``predict_proba`` only.

Both run with ``OMP_NUM_THREADS=1`` (DESIGN.md: LightGBM's default threading collapses a
server's throughput). The load generator is this process: raw HTTP/1.1 keep-alive on asyncio
streams (uvloop when installed), one connection per concurrent request, pre-encoded
requests, each a row not sent before (index events of patients the model was not trained
on; up to 60,000, then they repeat), a 10 s timeout per request. Two modes:

* closed loop: a fixed number of requests at a fixed concurrency -> throughput, latency;
* open loop: requests scheduled at a fixed rate for a fixed time; latency is measured from
  each request's *scheduled* send time, so a stalled server is charged for the requests it
  held back (no coordinated omission).

The generator's own ceiling is measured too: a closed loop and an open loop against a
trivial asyncio HTTP server (``ok`` to every request), and a closed loop against
``/healthz`` (the service's framework floor). After the load, the service is stopped with
SIGTERM (its sink drains) and the audit log must hold one ``serve.predict`` event per
answered prediction, with the chain verified.

Goals (issue), on this 2-core machine: predictions with top-5 explanations and audit at
>= 1,000 requests/s; at an offered 500 requests/s for 60 s, 0 errors and p99 <= 25 ms;
throughput >= 10x ``mlflow models serve``. The generator shares the 2 cores with the
server and other work on the machine slows every figure, so each is printed with the
1-minute load average.

Besides latency, each row shows the server's CPU milliseconds per request (all its
processes and threads, from /proc), which other load on the machine barely changes. At the
end, one prediction's server CPU is broken down section by section (TreeSHAP, scoring,
factors, audit record, sink write, the HTTP floor), timed in this process.

    python bench/serve.py [--requests 20000] [--concurrency 32] [--rate 500] [--duration 60]
                          [--mlflow-requests 2000] [--mlflow-rate 50] [--mlflow-duration 20]
                          [--skip-mlflow] [--patients 6000] [--workspace DIR] [--quick]
                          [--no-breakdown]

``--quick`` is a smoke run: about 25 s of load, plus the set-up (training, about 10-20 s)
and the two servers' start-up (about 15-25 s each here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NAME = "bench-readmission"
GOAL_RPS = 1000.0
GOAL_P99_MS = 25.0
GOAL_RATIO = 10.0
TIMEOUT_S = 10.0
MAX_ROWS = 60_000

# -- the use case: 30 features ----------------------------------------------------------------

LABS: list[tuple[str, str, str, float, float, float]] = [
    # name, LOINC, stat, window days, mean, sd
    ("sodium_last", "2951-2", "last", 14, 139.0, 4.0),
    ("potassium_last", "2823-3", "last", 14, 4.2, 0.5),
    ("creatinine_last", "2160-0", "last", 14, 1.1, 0.5),
    ("creatinine_delta", "2160-0", "delta", 14, 0.0, 0.3),
    ("hemoglobin_min", "718-7", "min", 14, 11.5, 1.8),
    ("wbc_max", "6690-2", "max", 14, 9.0, 3.0),
    ("glucose_mean", "2345-7", "mean", 14, 125.0, 35.0),
    ("bnp_last", "30934-4", "last", 30, 300.0, 250.0),
    ("bun_last", "3094-0", "last", 14, 18.0, 8.0),
    ("albumin_min", "1751-7", "min", 14, 3.6, 0.5),
    ("platelets_last", "777-3", "last", 14, 240.0, 70.0),
    ("lactate_max", "2524-7", "max", 3, 1.6, 0.8),
    ("heart_rate_mean", "8867-4", "mean", 1, 82.0, 14.0),
    ("sbp_min", "8480-6", "min", 1, 112.0, 16.0),
    ("spo2_min", "59408-5", "min", 1, 94.0, 3.0),
]
CATEGORIES: dict[str, tuple[list[str], list[float]]] = {
    "sex": (["female", "male", "unknown"], [0.52, 0.47, 0.01]),
    "race": (["white", "black", "asian", "other"], [0.62, 0.18, 0.08, 0.12]),
    "ethnicity": (["not-hispanic", "hispanic", "unknown"], [0.78, 0.17, 0.05]),
    "disposition": (["home", "snf", "hha", "ama"], [0.6, 0.2, 0.18, 0.02]),
    "admit_source": (["emergency", "referral", "transfer"], [0.7, 0.25, 0.05]),
    "diagnosis_group": (["I50", "J44", "N18", "E11", "A41", "other"],
                        [0.15, 0.12, 0.08, 0.1, 0.05, 0.5]),
}  # fmt: skip
FEATURES: list[dict[str, Any]] = [
    *({"name": f, "kind": "demographic", "field": f} for f in ("age", "sex", "race", "ethnicity")),
    *(
        {"name": f, "kind": "stay", "field": f}
        for f in ("los_days", "disposition", "admit_source", "diagnosis_group")
    ),
    {"name": "charlson", "kind": "comorbidity", "field": "charlson"},
    {"name": "elixhauser", "kind": "comorbidity", "field": "elixhauser"},
    {"name": "prior_ip_365d", "kind": "utilization", "classes": ["IMP"], "window_days": 365},
    {"name": "prior_ed_180d", "kind": "utilization", "classes": ["EMER"], "window_days": 180},
    {"name": "prior_amb_365d", "kind": "utilization", "classes": ["AMB"], "window_days": 365},
    {"name": "abnormal_labs", "kind": "abnormal_labs", "window_days": 14,
     "codes": ["2951-2", "2823-3", "718-7", "6690-2", "2160-0", "2345-7", "30934-4"]},
    {"name": "medications_90d", "kind": "medications", "window_days": 90},
    *({"name": n, "kind": "lab", "code": c, "stat": s, "window_days": w}
      for n, c, s, w, _, _ in LABS),
]  # fmt: skip
QUALITY = {
    "verdict": "pass",
    "summary": {"checks_run": 12, "checks_failed": 0, "findings": 0},
    "contract": "default",
    "started_at": "2026-11-01T08:00:00+00:00",
}
POLICY = {"name": "bench", "gates": [{"check": "quality_passed"}, {"check": "leakage_clean"}]}


def _load() -> str:
    """The 1-minute load average: other work on the machine slows every figure down."""
    return f"load {os.getloadavg()[0]:.1f}"


def usecase_doc(n_bootstrap: int) -> dict[str, Any]:
    assert len(FEATURES) == 30
    return {
        "name": NAME,
        "description": "Benchmark: 30-day readmission risk from 30 features.",
        "features": FEATURES,
        "subgroups": ["sex", "site"],
        "split": {"train": 0.6, "calibration": 0.15, "validation": 0.1, "test": 0.15},
        "models": [
            {
                "name": "lgbm",
                "family": "lightgbm",
                "params": {"n_estimators": 200, "num_leaves": 31, "learning_rate": 0.05},
            }
        ],
        "calibration": {"method": "sigmoid"},
        "evaluation": {"n_bootstrap": n_bootstrap},
    }


def make_frame(n_patients: int, seed: int) -> pd.DataFrame:
    """Index events of ``n_patients`` patients (1-4 each over two years): ids, times, label,
    subgroup columns and the 30 features (NaN/None missing at random)."""
    rng = np.random.default_rng(seed)
    per = np.minimum(rng.geometric(0.55, size=n_patients), 4)
    pids = np.array([f"pt-{i:010x}" for i in rng.permutation(16 * n_patients)[:n_patients]])
    patient = np.repeat(pids, per)
    n = len(patient)
    start = pd.Timestamp("2021-01-01", tz="UTC")
    offsets = rng.integers(0, 730 * 86400, size=n)
    times = pd.Series((start + pd.to_timedelta(offsets, unit="s")).astype("datetime64[us, UTC]"))
    cols: dict[str, Any] = {}
    for name, (levels, p) in CATEGORIES.items():
        cols[name] = rng.choice(np.array(levels, dtype=object), p=p, size=n)
    cols["age"] = rng.normal(65, 15, size=n).clip(18, 100).round()
    cols["los_days"] = rng.gamma(2.0, 2.5, size=n).round(1)
    cols["charlson"] = rng.poisson(2.0, size=n).astype(np.float64)
    cols["elixhauser"] = rng.poisson(3.0, size=n).astype(np.float64)
    cols["prior_ip_365d"] = rng.poisson(0.6, size=n).astype(np.float64)
    cols["prior_ed_180d"] = rng.poisson(0.9, size=n).astype(np.float64)
    cols["prior_amb_365d"] = rng.poisson(4.0, size=n).astype(np.float64)
    cols["abnormal_labs"] = rng.poisson(2.0, size=n).astype(np.float64)
    cols["medications_90d"] = rng.poisson(6.0, size=n).astype(np.float64)
    for name, _, _, _, mean, sd in LABS:
        cols[name] = rng.normal(mean, sd, size=n).round(2)
    z = {k: (v - np.mean(v)) / (np.std(v) or 1.0) for k, v in cols.items() if k not in CATEGORIES}
    logit = (
        -1.9
        + 0.5 * z["age"]
        + 0.45 * z["charlson"]
        + 0.35 * z["los_days"]
        + 0.4 * z["prior_ip_365d"]
        + 0.2 * z["prior_ed_180d"]
        + 0.3 * z["bnp_last"]
        + 0.25 * z["creatinine_last"]
        - 0.25 * z["albumin_min"]
        - 0.2 * z["hemoglobin_min"]
        + 0.15 * z["abnormal_labs"]
        + 0.9 * (cols["disposition"] == "snf")
        + 0.4 * (cols["diagnosis_group"] == "I50")
        + 0.2 * (cols["sex"] == "male")
    )
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    frame = pd.DataFrame(
        {
            "index_id": [f"ix-{i:012x}" for i in rng.permutation(64 * n)[:n]],
            "patient_id": patient,
            "index_time": times,
            "label": label,
            "group_sex": cols["sex"],
            "group_site": rng.choice(np.array(["north", "south"], dtype=object), size=n),
        }
    )
    for f in FEATURES:
        values = cols[f["name"]]
        share = 0.05 if f["kind"] != "lab" else 0.2
        gone = rng.random(n) < share
        if values.dtype == object:
            values = values.copy()
            values[gone] = None
        else:
            values = np.where(gone, np.nan, values)
        frame[f["name"]] = values
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)


# -- the workspace --------------------------------------------------------------------------


@dataclass
class Setup:
    ws: Any
    key: str
    version: int
    model_uri: str
    tracking_uri: str
    rows: list[dict[str, Any]]
    seconds: float


def build(root: Path, patients: int, n_bootstrap: int, seed: int, n_rows: int) -> Setup:
    """Workspace, use case, trained + evaluated + registered + approved + promoted model, and
    a clinician key (the ``tests/registry`` recipe, at the issue's model size)."""
    from wardwatch.cli.evaluate import evaluate_test_split
    from wardwatch.core.workspace import init_workspace
    from wardwatch.features import parse_usecase
    from wardwatch.registry import (
        Registry,
        authenticate,
        bootstrap_admin,
        create_identity,
        parse_policy,
    )
    from wardwatch.train import train_usecase, workspace_tracking

    t0 = time.perf_counter()
    ws = init_workspace(root)
    usecase = parse_usecase(usecase_doc(n_bootstrap), "bench use case")
    frame = make_frame(patients, seed)
    uri, artifacts = workspace_tracking(ws)
    with contextlib.redirect_stdout(io.StringIO()):
        run = train_usecase(frame, usecase, tracking_uri=uri, artifact_location=artifacts, seed=1)
    report = evaluate_test_split(run.test_predictions, usecase, run.to_dict(), "lgbm")
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    (ws.reports_dir / f"evaluation-{NAME}-lgbm.json").write_bytes(report.to_json())
    (ws.reports_dir / "quality-20261101T080000Z.json").write_text(json.dumps(QUALITY))
    leakage = {
        "kind": "leakage-audit",
        "usecase": NAME,
        "verdict": "pass",
        "features": [{"name": f["name"], "status": "ok"} for f in FEATURES],
        "patient_overlap": 0,
        "label_before_prediction": 0,
    }
    (ws.reports_dir / f"leakage-{NAME}.json").write_text(json.dumps(leakage))

    reg = Registry.from_workspace(ws)
    try:
        admin = authenticate(reg.store, bootstrap_admin(reg.store, "ada", audit=reg.audit))
        keys = {
            who: create_identity(reg.store, who, role, by=admin, audit=reg.audit)[1]
            for who, role in (("eve", "ml-engineer"), ("ann", "approver"), ("cleo", "clinician"))
        }
        eve, ann = authenticate(reg.store, keys["eve"]), authenticate(reg.store, keys["ann"])
        v = reg.register(NAME, model="lgbm", identity=eve, policy=parse_policy(POLICY))
        reg.approve(NAME, v.version, identity=ann, comment="benchmark")
        reg.promote(NAME, v.version, identity=eve, reason="benchmark")
        model_uri = reg.version(NAME, v.version, identity=eve).model_uri
    finally:
        reg.close()
    # The rows sent: index events of other patients (a second seed), one per request (up to
    # MAX_ROWS, then they repeat), so that no cache of answers can flatter the figures.
    n_rows = min(n_rows, MAX_ROWS)
    serving = make_frame(n_rows * 10 // 15 + 50, seed + 1).head(n_rows)
    names = [f["name"] for f in FEATURES]
    rows = [{k: _plain(v) for k, v in r.items()} for r in serving[names].to_dict("records")]
    auroc = report.auroc
    print(
        f"setup: {len(frame):,} index events, 30 features, LightGBM 200 trees x 31 leaves "
        f"(test AUROC {auroc.value:.3f}), registered as {NAME} v{v.version}, approved, "
        f"champion; {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return Setup(ws, keys["cleo"], v.version, model_uri, uri, rows, time.perf_counter() - t0)


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return float(v) if isinstance(v, np.floating | int | float) else str(v)


# -- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> int:
        """SIGTERM (as an orchestrator stops it); the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its descendants (the
    uvicorn that ``mlflow models serve`` starts is a grandchild); 0 where /proc is absent."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parent: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parent[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    for p, cpu in used.items():
        q = p
        while q > 1 and q != pid:
            q = parent.get(q, 0)
        if q == pid:
            total += cpu
    return total


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "WARDWATCH_STORE_URL"}
    env.update({"OMP_NUM_THREADS": "1", "MLFLOW_DISABLE_TELEMETRY": "true", **extra})
    # mlflow models serve runs `uvicorn` from PATH: this interpreter's scripts come first
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def start(name: str, argv: list[str], port: int, ready: str, log: Path, **env: str) -> Server:
    """Start ``argv`` and wait (up to 3 minutes) until ``GET ready`` answers 200."""
    import httpx

    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=_env(**env))
    t0 = time.monotonic()
    while time.monotonic() - t0 < 180:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=2).status_code == 200:
                print(f"{name} ready on :{port} in {time.monotonic() - t0:.1f} s", flush=True)
                return Server(name, port, proc, log)
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{name} did not get ready: {log.read_text(errors='replace')[-3000:]}")


TRIVIAL_SERVER = r"""
import asyncio, sys
REPLY = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
class P(asyncio.Protocol):
    def connection_made(self, t): self.t, self.buf = t, b""
    def data_received(self, data):
        self.buf += data
        n = self.buf.count(b"\r\n\r\n")
        if n:
            self.buf = self.buf[self.buf.rfind(b"\r\n\r\n") + 4:]
            self.t.write(REPLY * n)
async def main():
    server = await asyncio.get_running_loop().create_server(P, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
try:
    import uvloop; uvloop.run(main())
except ImportError:
    asyncio.run(main())
"""


def start_trivial(log: Path) -> Server:
    port = free_port()
    argv = [sys.executable, "-c", TRIVIAL_SERVER, str(port)]
    return start("trivial server", argv, port, "/", log)


# -- the load generator ---------------------------------------------------------------------


def request_bytes(port: int, method: str, path: str, body: bytes | None, **headers: str) -> bytes:
    """One pre-encoded HTTP/1.1 keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", f"host: 127.0.0.1:{port}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    if body is not None:
        lines += ["content-type: application/json", f"content-length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """``(status, body, server closes)`` of one response (content-length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        k = k.strip().lower()
        if k == b"content-length":
            length = int(v)
        elif k == b"transfer-encoding":
            chunked = b"chunked" in v.lower()
        elif k == b"connection":
            close = b"close" in v.lower()
    if not chunked:
        return status, await reader.readexactly(length), close
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        parts.append(await reader.readexactly(size + 2))
        if size == 0:
            return status, b"".join(p[:-2] for p in parts), close


class Connection:
    """One keep-alive connection, (re)opened on demand."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, payload: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(payload)
        async with asyncio.timeout(TIMEOUT_S):
            status, body, close = await _response(self.reader)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Result:
    tool: str
    mode: str
    sent: int
    seconds: float
    latencies_ms: np.ndarray
    statuses: Counter[int] = field(default_factory=Counter)
    offered: float | None = None
    server_cpu_s: float = float("nan")

    @property
    def ok(self) -> int:
        return self.statuses[200]

    @property
    def errors(self) -> int:
        return self.sent - self.ok

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if len(self.latencies_ms) else np.nan

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per request (all its threads; robust to other load)."""
        return self.server_cpu_s * 1000 / self.sent if self.sent else float("nan")

    def row(self) -> str:
        err = "" if not self.errors else f" {dict(self.statuses)}"
        return (
            f"{self.tool:10} {self.mode:24} {self.sent:>8,} {self.errors:>6,} {self.rps:>7,.0f} "
            f"{self.pct(50):>7.2f} {self.pct(95):>7.2f} {self.pct(99):>7.2f} "
            f"{float(self.latencies_ms.max()) if len(self.latencies_ms) else 0:>8.1f} "
            f"{self.cpu_ms:>7.2f}{err}"
        )


HEADER = (
    f"{'tool':10} {'mode':24} {'requests':>8} {'errors':>6} {'req/s':>7} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>8} {'srv CPU':>7}"
)
UNITS = f"{'':75}(ms per request)"


async def _exchange(conn: Connection, payload: bytes, check: Callable[[bytes], bool] | None) -> int:
    try:
        status, body = await conn.send(payload)
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
        conn.close()
        return 0
    if status == 200 and check is not None and not check(body):
        return -1  # answered 200 with a body that is not what was asked for
    return status


async def closed_loop(
    port: int, payloads: list[bytes], n: int, concurrency: int, check: Any = None
) -> tuple[float, np.ndarray, Counter[int]]:
    """``n`` requests over ``concurrency`` connections, each sending as soon as it has its
    answer: (seconds, latencies in ms, statuses)."""
    latencies = np.zeros(n)
    statuses: Counter[int] = Counter()
    todo = iter(range(n))

    async def worker() -> None:
        conn = Connection(port)
        for i in todo:
            t = time.perf_counter()
            statuses[await _exchange(conn, payloads[i % len(payloads)], check)] += 1
            latencies[i] = (time.perf_counter() - t) * 1000
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies, statuses


async def open_loop(
    port: int, payloads: list[bytes], rate: float, seconds: float, connections: int,
    check: Any = None,
) -> tuple[float, np.ndarray, Counter[int]]:  # fmt: skip
    """Request ``i`` is due at ``start + i / rate`` for ``seconds``; the first free
    connection sends it at (or after) that time. Latency counts from the due time."""
    n = int(rate * seconds)
    latencies = np.zeros(n)
    statuses: Counter[int] = Counter()
    todo = iter(range(n))
    begin = time.perf_counter() + 0.05
    last = [begin]

    async def worker() -> None:
        conn = Connection(port)
        for i in todo:
            due = begin + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            statuses[await _exchange(conn, payloads[i % len(payloads)], check)] += 1
            done = time.perf_counter()
            latencies[i] = (done - due) * 1000
            last[0] = max(last[0], done)
        conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return last[0] - begin, latencies, statuses


def run_async(coro: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coro)
    except ImportError:
        return asyncio.run(coro)


def closed(tool: str, what: str, server: Server, payloads: list[bytes], n: int, c: int,
           check: Any = None) -> Result:  # fmt: skip
    cpu = tree_cpu_s(server.proc.pid)
    seconds, lat, st = run_async(closed_loop(server.port, payloads, n, c, check))
    r = Result(tool, f"{what}closed c={c}", n, seconds, lat, st)
    r.server_cpu_s = tree_cpu_s(server.proc.pid) - cpu
    print(r.row(), f"  {_load()}", flush=True)
    return r


def opened(tool: str, what: str, server: Server, payloads: list[bytes], rate: float,
           seconds: float, c: int, check: Any = None) -> Result:  # fmt: skip
    cpu = tree_cpu_s(server.proc.pid)
    took, lat, st = run_async(open_loop(server.port, payloads, rate, seconds, c, check))
    r = Result(tool, f"{what}open {rate:g}/s {seconds:g}s", len(lat), took, lat, st, rate)
    r.server_cpu_s = tree_cpu_s(server.proc.pid) - cpu
    print(r.row(), f"  {_load()}", flush=True)
    return r


# -- checks ---------------------------------------------------------------------------------


def _wardwatch_ok(body: bytes) -> bool:
    """A prediction with five factors (cheap: the body is not parsed on the hot path)."""
    return body.startswith(b'{"request_id"') and body.count(b'"feature"') == 5


def _mlflow_ok(body: bytes) -> bool:
    return body.startswith(b'{"predictions"')


def agreement(setup: Setup, ww_port: int, ml_port: int | None) -> int:
    """The first 20 rows through both services: wardwatch's risk against mlflow's
    ``predict_proba`` (the same model), and the shape of wardwatch's answer."""
    import httpx

    rows = setup.rows[:20]
    r = httpx.post(
        f"http://127.0.0.1:{ww_port}/v1/models/{NAME}/predict",
        json={"rows": rows},
        headers={"Authorization": f"Bearer {setup.key}"},
        timeout=30,
    )
    r.raise_for_status()
    preds = r.json()["predictions"]
    factors = {len(p["factors"]) for p in preds}
    line = f"answers: {len(preds)} rows, factors per row {sorted(factors)}"
    if ml_port is not None:
        names = [f["name"] for f in FEATURES]
        m = httpx.post(
            f"http://127.0.0.1:{ml_port}/invocations",
            json={
                "dataframe_split": {"columns": names, "data": [[x[k] for k in names] for x in rows]}
            },
            timeout=30,
        )
        m.raise_for_status()
        theirs = np.asarray([p[1] for p in m.json()["predictions"]])
        ours = np.asarray([p["risk"] for p in preds])
        diff = float(np.abs(ours - theirs).max())
        line += f"; max |wardwatch risk - mlflow predict_proba| over 20 rows: {diff:.1e}"
    print(line, flush=True)
    return len(preds)


def audit_check(ws: Any, answered: int) -> float:
    """Count and verify the audit events; the rows per prediction-log file (sink write)."""
    from wardwatch.audit import AuditLog

    log = AuditLog.from_workspace(ws)
    try:
        t0 = time.perf_counter()
        n = len(log.events(action="serve.predict"))
        verified = log.verify()
        took = time.perf_counter() - t0
    finally:
        with contextlib.suppress(Exception):
            log.store.dispose()
    files = list((ws.lake_dir / "predictions").rglob("*.parquet"))
    print(
        f"audit: {n:,} serve.predict events for {answered:,} answered predictions "
        f"({'equal' if n == answered else 'NOT EQUAL'}); chain verify ok={verified.ok} "
        f"({took:.1f} s to read and verify)\n"
        f"prediction log: {len(files):,} Parquet files ({n / max(len(files), 1):.1f} rows a "
        f"write of the sink)",
        flush=True,
    )
    return n / max(len(files), 1)


class _Capture:
    """Stands in for the service's sink: keeps the records instead of writing them."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self.pending = 0

    def put(self, record: Any) -> bool:
        self.records.append(record)
        return True

    def close(self) -> None:
        pass


def _cpu_ms(fn: Callable[[int], Any], n: int) -> float:
    """CPU milliseconds of one ``fn(i)`` (mean over ``n`` calls, after 20 warm-up calls)."""
    for i in range(20):
        fn(i)
    t0 = time.process_time()
    for i in range(n):
        fn(i)
    return (time.process_time() - t0) * 1000 / n


def breakdown(setup: Setup, scratch: Path, predict_ms: float, health_ms: float,
              per_write: float) -> None:  # fmt: skip
    """Where one request's server CPU goes, timed in this process section by section (the
    service's own objects; private parts, so it says so when they have changed)."""
    from wardwatch.audit import AuditLog
    from wardwatch.core.workspace import init_workspace
    from wardwatch.serve import PredictionSink, ServeSettings, Service

    svc = Service.from_workspace(setup.ws, ServeSettings(models=(NAME,)))
    svc.start()
    try:
        who = svc.caller(setup.key, NAME)
        route = svc.hub.route(NAME, "breakdown")
        assert route is not None
        served, n = route.served, 400
        rows = [[r] for r in setup.rows[:n]]
        x = [served.scorer.vectorize(r) for r in rows]
        booster = served.scorer._booster
        shap = _cpu_ms(lambda i: booster.predict(x[i % n], pred_contrib=True, num_threads=1), n)
        plain = _cpu_ms(lambda i: served.scorer.score(rows[i % n], explain=False), n)
        full = _cpu_ms(lambda i: served.predict(rows[i % n], top=5), n)
        preds = [served.predict(r, top=5) for r in rows]
        svc.sink.close()
        capture = _Capture()
        svc.sink = capture  # type: ignore[assignment]
        record = _cpu_ms(
            lambda i: svc._record(who, route, rows[i % n], preds[i % n], None, None, "rest",
                                  f"b{i}", 1.0), n,
        )  # fmt: skip
    except Exception as exc:  # the internals moved: say so, the figures above stand
        print(f"breakdown unavailable ({type(exc).__name__}: {str(exc)[:120]})")
        return
    finally:
        svc.stop()
    ws = init_workspace(scratch)
    sink = PredictionSink(AuditLog.from_workspace(ws), ws.lake_dir)
    sink.close()  # its thread stops; _write is timed here, batch by batch
    records = capture.records
    k = max(1, round(per_write))
    t0 = time.process_time()
    for j in range(0, 200 * k, k):
        sink._write(records[j % len(records) : j % len(records) + k])
    write_k = (time.process_time() - t0) * 1000 / (200 * k)
    t0 = time.process_time()
    sink._write(records[:2000])
    write_big = (time.process_time() - t0) * 1000 / len(records[:2000])
    parts = {
        "TreeSHAP (LightGBM pred_contrib, 1 row)": shap,
        "scoring without explanations": plain,
        "factors (sorting, labels, values)": full - plain - shap,
        "audit event + log row, queued": record,
        f"sink write at {per_write:.1f} rows a write (seen above)": write_k,
        "HTTP + FastAPI + middleware floor (/healthz, above)": health_ms,
    }
    rest = predict_ms - sum(parts.values())
    print(f"\nwhere one prediction's server CPU goes (ms; measured {predict_ms:.2f}, {_load()}):")
    for what, ms in parts.items():
        print(f"  {what:58} {ms:6.2f}")
    print(
        f"  {'rest: body, validation, threadpool, telemetry, contention':58} {rest:6.2f}\n"
        f"  (the sink writing 2,000 rows a write would cost {write_big:.2f} ms a row)"
    )


# -- main -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _folder(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="wardwatch-bench-serve-") as tmp:
        yield Path(tmp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--requests", type=int, default=20_000, help="wardwatch closed-loop requests")
    ap.add_argument("--concurrency", type=int, default=32, help="connections (both modes)")
    ap.add_argument("--rate", type=float, default=500.0, help="open-loop offered requests/s")
    ap.add_argument("--duration", type=float, default=60.0, help="open-loop seconds")
    ap.add_argument("--mlflow-requests", type=int, default=2_000)
    ap.add_argument("--mlflow-rate", type=float, default=50.0, help="mlflow open-loop rate")
    ap.add_argument("--mlflow-duration", type=float, default=20.0)
    ap.add_argument("--skip-mlflow", action="store_true")
    ap.add_argument("--workers", type=int, default=2, help="wardwatch serve worker processes")
    ap.add_argument("--patients", type=int, default=6000, help="training frame size")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workspace", type=Path, default=None, help="build here and keep it")
    ap.add_argument("--quick", action="store_true", help="a short smoke run (small numbers)")
    ap.add_argument("--no-breakdown", action="store_true", help="skip the CPU breakdown")
    args = ap.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # here and servers
    if args.quick:  # about 25 s of load (set-up and server start-up come on top)
        args.requests, args.duration, args.patients = 2000, 3.0, 2500
        args.mlflow_requests, args.mlflow_duration = 200, 2.0
    trivial_n, health_n = (5000, 2000) if args.quick else (20_000, 5000)
    c = args.concurrency

    print(
        f"wardwatch serve vs mlflow models serve, one LightGBM model (30 features, 200 trees); "
        f"{os.cpu_count()} cores, {_load()}",
        flush=True,
    )
    with _folder(args.workspace) as root:
        n_rows = max(args.requests + 500 + int(args.rate * args.duration), args.mlflow_requests + 50
                     + int(args.mlflow_rate * args.mlflow_duration))  # fmt: skip
        setup = build(root / "ws", args.patients, 50 if args.quick else 200, args.seed, n_rows)
        logs = root / "logs"
        logs.mkdir(exist_ok=True)
        results: list[Result] = []
        servers: list[Server] = []
        answered = 0
        ml_main: Result | None = None
        try:
            trivial = start_trivial(logs / "trivial.log")
            servers.append(trivial)
            ping = [request_bytes(trivial.port, "GET", "/", None)]
            print(f"\n{HEADER}\n{UNITS}")
            results.append(closed("generator", "ceiling ", trivial, ping, trivial_n, c))
            floor_s = min(5.0, args.duration)
            results.append(opened("generator", "floor ", trivial, ping, args.rate, floor_s, c))
            trivial.stop()
            servers.remove(trivial)

            port = free_port()
            ww = start(
                "wardwatch serve",
                [sys.executable, "-m", "wardwatch", "serve", "-w", str(setup.ws.root), "-m", NAME,
                 "--port", str(port), "--workers", str(args.workers)],
                port, "/readyz", logs / "wardwatch.log",
            )  # fmt: skip
            servers.append(ww)
            path = f"/v1/models/{NAME}/predict"
            auth = {"authorization": f"Bearer {setup.key}"}
            ww_req = [
                request_bytes(port, "POST", path, _json({"rows": [r]}), **auth) for r in setup.rows
            ]
            health = [request_bytes(port, "GET", "/healthz", None)]
            sent = 0

            def ww_run(r: Result) -> Result:
                nonlocal answered
                answered += r.ok
                return r

            def next_rows(n: int) -> list[bytes]:
                """The next ``n`` requests' payloads: every request a row not sent before."""
                nonlocal sent
                out = [ww_req[(sent + i) % len(ww_req)] for i in range(n)]
                sent += n
                return out

            ww_health = closed("wardwatch", "/healthz ", ww, health, health_n, c)
            results.append(ww_health)
            ww_run(closed("wardwatch", "warm-up ", ww, next_rows(500), 500, c, _wardwatch_ok))
            n = args.requests
            ww_main = ww_run(closed("wardwatch", "", ww, next_rows(n), n, c, _wardwatch_ok))
            results.append(ww_main)
            n = int(args.rate * args.duration)
            ww_open = ww_run(
                opened("wardwatch", "", ww, next_rows(n), args.rate, args.duration, c,
                       _wardwatch_ok)
            )  # fmt: skip
            results.append(ww_open)

            ml_port: int | None = None
            if not args.skip_mlflow:
                ml_port = free_port()
                ml = start(
                    "mlflow models serve",
                    [sys.executable, "-m", "mlflow", "models", "serve", "-m", setup.model_uri,
                     "--env-manager", "local", "-p", str(ml_port), "--host", "127.0.0.1",
                     "-w", "1"],
                    ml_port, "/ping", logs / "mlflow.log", MLFLOW_TRACKING_URI=setup.tracking_uri,
                )  # fmt: skip
                servers.append(ml)
                names = [f["name"] for f in FEATURES]
                ml_req = [
                    request_bytes(
                        ml_port, "POST", "/invocations",
                        _json({"dataframe_split": {"columns": names,
                                                   "data": [[r[k] for k in names]]}}),
                    )
                    for r in setup.rows
                ]  # fmt: skip
                closed("mlflow", "warm-up ", ml, ml_req[-50:], 50, c, _mlflow_ok)
                n = args.mlflow_requests
                ml_main = closed("mlflow", "", ml, ml_req, n, c, _mlflow_ok)
                results.append(ml_main)
                rest = ml_req[n:] or ml_req
                results.append(
                    opened("mlflow", "", ml, rest, args.mlflow_rate, args.mlflow_duration, c,
                           _mlflow_ok)
                )  # fmt: skip
            answered += agreement(setup, port, ml_port)
        finally:
            codes = {s.name: s.stop() for s in servers}
        print(
            f"servers stopped with SIGTERM: exit codes {codes} (uvicorn re-raises the signal "
            f"after its graceful shutdown, so -15 is a clean stop)",
            flush=True,
        )
        per_write = audit_check(setup.ws, answered)
        if not args.no_breakdown:
            breakdown(setup, root / "scratch", ww_main.cpu_ms, ww_health.cpu_ms, per_write)

        print(f"\n{HEADER}\n{UNITS}")
        for r in results:
            print(r.row())
        summary(args, ww_main, ww_open, ml_main)
        if args.workspace is not None:
            print(f"workspace kept at {setup.ws.root}; server logs in {logs}")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def summary(args: Any, ww_main: Result, ww_open: Result, ml_main: Result | None) -> None:
    print(f"\ngoals ({os.cpu_count()} cores, {_load()}):")
    met = ww_main.rps >= GOAL_RPS and ww_main.errors == 0
    print(
        f"  wardwatch >= {GOAL_RPS:,.0f} req/s (closed loop, top-5 explanations, audited): "
        f"{ww_main.rps:,.0f} req/s, {ww_main.errors} errors -> {'met' if met else 'NOT met'}\n"
        f"    server CPU {ww_main.cpu_ms:.2f} ms a request: {1000 / ww_main.cpu_ms:,.0f} requests "
        f"per CPU-second the server gets (2 cores, shared with the generator and other work)"
    )
    met = ww_open.errors == 0 and ww_open.pct(99) <= GOAL_P99_MS
    print(
        f"  offered {args.rate:g}/s for {args.duration:g} s: 0 errors and p99 <= "
        f"{GOAL_P99_MS:g} ms: {ww_open.errors} errors, p99 {ww_open.pct(99):.1f} ms, "
        f"achieved {ww_open.rps:,.0f}/s -> {'met' if met else 'NOT met'}"
    )
    if ml_main is not None:
        ratio = ww_main.rps / ml_main.rps if ml_main.rps else float("inf")
        verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
        print(
            f"  throughput >= {GOAL_RATIO:g}x mlflow models serve: {ww_main.rps:,.0f} / "
            f"{ml_main.rps:,.0f} = {ratio:.1f}x -> {verdict} (server CPU a request: "
            f"{ww_main.cpu_ms:.2f} ms vs {ml_main.cpu_ms:.2f} ms, "
            f"{ml_main.cpu_ms / ww_main.cpu_ms:.1f}x)"
        )


if __name__ == "__main__":
    main()
