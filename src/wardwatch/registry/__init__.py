"""The model registry: versions with lineage, policy gates, approvals, promotion, rollback.

Built on MLflow's model registry (the workspace's SQLite by default, PostgreSQL given a
URL), with what MLflow lacks kept in the wardwatch store and every action in the audit log::

    from wardwatch.registry import Registry, authenticate, load_policy
    reg = Registry.from_workspace(ws)
    me = authenticate(reg.store, api_key)                      # an Identity: name + role
    v = reg.register("readmission-30d", identity=me)           # lineage + gate result
    reg.approve(v.name, v.version, identity=other, comment="reviewed")  # a second person
    reg.promote(v.name, v.version, identity=me)                # @champion, gates + approval
    reg.rollback(v.name, identity=me, reason="alert storm")    # the previous champion
    reg.check_aliases()                                        # aliases moved outside?

Identities are API keys (stored hashed) bound to a person and one role (viewer, clinician,
ml-engineer, approver, admin); :data:`PERMISSIONS` says which role may do what. Gate
policies are YAML (:func:`load_policy`, :func:`default_policy`); :func:`evaluate_gates`
applies one to report dicts without any store.
"""

from wardwatch.registry._errors import (
    AuthError,
    ForbiddenError,
    GateRefusedError,
    RefusedError,
    RegistryError,
)
from wardwatch.registry._evidence import Evidence, EvidenceDoc, collect_evidence
from wardwatch.registry._export import card_for, export_evidence, version_events
from wardwatch.registry._gates import CheckOutcome, GateResult, evaluate_gates
from wardwatch.registry._identity import (
    API_KEY_ENV,
    PERMISSIONS,
    ROLES,
    Identity,
    IdentityRecord,
    active_identity,
    authenticate,
    bootstrap_admin,
    create_identity,
    hash_key,
    list_identities,
    require,
    require_role,
    revoke_identity,
)
from wardwatch.registry._policy import (
    CHECKS,
    PACKAGED_POLICIES,
    Policy,
    default_policy,
    load_policy,
    packaged_policy,
    parse_policy,
)
from wardwatch.registry._records import PROTECTED_ALIASES, AliasEvent, Decision, ModelVersion
from wardwatch.registry._registry import Registry, alias_problems

__all__ = [
    "API_KEY_ENV",
    "CHECKS",
    "PACKAGED_POLICIES",
    "PERMISSIONS",
    "PROTECTED_ALIASES",
    "ROLES",
    "AliasEvent",
    "AuthError",
    "CheckOutcome",
    "Decision",
    "Evidence",
    "EvidenceDoc",
    "ForbiddenError",
    "GateRefusedError",
    "GateResult",
    "Identity",
    "IdentityRecord",
    "ModelVersion",
    "Policy",
    "RefusedError",
    "Registry",
    "RegistryError",
    "active_identity",
    "alias_problems",
    "authenticate",
    "bootstrap_admin",
    "card_for",
    "collect_evidence",
    "create_identity",
    "default_policy",
    "evaluate_gates",
    "export_evidence",
    "hash_key",
    "list_identities",
    "load_policy",
    "packaged_policy",
    "parse_policy",
    "require",
    "require_role",
    "revoke_identity",
    "version_events",
]
