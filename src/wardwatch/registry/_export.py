"""Model cards and evidence bundles of registered versions, gathered from the registry.

:func:`card_for` builds a version's :class:`~wardwatch.registry.cards.ModelCard` from what the
registry stored at registration (lineage, the three reports exactly as the gates saw them),
its latest gate result, its approvals and rejections, the aliases it holds and the
workspace's ``[organization]`` settings. :func:`export_evidence` writes the compliance zip:
the card, the reports, gate results, decisions, and the version's audit events with a chain
proof that verifies offline against the workspace's public key.

Both need a role that may read the registry's history (every role but clinician); exporting
evidence is itself an audit event (``registry.export``) naming the bundle's SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wardwatch.audit import AuditEvent, chain_proof
from wardwatch.registry._evidence import Evidence
from wardwatch.registry._identity import Identity
from wardwatch.registry._registry import Registry
from wardwatch.registry.cards import CardInputs, ModelCard, load_statements, write_evidence_bundle

__all__ = ["card_for", "export_evidence", "version_events"]


def _developer(reg: Registry) -> dict[str, str] | None:
    if reg.workspace is None:
        return None
    org = reg.workspace.settings.organization
    given = {"name": org.name, "contact": org.contact, "funding": org.funding}
    given = {k: v for k, v in given.items() if v.strip()}
    return given or None


def card_for(
    reg: Registry,
    name: str,
    ref: int | str,
    *,
    identity: Identity,
    statements: Path | Mapping[str, str] | None = None,
) -> ModelCard:
    """The model card of version ``ref`` (a number or a protected alias) of ``name``.

    ``statements`` (a YAML file or a mapping, keys of ``STATEMENT_KEYS``) are what a person
    wrote for the attributes no artifact can fill; without them those attributes are marked
    as needing a person. Every role may read a card (``registry.show``: the clinicians who
    act on the model's output are who its HTI-1 source attributes are for). Raises
    :class:`~wardwatch.registry.RegistryError` for an unknown version.
    """
    return _card(reg, *_gather(reg, name, ref, identity, "registry.show"), statements)


def _gather(
    reg: Registry, name: str, ref: int | str, identity: Identity, action: str
) -> tuple[dict[str, Any], Evidence]:
    """What a card and a bundle are made of: the version as shown, and its reports
    (``action`` is the permission the caller needs)."""
    reg._authorize(identity, action, f"model:{name}@{ref}")
    shown = reg.show(name, ref, identity=identity)
    return shown, reg.evidence(name, shown["version"], identity=identity)


def _card(
    reg: Registry,
    shown: Mapping[str, Any],
    evidence: Evidence,
    statements: Path | Mapping[str, str] | None,
) -> ModelCard:
    docs = evidence.docs()
    texts = load_statements(statements) if isinstance(statements, Path) else dict(statements or {})
    inputs = CardInputs.from_registry(
        shown,
        evaluation=docs["evaluation"].data if docs["evaluation"] else None,
        leakage=docs["leakage"].data if docs["leakage"] else None,
        quality=docs["quality"].data if docs["quality"] else None,
        approvals=shown["decisions"],
        aliases=shown["aliases"],
        developer=_developer(reg),
        statements=texts,
    )
    return ModelCard.from_inputs(inputs)


def _moved_from(payload: Mapping[str, Any], version: int) -> bool:
    cleared = [c.get("version") for c in payload.get("cleared") or [] if isinstance(c, Mapping)]
    return payload.get("from_version") == version or version in cleared


def version_events(reg: Registry, name: str, version: int) -> list[AuditEvent]:
    """The audit events about one version: those whose subject is ``model:<name>@<version>``
    and alias moves (promotions, rollbacks) that took the alias from it."""
    subject = f"model:{name}@{version}"
    own = reg.audit.events(subject=subject)
    moves = [
        e
        for e in reg.audit.events(action="registry.")
        if e.subject.startswith(f"model:{name}@")
        and e.subject != subject
        and _moved_from(e.payload, version)
    ]
    return sorted([*own, *moves], key=lambda e: e.seq)


def export_evidence(
    reg: Registry,
    name: str,
    ref: int | str,
    path: Path,
    *,
    identity: Identity,
    statements: Path | Mapping[str, str] | None = None,
) -> tuple[Path, ModelCard, dict[str, Any]]:
    """Write the evidence zip of version ``ref`` of ``name`` to ``path``.

    Returns the zip's path, the card in it, and a summary (``sha256`` of the zip, number of
    audit events proved, whether the CHAI XML validated). The export is audited.
    """
    shown, evidence = _gather(reg, name, ref, identity, "registry.export")
    card = _card(reg, shown, evidence, statements)
    version = int(shown["version"])
    reports = {k: d.text.encode("utf-8") for k, d in evidence.docs().items() if d is not None}
    events = version_events(reg, name, version)
    proof = chain_proof(reg.audit, events) if events else None
    out = write_evidence_bundle(
        path,
        card=card,
        reports=reports,
        gate_result=shown.get("gate"),
        approvals=shown["decisions"],
        audit_proof=proof,
        audit_public_key=reg.audit.public_key(),
    )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    summary = {
        "path": str(out),
        "sha256": digest,
        "audit_events": len(events),
        "hti1_filled": card.filled,
        "hti1_needs_a_person": len(card.needs_a_person),
    }
    reg._event(
        identity,
        "registry.export",
        f"model:{name}@{version}",
        {
            "model_version": version,
            "name": name,
            "bundle_sha256": digest,
            "audit_events": len(events),
        },
    )
    return out, card, summary
