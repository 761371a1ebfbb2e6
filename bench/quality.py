"""Quality-gate benchmark: the default contract on DuckDB vs the same checks in Great Expectations.

Builds (once, cached under ``--out``) a lake of about ``--observations`` observation rows plus
their patients and encounters: the wardwatch generator writes FHIR R4 NDJSON with injected
defects (``--defects``, so there is something to find) and ``wardwatch ingest`` loads the
Patient, Encounter and Observation files. Then prints, in one run:

* ``run_gate`` with the default contract on DuckDB, end to end, in a fresh process (cold
  DuckDB connection, warm OS file cache), with its verdict and the failures of every check;
* the time of every (check, table) of the contract run one at a time, with the number of
  queries each sends to the engine (the report carries no per-check times);
* the same checks written as a Great Expectations suite on pandas DataFrames (in-process,
  ``Batch.validate``, result format SUMMARY), with the time to load the tables into pandas
  reported apart, the failures GX finds per wardwatch check next to wardwatch's, and what GX
  cannot express listed. GX has no cross-table expectation: references, the patient's and the
  encounter's times and the ICD-10-CM list are pandas merges done before validation and timed
  as part of GX; GX's own ICD-10-CM in-set expectation is timed apart;
* with ``--scale K``: the gate over a lake K times as large, made by adding K-1 copies of the
  tables with suffixed ids (references stay consistent) as extra Parquet sources.

Goals (issue): wardwatch >= 10x faster than Great Expectations on the same checks, and the
whole gate over 10 million observations in under 60 s on a 2-core machine.

Rows are the rows of the three tables; other work on the machine slows every figure, so each
is printed with the 1-minute load average.

    python bench/quality.py [--observations 1000000] [--defects all=0.002] [--scale 10]
                            [--repeat 1] [--gx-sample 0] [--skip-gx] [--no-profile]
                            [--out bench/out]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILES = ("Patient.ndjson", "Encounter.ndjson", "Observation.ndjson")
TABLES3 = ("patients", "encounters", "observations")
GOAL_RATIO = 10.0
GOAL_10M_S = 60.0


# --------------------------------------------------------------------------------------------
# workload


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_") or "clean"


def _ingest(synth: Path, ws_dir: Path, files: tuple[str, ...] = FILES) -> Any:
    from wardwatch.core.workspace import init_workspace
    from wardwatch.ingest import ingest

    shutil.rmtree(ws_dir, ignore_errors=True)
    ws = init_workspace(ws_dir)
    return ingest(ws, [synth / f for f in files])


def workload(out: Path, observations: int, defects: str, seed: int = 1) -> Path:
    """Generate and ingest (or reuse) a lake of about ``observations`` observation rows.

    Returns the lake folder. Only the Patient, Encounter and Observation files are ingested;
    the NDJSON is deleted once the lake is committed (the lake is what the bench reads).
    """
    from wardwatch.core.lake import Lake
    from wardwatch.synth import SynthConfig, generate

    folder = out / f"quality-{observations}-{_slug(defects)}"
    marker = folder / ".complete"
    lake_dir = folder / "ws" / ".wardwatch" / "lake"
    if marker.exists():
        return lake_dir
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # Observation rows per patient (components get their own rows), measured on a probe.
    probe_n = 200
    cfg = {"seed": seed, "hl7": False, "claims_csv": False, "defects": defects or None}
    generate(SynthConfig(patients=probe_n, out=folder / "probe", **cfg))  # type: ignore[arg-type]
    _ingest(folder / "probe", folder / "probe-ws", ("Observation.ndjson",))
    per_patient = Lake(folder / "probe-ws" / ".wardwatch" / "lake").count("observations") / probe_n
    shutil.rmtree(folder / "probe")
    shutil.rmtree(folder / "probe-ws")
    patients = max(1, math.ceil(observations / per_patient))
    print(
        f"generating {patients:,} patients (~{per_patient:.0f} observation rows each) ...",
        flush=True,
    )
    t0 = time.perf_counter()
    generate(SynthConfig(patients=patients, out=folder / "synth", **cfg))  # type: ignore[arg-type]
    t1 = time.perf_counter()
    summary = _ingest(folder / "synth", folder / "ws")
    t2 = time.perf_counter()
    shutil.rmtree(folder / "synth")
    marker.write_text(
        json.dumps(
            {
                "patients": patients,
                "generate_s": round(t1 - t0, 1),
                "ingest_s": round(t2 - t1, 1),
                "records_in": summary.records_in,
                "quarantined": summary.quarantined,
            }
        )
    )
    print(f"  generated in {t1 - t0:,.0f} s, ingested in {t2 - t1:,.0f} s", flush=True)
    return lake_dir


#: Columns holding ids that must stay consistent across tables in a replica, and identifying
#: columns changed so that a replica's patients are new people, not probable duplicates of the
#: base ones: names replaced by letters of their hash, digits of phone and SSN rotated by ``r``.
_NAME = "upper(substr(md5({c} || '{r}'), 1, 1)) || substr(md5({c} || '{r}'), 2, 7)"
_DIGITS = "translate({c}, '0123456789', '{rot}')"
_REPLICA_EXPR: dict[str, dict[str, str]] = {
    "patients": {
        "patient_id": "patient_id || '-r{r}'",
        "mrn": "mrn || '-r{r}'",
        "ssn": _DIGITS.replace("{c}", "ssn"),
        "family_name": _NAME.replace("{c}", "family_name"),
        "given_name": _NAME.replace("{c}", "given_name"),
        "phone": _DIGITS.replace("{c}", "phone"),
        "source_file": "source_file || '#r{r}'",
    },
    "encounters": {
        "encounter_id": "encounter_id || '-r{r}'",
        "patient_id": "patient_id || '-r{r}'",
        "source_file": "source_file || '#r{r}'",
    },
    "observations": {
        "observation_id": "observation_id || '-r{r}'",
        "patient_id": "patient_id || '-r{r}'",
        "encounter_id": "encounter_id || '-r{r}'",
        "source_file": "source_file || '#r{r}'",
    },
    "quarantine": {
        "record_id": "record_id || '-r{r}'",
        "source_file": "source_file || '#r{r}'",
    },
}


def scaled_lake(base: Path, factor: int) -> Path:
    """A lake ``factor`` times as large as ``base``: the base files (hard links) plus
    ``factor - 1`` replicas of every table with ids suffixed ``-r1``, ``-r2``..., written with
    DuckDB as extra sources in the canonical layout (one source per replica)."""
    import duckdb

    from wardwatch.core.lake import MANIFEST, Lake

    folder = base.parent.parent.parent / f"lake-x{factor}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    src = Lake(base)
    for f in base.joinpath("sources").glob("**/*"):
        if f.is_file():
            dest = folder / f.relative_to(base)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(f, dest)
    print(f"writing {factor - 1} replicas of the lake ...", flush=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    for r in range(1, factor):
        key = f"bench-replica-r{r}"
        rows: dict[str, int] = {}
        for table, exprs in _REPLICA_EXPR.items():
            files = src.files(table)
            if not files:
                continue
            target = folder / "sources" / key / table / "part-00000.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            rot = "0123456789"[r % 10 :] + "0123456789"[: r % 10]
            replace = ", ".join(f"{e.format(r=r, rot=rot)} AS {c}" for c, e in exprs.items())
            glob = src.glob(table).replace("'", "''")
            con.execute(
                f"COPY (SELECT * REPLACE ({replace}) FROM read_parquet('{glob}')) "
                f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
            )
            rows[table] = src.count(table)
        manifest = {
            "source_key": key,
            "source_hash": key,
            "path": f"bench replica {r} of {base}",
            "format": "parquet",
            "run_id": "bench-replica",
            "records_in": sum(rows.values()),
            "loaded": sum(v for k, v in rows.items() if k != "quarantine"),
            "quarantined": rows.get("quarantine", 0),
            "rows": rows,
            "reasons": {},
            "committed_at": datetime.now(UTC).isoformat(),
        }
        (folder / "sources" / key / MANIFEST).write_text(json.dumps(manifest, indent=2))
    con.close()
    marker.write_text(json.dumps({"factor": factor, "seconds": time.perf_counter() - t0}))
    return folder


# --------------------------------------------------------------------------------------------
# wardwatch


def gate_contract(exclude: tuple[str, ...] = ()) -> tuple[Any, list[str]]:
    """The default contract, minus checks named in it that are not registered (yet) and the
    checks in ``exclude``."""
    from importlib import resources

    import yaml

    from wardwatch.quality import CHECKS, contract_from_dict

    text = resources.files("wardwatch.quality").joinpath("default_contract.yaml").read_text()
    data = yaml.safe_load(text)
    missing = [c["check"] for c in data["checks"] if c["check"] not in CHECKS]
    data["checks"] = [
        c for c in data["checks"] if c["check"] in CHECKS and c["check"] not in exclude
    ]
    return contract_from_dict(data, origin="default_contract.yaml"), missing


def lake_rows(lake_dir: Path) -> dict[str, int]:
    from wardwatch.core.lake import Lake

    lake = Lake(lake_dir)
    return {t: lake.count(t) for t in (*TABLES3, "quarantine")}


def child_gate(lake_dir: Path, as_of: str, exclude: tuple[str, ...]) -> None:
    """(In the child process) run the gate once and print its figures as JSON."""
    from wardwatch.core.lake import Lake
    from wardwatch.quality import run_gate

    contract, missing = gate_contract(exclude)
    t0, c0 = time.perf_counter(), time.process_time()
    report = run_gate(
        Lake(lake_dir), contract, engine="duckdb", as_of=datetime.fromisoformat(as_of)
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    results = [
        {
            "check": r.check,
            "table": r.table,
            "checked": r.checked,
            "failed": r.failed,
            "error": r.error,
            "by_reason": r.by_reason,
        }
        for r in report.results
    ]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "report_seconds": report.seconds,
                "verdict": str(getattr(report.verdict, "value", report.verdict)),
                "results": results,
                "missing": missing,
            }
        )
    )


def bench_gate(lake_dir: Path, as_of: datetime, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """``run_gate`` with the default contract (less ``exclude``) on DuckDB, in a fresh
    process."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child-gate",
            str(lake_dir),
            as_of.isoformat(),
            ",".join(exclude),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"the gate failed:\n{out.stderr[-4000:]}")
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    result["load"] = _load()
    return result


def best_gate(
    lake_dir: Path, as_of: datetime, repeat: int, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The fastest of ``repeat`` runs of :func:`bench_gate` (other work on the machine only
    ever slows a run down), with every run's seconds in ``runs``."""
    runs = [bench_gate(lake_dir, as_of, exclude) for _ in range(max(1, repeat))]
    best = min(runs, key=lambda r: r["seconds"])
    best["runs"] = [r["seconds"] for r in runs]
    return best


def profile_gate(lake_dir: Path, as_of: datetime) -> list[dict[str, Any]]:
    """Every (check, table) of the contract run one at a time (in-process), with its time and
    the number of queries it sends to the engine; the gate's closing work (row counts, list of
    sources) last."""
    from wardwatch.core.lake import Lake
    from wardwatch.quality import CheckContext, open_engine
    from wardwatch.quality import _gate as gate

    contract, _ = gate_contract()
    jobs = [(spec, t) for spec in contract.checks for t in gate._tables(spec)]
    rows: list[dict[str, Any]] = []
    with open_engine("duckdb", Lake(lake_dir)) as eng:
        calls = [0]
        for name in ("to_arrow", "scalar"):
            fn = getattr(eng, name)

            def counted(expr: Any, _fn: Any = fn) -> Any:
                calls[0] += 1
                return _fn(expr)

            setattr(eng, name, counted)
        held = eng.held

        @contextlib.contextmanager
        def counted_held(expr: Any) -> Any:  # keeping rows is a query too
            calls[0] += 1
            with held(expr) as table:
                yield table

        eng.held = counted_held  # type: ignore[method-assign]
        ctx = CheckContext(
            engine=eng,
            as_of=as_of,
            max_findings=contract.max_findings,
            sources=tuple(contract.sources),
        )
        for spec, table in jobs:
            calls[0] = 0
            t0, c0 = time.perf_counter(), time.process_time()
            r = gate._run_one(ctx, spec, table)
            rows.append(
                {
                    "check": spec.check,
                    "table": table,
                    "seconds": time.perf_counter() - t0,
                    "cpu": time.process_time() - c0,
                    "queries": calls[0],
                    "checked": r.checked,
                    "failed": r.failed,
                    "error": r.error,
                }
            )
        calls[0] = 0
        t0, c0 = time.perf_counter(), time.process_time()
        from wardwatch.core.schemas import QUARANTINE, TABLES

        for t in (*TABLES, QUARANTINE.name):
            ctx.rows(t)
        gate._source_files(ctx)
        rows.append(
            {
                "check": "(gate: row counts, sources)",
                "table": "",
                "seconds": time.perf_counter() - t0,
                "cpu": time.process_time() - c0,
                "queries": calls[0],
                "checked": 0,
                "failed": 0,
                "error": None,
            }
        )
    return rows


def print_gate(label: str, gate: dict[str, Any], rows: dict[str, int]) -> None:
    total = sum(v for k, v in rows.items() if k != "quarantine")
    runs = gate.get("runs", [gate["seconds"]])
    best = f" (best of {', '.join(f'{r:.1f}' for r in runs)})" if len(runs) > 1 else ""
    print(
        f"\n{label}: {gate['seconds']:.2f} s{best}, {gate['cpu']:.1f} CPU s, "
        f"{total / gate['seconds']:,.0f} rows/s, "
        f"verdict {gate['verdict']}  (run_gate in a fresh process; cold DuckDB, warm file "
        f"cache; {gate['load']} after)"
    )
    if gate["missing"]:
        print(f"  not registered yet (left out of the contract): {', '.join(gate['missing'])}")
    per: dict[str, list[int]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for r in gate["results"]:
        p = per.setdefault(r["check"], [0, 0, 0])
        p[0] += r["checked"]
        p[1] += r["failed"]
        p[2] += 1 if r["error"] else 0
        for k, v in r["by_reason"].items():
            reasons.setdefault(r["check"], {})[k] = reasons.get(r["check"], {}).get(k, 0) + v
    print(f"  {'check':22}{'checked':>12}{'failed':>10}{'errors':>8}  reasons")
    for check, (checked, failed, errors) in per.items():
        why = ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.get(check, {}).items()))
        print(f"  {check:22}{checked:>12,}{failed:>10,}{errors or '':>8}  {why}")
    for r in gate["results"]:
        if r["error"]:
            print(f"  ERROR {r['check']} on {r['table']}: {r['error']}")


def print_profile(label: str, prof: list[dict[str, Any]]) -> None:
    total = sum(p["seconds"] for p in prof)
    cpu = sum(p["cpu"] for p in prof)
    print(
        f"\n{label}: every (check, table) run one at a time, {total:.2f} s in all "
        f"({cpu:.1f} CPU s, {_load()} after)"
    )
    print(
        f"  {'check':30}{'table':14}{'seconds':>9}{'CPU s':>8}{'share':>7}{'queries':>9}"
        f"{'failed':>10}"
    )
    shown = sorted(prof, key=lambda p: -p["seconds"])
    rest = [p for p in shown if p["seconds"] < 0.05]
    for p in shown:
        if p["seconds"] < 0.05:
            continue
        print(
            f"  {p['check']:30}{p['table']:14}{p['seconds']:>9.2f}{p['cpu']:>8.2f}"
            f"{p['seconds'] / total:>7.0%}"
            f"{p['queries']:>9}{p['failed']:>10,}" + (f"  ERROR {p['error']}" if p["error"] else "")
        )
    if rest:
        print(
            f"  {len(rest)} others under 0.05 s each: {sum(p['seconds'] for p in rest):.2f} s, "
            f"{sum(p['queries'] for p in rest)} queries"
        )
    by: dict[str, list[float]] = {}
    for p in prof:
        b = by.setdefault(p["check"], [0.0, 0])
        b[0] += p["seconds"]
        b[1] += p["queries"]
    print(
        "  per check: "
        + ", ".join(
            f"{k} {v[0]:.2f}s/{int(v[1])}q" for k, v in sorted(by.items(), key=lambda kv: -kv[1][0])
        )
    )


# --------------------------------------------------------------------------------------------
# Great Expectations

#: What the GX suite cannot say, per wardwatch check (printed with the figures).
NOT_IN_GX: dict[str, str] = {
    "references": "no cross-table expectation: pandas merges with the patients' and the "
    "encounters' ids (timed as part of GX), then expect_column_values_to_not_be_null on the "
    "merged id and expect_column_pair_values_to_be_equal for the encounter's patient",
    "times": "before-birth, after-death and outside-encounter need the patient's and the "
    "encounter's times: pandas merges (timed as part of GX) + pair expectations on derived "
    "columns (birth as a UTC timestamp, death + 24 h, encounter start - 24 h / end + 24 h)",
    "codes": "LOINC mod-10, SNOMED Verhoeff and NPI Luhn check digits (format regexes only); "
    "UCUM grammar (approximated by the set of units of the lab table); the ICD-10-CM list as a "
    "pandas merge with the 149k billable codes + not-null (expect_column_values_to_be_in_set "
    "with that list is GX's own way, but costs tens of seconds whatever the row count, timed "
    "apart below)",
    "plausibility": "expressed as one expect_column_values_to_be_between per (LOINC code, unit) "
    "with a row_condition (limits converted per unit) and one unit set per code; null units "
    "are not flagged",
    "unit-switch": "not expressible: needs per-site, per-month value distributions against "
    "the series' baseline (no GX expectation groups rows)",
    "duplicate-events": "expect_compound_columns_to_be_unique counts every copy, the first "
    "included, and cannot exempt the components of one observation",
    "duplicate-patients": "not expressible: fuzzy matching (typos, swapped digits, transposed "
    "dates); the suite only has exact (family, given, birth date) uniqueness",
    "charting-delay": "a derived column (effective + 72 h, delay in hours) + a pair expectation; "
    "the delay distribution as column quantile/mean/max expectations",
    "quarantine": "expect_table_row_count_to_equal(0) on the quarantine table (no per-reason or "
    "per-source counts)",
    "profile": "not expressible as a profile: GX has per-column metric expectations only",
    "profile-drift": "not expressible against a saved profile (KL divergence needs a partition "
    "object per column)",
}


#: wardwatch checks the GX suite has nothing for (left out of the "same checks" ratio).
GX_NONE = ("unit-switch", "profile", "profile-drift")


def load_pandas(lake_dir: Path, sample: int | None) -> tuple[dict[str, Any], float, float]:
    """The three tables (and the quarantine, without its raw record) as pandas DataFrames.

    Returns (frames, seconds, fraction of patients kept): with ``sample``, a random share of the
    patients is kept with their encounters and observations (references stay consistent).
    """
    import pyarrow.parquet as pq

    from wardwatch.core.lake import Lake

    lake = Lake(lake_dir)
    t0 = time.perf_counter()
    frames: dict[str, Any] = {}
    for t in (*TABLES3, "quarantine"):
        cols = None
        if t == "quarantine":
            cols = [
                f.name for f in pq.read_schema(lake.files(t)[0]) if f.name not in ("raw", "found")
            ]
        frames[t] = lake.read(t, columns=cols).to_pandas()
    seconds = time.perf_counter() - t0
    frac = 1.0
    n_obs = len(frames["observations"])
    if sample and sample < n_obs:
        frac = sample / n_obs
        pats = frames["patients"]
        keep = set(pats["patient_id"].drop_duplicates().sample(frac=frac, random_state=0))
        for t in TABLES3:
            df = frames[t]
            frames[t] = df[df["patient_id"].isin(keep)].reset_index(drop=True)
        frac = len(frames["observations"]) / n_obs
        q = frames["quarantine"]
        frames["quarantine"] = q.sample(frac=frac, random_state=0).reset_index(drop=True)
    return frames, seconds, frac


def icd10cm_in_set() -> list[str]:
    """The billable ICD-10-CM codes, with and without the dot (both forms are valid)."""
    from wardwatch.terminology import icd10cm_code_list

    icd = icd10cm_code_list().billable
    return sorted(icd | {c[:3] + "." + c[3:] for c in icd if len(c) > 3})


def gx_suites(frames: dict[str, Any], as_of: datetime) -> dict[str, tuple[Any, list[Any]]]:
    """The wardwatch checks as GX expectations, per DataFrame (derived columns added in place).

    Every expectation carries ``meta.ww`` = the wardwatch check it stands for.
    """
    import great_expectations.expectations as gxe
    import pandas as pd
    from great_expectations.expectations.row_conditions import Column as Col

    from wardwatch.core.schemas import table_spec
    from wardwatch.quality.checks.structure import ALLOWED_VALUES
    from wardwatch.terminology import (
        CODE_SYSTEMS,
        ICD10CM,
        LABS,
        LOINC,
        SNOMED,
    )

    now = pd.Timestamp(as_of)
    day = pd.Timedelta(hours=24)
    pats, encs, obs = frames["patients"], frames["encounters"], frames["observations"]

    # Derived columns: what wardwatch's joins give its predicates. GX has no cross-table
    # expectation, so references and the ICD-10-CM list are pandas merges (a key column that is
    # null where nothing matched) checked with expect_column_values_to_not_be_null:
    # expect_column_values_to_be_in_set with a list of 100k+ values costs GX tens of seconds
    # per expectation whatever the row count (it copies the list for every metric), see
    # gx_in_set_cost.
    pats["_birth"] = pd.to_datetime(pats["birth_date"]).dt.tz_localize("UTC")
    life = pats.groupby("patient_id").agg(_birth=("_birth", "min"), _death=("death_time", "min"))
    life["_death_24h"] = life["_death"] + day
    life["_pid"] = life.index
    spans = encs.groupby("encounter_id").agg(
        _estart=("start_time", "min"), _eend=("end_time", "max"), _epid=("patient_id", "max")
    )
    spans["_estart_24h"] = spans["_estart"] - day
    spans["_eend_24h"] = spans["_eend"] + day
    spans["_eid"] = spans.index
    icd = pd.DataFrame({"_icd": icd10cm_in_set()})
    encs2 = encs.merge(life, left_on="patient_id", right_index=True, how="left").merge(
        icd, left_on="reason_code", right_on="_icd", how="left"
    )
    obs2 = obs.merge(life, left_on="patient_id", right_index=True, how="left").merge(
        spans, left_on="encounter_id", right_index=True, how="left"
    )
    obs2["_eff_72h"] = obs2["effective_time"] + pd.Timedelta(hours=72)
    obs2["_delay_h"] = (obs2["recorded_time"] - obs2["effective_time"]).dt.total_seconds() / 3600
    frames["encounters"], frames["observations"] = encs2, obs2

    def x(check: str, cls: Any, **kw: Any) -> Any:
        return cls(meta={"ww": check}, **kw)

    suites: dict[str, tuple[Any, list[Any]]] = {}
    for table, df in (("patients", pats), ("encounters", encs2), ("observations", obs2)):
        spec = table_spec(table)
        ex: list[Any] = []
        ex.append(
            x(
                "schema",
                gxe.ExpectTableColumnsToMatchSet,
                column_set=list(spec.names),
                exact_match=False,
            )
        )
        kinds = {
            "str": "object",
            "float": "float64",
            "int": "int64",
            "bool": "bool",
            "ts": "datetime64[us, UTC]",
            "date": "object",
            "list_str": "object",
        }
        for c in spec.all_columns:
            ex.append(x("schema", gxe.ExpectColumnTypeToBe, column=c.name, type_=kinds[c.kind]))
        for c in spec.all_columns:
            if c.required:
                ex.append(x("required", gxe.ExpectColumnValuesToNotBeNull, column=c.name))
                if c.kind == "str":
                    ex.append(
                        x(
                            "required",
                            gxe.ExpectColumnValuesToNotMatchRegex,
                            column=c.name,
                            regex=r"^\s*$",
                        )
                    )
        for col, values in ALLOWED_VALUES.get(table, {}).items():
            ex.append(
                x(
                    "allowed-values",
                    gxe.ExpectColumnValuesToBeInSet,
                    column=col,
                    value_set=list(values),
                )
            )
        ex.append(x("unique-keys", gxe.ExpectColumnValuesToBeUnique, column=spec.key))
        for c in spec.columns:  # future dates
            if c.kind in ("ts", "date"):
                col = "_birth" if c.name == "birth_date" else c.name
                ex.append(x("times", gxe.ExpectColumnValuesToBeBetween, column=col, max_value=now))
        suites[table] = (df, ex)

    # patients
    ex = suites["patients"][1]
    ex.append(
        x(
            "times",
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            column_A="death_time",
            column_B="_birth",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
    )
    ex.append(
        x(
            "duplicate-patients",
            gxe.ExpectCompoundColumnsToBeUnique,
            column_list=["family_name", "given_name", "birth_date"],
        )
    )

    # encounters
    ex = suites["encounters"][1]
    pair = gxe.ExpectColumnPairValuesAToBeGreaterThanB
    ignore = "either_value_is_missing"
    ex.append(
        x(
            "references",
            gxe.ExpectColumnValuesToNotBeNull,
            column="_pid",
            row_condition=Col("patient_id").is_not_null(),
        )
    )
    ex.append(
        x(
            "times",
            pair,
            column_A="end_time",
            column_B="start_time",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    for col in ("start_time", "end_time"):
        ex.append(
            x("times", pair, column_A=col, column_B="_birth", or_equal=True, ignore_row_if=ignore)
        )
        ex.append(
            x(
                "times",
                pair,
                column_A="_death_24h",
                column_B=col,
                or_equal=True,
                ignore_row_if=ignore,
            )
        )
    ex.append(
        x(
            "codes",
            gxe.ExpectColumnValuesToNotBeNull,
            column="_icd",
            row_condition=(Col("reason_system") == ICD10CM.uri) & Col("reason_code").is_not_null(),
        )
    )
    ex.append(
        x(
            "codes",
            gxe.ExpectColumnValuesToMatchRegex,
            column="type_code",
            regex=r"^[1-9][0-9]{5,17}$",
            row_condition=Col("type_system") == SNOMED.uri,
        )
    )
    ex.append(
        x(
            "codes",
            gxe.ExpectColumnValuesToMatchRegex,
            column="practitioner_npi",
            regex=r"^[12][0-9]{9}$",
        )
    )
    for col in ("type_system", "reason_system"):
        ex.append(
            x(
                "codes",
                gxe.ExpectColumnValuesToBeInSet,
                column=col,
                value_set=[s.uri for s in CODE_SYSTEMS.values()],
            )
        )

    # observations
    ex = suites["observations"][1]
    ex.append(
        x(
            "references",
            gxe.ExpectColumnValuesToNotBeNull,
            column="_pid",
            row_condition=Col("patient_id").is_not_null(),
        )
    )
    ex.append(
        x(
            "references",
            gxe.ExpectColumnValuesToNotBeNull,
            column="_eid",
            row_condition=Col("encounter_id").is_not_null(),
        )
    )
    ex.append(
        x(
            "references",
            gxe.ExpectColumnPairValuesToBeEqual,
            column_A="patient_id",
            column_B="_epid",
            ignore_row_if=ignore,
            row_condition=Col("_pid").is_not_null(),  # a dangling patient is counted once
        )
    )
    ex.append(
        x(
            "times",
            pair,
            column_A="effective_time",
            column_B="_birth",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    ex.append(
        x(
            "times",
            pair,
            column_A="_death_24h",
            column_B="effective_time",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    ex.append(
        x(
            "times",
            pair,
            column_A="recorded_time",
            column_B="effective_time",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    ex.append(
        x(
            "times",
            pair,
            column_A="effective_time",
            column_B="_estart_24h",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    ex.append(
        x(
            "times",
            pair,
            column_A="_eend_24h",
            column_B="effective_time",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    ex.append(
        x(
            "codes",
            gxe.ExpectColumnValuesToMatchRegex,
            column="code",
            regex=r"^[1-9][0-9]{0,6}-[0-9]$",
            row_condition=Col("code_system") == LOINC.uri,
        )
    )
    ex.append(
        x(
            "codes",
            gxe.ExpectColumnValuesToBeInSet,
            column="code_system",
            value_set=[s.uri for s in CODE_SYSTEMS.values()],
        )
    )
    units = sorted({u for s in LABS.values() for u in s.units})
    ex.append(x("codes", gxe.ExpectColumnValuesToBeInSet, column="value_unit", value_set=units))
    for code, lab in LABS.items():
        ex.append(
            x(
                "plausibility",
                gxe.ExpectColumnValuesToBeInSet,
                column="value_unit",
                value_set=list(lab.units),
                row_condition=Col("code") == code,
            )
        )
        for unit in lab.units:
            conv = lab.conversion(unit)
            if conv is None:
                continue
            inv = conv.inverse()
            lo, hi = sorted(inv.apply(v) for v in lab.plausible)
            ex.append(
                x(
                    "plausibility",
                    gxe.ExpectColumnValuesToBeBetween,
                    column="value_num",
                    min_value=lo,
                    max_value=hi,
                    row_condition=(Col("code") == code) & (Col("value_unit") == unit),
                )
            )
    ex.append(
        x(
            "duplicate-events",
            gxe.ExpectCompoundColumnsToBeUnique,
            column_list=[
                "patient_id",
                "code",
                "code_system",
                "effective_time",
                "value_num",
                "value_unit",
                "value_code",
                "value_text",
            ],
        )
    )
    ex.append(
        x(
            "charting-delay",
            pair,
            column_A="_eff_72h",
            column_B="recorded_time",
            or_equal=True,
            ignore_row_if=ignore,
        )
    )
    ex.append(
        x(
            "charting-delay",
            gxe.ExpectColumnQuantileValuesToBeBetween,
            column="_delay_h",
            quantile_ranges={
                "quantiles": [0.5, 0.95, 0.99],
                "value_ranges": [[None, None], [None, None], [None, None]],
            },
        )
    )
    ex.append(x("charting-delay", gxe.ExpectColumnMeanToBeBetween, column="_delay_h"))
    ex.append(x("charting-delay", gxe.ExpectColumnMaxToBeBetween, column="_delay_h"))

    suites["quarantine"] = (
        frames["quarantine"],
        [x("quarantine", gxe.ExpectTableRowCountToEqual, value=0)],
    )
    return suites


def gx_in_set_cost(frames: dict[str, Any]) -> float:
    """Seconds GX takes for the idiomatic ICD-10-CM check, expect_column_values_to_be_in_set
    with the 149k billable codes, on the encounters (not part of the suite's time)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("icd")
        .add_dataframe_asset("encounters")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frames["encounters"]})
    )
    t0 = time.perf_counter()
    batch.validate(
        gxe.ExpectColumnValuesToBeInSet(column="reason_code", value_set=icd10cm_in_set()),
        result_format="SUMMARY",
    )
    return time.perf_counter() - t0


def bench_gx(frames: dict[str, Any], as_of: datetime) -> dict[str, Any]:
    """Build the suites and run them with an ephemeral GX context (pandas datasource)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    t0 = time.perf_counter()
    suites = gx_suites(frames, as_of)
    t_prep = time.perf_counter() - t0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    ds = context.data_sources.add_pandas("lake")
    per: dict[str, list[int]] = {}
    failures: list[str] = []
    n_exp = 0
    t_run = 0.0
    per_table: dict[str, tuple[int, float]] = {}
    for table, (df, expectations) in suites.items():
        t1 = time.perf_counter()
        batch_def = ds.add_dataframe_asset(table).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations))
        n_exp += len(expectations)
        # Batch.validate, not ValidationDefinition.run: the latter stores the results as JSON
        # and GX 1.24 fails there on its own quantile expectation's numpy booleans.
        batch = batch_def.get_batch(batch_parameters={"dataframe": df})
        res = batch.validate(suite, result_format="SUMMARY")
        per_table[table] = (len(expectations), time.perf_counter() - t1)
        t_run += per_table[table][1]
        for r in res.results:
            check = r.expectation_config.meta["ww"]
            p = per.setdefault(check, [0, 0, 0])
            p[0] += 1
            info = r.exception_info or {}
            if info.get("raised_exception"):
                p[2] += 1
                failures.append(
                    f"{table} {r.expectation_config.type}: "
                    f"{str(info.get('exception_message')).splitlines()[0][:120]}"
                )
            elif not r.success:
                n = r.result.get("unexpected_count")
                if n is None and r.expectation_config.type == "expect_table_row_count_to_equal":
                    n = r.result.get("observed_value")
                p[1] += int(n) if isinstance(n, int) else 1
    return {
        "prep_seconds": t_prep,
        "run_seconds": t_run,
        "expectations": n_exp,
        "per_table": per_table,
        "per_check": per,
        "exceptions": failures,
    }


# --------------------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child-gate":
        child_gate(Path(sys.argv[2]), sys.argv[3], tuple(filter(None, sys.argv[4].split(","))))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--observations",
        type=int,
        default=1_000_000,
        help="observation rows of the generated lake (default 1,000,000)",
    )
    ap.add_argument(
        "--defects",
        default="all=0.002",
        help="defect rates given to the generator ('' for a clean lake)",
    )
    ap.add_argument(
        "--scale",
        type=int,
        default=1,
        help="also run the gate on a lake this many times as large (10: 10M rows)",
    )
    ap.add_argument(
        "--gx-sample",
        type=int,
        default=0,
        help="run GX on about this many observations and extrapolate (0: all)",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each wardwatch gate this many times, keep the best",
    )
    ap.add_argument("--skip-gx", action="store_true", help="leave Great Expectations out")
    ap.add_argument("--no-profile", action="store_true", help="no per-check times")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    as_of = datetime.now(UTC).replace(microsecond=0)
    lake = workload(args.out, args.observations, args.defects)
    rows = lake_rows(lake)
    total = sum(v for k, v in rows.items() if k != "quarantine")
    print(
        f"workload: {rows['observations']:,} observations, {rows['encounters']:,} encounters, "
        f"{rows['patients']:,} patients ({total:,} rows; {rows['quarantine']:,} quarantined "
        f"records), defects {args.defects or 'none'}; {os.cpu_count()} cores, {_load()}; as of "
        f"{as_of.isoformat()}"
    )
    summary: list[tuple[str, int, float, float, str]] = []

    ww = best_gate(lake, as_of, args.repeat)
    print_gate("wardwatch gate (DuckDB)", ww, rows)
    summary.append(
        ("wardwatch run_gate (DuckDB)", total, ww["seconds"], ww["cpu"], ww["load"] + " after")
    )
    prof: list[dict[str, Any]] = []
    if not args.no_profile:
        prof = profile_gate(lake, as_of)
        print_profile("per-check times (DuckDB, in-process)", prof)

    gx_total: float | None = None
    if not args.skip_gx:
        c0 = time.process_time()
        frames, t_load, frac = load_pandas(lake, args.gx_sample or None)
        cpu_load = time.process_time() - c0
        n_gx = sum(len(frames[t]) for t in TABLES3)
        print(
            f"\nGreat Expectations {_gx_version()} (pandas, ephemeral context, result_format "
            f"SUMMARY), in-process, on {n_gx:,} rows"
            + (f" ({frac:.1%} of the patients; times extrapolated linearly)" if frac < 1 else "")
        )
        print(f"  load Parquet -> pandas: {t_load:.2f} s (all {total:,} rows)")
        c0 = time.process_time()
        gx = bench_gx(frames, as_of)
        cpu_gx = time.process_time() - c0
        scale = 1.0 / frac
        gx_checks = (gx["prep_seconds"] + gx["run_seconds"]) * scale
        print(
            f"  derived columns + merges + suite building: {gx['prep_seconds']:.2f} s; "
            f"validation ({gx['expectations']} expectations): {gx['run_seconds']:.2f} s"
        )
        print(
            "  validation per table: "
            + ", ".join(f"{t} {n} exp. {sec:.1f} s" for t, (n, sec) in gx["per_table"].items())
        )
        print(f"  {'check':22}{'expectations':>13}{'unexpected':>12}{'ww failed':>11}  raised")
        ww_failed: dict[str, int] = {}
        for r in ww["results"]:
            if r["table"] in (*TABLES3, "quarantine"):
                ww_failed[r["check"]] = ww_failed.get(r["check"], 0) + r["failed"]
        for check, (n, unexpected, raised) in gx["per_check"].items():
            print(
                f"  {check:22}{n:>13}{unexpected:>12,}{ww_failed.get(check, 0):>11,}"
                f"  {raised or ''}"
            )
        for line in gx["exceptions"][:10]:
            print(f"  raised: {line}")
        print("  not expressible in GX (or only partly):")
        for check in ww_failed:
            if check in NOT_IN_GX:
                print(f"    - {check}: {NOT_IN_GX[check]}")
        gx_total = gx_checks + t_load
        note = "extrapolated" if frac < 1 else ""
        gx_note = f"{note} {_load()} after".strip()
        same = best_gate(lake, as_of, args.repeat, GX_NONE)
        summary.insert(
            1,
            (
                "wardwatch, checks GX also runs",
                total,
                same["seconds"],
                same["cpu"],
                f"{same['load']} after; without {', '.join(GX_NONE)}",
            ),
        )
        summary.append(
            ("Great Expectations: checks only", total, gx_checks, cpu_gx * scale, gx_note)
        )
        summary.append(
            (
                "Great Expectations: load + checks",
                total,
                gx_total,
                (cpu_gx * scale + cpu_load),
                gx_note,
            )
        )
        t_in_set = gx_in_set_cost(frames)
        print(
            f"  GX's own way to check the ICD-10-CM list, expect_column_values_to_be_in_set with "
            f"149k codes, alone on the encounters: {t_in_set:.1f} s (not in the times above)"
        )

    big: dict[str, Any] | None = None
    if args.scale > 1:
        lake_k = scaled_lake(lake, args.scale)
        rows_k = lake_rows(lake_k)
        total_k = sum(v for k, v in rows_k.items() if k != "quarantine")
        print(
            f"\nscaled lake x{args.scale}: {rows_k['observations']:,} observations, "
            f"{rows_k['encounters']:,} encounters, {rows_k['patients']:,} patients "
            f"({total_k:,} rows)"
        )
        big = best_gate(lake_k, as_of, args.repeat)
        print_gate(f"wardwatch gate (DuckDB) x{args.scale}", big, rows_k)
        summary.append(
            (
                f"wardwatch run_gate x{args.scale}",
                total_k,
                big["seconds"],
                big["cpu"],
                big["load"] + " after",
            )
        )
        if not args.no_profile:
            print_profile(f"per-check times x{args.scale}", profile_gate(lake_k, as_of))

    print()
    print(f"{'':36}{'rows':>12}{'seconds':>10}{'rows/s':>13}{'CPU s':>9}")
    for label, n, sec, cpu, note in summary:
        print(f"{label:36}{n:>12,}{sec:>10.2f}{n / sec:>13,.0f}{cpu:>9.1f}   {note}")
    print()
    if gx_total is not None:
        print(
            f"GX / wardwatch: {gx_checks / ww['seconds']:5.1f}x on the checks alone, "
            f"{gx_total / ww['seconds']:5.1f}x with GX's load into pandas "
            f"(wardwatch's time includes reading Parquet)   (goal >= {GOAL_RATIO:g}x)"
        )
        print(
            f"GX / wardwatch on the checks GX also runs (wardwatch without "
            f"{', '.join(GX_NONE)}): {gx_checks / same['seconds']:5.1f}x on the checks "
            f"alone, {gx_total / same['seconds']:5.1f}x with GX's load"
        )
        print(
            f"in CPU seconds (less sensitive to other work on the machine): "
            f"{cpu_gx * scale / ww['cpu']:5.1f}x whole gate, "
            f"{cpu_gx * scale / same['cpu']:5.1f}x the checks GX also runs"
        )
    if big is not None:
        obs_k = lake_rows(lake_k)["observations"]
        print(
            f"gate over {obs_k:,} observations: {big['seconds']:.1f} s "
            f"({big['cpu']:.0f} CPU s) on {os.cpu_count()} cores   (goal < {GOAL_10M_S:g} s "
            f"for 10M)"
        )


def _load() -> str:
    """The 1-minute load average: other work on the machine slows every figure down."""
    return f"load {os.getloadavg()[0]:.1f}"


def _gx_version() -> str:
    from importlib.metadata import version

    return version("great_expectations")


if __name__ == "__main__":
    main()
