"""``wardwatch quality``: exit codes gate a pipeline (0 pass/warn, 1 fail, 2 cannot run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def wardwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wardwatch", *args], capture_output=True, text=True, timeout=300
    )


PATIENT = '{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01"}'
OBS = (
    '{"resourceType":"Observation","id":"%s","status":"final","code":{"coding":[{"system":'
    '"http://loinc.org","code":"%s"}]},"subject":{"reference":"Patient/p1"},'
    '"effectiveDateTime":"2024-01-01T08:00:00Z","issued":"2024-01-01T09:00:00Z",'
    '"valueQuantity":{"value":95,"unit":"mg/dL","system":"http://unitsofmeasure.org",'
    '"code":"mg/dL"}}'
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert wardwatch("init", str(ws)).returncode == 0
    return ws


def _ingest(ws: Path, tmp_path: Path, lines: list[str]) -> None:
    src = tmp_path / "feed.ndjson"
    src.write_text("\n".join(lines) + "\n")
    assert wardwatch("ingest", str(src), "-w", str(ws)).returncode == 0


def test_clean_lake_passes_with_exit_0(ws: Path, tmp_path: Path) -> None:
    _ingest(ws, tmp_path, [PATIENT, OBS % ("o1", "2345-7")])
    html = tmp_path / "q.html"
    out = wardwatch("quality", "check", "-w", str(ws), "--json", "--html", str(html),
                    "--as-of", "2025-01-01")  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["verdict"] in ("pass", "warn")
    assert report["summary"]["findings"] == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert Path(report["report_files"]["json"]).is_file()


def test_bad_check_digit_fails_with_exit_1(ws: Path, tmp_path: Path) -> None:
    _ingest(ws, tmp_path, [PATIENT, OBS % ("o1", "2345-8")])
    out = wardwatch("quality", "check", "-w", str(ws), "--as-of", "2025-01-01")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL" in out.stdout
    js = json.loads(
        wardwatch("quality", "check", "-w", str(ws), "--json", "--as-of", "2025-01-01").stdout
    )
    [finding] = [f for r in js["results"] for f in r["findings"]]
    assert (finding["reason"], finding["record_id"], finding["field"]) == (
        "bad-check-digit", "o1", "observations.code",
    )  # fmt: skip
    assert finding["line"] == 2


def test_warn_severity_exits_0(ws: Path, tmp_path: Path) -> None:
    _ingest(ws, tmp_path, [PATIENT, OBS % ("o1", "2345-8")])
    contract = tmp_path / "c.yaml"
    contract.write_text("name: soft\nchecks:\n  - check: codes\n    severity: warn\n")
    out = wardwatch("quality", "check", "-w", str(ws), "-c", str(contract), "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["verdict"] == "warn"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["-c", "missing.yaml"], "cannot read contract"),
        (["--engine", "oracle"], "unknown engine"),
        (["--as-of", "yesterday"], "bad --as-of"),
    ],
)
def test_cannot_run_exits_2_with_one_line(ws: Path, args: list[str], needle: str) -> None:
    out = wardwatch("quality", "check", "-w", str(ws), *args)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_no_workspace_exits_2(tmp_path: Path) -> None:
    out = wardwatch("quality", "check", "-w", str(tmp_path / "none"))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


def test_profile_save_then_drift_check_uses_it(ws: Path, tmp_path: Path) -> None:
    _ingest(ws, tmp_path, [PATIENT, OBS % ("o1", "2345-7")])
    saved = wardwatch("quality", "profile", "-w", str(ws), "--save")
    assert saved.returncode == 0, saved.stderr
    assert (ws / ".wardwatch" / "reference_profile.json").is_file()
    out = wardwatch("quality", "check", "-w", str(ws), "--json", "--as-of", "2025-01-01")
    drift = [r for r in json.loads(out.stdout)["results"] if r["check"] == "profile-drift"]
    assert drift
    assert all(r["failed"] == 0 and "skipped" not in r["metrics"] for r in drift)


def test_help_checks_and_contract() -> None:
    for cmd in (["quality", "check"], ["quality", "profile"]):
        text = wardwatch(*cmd, "--help").stdout
        assert "Example" in text
        assert "--json" in text
    listing = json.loads(wardwatch("quality", "checks", "--json").stdout)
    assert {c["check"] for c in listing} >= {"codes", "times", "references"}
    assert "checks:" in wardwatch("quality", "contract").stdout
