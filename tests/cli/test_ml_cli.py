"""``wardwatch features build|audit``, ``train`` and ``evaluate`` on a generated population.

One workspace for the module (generation, ingest, MLflow training take a while); each step
is a real subprocess, as a user or a CI job would run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from wardwatch.features._spec import default_usecase_path

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def wardwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wardwatch", *args], capture_output=True, text=True, timeout=600
    )


def ok(*args: str) -> dict:  # type: ignore[type-arg]
    out = wardwatch(*args, "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ml")
    ws = root / "ws"
    assert wardwatch("init", str(ws)).returncode == 0
    feed = root / "feed"
    out = wardwatch("synth", "--patients", "1200", "--seed", "3", "--out", str(feed))
    assert out.returncode == 0, out.stderr
    ok("ingest", str(feed), "-w", str(ws))
    return ws


def test_build_audit_train_in_order(ws: Path) -> None:
    built = ok("features", "build", "-w", str(ws))
    assert built["index_events"] > 300
    assert built["attrition"][0]["step"] == "index events"
    assert 0.05 < built["label_rate"] < 0.35
    audit = ok("features", "audit", "-w", str(ws))
    assert audit["verdict"] == "pass"
    assert audit["patient_overlap"] == 0
    assert all(f["late_rows"] == 0 for f in audit["features"])
    assert Path(audit["report_files"]["html"]).is_file()
    trained = ok("train", "-w", str(ws))
    assert trained["best_model"] in ("logreg", "lgbm")
    assert trained["split"]["patient_overlap"] == 0
    evaluation = ok("evaluate", "-w", str(ws))
    assert evaluation["model"] == trained["best_model"] or trained["best_model"] in str(
        evaluation["model"]
    )
    assert 0.5 < evaluation["discrimination"]["auroc"]["value"] < 1.0
    html = Path(evaluation["report_files"]["html"]).read_text()
    assert "TRIPOD" in html
    assert "<script" not in html
    other = ok("evaluate", "-w", str(ws), "--model", "logreg")
    assert "logreg" in str(other["model"])


def test_a_leaky_usecase_fails_the_audit_with_exit_1(ws: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(default_usecase_path().read_text())
    data["name"] = "leaky"
    data["features"].append(
        {"name": "next_ip", "kind": "utilization", "classes": ["IMP"], "window_days": 30,
         "lookahead_days": 30}
    )  # fmt: skip
    spec = tmp_path / "leaky.yaml"
    spec.write_text(yaml.safe_dump(data))
    ok("features", "build", "-w", str(ws), "--usecase", str(spec))
    out = wardwatch("features", "audit", "-w", str(ws), "--usecase", str(spec), "--json")
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert report["verdict"] == "fail"
    assert "next_ip" in [f["name"] for f in report["features"] if f["status"] == "leak"]


def test_errors_are_one_line_with_exit_2(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nfeatures: []\nmodels: []\n")
    out = wardwatch("features", "build", "-w", str(ws), "--usecase", str(bad))
    assert out.returncode == 2
    assert "invalid use case at features" in out.stderr
    assert "Traceback" not in out.stderr
    fresh = tmp_path / "fresh"
    assert wardwatch("init", str(fresh)).returncode == 0
    out = wardwatch("train", "-w", str(fresh))
    assert out.returncode == 2
    assert "features build" in out.stderr
    assert "Traceback" not in out.stderr


def test_every_step_is_in_the_audit_log(ws: Path) -> None:
    ok("features", "build", "-w", str(ws))
    listed = ok("audit", "list", "-w", str(ws))
    events = listed["events"] if isinstance(listed, dict) else listed
    actions = {e["action"] for e in events}
    assert {"ingest.run", "features.build"} <= actions
    verified = ok("audit", "verify", "-w", str(ws))
    assert verified["ok"] is True
