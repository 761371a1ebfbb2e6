"""A trained workspace for the registry tests, made once per test process.

``trained`` trains the small synthetic use case (logreg and LightGBM) into an MLflow SQLite
store and evaluates both models (a real evaluation report each, 200 bootstrap replicates);
the quality and leakage reports are hand-written. ``rws`` copies that MLflow store and the
reports into a fresh workspace on SQLite or PostgreSQL (``ws_any_store``), so every test
starts from the same trained state without training again.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.train._data import make_frame, make_usecase

from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.registry import Identity, Registry, authenticate, bootstrap_admin, create_identity

USECASE = "test-readmission"

QUALITY = {
    "verdict": "pass",
    "summary": {"checks_run": 12, "checks_failed": 0, "findings": 0},
    "contract": "default",
    "started_at": "2026-11-01T08:00:00+00:00",
}
LEAKAGE = {
    "kind": "leakage-audit",
    "usecase": USECASE,
    "verdict": "pass",
    "features": [{"name": "age", "status": "ok"}],
    "patient_overlap": 0,
    "label_before_prediction": 0,
}
LENIENT = {
    "name": "lenient",
    "gates": [
        {"check": "quality_passed"},
        {"check": "leakage_clean"},
        {"check": "auroc_lower_ci", "min": 0.5},
    ],
}
STRICT = {"name": "strict", "gates": [{"check": "auroc_lower_ci", "min": 0.99}]}


@dataclass(frozen=True)
class Trained:
    root: Path
    mlflow_db: Path
    best: str
    runs: dict[str, str]
    reports: dict[str, bytes]


def _copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy of an SQLite database (its WAL included)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(src)) as a,
        contextlib.closing(sqlite3.connect(dst)) as b,
    ):
        a.backup(b)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    from wardwatch.cli.evaluate import evaluate_test_split
    from wardwatch.train import train_usecase, workspace_tracking

    ws = init_workspace(tmp_path_factory.mktemp("registry-template"))
    uri, artifacts = workspace_tracking(ws)
    frame, _ = make_frame(700, seed=5)
    usecase = make_usecase(evaluation={"n_bootstrap": 200})
    with contextlib.redirect_stdout(io.StringIO()):
        run = train_usecase(frame, usecase, tracking_uri=uri, artifact_location=artifacts, seed=1)
    reports: dict[str, bytes] = {
        "quality-20261101T080000Z.json": json.dumps(QUALITY).encode(),
        f"leakage-{USECASE}.json": json.dumps(LEAKAGE).encode(),
    }
    summary = run.to_dict()
    for name in run.models:
        report = evaluate_test_split(run.test_predictions, usecase, summary, name)
        reports[f"evaluation-{USECASE}-{name}.json"] = report.to_json()
    return Trained(
        root=ws.root,
        mlflow_db=ws.state_dir / "mlflow.db",
        best=run.best_model,
        runs={n: m.run_id for n, m in run.models.items()},
        reports=reports,
    )


def stage(trained: Trained, ws: Workspace) -> Workspace:
    """Put the trained MLflow store and the reports into ``ws``."""
    _copy_sqlite(trained.mlflow_db, ws.state_dir / "mlflow.db")
    ws.reports_dir.mkdir(parents=True, exist_ok=True)
    for name, data in trained.reports.items():
        (ws.reports_dir / name).write_bytes(data)
    return ws


@pytest.fixture
def rws(trained: Trained, ws_any_store: Workspace) -> Workspace:
    """A trained workspace on SQLite or PostgreSQL (parametrized by ``store_url``)."""
    return stage(trained, ws_any_store)


@pytest.fixture
def registry(rws: Workspace) -> Any:
    reg = Registry.from_workspace(rws)
    yield reg
    reg.close()


@dataclass(frozen=True)
class People:
    admin: Identity
    engineer: Identity
    engineer2: Identity
    approver: Identity
    approver2: Identity
    viewer: Identity
    clinician: Identity
    keys: dict[str, str]

    def by_role(self, role: str) -> Identity:
        return next(
            p
            for p in (self.admin, self.engineer, self.approver, self.viewer, self.clinician)
            if p.role == role
        )


def make_people(store: Store, audit: Any) -> People:
    keys = {"ada": bootstrap_admin(store, "ada", audit=audit)}
    admin = authenticate(store, keys["ada"])
    for name, role in (
        ("eve", "ml-engineer"),
        ("emil", "ml-engineer"),
        ("ann", "approver"),
        ("abe", "approver"),
        ("val", "viewer"),
        ("cleo", "clinician"),
    ):
        keys[name] = create_identity(store, name, role, by=admin, audit=audit)[1]
    ids = {n: authenticate(store, k) for n, k in keys.items()}
    return People(
        admin=admin,
        engineer=ids["eve"],
        engineer2=ids["emil"],
        approver=ids["ann"],
        approver2=ids["abe"],
        viewer=ids["val"],
        clinician=ids["cleo"],
        keys=keys,
    )


@pytest.fixture
def people(registry: Registry) -> People:
    return make_people(registry.store, registry.audit)


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)
