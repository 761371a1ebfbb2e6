"""Drift benchmark: a wardwatch drift report against Evidently's DataDriftPreset.

Builds (seeded) a synthetic 25-column dataset per side: 20 numeric columns (normal, gamma,
log-normal, rounded lab-like values, a few with ~5% NaN, a third of them shifted in the
current sample) and 5 categorical string columns (4 to 40 codes; two with new codes in the
current sample). Then prints, for each size in ``--sizes`` (rows per side):

* wardwatch, in two timed parts: ``ReferenceProfile.from_table`` on the reference frame (done
  once per model version and saved with it: sorts each numeric column) and ``drift_report``
  of the current frame against that profile (the figure compared with Evidently: it sorts
  the current side, merges it with the sorted reference, and computes K-S, Wasserstein, PSI,
  chi-square, Jensen-Shannon, missing and new-code rates for every column);
* Evidently 0.7 ``Report([DataDriftPreset()]).run(current, reference)`` on the same pandas
  frames (``Dataset.from_pandas`` included), which computes the profile and the drift together.

Both take pandas DataFrames with the same numeric/categorical split, and choose the same
method per column (Wasserstein for numeric, Jensen-Shannon for categorical above 1,000 rows).
Goals (issue): report >= 20x faster than Evidently at both sizes; 1,000,000 rows in under 3 s.
Other work on the machine slows every figure, so each is printed with the 1-minute load
average.

    python bench/drift.py [--sizes 100000 1000000] [--quick] [--no-evidently] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.monitor._drift import ReferenceProfile, drift_report

GOAL_RATIO = 20.0
GOAL_1M_S = 3.0
NUMERIC = [f"num{i:02d}" for i in range(20)]
CATEGORICAL = [f"cat{i}" for i in range(5)]


def _load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def make_frame(n: int, seed: int, drifted: bool) -> pd.DataFrame:
    """One side of the dataset; ``drifted`` shifts a third of the columns."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    for i, name in enumerate(NUMERIC):
        shift = 0.3 if drifted and i % 3 == 0 else 0.0
        kind = i % 4
        if kind == 0:
            x = rng.normal(50 + 10 * shift, 10, n)
        elif kind == 1:
            x = rng.gamma(2.0 + shift, 1.5, n)
        elif kind == 2:
            x = rng.lognormal(shift, 0.5, n)
        else:
            x = rng.normal(140 + 3 * shift, 4, n).round(0)  # lab value with ties
        if i % 5 == 0:
            x[rng.random(n) < 0.05] = np.nan
        cols[name] = x
    for j, name in enumerate(CATEGORICAL):
        k = [4, 8, 15, 25, 40][j]
        codes = np.array(
            [f"{name.upper()}_{c:03d}" for c in range(k + (3 if drifted and j < 2 else 0))]
        )
        weights = np.linspace(1.0, 3.0 if drifted and j % 2 else 2.0, codes.size)
        cols[name] = codes[rng.choice(codes.size, n, p=weights / weights.sum())]
    return pd.DataFrame(cols)


def time_wardwatch(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[float, float, Any]:
    t0 = time.perf_counter()
    profile = ReferenceProfile.from_table(ref, NUMERIC, CATEGORICAL)
    t1 = time.perf_counter()
    result = drift_report(profile, cur)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, result


def time_evidently(ref: pd.DataFrame, cur: pd.DataFrame) -> tuple[float, dict[str, float]]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    t0 = time.perf_counter()
    dd = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(cur, data_definition=dd),
            Dataset.from_pandas(ref, data_definition=dd),
        )
        metrics = run.dict()["metrics"]
    elapsed = time.perf_counter() - t0
    values = {}
    for m in metrics:
        if m["metric_name"].startswith("ValueDrift("):
            values[m["config"]["column"]] = float(m["value"])
    return elapsed, values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--quick", action="store_true", help="100,000 rows per side only")
    ap.add_argument("--no-evidently", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    sizes = [100_000] if args.quick else args.sizes
    print(f"drift report, 25 columns (20 numeric, 5 categorical), {os.cpu_count()} CPUs")
    if not args.no_evidently:
        t0 = time.perf_counter()
        import evidently  # noqa: F401

        print(f"evidently import: {time.perf_counter() - t0:.1f} s (not counted)")
    rows = []
    for n in sizes:
        ref, cur = make_frame(n, args.seed, False), make_frame(n, args.seed + 1, True)
        t_prof, t_rep, result = time_wardwatch(ref, cur)
        print(
            f"{n:>9,} rows  wardwatch profile {t_prof:6.2f} s  report {t_rep:6.2f} s  "
            f"drifted {result.n_drifted}/25  [{_load()}]"
        )
        t_ev = float("nan")
        if not args.no_evidently:
            t_ev, ev = time_evidently(ref, cur)
            worst = max(abs(c.score - ev[c.column]) for c in result.columns)
            diff = f"max |score difference| {worst:.1e}"
            print(f"{n:>9,} rows  evidently {t_ev:6.2f} s  {diff}  [{_load()}]")
        rows.append((n, t_prof, t_rep, t_ev))
        del ref, cur
    print()
    head = ("rows", "ww profile s", "ww report s", "evidently s", "speed-up")
    print(f"{head[0]:>10} {head[1]:>13} {head[2]:>12} {head[3]:>12} {head[4]:>9}  goal")
    for n, t_prof, t_rep, t_ev in rows:
        ratio = t_ev / t_rep if t_ev == t_ev else float("nan")
        goals = []
        if t_ev == t_ev:
            goals.append(f">=20x {'met' if ratio >= GOAL_RATIO else 'MISSED'}")
        if n == 1_000_000:
            goals.append(f"<3 s {'met' if t_rep < GOAL_1M_S else 'MISSED'}")
        line = f"{n:>10,} {t_prof:>13.2f} {t_rep:>12.2f} {t_ev:>12.2f} {ratio:>8.1f}x"
        print(f"{line}  {', '.join(goals)}")
    print("(speed-up = evidently / wardwatch report; the profile is built once per model version)")


if __name__ == "__main__":
    main()
