"""The audit log: one hash-chained, append-only table of every consequential action.

Every stage records what it did (ingest runs, gate decisions, registrations, approvals,
promotions, rollbacks, predictions, LLM calls, alerts) as an event: who (``actor``, ``role``),
what (``action``), on what (``subject``), when (``at``, UTC) and the details (``payload``:
model version, input hash, output). Each event's ``hash`` covers its fields, its payload's
hash and the hash of the event before, so that changing, deleting, inserting or reordering
any stored event breaks the chain; periodic checkpoints signed with the workspace's Ed25519
key also catch a rewrite that recomputes every hash. Patient ids in payloads are replaced by
keyed pseudonyms; direct identifiers are refused.

    from wardwatch.audit import AuditLog
    log = AuditLog.from_workspace(ws)
    log.append("alice", "quality.gate", "lake", {"verdict": "pass", "contract": "default"})
    assert log.verify().ok

Actions are ``<stage>.<verb>``: ``ingest.run``, ``quality.gate``, ``registry.register``,
``registry.approve``, ``registry.promote``, ``registry.rollback``, ``serve.predict``,
``llm.call``, ``monitor.alert``, ``admin.break_glass``. Payloads name the model version
(``model_version``), the input by its hash (``input_hash``, see :func:`sha256_hex` and
:func:`canonical_json`) and the output or decision (``output``), never the input itself.

The event hash is defined in ``_chain``, the checks of ``verify`` in ``_verify``, the PHI
guard in ``_pseudonym``, and the database-side protection in ``_table``.
"""

from wardwatch.audit._chain import (
    GENESIS,
    AuditError,
    AuditEvent,
    canonical_json,
    event_hash,
    sha256_hex,
)
from wardwatch.audit._evidence import PROOF_FORMAT, ProofResult, chain_proof, verify_proof
from wardwatch.audit._keys import Checkpoint, key_id, load_public_key, public_key_hex
from wardwatch.audit._log import KEY_NAME, AuditLog, PendingEvent
from wardwatch.audit._pseudonym import guard_payload, is_pseudonym, pseudonym
from wardwatch.audit._table import (
    AUDIT_CHECKPOINTS,
    AUDIT_EVENTS,
    drop_protection,
    ensure_schema,
    restrict_role,
)
from wardwatch.audit._verify import PROBLEMS, VerifyResult

__all__ = [
    "AUDIT_CHECKPOINTS",
    "AUDIT_EVENTS",
    "GENESIS",
    "KEY_NAME",
    "PROBLEMS",
    "PROOF_FORMAT",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "Checkpoint",
    "PendingEvent",
    "ProofResult",
    "VerifyResult",
    "canonical_json",
    "chain_proof",
    "drop_protection",
    "ensure_schema",
    "event_hash",
    "guard_payload",
    "is_pseudonym",
    "key_id",
    "load_public_key",
    "pseudonym",
    "public_key_hex",
    "restrict_role",
    "sha256_hex",
    "verify_proof",
]
