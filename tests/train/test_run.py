"""train_usecase end to end against a real MLflow SQLite store in a workspace.

MLflow takes seconds to import and to create its database, so one trained session (module
scope) serves every assertion about what was logged.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from tests.train._data import INDEX_ID, PATIENT_ID, make_frame, make_usecase

from wardwatch.core.workspace import init_workspace
from wardwatch.errors import ConfigError, InputError
from wardwatch.features import parse_usecase
from wardwatch.train import (
    TrainingRun,
    feature_matrix,
    prediction_column,
    train_usecase,
    workspace_tracking,
)

PROVENANCE = {"encounters.ndjson": "ab" * 32, "observations.ndjson": "cd" * 32}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from wardwatch.train._tracking import import_mlflow

    mlflow = import_mlflow()
    ws = init_workspace(tmp_path_factory.mktemp("ws"))
    uri, artifacts = workspace_tracking(ws)
    frame, _ = make_frame(1500, seed=3)
    usecase = make_usecase()
    calls: list[tuple[str, int, int]] = []
    before = mlflow.get_tracking_uri()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run = train_usecase(
            frame,
            usecase,
            tracking_uri=uri,
            artifact_location=artifacts,
            provenance=PROVENANCE,
            seed=7,
            progress=lambda *a: calls.append(a),
        )
    return {
        "mlflow": mlflow,
        "ws": ws,
        "uri": uri,
        "frame": frame,
        "usecase": usecase,
        "run": run,
        "calls": calls,
        "stdout": out.getvalue(),
        "uri_before": before,
        "uri_after": mlflow.get_tracking_uri(),
        "client": mlflow.MlflowClient(tracking_uri=uri),
    }


@pytest.mark.slow
def test_training_run_result(session) -> None:
    run: TrainingRun = session["run"]
    frame = session["frame"]
    assert list(run.models) == ["logreg", "lgbm"]
    assert run.best_model in run.models
    best_auc = max(m.metrics["validation_auroc"] for m in run.models.values())
    assert run.best.metrics["validation_auroc"] == best_auc
    assert run.split.patient_overlap == 0
    for m in run.models.values():
        assert m.metrics["validation_auroc"] > 0.7
        assert m.metrics["test_auroc"] > 0.7
        assert m.model_uri.startswith("models:/")
        assert m.params["random_state"] == 7
    test = run.test_predictions
    assert list(test.columns[:4]) == ["index_id", "patient_id", "index_time", "label"]
    assert {"group_sex", "group_site", "y_prob_logreg", "y_prob_lgbm"} <= set(test.columns)
    assert len(test) == run.split.counts["test"].rows
    assert set(test["index_id"]) == set(frame.loc[run.split.mask("test"), "index_id"])
    assert len(run.validation_predictions) == run.split.counts["validation"].rows
    assert test[prediction_column("lgbm")].between(0, 1).all()
    # test patients are in no other split
    others = set(frame.loc[~run.split.mask("test") & ~run.split.mask("dropped"), "patient_id"])
    assert not others & set(test["patient_id"])
    # the probabilities are the calibrated model's
    x = feature_matrix(frame.set_index("index_id").loc[test["index_id"]], run.usecase.features)
    assert np.allclose(run.best.estimator.predict_proba(x)[:, 1], test[f"y_prob_{run.best_model}"])


@pytest.mark.slow
def test_to_dict_has_no_ids_and_is_json(session) -> None:
    text = json.dumps(session["run"].to_dict())
    assert not re.search(PATIENT_ID, text)
    assert not re.search(INDEX_ID, text)
    summary = json.loads(text)
    assert summary["split"]["patient_overlap"] == 0
    assert summary["fingerprint"]["provenance_sha256"]


@pytest.mark.slow
def test_quiet_and_global_state_restored(session) -> None:
    assert session["stdout"] == ""
    assert session["uri_before"] == session["uri_after"]
    calls = session["calls"]
    assert calls[0][:2] == ("split", 0)
    assert calls[-1] == ("done", calls[-1][2] - 1, calls[-1][2])
    assert [c[1] for c in calls] == list(range(len(calls)))


@pytest.mark.slow
def test_mlflow_runs_params_metrics_tags(session) -> None:
    client, run = session["client"], session["run"]
    runs = client.search_runs([run.experiment_id])
    assert len(runs) == 3
    by_id = {r.info.run_id: r for r in runs}
    parent = by_id[run.parent_run_id]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["wardwatch.role"] == "session"
    assert parent.data.tags["wardwatch.best_model"] == run.best_model
    assert parent.data.metrics["best_validation_auroc"] == pytest.approx(
        run.best.metrics["validation_auroc"]
    )
    for name, m in run.models.items():
        child = by_id[m.run_id]
        assert child.info.status == "FINISHED"
        tags, params, metrics = child.data.tags, child.data.params, child.data.metrics
        assert tags["mlflow.parentRunId"] == run.parent_run_id
        assert tags["wardwatch.model"] == name
        assert tags["wardwatch.best"] == str(name == run.best_model).lower()
        assert tags["wardwatch.dataset_fingerprint"] == run.fingerprint.sha256
        assert tags["wardwatch.table_sha256"] == run.fingerprint.table_sha256
        assert tags["wardwatch.provenance_sha256"] == run.fingerprint.provenance_sha256
        assert tags["wardwatch.code_version"] == run.code.version
        assert tags["wardwatch.code_dirty"] in ("true", "false", "unknown")
        assert params["seed"] == "7"
        assert params["calibration.method"] == "isotonic"
        assert params["split.train.fraction"] == "0.6"
        assert params["split.patient_overlap"] == "0"
        assert params["features"] == ",".join(f.name for f in run.usecase.features)
        assert params["model.family"] == m.family
        assert params["model.random_state"] == "7"
        for split in ("validation", "test"):
            for metric in ("auroc", "auprc", "brier", "log_loss"):
                assert metrics[f"{split}_{metric}"] == pytest.approx(m.metrics[f"{split}_{metric}"])
                assert f"{split}_uncalibrated_{metric}" in metrics
    assert by_id[run.models["logreg"].run_id].data.params["model.C"] == "1.0"
    assert by_id[run.models["lgbm"].run_id].data.params["model.n_estimators"] == "60"


@pytest.mark.slow
def test_mlflow_artifacts(session, tmp_path: Path) -> None:
    client, run = session["client"], session["run"]
    child = run.models["logreg"].run_id
    names = {a.path for a in client.list_artifacts(child)}
    assert {"usecase.yaml", "split.json", "lineage.json", "environment.json"} <= names
    spec = Path(client.download_artifacts(child, "usecase.yaml", str(tmp_path)))
    assert parse_usecase(yaml.safe_load(spec.read_text())) == session["usecase"]
    split = json.loads(
        Path(client.download_artifacts(child, "split.json", str(tmp_path))).read_text()
    )
    assert split["patient_overlap"] == 0
    assert re.fullmatch(r"\d{4}-\d{2}", split["splits"]["test"]["start"])  # months only
    env = json.loads(
        Path(client.download_artifacts(child, "environment.json", str(tmp_path))).read_text()
    )
    assert env["packages"]["mlflow"] == "3.17.2"
    # artifacts live in the workspace
    ws = session["ws"]
    assert any(ws.mlruns_dir.rglob("usecase.yaml"))
    assert (ws.state_dir / "mlflow.db").is_file()


@pytest.mark.slow
def test_logged_model_loads_and_predicts_the_same(session, monkeypatch) -> None:
    mlflow, run, frame = session["mlflow"], session["run"], session["frame"]
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", session["uri"])
    x = feature_matrix(frame.head(200), run.usecase.features)
    for m in run.models.values():
        expected = m.estimator.predict_proba(x)
        loaded = mlflow.sklearn.load_model(m.model_uri)
        assert np.allclose(loaded.predict_proba(x), expected)
        # the pyfunc flavor serves probabilities under the logged signature (None allowed)
        assert x["disposition"].isna().any()
        served = mlflow.pyfunc.load_model(m.model_uri).predict(x)
        assert np.allclose(np.asarray(served), expected)


def _texts(root: Path) -> list[tuple[str, str]]:
    out = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        out.append((str(path), data.decode("latin-1")))
        if zipfile.is_zipfile(path):  # skops model files are zip archives
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    out.append((f"{path}!{member}", zf.read(member).decode("latin-1")))
    return out


@pytest.mark.slow
def test_nothing_identifying_reaches_mlflow(session) -> None:
    ws, client, run, frame = session["ws"], session["client"], session["run"], session["frame"]
    days = set(frame["index_time"].dt.strftime("%Y-%m-%d"))
    db = (ws.state_dir / "mlflow.db").read_bytes().decode("latin-1")
    texts = [*_texts(ws.mlruns_dir), ("mlflow.db", db)]
    for r in client.search_runs([run.experiment_id]):
        texts.append((r.info.run_id, json.dumps([r.data.params, r.data.tags, r.info.run_name])))
    assert len(texts) > 10
    for where, text in texts:
        assert not re.search(PATIENT_ID, text), where
        assert not re.search(INDEX_ID, text), where
        found = set(re.findall(r"\d{4}-\d{2}-\d{2}", text)) & days
        assert not found, where


def test_bad_inputs_fail_before_anything_is_logged(tmp_path: Path) -> None:
    frame, _ = make_frame(300, seed=1)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    kw: dict[str, Any] = {"tracking_uri": uri, "artifact_location": tmp_path.as_uri()}
    bad_param = make_usecase(
        models=[{"name": "lr", "family": "logistic_regression", "params": {"alpha": 1}}]
    )
    with pytest.raises(ConfigError, match="model lr: unknown LogisticRegression parameter alpha"):
        train_usecase(frame, bad_param, **kw)
    with pytest.raises(InputError, match="labels must be 0 or 1"):
        train_usecase(frame.assign(label=frame["label"] * 2), make_usecase(), **kw)
    with pytest.raises(InputError, match=r"split \w+ is empty"):
        train_usecase(frame.head(4), make_usecase(), **kw)
    no_cal = make_usecase(split={"train": 0.7, "calibration": 0, "validation": 0.1, "test": 0.2})
    with pytest.raises(ConfigError, match="calibration method isotonic needs a calibration split"):
        train_usecase(frame, no_cal, **kw)
    assert not (tmp_path / "mlflow.db").exists()
