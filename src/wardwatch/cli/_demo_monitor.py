"""The demo's monitoring step: a drift after deployment, caught and routed to its owner.

The hospital's production feed after deployment: new patients of the same synthetic
hospital (the same seed with twice the patients; the first half are the training
population and are left out), simulated to the end of September 2026 and ingested into a
workspace of their own (``<workspace>/production``). From January 2026 the lab interface
sends glucose in mmol/L while the unit field still says mg/dL: the demo divides those values
by 18.016 in the FHIR feed before ingest, the failure the unit-switch check and monitoring
exist for. The quality gate reads the feed, the features are built, the discharges from
January 2025 on are scored by the champion into the prediction log as the service would
have (``monitor replay``), and monitoring runs over quarterly windows. The demo hospital is
small (about fifty discharges a quarter), so the demo judges windows from 30 rows instead
of the default rules' 100 to 200.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.features import build_features, lake_provenance
from wardwatch.ingest import ingest as run_ingest
from wardwatch.monitor import (
    Outcomes,
    RollbackPolicy,
    RuleSet,
    default_rollback_policy,
    load_rules,
    parse_rollback_policy,
    replay_predictions,
    run_monitor,
)
from wardwatch.quality import default_contract, open_engine, run_gate
from wardwatch.registry import Registry
from wardwatch.serve import load_version
from wardwatch.synth import SynthConfig, generate

__all__ = ["monitor_demo"]

DEPLOYED = datetime(2025, 1, 1, tzinfo=UTC)
SWITCH = "2026-01-01"
GLUCOSE = {"2345-7", "2339-0"}
MMOL_PER_MGDL = 18.016
QUARTER = timedelta(days=91)
DEMO_MIN_N = 30


def _demo_rules() -> RuleSet:
    rules = load_rules(None)
    return RuleSet(
        rules=tuple(
            r.model_copy(update={"min_n": min(r.min_n, DEMO_MIN_N)}) if r.min_n else r
            for r in rules.rules
        ),
        source="default rules, min_n at most 30",
    )


def _demo_rollback() -> RollbackPolicy:
    """The packaged criteria plus one a clinical team might agree for a pilot: a unit switch
    in a feed the model reads calls for a rollback recommendation (a person decides)."""
    base = default_rollback_policy()
    extra = parse_rollback_policy(
        {
            "action": "recommend",
            "conditions": [{"metric": "feed.unit_switch", "scope": "feed:*", "above": 0}],
        },
        "demo rollback policy",
    )
    return base.model_copy(update={"conditions": [*base.conditions, *extra.conditions]})


def monitor_demo(
    ws: Workspace, say: Callable[[str], None], usecase: str, seed: int, patients: int
) -> dict[str, Any]:
    """Step 10 of the demo (see the module docstring); what happened, for ``--json``."""
    say(
        "[bold]10. monitor[/] after deployment the lab feed sends glucose in mmol/L "
        f"labelled mg/dL from {SWITCH}"
    )
    prod = init_workspace(ws.root / "production")
    feed = generate(
        SynthConfig(
            patients=2 * patients,
            seed=seed,
            out=prod.root / "feed",
            format="ndjson",
            end=date(2026, 9, 30),
            hl7=False,  # the production interface sends FHIR only
            claims_csv=False,
        )
    )
    trained_on = _patient_ids(ws.root / "data" / "synthetic" / "Patient.ndjson")
    switched = _silent_unit_switch(feed.out / "Observation.ndjson", SWITCH)
    ingested = run_ingest(prod, [feed.out])
    lake = Lake(prod.lake_dir)
    contract = default_contract()
    gate = run_gate(lake, contract.model_copy(update={"name": "default[production]"}))
    gate_json, gate_html = gate.write(ws.reports_dir, stem="quality-production-feed")
    unit = next((r for r in gate.to_dict()["results"] if r["check"] == "unit-switch"), None)
    say(
        f"   production feed: {ingested.records_in:,} records, {switched:,} glucose results "
        f"switched; quality gate {gate.verdict.upper()}, unit-switch findings "
        f"{unit['failed'] if unit else 0:,}  ->  {gate_html}"
    )
    registry = Registry.from_workspace(ws)
    try:
        served = load_version(registry, usecase, "champion")
        with open_engine("duckdb", lake) as engine:
            fs = build_features(engine, served.usecase, provenance=lake_provenance(lake))
        frame = fs.frame[~fs.frame["patient_id"].isin(trained_on)].reset_index(drop=True)
        after = pd.to_datetime(frame["index_time"], utc=True) >= DEPLOYED
        replayed = replay_predictions(ws, served, frame[after].reset_index(drop=True))
    finally:
        registry.close()
    say(
        f"   {replayed.rows} discharges of new patients since {DEPLOYED:%Y-%m-%d} scored by "
        f"{usecase} version {replayed.version} into the prediction log"
    )
    outcomes = Outcomes.from_frame(frame, ws.secret(), served.usecase.label.window_days)
    run = run_monitor(
        ws, usecase, start=DEPLOYED, end=DEPLOYED + QUARTER * 7, window=QUARTER,
        rules=_demo_rules(), rollback_policy=_demo_rollback(), outcomes=outcomes,
    )  # fmt: skip
    for w in run.windows:
        drifted = [
            o.scope.removeprefix("feature:")
            for o in w.observations
            if o.metric == "feature.drift_score" and o.drifted
        ]
        say(
            f"   {w.window.start:%Y-%m-%d}..{w.window.end - timedelta(days=1):%Y-%m-%d}: "
            f"{w.n} scored, drifted inputs: {', '.join(drifted) or 'none'}"
        )
        for a in w.alerts:
            if a["outcome"] == "new":
                say(f"     [bold]alert -> {a['owner']} owner[/] ({a['rule']}): {a['why']}")
    if run.rollback and run.rollback.get("triggered"):
        say(f"   [bold]rollback {run.rollback.get('action')}[/]: {run.rollback.get('why')}")
    say(f"   alerts: wardwatch monitor alerts --workspace {ws.root}")
    return {
        "production_workspace": str(prod.root),
        "gate": {"verdict": gate.verdict, "json": str(gate_json), "report": str(gate_html)},
        "glucose_switched": switched,
        "replayed": replayed.to_dict(),
        "monitoring": run.to_dict(),
    }


def _patient_ids(path: Path) -> set[str]:
    return {
        str(orjson.loads(line)["id"]) for line in path.read_bytes().splitlines() if line.strip()
    }


def _silent_unit_switch(path: Path, since: str) -> int:
    """Divide glucose values from ``since`` by 18.016 and leave their unit as it was (a lab
    interface converting to mmol/L without saying so); the number of results changed."""
    out: list[bytes] = []
    changed = 0
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        res = orjson.loads(line)
        codes = {c.get("code") for c in (res.get("code") or {}).get("coding") or []}
        qty = res.get("valueQuantity")
        when = str(res.get("effectiveDateTime", ""))
        if codes & GLUCOSE and isinstance(qty, dict) and when >= since and "value" in qty:
            qty["value"] = round(float(qty["value"]) / MMOL_PER_MGDL, 1)
            changed += 1
            line = orjson.dumps(res)
        out.append(line)
    path.write_bytes(b"\n".join(out) + b"\n")
    return changed
