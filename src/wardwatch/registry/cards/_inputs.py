"""What a model card is built from: plain data, gathered by the registry (or a test).

:class:`CardInputs` holds the registered version (name, version, status, who registered it
and when), its lineage, the use case, and the ``to_dict()`` output of the stages that made it:
the training run, the evaluation report, the leakage audit, the data-quality report, the
gate results and the approvals. Nothing in it is row-level: no patient id, no prediction.

What no artifact can say (who the developer is, who funded it, who the intended users are,
how often the model is re-validated) comes from ``developer`` and ``statements``: text a
person wrote, kept apart so that the card can say which facts were measured and which were
declared. Every key a statement may have is in :data:`STATEMENT_KEYS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wardwatch.errors import ConfigError
from wardwatch.features import UseCase, parse_usecase

__all__ = [
    "CHAI_STATEMENT_KEYS",
    "DEVELOPER_KEYS",
    "NEEDS_A_PERSON",
    "STATEMENT_KEYS",
    "CardInputs",
    "load_statements",
]

NEEDS_A_PERSON = "Needs a person"
"""The text of every field a person must complete (the card never invents one)."""

DEVELOPER_KEYS: tuple[str, ...] = ("name", "contact", "funding")
"""Keys of ``CardInputs.developer`` (e.g. the ``[organization]`` table of a workspace)."""

HTI1_STATEMENT_KEYS: tuple[str, ...] = (
    "developer",
    "funding",
    "output_value",
    "output_type",
    "intended_use",
    "patient_population",
    "intended_users",
    "decision_role",
    "out_of_scope",
    "known_risks",
    "inclusion_exclusion",
    "demographic_variables",
    "demographic_representativeness",
    "training_relevance",
    "fairness_approach",
    "bias_mitigation",
    "external_data_source",
    "external_party",
    "external_representativeness",
    "external_process",
    "validity_internal",
    "fairness_internal",
    "validity_external",
    "fairness_external",
    "outcome_references",
    "validity_monitoring",
    "local_validity",
    "fairness_monitoring",
    "local_fairness",
    "update_process",
    "correction_frequency",
)
"""One key per HTI-1 source attribute (see :mod:`._hti1`), in the rule's order."""

CHAI_STATEMENT_KEYS: tuple[str, ...] = (
    "release_stage",
    "global_availability",
    "ehr_compatibility",
    "regulatory_approval",
    "clinical_risk_level",
    "security",
    "third_party_information",
    "stakeholders_consulted",
    "clinical_trial",
    "peer_reviewed_publications",
    "reimbursement_status",
    "patient_consent_or_disclosure",
    "bibliography",
)
"""Fields of the CHAI Applied Model Card that only a person can give."""

STATEMENT_KEYS: tuple[str, ...] = HTI1_STATEMENT_KEYS + CHAI_STATEMENT_KEYS


@dataclass(frozen=True)
class CardInputs:
    """Everything a model card says, as plain data (see the module docstring).

    Args:
        model_name: the registered model's name (``readmission-30d``).
        version: its version in the registry (``3``).
        usecase: the use case that defined cohort, label, features and subgroups (a
            :class:`~wardwatch.features.UseCase` or its dict).
        status: where the version stands (``registered``, ``approved``, ``production``, ...).
        aliases: aliases that point at this version (``production``, ``staging``).
        registered_by, registered_at: who registered it, and when (ISO 8601).
        lineage: ``dataset_fingerprint``, ``provenance_hash``, ``code_version``,
            ``environment``, ``run_id``, ``model_uri`` (missing ones are taken from
            ``training`` when it has them).
        training: :meth:`wardwatch.train.TrainingRun.to_dict` output.
        model_key: which candidate of ``training`` this version is (default: its best).
        evaluation: :meth:`wardwatch.evaluate.EvaluationReport.to_dict` output.
        leakage: :meth:`wardwatch.features.LeakageReport.to_dict` output.
        quality: :meth:`wardwatch.quality.QualityReport.to_dict` output (only its verdict
            and summary reach the card).
        gates: the registry's gate results: ``verdict`` and ``checks`` (each with ``name``,
            ``passed`` or ``status``, and its evidence).
        approvals: one mapping per decision: ``approver``, ``role``, ``at``, ``decision``,
            ``comment``.
        developer: ``name``, ``contact``, ``funding`` of the developing organization.
        statements: text a person wrote, by :data:`STATEMENT_KEYS` key.
    """

    model_name: str
    version: str
    usecase: UseCase
    status: str = "registered"
    aliases: tuple[str, ...] = ()
    registered_by: str | None = None
    registered_at: str | None = None
    lineage: Mapping[str, Any] = field(default_factory=dict)
    training: Mapping[str, Any] | None = None
    model_key: str | None = None
    evaluation: Mapping[str, Any] | None = None
    leakage: Mapping[str, Any] | None = None
    quality: Mapping[str, Any] | None = None
    gates: Mapping[str, Any] | None = None
    approvals: Sequence[Mapping[str, Any]] = ()
    developer: Mapping[str, str] | None = None
    statements: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not str(self.model_name).strip():
            raise ConfigError(
                "a model card needs a model name",
                field="model_name",
                expected="the registered name",
                found="an empty string",
            )
        object.__setattr__(self, "version", str(self.version))
        if not isinstance(self.usecase, UseCase):
            object.__setattr__(self, "usecase", parse_usecase(self.usecase, "card inputs"))
        object.__setattr__(self, "aliases", tuple(str(a) for a in self.aliases))
        _check_keys("statements", self.statements, STATEMENT_KEYS)
        if self.developer is not None:
            _check_keys("developer", self.developer, DEVELOPER_KEYS)

    @classmethod
    def from_registry(
        cls,
        record: Mapping[str, Any],
        *,
        usecase: UseCase | Mapping[str, Any] | None = None,
        training: Mapping[str, Any] | None = None,
        evaluation: Mapping[str, Any] | None = None,
        leakage: Mapping[str, Any] | None = None,
        quality: Mapping[str, Any] | None = None,
        gates: Mapping[str, Any] | None = None,
        approvals: Sequence[Mapping[str, Any]] = (),
        aliases: Sequence[str] = (),
        developer: Mapping[str, str] | None = None,
        statements: Mapping[str, str] | None = None,
    ) -> CardInputs:
        """Inputs from a registry version record and the version's reports.

        ``record`` is the registry's ``ModelVersion.to_dict()``: ``name``, ``version``,
        ``status``, ``registered_by``, ``registered_at``, its ``lineage`` (dataset, code,
        MLflow run, the use case spec, the split) and its latest ``gate`` result (used when
        ``gates`` is not given). The use case comes from the lineage unless given.
        """
        lineage = record.get("lineage") or {}
        if isinstance(lineage, str):
            lineage = yaml.safe_load(lineage) or {}
        spec = usecase if usecase is not None else _dig(lineage, "usecase_spec", "spec")
        if spec is None:
            raise ConfigError(
                "the registry record holds no use case",
                field="lineage.usecase_spec",
                hint="pass usecase= (the use case YAML the model was trained on)",
            )
        return cls(
            model_name=str(record.get("name", "")),
            version=str(record.get("version", "")),
            usecase=spec if isinstance(spec, UseCase) else parse_usecase(spec, "registry record"),
            status=str(record.get("status") or "registered"),
            aliases=tuple(aliases or record.get("aliases") or ()),
            registered_by=record.get("registered_by"),
            registered_at=record.get("registered_at"),
            lineage=lineage,
            training=training,
            evaluation=evaluation,
            leakage=leakage,
            quality=quality,
            gates=gates if gates is not None else record.get("gate"),
            approvals=tuple(approvals),
            developer=developer,
            statements=dict(statements or {}),
        )

    # -- what the card needs, resolved ----------------------------------------------------

    @property
    def model_entry(self) -> Mapping[str, Any] | None:
        """This version's candidate: name, family, params and metrics.

        From the training run (``model_key``, default its best model), else from a registry
        lineage record (``model``, ``family``, ``params``, ``metrics``).
        """
        if self.training:
            models = self.training.get("models") or {}
            key = self.model_key or self.training.get("best_model")
            entry = models.get(key) if key else None
            if isinstance(entry, Mapping):
                return entry
        if self.lineage.get("model"):
            params = self.lineage.get("params") or {}
            return {
                "name": self.lineage.get("model"),
                "family": self.lineage.get("family"),
                "params": {str(k).removeprefix("model."): v for k, v in params.items()},
                "metrics": self.lineage.get("metrics") or {},
                "run_id": _dig(self.lineage, "mlflow", "run_id"),
                "model_uri": _dig(self.lineage, "mlflow", "model_uri"),
            }
        return None

    @property
    def split(self) -> Mapping[str, Any]:
        """The training split summary (``SplitResult.to_dict()``), or an empty mapping."""
        split = (self.training or {}).get("split") or self.lineage.get("split") or {}
        return split if isinstance(split, Mapping) else {}

    def lineage_value(self, key: str) -> Any:
        """A lineage fact: from ``lineage`` (flat keys, or the registry's nested record),
        then from the training run."""
        value = self.lineage.get(key)
        if value not in (None, ""):
            return value
        nested = {
            "dataset_fingerprint": ("dataset", "fingerprint"),
            "provenance_hash": ("dataset", "provenance_sha256"),
            "code_version": ("code", "version"),
            "code_dirty": ("code", "dirty"),
            "run_id": ("mlflow", "run_id"),
            "model_uri": ("mlflow", "model_uri"),
            "experiment": ("mlflow", "experiment_id"),
        }
        if key in nested:
            value = _dig(self.lineage, *nested[key])
            if value not in (None, ""):
                return value
        t = self.training or {}
        entry = self.model_entry or {}
        fallback = {
            "dataset_fingerprint": _dig(t, "fingerprint", "sha256"),
            "provenance_hash": _dig(t, "fingerprint", "provenance_sha256"),
            "code_version": _dig(t, "code", "version"),
            "code_dirty": _dig(t, "code", "dirty"),
            "environment": t.get("environment"),
            "run_id": entry.get("run_id"),
            "model_uri": entry.get("model_uri"),
            "experiment": t.get("experiment"),
            "seed": t.get("seed"),
        }
        return fallback.get(key)

    def statement(self, key: str) -> str | None:
        """A person's text for ``key``, or None (an empty or blank text counts as none)."""
        text = self.statements.get(key)
        return text.strip() if isinstance(text, str) and text.strip() else None

    def developer_value(self, key: str) -> str | None:
        """``name``, ``contact`` or ``funding`` of the developer, or None."""
        value = (self.developer or {}).get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _check_keys(what: str, data: Mapping[str, Any], allowed: Sequence[str]) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"card {what} must be a mapping",
            field=what,
            expected="key: text",
            found=type(data).__name__,
        )
    for key, value in data.items():
        if key not in allowed:
            raise ConfigError(
                f"unknown card {what} key",
                field=f"{what}.{key}",
                expected=" | ".join(allowed),
                found=str(key),
                hint="fix the key's spelling",
            )
        if value is not None and not isinstance(value, str):
            raise ConfigError(
                f"card {what} values are text",
                field=f"{what}.{key}",
                expected="a string",
                found=type(value).__name__,
            )


def load_statements(path: Path | str) -> dict[str, str]:
    """Read a YAML mapping of statements (``intended_users: Discharge nurses ...``).

    Keys are :data:`STATEMENT_KEYS`; one-line errors name the file and the key.
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read card statements {p}: {exc.strerror or exc}",
            hint="give the path of a YAML file",
        ) from None
    except yaml.YAMLError:
        raise ConfigError(f"{p}: not valid YAML", hint="fix the YAML syntax") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{p}: card statements are a mapping", expected="key: text", found=type(data).__name__
        )
    try:
        _check_keys("statements", data, STATEMENT_KEYS)
    except ConfigError as exc:
        raise ConfigError(
            f"{p}: {exc.message}",
            field=exc.field,
            expected=exc.expected,
            found=exc.found,
            hint=exc.hint,
        ) from None
    return {str(k): str(v) for k, v in data.items() if v is not None}
