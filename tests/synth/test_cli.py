"""The ``synth`` command as a Typer command."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from typer.testing import CliRunner

from wardwatch.cli.synth import synth

app = typer.Typer()
app.command("synth")(synth)
app.command("other")(lambda: None)  # two commands, so "synth" is a subcommand as in main
runner = CliRunner()


def test_json_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "synth",
            "--patients",
            "5",
            "--seed",
            "3",
            "--out",
            str(out),
            "--defects",
            "duplicate-event=0.1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = orjson.loads(result.stdout)
    assert payload["patients"] == 5
    assert payload["counts"]["Patient"] == 5
    assert payload["resources"] == sum(payload["counts"].values())
    assert payload["defects_manifest"] == str(out / "defects.jsonl")
    assert (out / "Observation.ndjson").exists()


def test_workspace_default_out(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "synth",
            "-n",
            "2",
            "--workspace",
            str(tmp_path),
            "--format",
            "bundle",
            "--start",
            "2024-01-01",
            "--end",
            "2024-12-31",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "synth" / "bundles").glob("*.json"))) == 2


def test_bad_spec_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["synth", "-n", "2", "--out", str(tmp_path), "--defects", "bogus=0.1"]
    )
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1
    assert "bogus=0.1" in lines[0]
    assert "missing-required" in lines[0]


def test_help_has_examples() -> None:
    result = runner.invoke(app, ["synth", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Examples" in result.output
    assert "--defects" in result.output
