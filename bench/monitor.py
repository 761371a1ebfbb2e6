"""Monitoring streams: memory stays flat in the length of the prediction log.

Writes (with DuckDB, seeded) a prediction log of ``--days`` days of ``--per-day`` rows each
(``lake/predictions/date=YYYY-MM-DD/part-*.parquet``, the service's schema; 20 numeric and
5 categorical model inputs as the JSON the service logs, a calibrated risk, a decision,
latency), then monitors it one daily window at a time as ``wardwatch monitor run`` does:
the window's rows read and parsed by DuckDB (:func:`wardwatch.monitor._log.iter_windows`),
feature drift against a reference profile (:func:`drift_observations`) and the label-free
performance estimate (:func:`estimate_performance`). Each log length runs in its own
process, which reports its peak resident memory (``ru_maxrss``) and its throughput.

The figure: peak memory at 10,000,000 rows against 1,000,000 rows (same rows per window). A
log read whole would need ten times the memory; a streaming monitor needs about the same.

    python bench/monitor.py [--per-day 100000] [--days 10 100] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

NUMERIC = [f"num{i:02d}" for i in range(20)]
CATEGORICAL = [f"cat{i}" for i in range(5)]
START = datetime(2026, 1, 1, tzinfo=UTC)
MODEL = "bench-model"
THRESHOLD = 0.2


def write_log(lake: Path, days: int, per_day: int, seed: int) -> None:
    """``days`` day folders of ``per_day`` rows each."""
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 997) / 1000})")
    num = ", ".join(
        f"'{n}': round(50 + 10 * (random() + random() + random() - 1.5), 2)" for n in NUMERIC
    )
    cat = ", ".join(f"'{c}': 'c' || CAST(floor(random() * {4 + 8 * i}) AS INTEGER)"
                    for i, c in enumerate(CATEGORICAL))  # fmt: skip
    for d in range(days):
        day = START + timedelta(days=d)
        folder = lake / "predictions" / f"date={day:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""
            COPY (
              SELECT md5(CAST(i AS VARCHAR) || '{d}') AS request_id,
                     TIMESTAMPTZ '{day.isoformat()}' + to_microseconds(
                       CAST(i * 86400000000 // {per_day} AS BIGINT)) AS "at",
                     '{MODEL}' AS model, CAST(1 AS INTEGER) AS version,
                     'champion' AS alias, false AS shadow,
                     'pt_' || substr(md5(CAST(i % 50000 AS VARCHAR)), 1, 16) AS patient,
                     'k1' AS caller,
                     CAST(to_json({{{num}, {cat}}}) AS VARCHAR) AS features,
                     random() * 0.6 AS risk, 'low' AS band, false AS decision,
                     2.0 + random() AS latency_ms, md5(CAST(i AS VARCHAR)) AS input_hash
              FROM range({per_day}) t(i)
            ) TO '{folder / "part-bench.parquet"}' (FORMAT parquet)
            """
        )
    con.close()


def reference(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {c: np.round(50 + 10 * (rng.random(n) + rng.random(n) + rng.random(n) - 1.5), 2)
            for c in NUMERIC}  # fmt: skip
    for i, c in enumerate(CATEGORICAL):
        cols[c] = np.array([f"c{k}" for k in rng.integers(0, 4 + 8 * i, n)], dtype=object)
    return pd.DataFrame(cols)


def monitor(lake: Path, days: int) -> dict[str, float]:
    """Monitor every daily window; peak memory and throughput of this process."""
    from wardwatch.monitor._drift import ReferenceProfile
    from wardwatch.monitor._estimate import estimate_performance
    from wardwatch.monitor._log import iter_windows, windows
    from wardwatch.monitor._window import drift_observations

    profile = ReferenceProfile.from_table(reference(5000, 1), NUMERIC, CATEGORICAL)
    spans = windows(START, START + timedelta(days=days), timedelta(days=1))
    rows = observations = 0
    t0 = time.perf_counter()
    for lw in iter_windows(lake, MODEL, 1, spans, numeric=NUMERIC, categorical=CATEGORICAL):
        obs = drift_observations(profile, lw.table, lw.window, MODEL, 1, alpha=0.05)
        risk = lw.table.column("risk").to_numpy()
        est = estimate_performance(risk, THRESHOLD, rng=np.random.default_rng(0), n_draws=50)
        observations += len(obs) + len(est.observations(MODEL, 1, lw.window.start, lw.window.end))
        rows += lw.n
    seconds = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "peak_mib": peak_mib, "observations": observations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=100_000)
    parser.add_argument("--days", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--quick", action="store_true", help="20,000 rows a day")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(monitor(Path(args.child[0]), int(args.child[1]))))
        return
    per_day = 20_000 if args.quick else args.per_day
    results = []
    with tempfile.TemporaryDirectory(prefix="wardwatch-bench-monitor-") as tmp:
        lake = Path(tmp)
        t0 = time.perf_counter()
        write_log(lake, max(args.days), per_day, seed=7)
        print(f"wrote {max(args.days) * per_day:,} rows in {time.perf_counter() - t0:.1f} s")
        for days in args.days:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(lake), str(days)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(r)
            print(
                f"{r['rows']:>12,} rows in {days:>3} daily windows: {r['seconds']:7.1f} s "
                f"({r['rows'] / r['seconds']:,.0f} rows/s), peak memory {r['peak_mib']:,.0f} MiB"
                f"  [load {os.getloadavg()[0]:.1f}]"
            )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = large["peak_mib"] / small["peak_mib"]
        print(
            f"memory at {large['rows']:,} rows / at {small['rows']:,} rows: {ratio:.2f}x "
            f"for {large['rows'] / small['rows']:.0f}x the rows "
            f"({'flat' if ratio < 1.25 else 'NOT flat'})"
        )


if __name__ == "__main__":
    main()
