"""The workspace's MLflow store, lazy import, and MLflow's global state left as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wardwatch.core.workspace import init_workspace
from wardwatch.errors import ConfigError
from wardwatch.train import workspace_tracking
from wardwatch.train._tracking import Tracker, import_mlflow


def test_workspace_tracking_paths(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    uri, artifacts = workspace_tracking(ws)
    assert uri == f"sqlite:///{ws.state_dir / 'mlflow.db'}"
    assert uri.startswith("sqlite:////")  # an absolute path
    assert artifacts == ws.mlruns_dir.resolve().as_uri()
    assert ws.mlruns_dir.is_dir()


def test_workspace_mlflow_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``[mlflow]`` in wardwatch.toml moves runs and the registry (a relative SQLite path is
    the workspace's); ``WARDWATCH_MLFLOW_URI`` overrides it, e.g. with PostgreSQL."""
    from wardwatch.core.workspace import CONFIG_NAME, open_workspace

    ws = init_workspace(tmp_path / "ws")
    config = ws.root / CONFIG_NAME
    text = config.read_text().replace('tracking_uri = ""', 'tracking_uri = "sqlite:///ml/runs.db"')
    config.write_text(text.replace('artifacts = ""', 'artifacts = "ml/artifacts"'))
    uri, artifacts = workspace_tracking(open_workspace(ws.root))
    assert uri == f"sqlite:///{ws.root / 'ml' / 'runs.db'}"
    assert artifacts == (ws.root / "ml" / "artifacts").as_uri()
    assert (ws.root / "ml" / "artifacts").is_dir()
    monkeypatch.setenv("WARDWATCH_MLFLOW_URI", "postgresql+psycopg://u@127.0.0.1:5/mlflow")
    uri, _ = workspace_tracking(open_workspace(ws.root))
    assert uri == "postgresql+psycopg://u@127.0.0.1:5/mlflow"
    config.write_text(text.replace('artifacts = ""', 'artifacts = "s3://bucket/mlruns"'))
    assert workspace_tracking(open_workspace(ws.root))[1] == "s3://bucket/mlruns"
    config.write_text(text.replace("[mlflow]", "[mlflow]\nbogus = 1"))
    with pytest.raises(ConfigError, match=r"mlflow\.bogus"):
        open_workspace(ws.root)


@pytest.mark.slow
def test_importing_train_does_not_import_mlflow() -> None:
    code = "import sys, wardwatch.train; print('mlflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.slow
def test_tracker_restores_the_callers_tracking_uri(tmp_path: Path, monkeypatch) -> None:
    mlflow = import_mlflow()
    theirs = (tmp_path / "theirs").as_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", theirs)
    assert mlflow.get_tracking_uri() == theirs
    ours = f"sqlite:///{tmp_path / 'ours.db'}"
    with Tracker(ours, (tmp_path / "art").as_uri(), "exp one") as tracker:
        assert mlflow.get_tracking_uri() == ours
        run_id = tracker.start_run("r", tags={"k": "v"})
        tracker.log(run_id, params={"p": [1, 2]}, metrics={"m": 0.5, "nan": float("nan")})
        tracker.end_run(run_id)
    assert mlflow.get_tracking_uri() == theirs
    assert os.environ["MLFLOW_TRACKING_URI"] == theirs
    run = mlflow.MlflowClient(ours).get_run(run_id)
    assert run.data.params == {"p": "[1, 2]"}
    assert run.data.metrics == {"m": 0.5}  # NaN is not logged
    assert run.data.tags["k"] == "v"
    # a second session reuses the experiment; its artifacts sit in a folder named after it
    with Tracker(ours, None, "exp one") as again:
        assert again.experiment_id == tracker.experiment_id
    exp = mlflow.MlflowClient(ours).get_experiment(tracker.experiment_id)
    assert exp.artifact_location.endswith("/art/exp_one")


@pytest.mark.slow
def test_deleted_experiment_is_a_config_error(tmp_path: Path) -> None:
    mlflow = import_mlflow()
    uri = f"sqlite:///{tmp_path / 'm.db'}"
    client = mlflow.MlflowClient(uri)
    client.delete_experiment(client.create_experiment("gone"))
    with pytest.raises(ConfigError, match="experiment gone is deleted"), Tracker(uri, None, "gone"):
        pass
