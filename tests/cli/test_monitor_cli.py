"""``wardwatch monitor`` as an on-call person runs it: replay, run, alerts, ack, resolve."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import typer
from tests.monitor.conftest import START, USECASE, Deployed, deployment_frame
from tests.monitor.conftest import deployed as deployed
from tests.registry.conftest import trained as trained
from typer.testing import CliRunner

from wardwatch.cli.monitor import monitor_app
from wardwatch.features import FeatureSet, featureset_dir
from wardwatch.monitor import replay_predictions

_app = typer.Typer()
_app.add_typer(monitor_app, name="monitor")
_runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    r = _runner.invoke(_app, ["monitor", *args])
    crash = "" if isinstance(r.exception, SystemExit | None) else repr(r.exception)
    return r.exit_code, r.stdout, r.stderr + crash


def _older(frame: pd.DataFrame) -> None:
    later = frame["index_time"] >= START + pd.Timedelta(weeks=2)
    frame.loc[later, "age"] = (frame.loc[later, "age"] + 15).clip(upper=100)


def test_run_alerts_ack_resolve(deployed: Deployed) -> None:
    ws = str(deployed.ws.root)
    replay_predictions(deployed.ws, deployed.served, deployment_frame(3, seed=31, change=_older))
    code, out, err = cli(
        "run", "-m", USECASE, "-w", ws, "--window", "weekly", "--since", "2021-01-04", "--json"
    )
    assert code == 0, err
    run = json.loads(out)
    assert len(run["windows"]) == 3
    assert "age" in run["windows"][2]["drifted_features"]
    assert run["rollback"]["triggered"] is False

    code, out, _ = cli("alerts", "-w", ws, "--owner", "data-feed", "--json")
    assert code == 0
    alerts = json.loads(out)
    age = next(a for a in alerts if a["scope"] == "feature:age")
    assert age["status"] == "open"

    # a clinician may not acknowledge; an ML engineer may
    code, _, err = cli("ack", str(age["id"]), "-c", "looking", "-w", ws,
                       "--api-key", deployed.keys["cleo"])  # fmt: skip
    assert code != 0
    assert "\n" not in err.strip()
    code, out, _ = cli("ack", str(age["id"]), "-c", "lab team called", "-w", ws,
                       "--api-key", deployed.keys["eve"], "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["status"] == "acknowledged"
    code, out, _ = cli("resolve", str(age["id"]), "-c", "feed fixed", "-w", ws,
                       "--api-key", deployed.keys["eve"], "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["status"] == "resolved"
    code, out, _ = cli("alerts", "-w", ws, "--status", "resolved")
    assert f"#{age['id']}" in out

    code, out, _ = cli("run", "-m", USECASE, "-w", ws, "--since", "2021-01-04")
    assert code == 0
    assert "3 windows of 7 days" in out


def test_replay_scores_the_feature_set(deployed: Deployed) -> None:
    frame = deployment_frame(2, seed=32)
    _save_features(featureset_dir(deployed.ws.state_dir, USECASE), frame, deployed)
    code, out, err = cli("replay", "-m", USECASE, "-w", str(deployed.ws.root),
                         "--since", "2021-01-11", "--json")  # fmt: skip
    assert code == 0, err
    d = json.loads(out)
    after = frame["index_time"] >= START + pd.Timedelta(weeks=1)
    assert d["rows"] == int(after.sum())


def test_bad_window_and_unknown_model_are_one_line_errors(deployed: Deployed) -> None:
    ws = str(deployed.ws.root)
    code, _, err = cli("run", "-m", USECASE, "-w", ws, "--window", "fortnightly")
    assert code == 2
    assert "bad window length" in err
    code, _, err = cli("run", "-m", "no-such-model", "-w", ws)
    assert code == 2
    assert "Traceback" not in err


def _save_features(folder: Path, frame: pd.DataFrame, deployed: Deployed) -> None:
    """The use case's feature set in the workspace, as ``features build`` leaves it."""
    FeatureSet(
        usecase=deployed.served.usecase,
        as_of=datetime(2021, 3, 1, tzinfo=UTC),
        engine="duckdb",
        frame=frame.sort_values(["index_time", "index_id"]).reset_index(drop=True),
        source_times=frame[["index_id", "index_time"]].assign(label_time=pd.NaT),
        attrition=[],
    ).save(folder)
