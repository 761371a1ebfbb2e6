"""``wardwatch registry card`` and ``wardwatch registry evidence``: what compliance reads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wardwatch.cli._common import JsonOpt, WorkspaceOpt, emit_json
from wardwatch.cli.registry._shared import (
    ApiKeyOpt,
    NameArg,
    TrackingOpt,
    authenticated,
    busy,
    guard,
    open_registry,
    registry_app,
    say,
)

if TYPE_CHECKING:
    from wardwatch.registry.cards import ModelCard

__all__: list[str] = []

RefArg = Annotated[str, typer.Argument(help="Version number, or champion / challenger.")]
StatementsOpt = Annotated[
    Path | None,
    typer.Option(
        "--statements",
        "-s",
        help="YAML of what a person states for the card (intended users, out-of-scope uses, "
        "review cadence...); attributes left out are marked as needing a person.",
    ),
]


def _card_summary(card: ModelCard) -> dict[str, object]:
    return {
        "model": card.inputs.model_name,
        "version": card.inputs.version,
        "hti1_attributes": len(card.hti1),
        "hti1_filled": card.filled,
        "hti1_needs_a_person": [a.key for a in card.needs_a_person],
    }


@registry_app.command("card")
def card(
    name: NameArg,
    ref: RefArg,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the card (default: the reports folder)."),
    ] = None,
    statements: StatementsOpt = None,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a version's model card as HTML, JSON and CHAI Applied Model Card XML.

    The card carries the 31 ONC HTI-1 source attributes, each filled from the lineage and
    evaluation or marked as needing a person; the XML is validated against the CHAI schema
    v0.2 (exit 1 when it does not validate). Role: viewer, ml-engineer, approver or admin.

    Examples:

        wardwatch registry card readmission-30d champion

        wardwatch registry card readmission-30d 3 --statements card-statements.yaml -o cards/
    """
    from wardwatch.registry import card_for
    from wardwatch.registry.cards import validate_chai_xml

    with open_registry(workspace, tracking_uri, as_json) as reg:
        caller = authenticated(reg, api_key, as_json)
        with busy("building the model card", as_json):
            model_card = guard(
                lambda: card_for(reg, name, ref, identity=caller, statements=statements), as_json
            )
        folder = out or (reg.workspace.reports_dir if reg.workspace else Path("."))
        paths = guard(lambda: model_card.save(folder), as_json)
    problems = validate_chai_xml(paths["xml"].read_bytes())
    summary = _card_summary(model_card) | {
        "files": {k: str(p) for k, p in paths.items()},
        "chai_xml_valid": not problems,
        "chai_xml_problems": problems,
    }
    if as_json:
        emit_json(summary)
    else:
        say(
            f"model card of [bold]{name}[/] version {model_card.inputs.version}: "
            f"{model_card.filled} of {len(model_card.hti1)} HTI-1 attributes filled, "
            f"{len(model_card.needs_a_person)} need a person"
        )
        for kind, path in paths.items():
            say(f"  {kind}: {path}")
        say(
            "  CHAI XML: valid against schema v0.2"
            if not problems
            else f"  [red]CHAI XML invalid[/]: {problems[0]}"
        )
    if problems:
        raise typer.Exit(1)


@registry_app.command("evidence")
def evidence(
    name: NameArg,
    ref: RefArg,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Zip to write (default: reports/evidence-NAME-vN.zip)."),
    ] = None,
    statements: StatementsOpt = None,
    workspace: WorkspaceOpt = Path("."),
    api_key: ApiKeyOpt = None,
    tracking_uri: TrackingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export one zip for compliance: card, reports, gates, approvals, audit proof, manifest.

    The zip holds the model card (HTML, JSON, CHAI XML), the quality report, leakage audit
    and evaluation report exactly as the gates saw them, the gate results, approvals and
    rejections, this version's audit events with a hash-chain proof signed by the
    workspace key, and a manifest of SHA-256 hashes. Check it offline with
    ``wardwatch audit verify-proof``. The export is itself audited.
    Role: viewer, ml-engineer, approver or admin.

    Examples:

        wardwatch registry evidence readmission-30d champion

        wardwatch registry evidence readmission-30d 3 -o evidence-v3.zip --json
    """
    from wardwatch.registry import export_evidence
    from wardwatch.registry.cards import verify_evidence_bundle

    with open_registry(workspace, tracking_uri, as_json) as reg:
        caller = authenticated(reg, api_key, as_json)
        folder = reg.workspace.reports_dir if reg.workspace else Path(".")
        shown = guard(lambda: reg.version(name, ref, identity=caller), as_json)
        target = out or folder / f"evidence-{name}-v{shown.version}.zip"
        with busy("writing the evidence bundle", as_json):
            path, model_card, summary = guard(
                lambda: export_evidence(
                    reg, name, shown.version, target, identity=caller, statements=statements
                ),
                as_json,
            )
        public = reg.audit.public_key()
    problems = verify_evidence_bundle(path, public_key=public)
    summary |= _card_summary(model_card) | {"verified": not problems, "problems": problems}
    if as_json:
        emit_json(summary)
    else:
        say(
            f"evidence bundle of [bold]{name}[/] version {shown.version}: {path}\n"
            f"  sha256 {summary['sha256']}\n"
            f"  {summary['audit_events']} audit events with a chain proof; "
            f"{model_card.filled} of {len(model_card.hti1)} HTI-1 attributes filled"
        )
        say(
            "  [green]verified[/]: every file matches its manifest hash and the proof checks"
            if not problems
            else f"  [red]does not verify[/]: {problems[0]}"
        )
    if problems:
        raise typer.Exit(1)
