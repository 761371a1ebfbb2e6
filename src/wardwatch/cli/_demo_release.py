"""The demo's release step: register, gate, a second person's approval, promotion, card,
evidence.

Four people get API keys (an admin, the ML engineer who registers, the approver who signs
off, and a clinician whose key the serving step uses); their keys are kept in
``.wardwatch/demo-keys.json`` (mode 0600) so that the registry
commands can be tried by hand afterwards. The model is registered under the default
(production) policy, which a model trained on 1,500 synthetic patients does not meet, so
promotion is refused; it is then gated under the packaged pilot policy, the registrant's own
approval is refused, the approver approves, and the version becomes ``champion``. The model
card (with the statements of ``readmission-card.yaml``, what the use case's authors say
of it) and the evidence bundle are written and the bundle is verified offline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from wardwatch.core.workspace import Workspace
from wardwatch.features import default_usecase_path
from wardwatch.registry import (
    GateResult,
    Identity,
    RefusedError,
    Registry,
    authenticate,
    bootstrap_admin,
    create_identity,
    export_evidence,
    packaged_policy,
)
from wardwatch.registry.cards import verify_evidence_bundle

__all__ = ["KEYS_FILE", "PEOPLE", "release"]

KEYS_FILE = "demo-keys.json"
PEOPLE = (
    ("ada", "admin"),
    ("eve", "ml-engineer"),
    ("ann", "approver"),
    ("cal", "clinician"),
)


def _people(reg: Registry, ws: Workspace) -> dict[str, Identity]:
    keys: dict[str, str] = {}
    admin_name, _ = PEOPLE[0]
    keys[admin_name] = bootstrap_admin(reg.store, admin_name, audit=reg.audit)
    admin = authenticate(reg.store, keys[admin_name])
    for name, role in PEOPLE[1:]:
        keys[name] = create_identity(reg.store, name, role, by=admin, audit=reg.audit)[1]
    path = ws.state_dir / KEYS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(orjson.dumps({n: {"role": r, "api_key": keys[n]} for n, r in PEOPLE}))
    return {n: authenticate(reg.store, k) for n, k in keys.items()}


def _gate_lines(gate: GateResult) -> list[str]:
    marks = {"passed": "[green]pass[/]", "failed": "[red]FAIL[/]"}
    return [f"     {marks.get(c.status, 'n/a ')} {c.message}" for c in gate.checks]


def release(
    ws: Workspace, say: Callable[[str], None], usecase: str, model: str, quality_report: Path
) -> dict[str, Any]:
    """Step 7 of the demo (see the module docstring); what happened, for ``--json``."""
    reg = Registry.from_workspace(ws)
    try:
        return _release(reg, ws, say, usecase, model, quality_report)
    finally:
        reg.close()


def _release(
    reg: Registry,
    ws: Workspace,
    say: Callable[[str], None],
    usecase: str,
    model: str,
    quality_report: Path,
) -> dict[str, Any]:
    people = _people(reg, ws)
    eve, ann = people["eve"], people["ann"]
    say("[bold]7. registry[/] register, gates, a second person's approval, promotion")
    who = ", ".join(f"{n} ({r})" for n, r in PEOPLE)
    say(f"   API keys of {who}: {ws.state_dir / KEYS_FILE}")
    mv = reg.register(usecase, model=model, identity=eve, reports={"quality": quality_report})
    assert mv.gate is not None
    out: dict[str, Any] = {"version": mv.version, "default_gates": mv.gate.verdict}
    say(
        f"   eve registered {usecase} version {mv.version} ({model}) with its lineage; "
        f"default policy: [bold]{mv.gate.verdict.upper()}[/]"
    )
    for line in _gate_lines(mv.gate):
        say(line)
    try:
        reg.promote(usecase, mv.version, identity=eve, reason="first release")
        out["refused"] = None
    except RefusedError as exc:
        out["refused"] = str(exc)
        say(f"   promotion refused: {exc}")
    gate = reg.evaluate_gates(usecase, mv.version, identity=eve, policy=packaged_policy("pilot"))
    out["pilot_gates"] = gate.verdict
    say(f"   under the pilot policy (a supervised pilot): [bold]{gate.verdict.upper()}[/]")
    try:
        reg.approve(usecase, mv.version, identity=eve, comment="looks good to me")
    except RefusedError as exc:
        say(f"   eve approving her own registration: refused ({exc})")
    decision = reg.approve(
        usecase, mv.version, identity=ann, comment="reviewed gates and evaluation; pilot only"
    )
    say(f"   ann ({decision.role}) approved: {decision.comment}")
    if gate.passed:
        moved = reg.promote(usecase, mv.version, identity=ann, reason="supervised pilot")
        out["champion"] = moved.to_version
        say(f"   {usecase}@champion -> version {moved.to_version}")
    else:
        out["champion"] = None
        say("   not promoted: the pilot gates fail too on this population")

    say("[bold]8. model card and evidence[/] HTI-1 source attributes, CHAI XML, audit proof")
    target = ws.reports_dir / f"evidence-{usecase}-v{mv.version}.zip"
    statements = default_usecase_path().with_name("readmission-card.yaml")
    path, card, summary = export_evidence(
        reg, usecase, mv.version, target, identity=ann, statements=statements
    )
    card_paths = card.save(ws.reports_dir)
    problems = verify_evidence_bundle(path, public_key=reg.audit.public_key())
    say(
        f"   model card: {card.filled} of {len(card.hti1)} HTI-1 attributes filled, "
        f"{len(card.needs_a_person)} marked for a person  ->  {card_paths['html']}"
    )
    say(
        f"   evidence: {summary['audit_events']} audit events with a signed chain proof, "
        f"{'verified' if not problems else 'DOES NOT VERIFY: ' + problems[0]}  ->  {path}"
    )
    out |= {
        "card": {k: str(p) for k, p in card_paths.items()},
        "evidence": summary | {"verified": not problems},
    }
    return out
