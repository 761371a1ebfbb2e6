"""Model cards and the compliance evidence bundle of a registered model version.

A card says, for one version, what the model is for and for whom, how it was built and on
what data, how well it performs (with intervals, overall and per subgroup), which gates it
passed and who approved it. It is written three ways from the same facts: JSON for
machines, one self-contained HTML page for people, and a CHAI Applied Model Card (XML, schema
v0.2). It carries the 31 ONC HTI-1 source attributes of a predictive decision support
intervention, each filled from lineage and evaluation or marked as needing a person, and why.

    from wardwatch.registry.cards import CardInputs, ModelCard, write_evidence_bundle
    card = ModelCard.from_inputs(CardInputs(model_name="readmission-30d", version="3",
                                            usecase=usecase, training=run.to_dict(),
                                            evaluation=report.to_dict()))
    card.save("out/")                      # model-card-readmission-30d-v3.html/.json/.xml
    validate_chai_xml(card.to_chai_xml())  # [] when valid
    write_evidence_bundle("out/evidence.zip", card=card, reports={...}, gate_result=...,
                          approvals=[...], audit_proof=chain_proof(log, events))

The entry points take plain data, so the registry (and the CLI) gather it and hand it over.
"""

from wardwatch.registry.cards._card import (
    CARD_FORMAT,
    ModelCard,
    normalize_approvals,
    normalize_gates,
)
from wardwatch.registry.cards._chai import (
    CHAI_NAMESPACE,
    CHAI_SCHEMA,
    chai_xml,
    validate_chai_xml,
)
from wardwatch.registry.cards._evidence import (
    EVIDENCE_FORMAT,
    ID_KEYS,
    MANIFEST,
    scrub_identifiers,
    verify_evidence_bundle,
    write_evidence_bundle,
)
from wardwatch.registry.cards._hti1 import (
    GROUPS,
    HTI1_ATTRIBUTES,
    REGULATION,
    Attribute,
    AttributeSpec,
    hti1_attributes,
)
from wardwatch.registry.cards._inputs import (
    CHAI_STATEMENT_KEYS,
    DEVELOPER_KEYS,
    NEEDS_A_PERSON,
    STATEMENT_KEYS,
    CardInputs,
    load_statements,
)

__all__ = [
    "CARD_FORMAT",
    "CHAI_NAMESPACE",
    "CHAI_SCHEMA",
    "CHAI_STATEMENT_KEYS",
    "DEVELOPER_KEYS",
    "EVIDENCE_FORMAT",
    "GROUPS",
    "HTI1_ATTRIBUTES",
    "ID_KEYS",
    "MANIFEST",
    "NEEDS_A_PERSON",
    "REGULATION",
    "STATEMENT_KEYS",
    "Attribute",
    "AttributeSpec",
    "CardInputs",
    "ModelCard",
    "chai_xml",
    "hti1_attributes",
    "load_statements",
    "normalize_approvals",
    "normalize_gates",
    "scrub_identifiers",
    "validate_chai_xml",
    "verify_evidence_bundle",
    "write_evidence_bundle",
]
