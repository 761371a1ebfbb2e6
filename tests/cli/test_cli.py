"""The CLI as a person uses it: a real subprocess, exit codes, --json, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

OBS = (
    '{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":'
    '"http://loinc.org","code":"2345-7"}]},"subject":{"reference":"Patient/p1"}}'
)


def wardwatch(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wardwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_help_lists_commands_with_examples() -> None:
    out = wardwatch("--help")
    assert out.returncode == 0
    for cmd in ("init", "synth", "ingest", "quarantine", "demo"):
        assert cmd in out.stdout
    for cmd in (["ingest"], ["init"], ["quarantine", "list"], ["synth"]):
        text = wardwatch(*cmd, "--help").stdout
        assert "Example" in text
        assert "--json" in text


def test_init_ingest_quarantine_round_trip(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init = wardwatch("init", str(ws), "--json")
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["workspace"] == str(ws)
    src = tmp_path / "o.ndjson"
    src.write_text(OBS + "\n" + OBS.replace('"o1"', '"o2"').replace('"final"', '"nope"') + "\n")
    run = wardwatch("ingest", str(src), "--workspace", str(ws), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["records_in"] == 2
    assert summary["loaded"] == 1
    assert summary["quarantined"] == {"total": 1, "by_reason": {"invalid-value": 1}}
    assert summary["run_id"]
    listed = json.loads(wardwatch("quarantine", "list", "-w", str(ws), "--json").stdout)
    (entry,) = listed["entries"]
    assert entry["reason"] == "invalid-value"
    assert "found" not in entry
    assert "raw" not in entry
    shown = json.loads(wardwatch("quarantine", "show", entry["id"], "-w", str(ws), "--json").stdout)
    assert shown["record_id"] == "o2"
    assert '"nope"' in shown["raw"]
    human = wardwatch("quarantine", "list", "-w", str(ws))
    assert human.returncode == 0
    assert "invalid-value" in human.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["ingest", "missing.ndjson"], "no workspace here"),
        (["quarantine", "show", "zzz:1"], "no workspace here"),
    ],
)
def test_errors_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    out = wardwatch(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert needle in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert len([ln for ln in out.stderr.splitlines() if ln.strip()]) <= 2


def test_missing_input_and_unknown_entry(tmp_path: Path) -> None:
    assert wardwatch("init", str(tmp_path)).returncode == 0
    out = wardwatch("ingest", "nope.ndjson", "-w", str(tmp_path))
    assert out.returncode == 2
    assert "no such file" in out.stderr
    assert "Traceback" not in out.stderr
    out = wardwatch("quarantine", "show", "abc:1", "-w", str(tmp_path), "--json")
    assert out.returncode == 2
    assert "error" in json.loads(out.stdout)


def test_unmappable_csv_exits_1_and_says_why(tmp_path: Path) -> None:
    assert wardwatch("init", str(tmp_path)).returncode == 0
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    out = wardwatch("ingest", str(tmp_path / "x.csv"), "-w", str(tmp_path), "--json")
    assert out.returncode == 1
    assert "no mapping" in json.loads(out.stdout)["errors"][0]
