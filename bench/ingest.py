"""Ingest benchmark: FHIR R4 NDJSON, wardwatch end to end vs orjson parse-only vs fhir.resources.

Builds a FHIR bulk NDJSON workload with the wardwatch generator (default 200,000 resources) and
prints, in one run:

* orjson parse only (the floor: no validation, nothing written);
* fhir.resources (R4B models) parse and validate, on a sample (it runs ~5,000 resources/s, so
  the whole workload would take minutes; the rate is what matters);
* ``wardwatch ingest`` end to end (detect, hash, parse, validate, map, write Parquet, commit),
  in a fresh process, with its peak memory, at the full size and at a quarter of it: a
  streaming ingest has the same peak memory at both sizes.

Goals (issue 2): wardwatch >= 20x fhir.resources and within 3x of orjson parse-only.

    python bench/ingest.py [--resources 200000] [--sample 20000] [--out bench/out]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

from wardwatch.synth import SynthConfig, generate

CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from wardwatch.core.workspace import init_workspace
from wardwatch.ingest import ingest
import shutil
shutil.rmtree(sys.argv[1], ignore_errors=True)  # a fresh lake: nothing already ingested
ws = init_workspace(Path(sys.argv[1]))
workers = int(sys.argv[2]) or None
t0 = time.perf_counter()
s = ingest(ws, [Path(p) for p in sys.argv[3:]], workers=workers)
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": dt, "records_in": s.records_in, "loaded": s.loaded,
                  "quarantined": s.quarantined, "peak_mib": peak, "child_peak_mib": child_peak,
                  "workers": workers or min(os.cpu_count() or 1, 8)}))
"""


def workload(out: Path, resources: int, seed: int = 1) -> list[Path]:
    """Generate (or reuse) an NDJSON workload of about ``resources`` FHIR resources."""
    folder = out / f"ndjson-{resources}"
    marker = folder / ".complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        probe = generate(SynthConfig(patients=200, seed=seed, out=out / "probe", claims_csv=False))
        per_patient = sum(probe.counts.values()) / 200
        shutil.rmtree(out / "probe")
        patients = max(1, math.ceil(resources / per_patient))
        generate(SynthConfig(patients=patients, seed=seed, out=folder, claims_csv=False))
        marker.write_text("ok")
    return sorted(folder.glob("*.ndjson"))


def count_lines(files: list[Path]) -> int:
    return sum(sum(1 for line in f.open("rb") if line.strip()) for f in files)


def bench_orjson(files: list[Path]) -> tuple[int, float]:
    gc.disable()
    try:
        t0 = time.perf_counter()
        n = 0
        for f in files:
            with f.open("rb") as fh:
                for line in fh:
                    if line.strip():
                        orjson.loads(line)
                        n += 1
        return n, time.perf_counter() - t0
    finally:
        gc.enable()


def bench_fhir_resources(files: list[Path], sample: int) -> tuple[int, float, int]:
    from fhir.resources.R4B import get_fhir_model_class

    total = count_lines(files)
    lines: list[bytes] = []
    for f in files:  # the same mix of resource types as the workload
        share = math.ceil(sample * count_lines([f]) / total)
        with f.open("rb") as fh:
            lines += [ln for _, ln in zip(range(share), fh, strict=False) if ln.strip()]
    failures = 0
    t0 = time.perf_counter()
    for line in lines:
        rtype = orjson.loads(line)["resourceType"]
        try:
            get_fhir_model_class(rtype).model_validate_json(line)
        except Exception:
            failures += 1
    return len(lines), time.perf_counter() - t0, failures


def bench_wardwatch(files: list[Path], ws: Path, workers: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ws), str(workers), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=200_000)
    ap.add_argument("--sample", type=int, default=20_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument(
        "--workers", type=int, default=0, help="wardwatch worker processes (default: one a core)"
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    files = workload(args.out, args.resources)
    quarter = workload(args.out, args.resources // 4, seed=2)
    n = count_lines(files)
    size_mb = sum(f.stat().st_size for f in files) / 2**20
    print(f"workload: {n:,} FHIR resources in {len(files)} NDJSON files ({size_mb:,.0f} MiB)")

    n_oj, t_oj = bench_orjson(files)
    n_fr, t_fr, fr_fail = bench_fhir_resources(files, args.sample)
    ww = bench_wardwatch(files, args.out / "ws-full", args.workers)
    ww_q = bench_wardwatch(quarter, args.out / "ws-quarter", args.workers)

    r_oj, r_fr, r_ww = n_oj / t_oj, n_fr / t_fr, ww["records_in"] / ww["seconds"]
    print()
    print(f"{'':38}{'resources':>11}{'seconds':>9}{'resources/s':>13}")
    print(f"{'orjson parse only (floor)':38}{n_oj:>11,}{t_oj:>9.2f}{r_oj:>13,.0f}")
    print(
        f"{'fhir.resources R4B parse+validate':38}{n_fr:>11,}{t_fr:>9.2f}{r_fr:>13,.0f}"
        f"   ({fr_fail} rejected, sample)"
    )
    label = f"wardwatch ingest end to end ({int(ww['workers'])}w)"
    print(
        f"{label:38}{int(ww['records_in']):>11,}{ww['seconds']:>9.2f}"
        f"{r_ww:>13,.0f}   (loaded {int(ww['loaded']):,}, "
        f"quarantined {int(ww['quarantined']):,})"
    )
    print()
    print(f"wardwatch vs fhir.resources: {r_ww / r_fr:5.1f}x faster   (goal >= 20x)")
    print(f"orjson parse-only vs wardwatch: {r_oj / r_ww:5.2f}x        (goal <= 3x)")
    print(
        f"peak memory: {ww['peak_mib']:,.0f} MiB for {int(ww['records_in']):,} resources, "
        f"{ww_q['peak_mib']:,.0f} MiB for {int(ww_q['records_in']):,} "
        f"(ratio {ww['peak_mib'] / ww_q['peak_mib']:.2f}; streaming keeps it ~1)"
    )
    if ww["child_peak_mib"] and ww_q["child_peak_mib"]:
        print(
            f"largest worker process: {ww['child_peak_mib']:,.0f} MiB, "
            f"{ww_q['child_peak_mib']:,.0f} MiB "
            f"(ratio {ww['child_peak_mib'] / ww_q['child_peak_mib']:.2f})"
        )


if __name__ == "__main__":
    main()
