"""``wardwatch demo``: the whole pipeline on synthetic data, as ``make demo`` runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_demo_runs_every_stage_and_says_where_things_are(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    out = subprocess.run(
        [sys.executable, "-m", "wardwatch", "demo", "--workspace", str(ws), "--patients", "800",
         "--json"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    d = json.loads(out.stdout)
    assert d["reingest_records_in"] == 0
    assert d["quality"]["clean feed"]["verdict"] == "pass"
    assert d["quality"]["all feeds"]["verdict"] == "fail"
    assert d["features"]["index_events"] > 200
    assert d["leakage"]["verdict"] == "pass"
    assert d["train"]["best_model"] in ("logreg", "lgbm")
    assert d["train"]["split"]["patient_overlap"] == 0
    assert Path(d["evaluation"]["report"]).is_file()
    assert d["evaluation"]["auroc"] is not None
    reg = d["registry"]
    assert reg["version"] == 1
    assert reg["default_gates"] in ("pass", "fail")
    assert reg["pilot_gates"] in ("pass", "fail")
    assert (reg["champion"] == 1) == (reg["pilot_gates"] == "pass")
    assert reg["evidence"]["verified"] is True
    assert reg["evidence"]["audit_events"] >= 4
    assert Path(reg["evidence"]["path"]).is_file()
    assert Path(reg["card"]["xml"]).is_file()
    if reg["champion"]:
        assert d["serve"]["rest"]["status"] == 200
        assert len(d["serve"]["rest"]["predictions"]) == 3
        assert d["serve"]["cds"]["status"] == 200
        assert d["serve"]["cds"]["card"]["indicator"] in ("info", "warning", "critical")
        assert d["serve"]["metrics_predictions"] == 4
        mon = d["monitor"]
        assert mon["glucose_switched"] > 0
        assert mon["replayed"]["rows"] > 0
        windows = mon["monitoring"]["windows"]
        assert len(windows) == 7
        # the silent unit switch from January 2026 (the fifth quarter) pages the data feed
        switched = [a for w in windows[4:] for a in w["alerts"] if a["owner"] == "data-feed"]
        assert any("glucose_last" in a["scope"] for a in switched)
        rollback = mon["monitoring"]["rollback"]
        assert rollback["triggered"] is True
        assert rollback["action"] == "recommend"
    assert d["llm"]["summary"]["sentences"] > 0
    assert d["llm"]["summary"]["uncited"] == 0
    assert d["llm"]["eval"]["passed"] is True
    assert Path(d["llm"]["eval"]["html"]).is_file()
    assert d["audit"]["ok"] is True
    assert d["audit"]["events_checked"] >= 15
    for path in (d["where"]["reports"], d["where"]["lake"]):
        assert Path(path).is_dir()
    # the next person can pick up where the demo stopped
    again = subprocess.run(
        [sys.executable, "-m", "wardwatch", "evaluate", "-w", str(ws), "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
