"""MLflow's tracking and model registry on PostgreSQL, with the wardwatch store there too."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from tests.registry.conftest import LEAKAGE, QUALITY, make_people
from tests.train._data import make_frame, make_usecase

from wardwatch.core.workspace import init_workspace
from wardwatch.registry import (
    Evidence,
    GateRefusedError,
    Registry,
    export_evidence,
    parse_policy,
)
from wardwatch.registry._mlflow import mlflow_client
from wardwatch.registry.cards import verify_evidence_bundle

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

POLICY = parse_policy(
    {"name": "data", "gates": [{"check": "quality_passed"}, {"check": "leakage_clean"}]}
)


def test_register_promote_rollback_with_mlflow_on_postgresql(
    pg_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wardwatch.train import train_usecase

    tracking = pg_cluster.new_database()
    monkeypatch.setenv("WARDWATCH_STORE_URL", pg_cluster.new_database())
    monkeypatch.setenv("WARDWATCH_MLFLOW_URI", tracking)  # the workspace's MLflow store
    ws = init_workspace(tmp_path / "ws")
    usecase = make_usecase(name="pg-readmission")
    frame, _ = make_frame(500, seed=9)
    with contextlib.redirect_stdout(io.StringIO()):
        run = train_usecase(
            frame,
            usecase,
            tracking_uri=tracking,
            artifact_location=(tmp_path / "mlruns").as_uri(),
            seed=2,
        )
    reg = Registry.from_workspace(ws)
    assert reg.tracking_uri == tracking
    try:
        people = make_people(reg.store, reg.audit)
        evidence = Evidence.from_reports(quality=QUALITY, leakage=LEAKAGE)
        versions = []
        for name in ("logreg", "lgbm"):
            v = reg.register(
                "pg-readmission",
                model=name,
                identity=people.engineer,
                evidence=evidence,
                policy=POLICY,
            )
            assert v.run_id == run.models[name].run_id
            assert v.gate
            assert v.gate.passed
            assert v.lineage["mlflow"]["tracking_uri"].startswith("postgresql+psycopg://")
            versions.append(v.version)
        v1, v2 = versions
        with pytest.raises(GateRefusedError, match="no approval"):
            reg.promote("pg-readmission", v1, identity=people.engineer)
        for v in versions:
            reg.approve("pg-readmission", v, identity=people.approver, comment="ok")
        reg.promote("pg-readmission", v1, identity=people.engineer)
        reg.promote("pg-readmission", v2, identity=people.engineer)
        reg.rollback("pg-readmission", identity=people.approver, reason="latency")
        with mlflow_client(tracking) as client:
            champion = client.get_model_version_by_alias("pg-readmission", "champion")
            assert int(champion.version) == v1
            assert champion.run_id == run.models["logreg"].run_id
            assert reg.check_aliases() == []
            client.set_registered_model_alias("pg-readmission", "challenger", str(v2))
        (problem,) = reg.check_aliases()
        assert "pg-readmission@challenger: MLflow points to version 2" in problem
        assert reg.audit.verify().ok
        # The model card and the evidence bundle, from the registry on PostgreSQL.
        path, card, summary = export_evidence(
            reg, "pg-readmission", "champion", tmp_path / "evidence.zip", identity=people.approver
        )
        assert card.inputs.version == str(v1)
        assert summary["audit_events"] >= 4
        assert verify_evidence_bundle(path, public_key=reg.audit.public_key()) == []
    finally:
        reg.close()
