"""Feature-building benchmark: the readmission use case on 1,000,000 index events.

Writes (once, cached under ``--out``) a lake of canonical tables made directly with NumPy and
Arrow, at the issue's scale: ``--index-events`` inpatient stays (default 1,000,000) of
``--patients`` patients, one emergency and one outpatient visit per stay, ``--observations``
lab rows (default 10,000,000) inside the stays with results recorded an hour after the draw,
conditions, medication orders and a claim per stay. Then prints, in one run:

* ``build_features`` of the shipped use case (``usecases/readmission.yaml``: 21 features,
  cohort, exclusions and labels) on DuckDB, end to end from Parquet to a pandas frame;
* the peer: the lab part alone (last value of 8 labs before discharge, as of the recorded
  time) done the way it is usually done in pandas, with ``merge_asof`` per lab, timed from
  Parquet as well; the figure shows what one family costs there, not the whole use case.

Goal (issue): the feature table for 1,000,000 index events from 10,000,000 observations in
under 2 minutes on DuckDB. Every figure is printed with the 1-minute load average: other work
on the machine slows it.

    python bench/features.py [--index-events 1000000] [--observations 10000000]
                             [--patients 400000] [--skip-pandas] [--out bench/out]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import arrow_schema

GOAL_S = 120.0
START = np.datetime64("2019-01-01T00:00:00", "s")
SPAN_S = 6 * 365 * 86400
LABS = {  # code: (unit, mean, sd, low, high)
    "2951-2": ("mmol/L", 139.0, 4.0, 135.0, 145.0),
    "2823-3": ("mmol/L", 4.2, 0.5, 3.5, 5.1),
    "718-7": ("g/dL", 12.5, 1.8, 12.0, 17.5),
    "6690-2": ("10*3/uL", 8.0, 3.0, 4.0, 11.0),
    "2160-0": ("mg/dL", 1.1, 0.5, 0.6, 1.2),
    "2345-7": ("mg/dL", 120.0, 40.0, 70.0, 99.0),
    "30934-4": ("pg/mL", 300.0, 250.0, 0.0, 100.0),
    "33914-3": ("mL/min/{1.73_m2}", 75.0, 20.0, 60.0, 120.0),
}
ICD = ["I50.22", "E11.22", "E11.9", "J44.1", "N18.3", "I10", "C34.90", "F32.9", "I21.4", "K70.30"]
RX = [str(n) for n in range(197300, 197400)]


def _ids(prefix: str, n: int) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(np.arange(n)).cast(pa.string()), "")


def _ts(seconds: np.ndarray) -> pa.Array:
    return pa.array((START + seconds.astype("timedelta64[s]")).astype("datetime64[us]")).cast(
        pa.timestamp("us", tz="UTC")
    )


def _write(lake: Lake, table: str, columns: dict[str, pa.Array | np.ndarray]) -> None:
    schema = arrow_schema(table)
    n = len(next(iter(columns.values())))
    arrays = []
    for f in schema:
        if f.name in columns:
            arrays.append(pa.array(columns[f.name]).cast(f.type))
        elif f.name == "source_file":
            arrays.append(pa.array([f"bench/{table}.ndjson"] * n, pa.string()))
        elif f.name == "source_line":
            arrays.append(pa.array(np.arange(1, n + 1)))
        elif f.name in ("source_hash", "source_format", "ingest_run"):
            value = {"source_hash": "0" * 64, "source_format": "fhir-ndjson"}.get(f.name, "bench")
            arrays.append(pa.array([value] * n, pa.string()))
        else:
            arrays.append(pa.nulls(n, f.type))
    folder = lake.sources_dir / "bench" / table
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_arrays(arrays, schema=schema),
        folder / "part-00000.parquet",
        row_group_size=1 << 20,
    )


def build_lake(root: Path, n_idx: int, n_obs: int, n_pat: int, seed: int = 0) -> Lake:
    """The synthetic lake of the module docstring (deterministic for ``seed``)."""
    rng = np.random.default_rng(seed)
    lake = Lake(root)
    (lake.sources_dir / "bench").mkdir(parents=True, exist_ok=True)
    pat = rng.integers(0, n_pat, n_idx)
    start = np.sort(rng.integers(0, SPAN_S, n_idx))
    los = rng.integers(86400, 10 * 86400, n_idx)
    end = start + los
    n_pat_real = n_pat
    birth = np.datetime64("1930-01-01") + rng.integers(0, 70 * 365, n_pat_real).astype(
        "timedelta64[D]"
    )
    _write(lake, "patients", {
        "patient_id": _ids("p", n_pat_real),
        "birth_date": pa.array(birth),
        "sex": rng.choice(["male", "female"], n_pat_real),
        "race": rng.choice(["2106-3", "2054-5", "2028-9", "UNK"], n_pat_real),
        "ethnicity": rng.choice(["2186-5", "2135-2"], n_pat_real),
        "site_id": rng.choice(["s1", "s2", "s3"], n_pat_real),
    })  # fmt: skip
    pid = pc.binary_join_element_wise("p", pa.array(pat).cast(pa.string()), "")
    # index stays, then one ED and one outpatient visit per stay (before it)
    ed_start = start - rng.integers(86400, 200 * 86400, n_idx)
    amb_start = start - rng.integers(86400, 400 * 86400, n_idx)
    n_enc = 3 * n_idx
    disp = rng.choice(
        ["home", "snf", "rehab", "exp", "other-hcf"], n_idx, p=[0.8, 0.1, 0.05, 0.03, 0.02]
    )
    _write(lake, "encounters", {
        "encounter_id": _ids("e", n_enc),
        "patient_id": pa.concat_arrays([pid, pid, pid]),
        "status": ["finished"] * n_enc,
        "class_code": np.repeat(np.array(["IMP", "EMER", "AMB"]), n_idx),
        "type_code": np.repeat(np.array(["183452005", "50849002", "185349003"]), n_idx),
        "start_time": _ts(np.concatenate([start, ed_start, amb_start])),
        "end_time": _ts(np.concatenate([end, ed_start + 14400, amb_start + 1800])),
        "recorded_time": _ts(np.concatenate([end, ed_start + 14400, amb_start + 1800])),
        "admit_source": np.repeat(np.array(["emd", None, None]), n_idx),
        "discharge_disposition": np.concatenate([disp, np.full(2 * n_idx, None)]),
        "reason_code": rng.choice(ICD, n_enc),
        "site_id": rng.choice(["s1", "s2", "s3"], n_enc),
    })  # fmt: skip
    # labs inside the stays, recorded an hour after the draw
    stay = rng.integers(0, n_idx, n_obs)
    eff = start[stay] + (rng.random(n_obs) * los[stay]).astype(np.int64)
    codes = np.array(list(LABS))
    which = rng.integers(0, len(codes), n_obs)
    mean = np.array([v[1] for v in LABS.values()])[which]
    sd = np.array([v[2] for v in LABS.values()])[which]
    _write(lake, "observations", {
        "observation_id": _ids("o", n_obs),
        "patient_id": pc.take(pid, pa.array(stay)),
        "encounter_id": pc.take(_ids("e", n_idx), pa.array(stay)),
        "code": codes[which],
        "code_system": ["http://loinc.org"] * n_obs,
        "category": ["laboratory"] * n_obs,
        "status": ["final"] * n_obs,
        "value_num": np.round(np.abs(rng.normal(mean, sd)), 2),
        "value_unit": np.array([v[0] for v in LABS.values()])[which],
        "reference_low": np.array([v[3] for v in LABS.values()])[which],
        "reference_high": np.array([v[4] for v in LABS.values()])[which],
        "effective_time": _ts(eff),
        "recorded_time": _ts(eff + 3600),
    })  # fmt: skip
    n_cond = 2 * n_idx
    cstay = rng.integers(0, n_idx, n_cond)
    onset = start[cstay] - rng.integers(0, 3 * 365 * 86400, n_cond)
    _write(lake, "conditions", {
        "condition_id": _ids("c", n_cond),
        "patient_id": pc.take(pid, pa.array(cstay)),
        "code": rng.choice(ICD, n_cond),
        "code_system": ["http://hl7.org/fhir/sid/icd-10-cm"] * n_cond,
        "onset_time": _ts(onset),
        "recorded_time": _ts(onset + 3600),
    })  # fmt: skip
    n_med = 2 * n_idx
    mstay = rng.integers(0, n_idx, n_med)
    mtime = start[mstay] + rng.integers(0, 86400, n_med)
    _write(lake, "medications", {
        "medication_id": _ids("m", n_med),
        "patient_id": pc.take(pid, pa.array(mstay)),
        "code": rng.choice(RX, n_med),
        "code_system": ["http://www.nlm.nih.gov/research/umls/rxnorm"] * n_med,
        "status": ["active"] * n_med,
        "recorded_time": _ts(mtime),
    })  # fmt: skip
    _write(lake, "claims", {
        "claim_id": _ids("cl", n_idx),
        "patient_id": pid,
        "encounter_id": _ids("e", n_idx),
        "payer": rng.choice(["Medicare", "Medicaid", "Commercial", "Self-pay"], n_idx),
    })  # fmt: skip
    (lake.sources_dir / "bench" / "_manifest.json").write_text('{"source_key": "bench"}')
    return lake


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def run_wardwatch(lake: Lake) -> tuple[float, int]:
    from wardwatch.features import build_features, default_usecase_path, load_usecase
    from wardwatch.quality import open_engine

    usecase = load_usecase(default_usecase_path())
    t0 = time.perf_counter()
    with open_engine("duckdb", lake) as engine:
        fs = build_features(engine, usecase)
    return time.perf_counter() - t0, len(fs.frame)


def run_pandas_labs(lake: Lake) -> tuple[float, int]:
    """Last value of each lab before discharge, as of recorded time, with pandas merge_asof."""
    import pandas as pd

    t0 = time.perf_counter()
    enc = pq.read_table(
        lake.files("encounters")[0],
        columns=["encounter_id", "patient_id", "class_code", "end_time"],
    ).to_pandas()
    idx = enc[enc["class_code"] == "IMP"].sort_values("end_time")
    obs = pq.read_table(
        lake.files("observations")[0],
        columns=["patient_id", "code", "value_num", "recorded_time"],
    ).to_pandas()
    out = idx[["encounter_id"]].copy()
    for code in LABS:
        o = obs[obs["code"] == code].sort_values("recorded_time")
        m = pd.merge_asof(
            idx, o, left_on="end_time", right_on="recorded_time", by="patient_id",
            tolerance=pd.Timedelta(days=14),
        )  # fmt: skip
        out[code] = m["value_num"].to_numpy()
    return time.perf_counter() - t0, len(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--index-events", type=int, default=1_000_000)
    ap.add_argument("--observations", type=int, default=10_000_000)
    ap.add_argument("--patients", type=int, default=400_000)
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    root = args.out / f"features-{args.index_events}-{args.observations}-{args.patients}"
    if not (root / "sources" / "bench" / "_manifest.json").exists():
        t0 = time.perf_counter()
        build_lake(root, args.index_events, args.observations, args.patients)
        print(f"lake written in {time.perf_counter() - t0:.1f} s: {root}")
    lake = Lake(root)
    print(
        f"lake: {lake.count('encounters'):,} encounters ({args.index_events:,} inpatient), "
        f"{lake.count('observations'):,} observations, {lake.count('conditions'):,} conditions, "
        f"{lake.count('medications'):,} medication orders; {os.cpu_count()} CPUs"
    )
    seconds, rows = run_wardwatch(lake)
    verdict = "meets" if seconds < GOAL_S else "MISSES"
    print(
        f"wardwatch build_features (21 features, DuckDB): {seconds:.1f} s for {rows:,} index "
        f"events after exclusions [{_load()}]; goal < {GOAL_S:.0f} s: {verdict}"
    )
    if not args.skip_pandas:
        p_seconds, p_rows = run_pandas_labs(lake)
        print(
            f"pandas merge_asof, the 8 lab features only: {p_seconds:.1f} s for {p_rows:,} "
            f"stays [{_load()}]"
        )


if __name__ == "__main__":
    main()
