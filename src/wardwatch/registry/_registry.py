"""The registry: MLflow model versions with lineage, gates, approvals and protected aliases.

MLflow keeps the models, versions and aliases; the store keeps what MLflow lacks (lineage and
evidence as hashed text, gate results, approvals, alias moves), and every action is an audit
event with the identity's name and role::

    reg = Registry.from_workspace(ws)
    v = reg.register("readmission-30d", identity=engineer)        # gates run with it
    reg.approve(v.name, v.version, identity=approver, comment="calibration fine")
    reg.promote(v.name, v.version, identity=engineer)             # moves @champion
    reg.rollback(v.name, identity=engineer, reason="alert storm")  # the champion before
    reg.check_aliases()                                            # [] unless moved outside

Rules: a person may not approve a version they registered; promotion needs the latest gate
result to pass and the latest decision on the version to be an approval of that gate result;
a protected alias that MLflow shows elsewhere than recorded blocks promotion until an admin
repairs it (break-glass, always audited). Refusals raise :class:`RefusedError` subclasses (CLI
exit 1) and are audited; everything else that cannot run raises :class:`RegistryError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace
from wardwatch.registry._aliases import AliasMixin
from wardwatch.registry._base import json_text, sha_text
from wardwatch.registry._errors import RegistryError
from wardwatch.registry._evidence import Evidence
from wardwatch.registry._identity import Identity
from wardwatch.registry._lineage import LineageMixin
from wardwatch.registry._policy import Policy
from wardwatch.registry._records import PROTECTED_ALIASES, ModelVersion, alias_stacks, iso
from wardwatch.registry._review import ReviewMixin
from wardwatch.registry._tables import GATE_RESULTS, MODEL_VERSIONS

__all__ = ["Registry", "alias_problems"]


class Registry(AliasMixin, ReviewMixin, LineageMixin):
    """The model registry of one store and one MLflow tracking/registry store.

    Args:
        store: the SQL store (tables created if missing).
        audit: the audit log every action is appended to.
        tracking_uri: MLflow's store (``sqlite:///…/mlflow.db`` or a PostgreSQL URL);
            default: the workspace's.
        workspace: where to find the reports (for :meth:`register` without explicit
            evidence) and, by default, MLflow's store.
    """

    @classmethod
    def from_workspace(cls, ws: Workspace, *, tracking_uri: str | None = None) -> Registry:
        """The workspace's registry: its store, audit log and MLflow (``.wardwatch/mlflow.db``
        unless ``tracking_uri`` names another)."""
        return cls(
            Store(ws.store_url),
            AuditLog.from_workspace(ws),
            tracking_uri=tracking_uri,
            workspace=ws,
        )

    # -- register ----------------------------------------------------------------------------

    def register(
        self,
        usecase: str,
        *,
        identity: Identity,
        model: str | None = None,
        run_id: str | None = None,
        evidence: Evidence | None = None,
        reports: Mapping[str, Path] | None = None,
        policy: Policy | None = None,
    ) -> ModelVersion:
        """Register a trained model as a new version of the registered model ``usecase``.

        The run is ``run_id``, or the newest finished training session's run of ``model``
        (default: its best model). Its lineage (dataset fingerprint, code version,
        environment, use-case spec, split, metrics, report hashes, who registered it) goes
        to the store and, in brief, to the MLflow version's tags. The evidence is kept:
        ``evidence`` as given, or the report files named in ``reports`` (``quality``,
        ``leakage``, ``evaluation``) and the workspace's others (the newest quality report,
        ``leakage-<usecase>.json``, ``evaluation-<usecase>-<model>.json``). Gates run under
        ``policy`` (default: the packaged policy). Raises :class:`RegistryError` when the
        run or its model cannot be found, the run is registered already, or the evaluation
        report belongs to another model or run.
        """
        usecase = self._check_name(usecase)
        self._authorize(identity, "registry.register", f"usecase:{usecase}")
        now = datetime.now(UTC)

        def work(client: Any) -> tuple[int, dict[str, Any], str, str, Evidence]:
            run = self._find_run(client, usecase, model, run_id)
            tags = run.data.tags
            chosen = tags.get("wardwatch.model", "")
            if model is not None and chosen != model:
                raise RegistryError(
                    "the run is of another model",
                    record=run.info.run_id,
                    expected=model,
                    found=chosen or "no wardwatch.model tag",
                )
            model_id = self._model_id(client, run)
            model_uri = f"models:/{model_id}"
            with self.store.begin() as conn:
                known = conn.execute(
                    sa.select(MODEL_VERSIONS.c.version).where(
                        MODEL_VERSIONS.c.name == usecase,
                        MODEL_VERSIONS.c.run_id == run.info.run_id,
                    )
                ).first()
            if known is not None:
                raise RegistryError(
                    "this run is registered already",
                    record=run.info.run_id,
                    found=f"{usecase} version {known.version}",
                )
            ev = (
                evidence
                if evidence is not None
                else self._workspace_evidence(usecase, chosen, reports)
            )
            eval_run = self._check_evaluation(ev, usecase, chosen, run.info.run_id)
            lineage = self._lineage(
                client, run, usecase, chosen, model_uri, model_id, ev, eval_run, identity, now
            )
            lineage_text = json_text(lineage)
            version_tags = {
                "wardwatch.usecase": usecase,
                "wardwatch.model": chosen,
                "wardwatch.dataset_fingerprint": tags.get("wardwatch.dataset_fingerprint", ""),
                "wardwatch.code_version": tags.get("wardwatch.code_version", ""),
                "wardwatch.registered_by": identity.name,
                "wardwatch.lineage_sha256": sha_text(lineage_text),
                **{f"wardwatch.{k}_sha256": d.sha256 for k, d in ev.docs().items() if d},
            }
            try:
                client.create_registered_model(usecase, tags={"wardwatch.managed": "true"})
            except Exception as exc:
                if getattr(exc, "error_code", "") not in (
                    "RESOURCE_ALREADY_EXISTS",
                    "ALREADY_EXISTS",
                ):
                    raise
            mv = client.create_model_version(
                usecase,
                source=model_uri,
                run_id=run.info.run_id,
                model_id=model_id,
                tags=version_tags,
                description=f"{chosen} of {usecase}, registered by {identity.name} with wardwatch",
            )
            return int(mv.version), lineage, lineage_text, run.info.run_id, ev

        version, lineage, lineage_text, run, ev = self._mlflow(work, "cannot register the model")
        evidence_text = json_text(ev.to_dict())
        with self.store.begin() as conn:
            conn.execute(
                MODEL_VERSIONS.insert().values(
                    name=usecase,
                    version=version,
                    run_id=run,
                    model_uri=lineage["mlflow"]["model_uri"],
                    model=lineage["model"],
                    registered_by=identity.name,
                    registered_role=identity.role,
                    registered_at=now,
                    lineage=lineage_text,
                    lineage_sha256=sha_text(lineage_text),
                    evidence=evidence_text,
                    evidence_sha256=sha_text(evidence_text),
                    status="registered",
                )
            )
        self._event(
            identity,
            "registry.register",
            f"model:{usecase}@{version}",
            {
                "model_version": version,
                "name": usecase,
                "model": lineage["model"],
                "run_id": run,
                "model_uri": lineage["mlflow"]["model_uri"],
                "dataset_fingerprint": lineage["dataset"].get("fingerprint"),
                "code_version": lineage["code"].get("version"),
                "lineage_sha256": sha_text(lineage_text),
                "evidence_sha256": sha_text(evidence_text),
                "reports": {k: (d.sha256 if d else None) for k, d in ev.docs().items()},
            },
        )
        self.evaluate_gates(usecase, version, identity=identity, policy=policy)
        with self.store.begin() as conn:
            return self._load(conn, usecase, version)

    # -- reading -----------------------------------------------------------------------------

    def version(self, name: str, ref: int | str, *, identity: Identity) -> ModelVersion:
        """One version by number or protected alias (viewer, clinician and up)."""
        self._authorize(identity, "registry.show", f"model:{name}@{ref}")
        with self.store.begin() as conn:
            return self._load(conn, name, self._resolve(conn, name, ref))

    def evidence(self, name: str, ref: int | str, *, identity: Identity) -> Evidence:
        """The reports a version was registered with, exactly as stored."""
        self._authorize(identity, "registry.show", f"model:{name}@{ref}")
        with self.store.begin() as conn:
            row = self._row(conn, name, self._resolve(conn, name, ref))
        return Evidence.from_dict(json.loads(row["evidence"]))

    def show(self, name: str, ref: int | str, *, identity: Identity) -> dict[str, Any]:
        """Everything about one version: lineage, latest gate result check by check, every
        gate evaluation, decisions, alias moves and the aliases it holds."""
        self._authorize(identity, "registry.show", f"model:{name}@{ref}")
        with self.store.begin() as conn:
            number = self._resolve(conn, name, ref)
            mv = self._load(conn, name, number)
            gates = conn.execute(
                sa.select(
                    GATE_RESULTS.c.id,
                    GATE_RESULTS.c.policy,
                    GATE_RESULTS.c.passed,
                    GATE_RESULTS.c.result_sha256,
                    GATE_RESULTS.c.evaluated_by,
                    GATE_RESULTS.c.evaluated_at,
                )
                .where(GATE_RESULTS.c.name == name, GATE_RESULTS.c.version == number)
                .order_by(GATE_RESULTS.c.id)
            ).all()
            decisions = self._decisions(conn, name, number)
            events = self._alias_events(conn, name)
            evidence = Evidence.from_dict(json.loads(self._row(conn, name, number)["evidence"]))
        stacks = alias_stacks(events)
        return {
            **mv.to_dict(),
            "aliases": [a for a in PROTECTED_ALIASES if (stacks.get(a) or [None])[-1] == number],
            "gate_history": [
                {
                    "policy": g.policy,
                    "verdict": "pass" if g.passed else "fail",
                    "result_sha256": g.result_sha256,
                    "evaluated_by": g.evaluated_by,
                    "evaluated_at": iso(g.evaluated_at),
                }
                for g in gates
            ],
            "decisions": [d.to_dict() for d in decisions],
            "alias_events": [
                e.to_dict() for e in events if number in (e.from_version, e.to_version)
            ],
            "evidence": {
                k: ({"source": d.source, "sha256": d.sha256} if d else None)
                for k, d in evidence.docs().items()
            },
        }

    def names(self) -> list[str]:
        """Every model with at least one registered version, sorted (no permission needed:
        the names alone are what a viewer's overview lists; their contents are checked)."""
        with self.store.begin() as conn:
            rows = conn.execute(sa.select(MODEL_VERSIONS.c.name).distinct()).scalars()
            return sorted(rows)

    def alias_versions(self, name: str) -> dict[str, int | None]:
        """Where ``name``'s protected aliases point now, by wardwatch's record (one cheap
        query; the scoring service polls it to follow promotions and rollbacks)."""
        with self.store.begin() as conn:
            stacks = alias_stacks(self._alias_events(conn, name))
        return {a: (stacks.get(a) or [None])[-1] for a in PROTECTED_ALIASES}

    def history(self, name: str, *, identity: Identity) -> dict[str, Any]:
        """Every version of ``name`` (newest first) with its gate verdict and decisions, and
        every alias move (oldest first)."""
        self._authorize(identity, "registry.history", f"model:{name}")
        with self.store.begin() as conn:
            rows = conn.execute(
                sa.select(MODEL_VERSIONS.c.version)
                .where(MODEL_VERSIONS.c.name == name)
                .order_by(MODEL_VERSIONS.c.version.desc())
            ).all()
            versions = []
            for r in rows:
                mv = self._load(conn, name, r.version)
                decisions = self._decisions(conn, name, r.version)
                versions.append(
                    {**mv.to_dict(lineage=False), "decisions": [d.to_dict() for d in decisions]}
                )
            events = self._alias_events(conn, name)
        stacks = alias_stacks(events)
        return {
            "name": name,
            "aliases": {a: (stacks.get(a) or [None])[-1] for a in PROTECTED_ALIASES},
            "versions": versions,
            "alias_events": [e.to_dict() for e in events],
        }


def alias_problems(ws: Workspace) -> list[str]:
    """Protected aliases of the workspace's registry that moved outside wardwatch, one line
    each ([] when none; for ``wardwatch audit verify``)."""
    store = Store(ws.store_url)
    if not sa.inspect(store.engine).has_table(MODEL_VERSIONS.name):
        return []  # the registry was never used here: nothing to compare, nothing to create
    registry = Registry.from_workspace(ws)
    try:
        return registry.check_aliases()
    finally:
        registry.close()
