"""``wardwatch registry`` through Typer's CliRunner: keys, exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.registry.conftest import LENIENT, STRICT, USECASE, Trained, stage
from typer.testing import CliRunner

from wardwatch.cli.registry import alias_problems, registry_app
from wardwatch.core.workspace import Workspace
from wardwatch.registry._mlflow import mlflow_client

pytestmark = pytest.mark.slow

app = typer.Typer()
app.add_typer(registry_app, name="registry")


@app.callback()
def _root() -> None:
    """The root, so that ``registry`` is a sub-command as in ``wardwatch``."""


def cli(ws: Workspace, *args: str, key: str | None = None) -> Any:
    env = {"WARDWATCH_API_KEY": key, "WARDWATCH_STORE_URL": None}
    result = CliRunner().invoke(app, ["registry", *args, "-w", str(ws.root)], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ok(ws: Workspace, *args: str, key: str | None = None) -> Any:
    result = cli(ws, *args, "--json", key=key)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error_line(result: Any) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def cws(trained: Trained, workspace: Workspace, tmp_path: Path) -> Workspace:
    ws = stage(trained, workspace)
    (tmp_path / "lenient.yaml").write_text(json.dumps(LENIENT))
    (tmp_path / "strict.yaml").write_text(json.dumps(STRICT))
    return ws


def keys(ws: Workspace) -> dict[str, str]:
    admin = ok(ws, "identity", "bootstrap", "--name", "ada")
    assert admin["role"] == "admin"
    assert admin["api_key"].startswith("ww_")
    out = {"ada": admin["api_key"]}
    for name, role in (("eve", "ml-engineer"), ("ann", "approver"), ("val", "viewer")):
        made = ok(ws, "identity", "create", "--name", name, "--role", role, key=out["ada"])
        out[name] = made["api_key"]
    return out


def test_the_release_flow_with_exit_codes(cws: Workspace, tmp_path: Path) -> None:
    k = keys(cws)
    lenient, strict = str(tmp_path / "lenient.yaml"), str(tmp_path / "strict.yaml")
    # No key, a bad key: cannot run (2), one line, the key not echoed.
    result = cli(cws, "history", USECASE)
    assert result.exit_code == 2
    assert "no API key" in error_line(result)
    result = cli(cws, "history", USECASE, key="ww_0123456789ab_" + "x" * 43)
    assert result.exit_code == 2
    assert "x" * 43 not in error_line(result)
    # Gates that fail: registered, exit 1.
    result = cli(
        cws, "register", USECASE, "--model", "logreg", "--policy", strict, "--json", key=k["eve"]
    )
    assert result.exit_code == 1, result.output
    v1 = json.loads(result.stdout)
    assert v1["version"] == 1
    assert v1["gate"]["verdict"] == "fail"
    assert v1["lineage"]["reports"]["evaluation"]["source"] == f"evaluation-{USECASE}-logreg.json"
    # Re-gate under a lenient policy: exit 0.
    gate = ok(cws, "gates", USECASE, "1", "--policy", lenient, key=k["eve"])
    assert gate["verdict"] == "pass"
    # The wrong role, self-approval: refused (1), one line.
    result = cli(cws, "approve", USECASE, "1", "-c", "fine", key=k["eve"])
    assert result.exit_code == 1
    assert "may not approve" in error_line(result)
    result = cli(cws, "promote", USECASE, "1", key=k["eve"])
    assert result.exit_code == 1
    assert "no approval" in error_line(result)
    decision = ok(cws, "approve", USECASE, "1", "-c", "reviewed the report", key=k["ann"])
    assert decision["by"] == "ann"
    assert decision["gate_verdict"] == "pass"
    promoted = ok(cws, "promote", USECASE, "1", key=k["ann"])
    assert promoted["to_version"] == 1
    # A second version, promoted, then rolled back.
    quality = tmp_path / "quality-of-the-training-data.json"
    quality.write_text(json.dumps({"verdict": "warn"}))
    result = cli(
        cws,
        "register",
        USECASE,
        "--model",
        "lgbm",
        "--policy",
        lenient,
        "--quality-report",
        str(quality),
        key=k["eve"],
    )
    assert result.exit_code == 0, result.output
    assert "registered" in result.stdout
    assert "gates PASS" in result.stdout
    ok(cws, "approve", USECASE, "2", "-c", "ok", key=k["ann"])
    ok(cws, "promote", USECASE, "2", key=k["eve"])
    back = ok(cws, "rollback", USECASE, "-r", "alert storm", key=k["eve"])
    assert (back["from_version"], back["to_version"]) == (2, 1)
    hist = ok(cws, "history", USECASE, key=k["val"])
    assert hist["aliases"]["champion"] == 1
    assert [e["action"] for e in hist["alias_events"]] == ["promote", "promote", "rollback"]
    v2 = ok(cws, "show", USECASE, "2", key=k["val"])
    assert v2["evidence"]["quality"]["source"] == quality.name
    assert v2["evidence"]["evaluation"]["source"] == f"evaluation-{USECASE}-lgbm.json"
    shown = ok(cws, "show", USECASE, "champion", key=k["val"])
    assert shown["version"] == 1
    assert shown["decisions"][0]["comment"] == "reviewed the report"
    text = cli(cws, "show", USECASE, "1", key=k["val"])
    assert text.exit_code == 0
    assert "auroc_lower_ci" in text.stdout
    text = cli(cws, "history", USECASE, key=k["val"])
    assert text.exit_code == 0
    assert "rollback @champion" in text.stdout
    assert ok(cws, "aliases", key=k["val"]) == {"ok": True, "problems": []}
    # Someone moves the alias in MLflow directly.
    with mlflow_client(f"sqlite:///{cws.state_dir / 'mlflow.db'}") as client:
        client.set_registered_model_alias(USECASE, "champion", "2")
    result = cli(cws, "aliases", key=k["val"])
    assert result.exit_code == 1
    assert "moved outside wardwatch" in result.stdout
    assert alias_problems(cws)
    result = cli(cws, "promote", USECASE, "2", "--break-glass", "-r", "repair", key=k["eve"])
    assert result.exit_code == 1
    assert "may not break_glass" in error_line(result)
    result = cli(cws, "promote", USECASE, "2", "--break-glass", "-r", "repair", key=k["ada"])
    assert result.exit_code == 0
    assert "break-glass" in result.stdout
    assert alias_problems(cws) == []


def test_identity_commands(cws: Workspace) -> None:
    k = keys(cws)
    result = cli(cws, "identity", "bootstrap", "--name", "mallory")
    assert result.exit_code == 1
    assert "only for the first admin" in error_line(result)
    listed = ok(cws, "identity", "list", key=k["ada"])
    assert [(r["name"], r["role"]) for r in listed] == [
        ("ada", "admin"),
        ("eve", "ml-engineer"),
        ("ann", "approver"),
        ("val", "viewer"),
    ]
    assert all("api_key" not in r and "key_hash" not in r for r in listed)
    result = cli(cws, "identity", "list", key=k["val"])
    assert result.exit_code == 1
    assert "may not list" in error_line(result)
    val_id = next(r["key_id"] for r in listed if r["name"] == "val")
    revoked = ok(cws, "identity", "revoke", val_id, key=k["ada"])
    assert revoked["active"] is False
    result = cli(cws, "history", USECASE, key=k["val"])
    assert result.exit_code == 2
    assert "revoked API key" in error_line(result)
    result = cli(cws, "identity", "create", "--name", "x", "--role", "root", key=k["ada"])
    assert result.exit_code == 2
    assert "unknown role" in error_line(result)
    text = cli(cws, "identity", "create", "--name", "zoe", "--role", "clinician", key=k["ada"])
    assert text.exit_code == 0
    assert "ww_" in text.stdout
    assert "shown once" in text.stderr


def test_errors_are_one_line_with_exit_2(cws: Workspace, tmp_path: Path) -> None:
    k = keys(cws)
    result = cli(cws, "show", USECASE, "7", key=k["val"])
    assert result.exit_code == 2
    assert "no such model version" in error_line(result)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ngates:\n  - check: ece\n    max: 2\n")
    result = cli(cws, "register", USECASE, "--policy", str(bad), key=k["eve"])
    assert result.exit_code == 2
    assert "field gates.0.ece.max" in error_line(result)
    result = cli(cws, "register", "nothing-trained", key=k["eve"])
    assert result.exit_code == 2
    assert "no finished training session" in error_line(result)
    result = cli(cws, "rollback", USECASE, "-r", "x", key=k["eve"])
    assert result.exit_code == 2
    assert "no earlier champion" in error_line(result)
    result = cli(cws, "promote", USECASE, "1", "--alias", "prod", key=k["eve"])
    assert result.exit_code == 2
    assert "not a protected alias" in error_line(result)


def test_card_and_evidence_commands(cws: Workspace, tmp_path: Path) -> None:
    """``card`` writes HTML, JSON and schema-valid CHAI XML; ``evidence`` writes a zip that
    verifies offline, with this version's audit events; both check the role."""
    import zipfile

    from wardwatch.audit import load_public_key, verify_proof
    from wardwatch.registry.cards import verify_evidence_bundle

    k = keys(cws)
    lenient = str(tmp_path / "lenient.yaml")
    ok(cws, "register", USECASE, "--model", "logreg", "--policy", lenient, key=k["eve"])
    ok(cws, "approve", USECASE, "1", "-c", "reviewed", key=k["ann"])
    ok(cws, "promote", USECASE, "1", key=k["ann"])
    statements = tmp_path / "statements.yaml"
    statements.write_text("intended_users: discharge planning nurses\n")
    card = ok(
        cws, "card", USECASE, "champion", "-o", str(tmp_path / "cards"),
        "-s", str(statements), key=k["val"],
    )  # fmt: skip
    assert card["version"] == "1"
    assert card["hti1_attributes"] == 31
    assert card["chai_xml_valid"], card["chai_xml_problems"]
    assert "intended_users" not in card["hti1_needs_a_person"]
    assert 0 < card["hti1_filled"] < 31
    for kind in ("html", "json", "xml"):
        assert Path(card["files"][kind]).is_file()
    saved = json.loads(Path(card["files"]["json"]).read_text())
    assert saved["approvals"][0]["comment"] == "reviewed"
    # A clinician may read a version but not export its evidence: refused, one line.
    nurse = ok(cws, "identity", "create", "--name", "cal", "--role", "clinician", key=k["ada"])
    result = cli(cws, "evidence", USECASE, "1", key=nurse["api_key"])
    assert result.exit_code == 1
    assert "may not export" in error_line(result)
    bundle = ok(cws, "evidence", USECASE, "1", key=k["val"])
    assert bundle["verified"], bundle["problems"]
    path = Path(bundle["path"])
    assert path.name == f"evidence-{USECASE}-v1.zip"
    assert bundle["audit_events"] >= 3  # register, gate, approve, promote
    public = load_public_key(cws.state_dir / "audit_ed25519.pub")
    assert verify_evidence_bundle(path, public_key=public) == []
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        proof = json.loads(zf.read("audit-events.json"))
    assert {"model-card.xml", "gates.json", "approvals.json", "MANIFEST.json"} <= names
    assert {"reports/evaluation.json", "reports/evaluation.html", "reports/leakage.json"} <= names
    actions = {e["action"] for e in proof["events"] if "payload" in e}
    assert {"registry.register", "registry.approve", "registry.promote"} <= actions
    assert verify_proof(proof, public).ok
    # The export itself is audited.
    from wardwatch.audit import AuditLog

    exported = AuditLog.from_workspace(cws).events(action="registry.export")
    assert exported[-1].payload["bundle_sha256"] == bundle["sha256"]
    # Unknown version: cannot run (2), one line.
    result = cli(cws, "card", USECASE, "9", key=k["val"])
    assert result.exit_code == 2
    assert "9" in error_line(result)
