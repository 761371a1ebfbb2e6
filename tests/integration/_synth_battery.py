"""Helpers of the synth detection battery (``test_synth_battery.py``): a champion trained on
``wardwatch synth`` output as the demo trains it, production feeds of the same synthetic
hospital made and ingested as the demo makes them, and monitoring runs over them."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from tests.registry.conftest import LENIENT, make_people

from wardwatch.cli.evaluate import evaluate_test_split
from wardwatch.cli.features import audit_with_split
from wardwatch.cli.train import save_training
from wardwatch.core.lake import Lake
from wardwatch.core.workspace import Workspace, init_workspace, open_workspace
from wardwatch.features import (
    FeatureSet,
    build_features,
    default_usecase_path,
    featureset_dir,
    lake_provenance,
    load_usecase,
)
from wardwatch.ingest import ingest
from wardwatch.monitor import MonitorRun, Outcomes, RuleSet, load_rules, replay_predictions
from wardwatch.monitor import run_monitor as monitor
from wardwatch.quality import QualityReport, default_contract, open_engine, run_gate
from wardwatch.registry import Registry, parse_policy
from wardwatch.serve import load_version
from wardwatch.synth import SynthConfig, generate
from wardwatch.train import train_usecase, workspace_tracking

__all__ = [
    "Champion",
    "Feed",
    "alerts_in",
    "battery_rules",
    "production_feed",
    "run_monitor",
    "train_champion",
]


@dataclass(frozen=True)
class Champion:
    """A workspace whose use case has a champion trained on synthetic patients."""

    ws: Workspace
    usecase: str
    version: int
    model: str
    patients: frozenset[str]
    rows: int


@dataclass(frozen=True)
class Feed:
    """A production feed ingested into its own workspace: where its FHIR files are, the
    quality gate's report on it, and the feature rows of the patients the champion never
    saw (as the demo keeps them)."""

    ws: Workspace
    folder: Path
    gate: QualityReport
    gate_json: Path
    frame: pd.DataFrame


def _patient_ids(path: Path) -> frozenset[str]:
    return frozenset(
        str(orjson.loads(line)["id"]) for line in path.read_bytes().splitlines() if line
    )


def _features(ws: Workspace) -> FeatureSet:
    lake = Lake(ws.lake_dir)
    with open_engine("duckdb", lake) as engine:
        return build_features(
            engine, load_usecase(default_usecase_path()), provenance=lake_provenance(lake)
        )


def train_champion(root: Path, *, patients: int, seed: int) -> Champion:
    """The demo's steps 1-7 on ``patients`` synthetic patients (FHIR only, the default
    period): ingest, the quality gate, features and the leakage audit, training (logistic
    regression and LightGBM, calibrated, the best kept), evaluation, registration, a second
    person's approval and promotion to champion. The version is gated under the registry
    tests' lenient policy (clean data and features, AUROC above chance): the pilot policy's
    subgroup and net-benefit gates are not what this battery is about."""
    ws = init_workspace(root)
    # a fixed pseudonym key: the patient-level bootstrap intervals of monitoring (which
    # resample by pseudonym) are then the same from run to run
    (ws.state_dir / "secret.key").write_text(f"{seed:064x}")
    feed = generate(
        SynthConfig(patients=patients, seed=seed, out=root / "data" / "synthetic", hl7=False,
                    claims_csv=False)
    )  # fmt: skip
    ingest(ws, [feed.out])
    run_gate(Lake(ws.lake_dir), default_contract()).write(ws.reports_dir, stem="quality-clean")
    fs = _features(ws)
    usecase = fs.usecase
    fs.save(featureset_dir(ws.state_dir, usecase.name))
    audit_with_split(fs).save_json(ws.reports_dir / f"leakage-{usecase.name}.json")
    uri, artifacts = workspace_tracking(ws)
    with contextlib.redirect_stdout(io.StringIO()):
        run = train_usecase(
            fs.frame, usecase, tracking_uri=uri, artifact_location=artifacts,
            provenance=fs.provenance,
        )  # fmt: skip
    save_training(ws, run)
    summary = run.to_dict()
    report = evaluate_test_split(run.test_predictions, usecase, summary, run.best_model)
    report.write(ws.reports_dir, stem=f"evaluation-{usecase.name}-{run.best_model}")
    reg = Registry.from_workspace(ws)
    try:
        people = make_people(reg.store, reg.audit)
        v = reg.register(
            usecase.name, model=run.best_model, identity=people.engineer,
            policy=parse_policy(LENIENT),
        )  # fmt: skip
        reg.approve(usecase.name, v.version, identity=people.approver, comment="pilot")
        reg.promote(usecase.name, v.version, identity=people.engineer, reason="first release")
    finally:
        reg.close()
    return Champion(
        ws=ws,
        usecase=usecase.name,
        version=v.version,
        model=run.best_model,
        patients=_patient_ids(feed.out / "Patient.ndjson"),
        rows=len(fs.frame),
    )


def production_feed(
    root: Path,
    champion: Champion,
    *,
    patients: int,
    seed: int,
    end: date,
    drift: str | None = None,
) -> Feed:
    """The hospital's feed after deployment as the demo makes it: the same seed with more
    patients (the champion's training patients are left out of the rows), simulated to
    ``end`` with ``drift`` (a ``wardwatch synth --drift`` spec), ingested into a workspace of
    its own, gated with the default contract and turned into the use case's feature rows."""
    ws = init_workspace(root)
    feed = generate(
        SynthConfig(patients=patients, seed=seed, out=root / "feed", end=end, drift=drift,
                    hl7=False, claims_csv=False)
    )  # fmt: skip
    ingest(ws, [feed.out])
    gate = run_gate(
        Lake(ws.lake_dir), default_contract().model_copy(update={"name": "default[production]"})
    )
    gate_json, _ = gate.write(ws.reports_dir, stem="quality-production-feed")
    fs = _features(ws)
    frame = fs.frame[~fs.frame["patient_id"].isin(champion.patients)].reset_index(drop=True)
    return Feed(ws, feed.out, gate, gate_json, frame)


def battery_rules(min_n: int) -> RuleSet:
    """The packaged rules with every ``min_n`` lowered to at most ``min_n`` (as the demo's
    ``_demo_rules`` does for its small hospital)."""
    rules = load_rules(None)
    return RuleSet(
        rules=tuple(
            r.model_copy(update={"min_n": min(r.min_n, min_n)}) if r.min_n else r
            for r in rules.rules
        ),
        source=f"default rules, min_n at most {min_n}",
    )


def _monitored_copy(champion: Champion, root: Path, feed: Feed) -> Workspace:
    """A copy of the champion's workspace (registry, reference, an empty alert book and
    prediction log) with the feed's quality report as its newest."""
    src = champion.ws.root

    def skip(folder: str, names: list[str]) -> Iterable[str]:
        here = Path(folder)
        if here == src:
            return [n for n in names if n == "data"]
        if here == champion.ws.lake_dir.parent:
            return [n for n in names if n == champion.ws.lake_dir.name]
        return []

    shutil.copytree(src, root, ignore=skip)
    ws = open_workspace(root)
    ws.lake_dir.mkdir(parents=True, exist_ok=True)
    for old in ws.reports_dir.glob("quality-*"):
        old.unlink()
    shutil.copyfile(feed.gate_json, ws.reports_dir / feed.gate_json.name)
    return ws


def run_monitor(
    champion: Champion,
    feed: Feed,
    root: Path,
    *,
    start: datetime,
    windows: int,
    window: timedelta,
    rules: RuleSet,
    as_of: datetime,
) -> MonitorRun:
    """Score the feed's rows of ``[start, start + windows * window)`` by the champion into
    the prediction log of a copy of its workspace (``monitor replay``), and monitor those
    windows with ``rules`` and the rows' outcomes known at ``as_of``."""
    ws = _monitored_copy(champion, root, feed)
    end = start + windows * window
    times = pd.to_datetime(feed.frame["index_time"], utc=True)
    rows = feed.frame[(times >= start) & (times < end)].reset_index(drop=True)
    reg = Registry.from_workspace(ws)
    try:
        served = load_version(reg, champion.usecase, "champion")
    finally:
        reg.close()
    replay_predictions(ws, served, rows)
    outcomes = Outcomes.from_frame(rows, ws.secret(), served.usecase.label.window_days)
    return monitor(
        ws, champion.usecase, start=start, end=end, window=window, rules=rules,
        outcomes=outcomes, as_of=as_of,
    )  # fmt: skip


def alerts_in(run: MonitorRun, at: datetime) -> list[dict[str, Any]]:
    """The alerts raised (new, or an open alert firing again) in the window starting at
    ``at``."""
    (w,) = [w for w in run.windows if w.window.start == at.astimezone(UTC)]
    return list(w.alerts)


class Battery:
    """The battery's feeds and monitoring runs, each made once on first use: the no-drift
    feed (``kind`` None) and one feed per drift kind, all of the same synthetic hospital."""

    def __init__(
        self,
        champion: Champion,
        root: Path,
        *,
        patients: int,
        seed: int,
        end: date,
        drift_at: datetime,
        window: timedelta,
        rules: RuleSet,
        as_of: datetime,
    ) -> None:
        self.champion = champion
        self.root = root
        self.patients = patients
        self.seed = seed
        self.end = end
        self.drift_at = drift_at
        self.window = window
        self.rules = rules
        self.as_of = as_of
        self._feeds: dict[str | None, Feed] = {}
        self._runs: dict[tuple[str | None, int], MonitorRun] = {}

    def feed(self, kind: str | None, param: str | None = None) -> Feed:
        """The production feed with ``kind`` drift from ``drift_at`` (None: no drift)."""
        if kind not in self._feeds:
            spec = None
            if kind is not None:
                spec = f"{kind}@{self.drift_at:%Y-%m-%d}" + (f":{param}" if param else "")
            self._feeds[kind] = production_feed(
                self.root / (kind or "no-drift"), self.champion, patients=self.patients,
                seed=self.seed, end=self.end, drift=spec,
            )  # fmt: skip
        return self._feeds[kind]

    def run(self, kind: str | None, *, before: int = 1, param: str | None = None) -> MonitorRun:
        """Monitoring of the ``kind`` feed over ``before`` windows before ``drift_at`` and
        the first full window from it."""
        key = (kind, before)
        if key not in self._runs:
            self._runs[key] = run_monitor(
                self.champion, self.feed(kind, param), self.root / f"monitor-{kind}-{before}",
                start=self.drift_at - before * self.window, windows=before + 1,
                window=self.window, rules=self.rules, as_of=self.as_of,
            )  # fmt: skip
        return self._runs[key]
