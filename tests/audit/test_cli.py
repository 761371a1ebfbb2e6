"""``wardwatch audit`` as a user runs it (on a local Typer app until main.py registers it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from tests.audit._tamper import fill, mutate
from typer.testing import CliRunner

from wardwatch.audit import AuditLog
from wardwatch.cli.audit import audit_app
from wardwatch.core.workspace import Workspace

app = typer.Typer()
app.add_typer(audit_app, name="audit")
runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ws(ws_any_store: Workspace) -> Workspace:
    fill(AuditLog.from_workspace(ws_any_store, checkpoint_every=4), 6)
    return ws_any_store


def test_verify_intact_chain_exits_0(ws: Workspace) -> None:
    code, out, _ = cli("verify", "-w", str(ws.root))
    assert code == 0, out
    assert "OK" in out
    assert "6 events, 1 signed checkpoints" in out
    code, out, _ = cli("verify", "-w", str(ws.root), "--json")
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_verify_tampered_chain_exits_1_naming_the_event(ws: Workspace) -> None:
    mutate(AuditLog.from_workspace(ws), "change", 3, field="payload")
    code, out, _ = cli("verify", "-w", str(ws.root))
    assert code == 1
    [line] = [ln for ln in out.splitlines() if ln.strip()]
    assert "TAMPERED" in line
    assert "seq 3" in line
    assert "payload changed" in line
    code, out, _ = cli("verify", "-w", str(ws.root), "--json")
    assert code == 1
    assert json.loads(out)["first_bad_seq"] == 3


def test_verify_without_a_workspace_exits_2(tmp_path: Path) -> None:
    code, out, err = cli("verify", "-w", str(tmp_path), "--json")
    assert code == 2
    assert "no workspace here" in json.loads(out)["error"]
    assert len(err.strip().splitlines()) == 1


def test_list_filters_and_json(ws: Workspace) -> None:
    code, out, _ = cli("list", "-w", str(ws.root), "--json", "--action", "registry.")
    assert code == 0
    events = json.loads(out)
    assert [e["seq"] for e in events] == [2, 5]
    assert events[0]["payload"]["patient_id"].startswith("pt_")
    code, out, _ = cli("list", "-w", str(ws.root), "-n", "2", "--json")
    assert [e["seq"] for e in json.loads(out)] == [5, 6]
    code, out, _ = cli("list", "-w", str(ws.root), "--subject", "model:readmission@1")
    assert code == 0
    assert "2 events" in out
    assert "registry.promote" in out
    code, _, err = cli("list", "-w", str(ws.root), "--since", "yesterday")
    assert code == 2
    assert "bad --since" in err


def test_checkpoint_signs_the_tip(ws: Workspace) -> None:
    code, out, _ = cli("checkpoint", "-w", str(ws.root), "--json")
    assert code == 0
    assert json.loads(out)["seq"] == 6
    code, out, _ = cli("checkpoint", "-w", str(ws.root))
    assert code == 0
    assert "signed checkpoint at seq 6" in out


def test_export_and_verify_proof(ws: Workspace, tmp_path: Path) -> None:
    bundle = tmp_path / "evidence.json"
    code, out, _ = cli("export", str(bundle), "-w", str(ws.root), "-s", "model:readmission@2",
                       "--json")  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["selected"] == 2
    code, out, _ = cli("verify-proof", str(bundle), "-w", str(ws.root))
    assert code == 0
    assert "proof valid" in out
    pub = ws.state_dir / "audit_ed25519.pub"
    code, out, _ = cli("verify-proof", str(bundle), "--key", str(pub), "--json")
    assert code == 0
    assert json.loads(out)["ok"]
    proof = json.loads(bundle.read_text())
    proof["events"][0]["actor"] = "mallory"
    bundle.write_text(json.dumps(proof))
    code, out, _ = cli("verify-proof", str(bundle), "--key", str(pub))
    assert code == 1
    assert "INVALID" in out
    code, _, err = cli("export", str(bundle), "-w", str(ws.root), "-s", "nothing")
    assert code == 2
    assert "nothing to export" in err
    bundle.write_text("{not json")
    code, _, err = cli("verify-proof", str(bundle), "--key", str(pub))
    assert code == 2
    assert "not JSON" in err


def test_every_command_has_examples_and_json(ws: Workspace) -> None:
    for command in ("verify", "list", "checkpoint", "export", "verify-proof"):
        code, out, _ = cli(command, "--help")
        assert code == 0
        assert "Example" in out
        assert "--json" in out
        assert "--workspace" in out
