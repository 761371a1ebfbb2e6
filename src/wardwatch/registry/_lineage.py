"""Registration's lookups: the MLflow run, its logged model, its artifacts, the lineage."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from wardwatch.registry._base import RegistryBase, json_or_none, sha_text
from wardwatch.registry._errors import RegistryError
from wardwatch.registry._evidence import KINDS, Evidence, collect_evidence
from wardwatch.registry._identity import Identity
from wardwatch.registry._mlflow import not_found, redact
from wardwatch.registry._records import iso

__all__ = ["LineageMixin"]

_ARTIFACTS = ("usecase.yaml", "lineage.json", "environment.json", "split.json")


class LineageMixin(RegistryBase):
    """Finds the run to register and assembles its lineage."""

    def _find_run(self, client: Any, usecase: str, model: str | None, run_id: str | None) -> Any:
        if run_id is not None:
            try:
                run = client.get_run(run_id)
            except Exception as exc:
                if not_found(exc) or "not found" in str(exc).lower():
                    raise RegistryError(
                        "no such MLflow run",
                        record=run_id,
                        hint="`wardwatch train` prints the run ids",
                    ) from None
                raise
            tags = run.data.tags
            if tags.get("wardwatch.role") != "model" or tags.get("wardwatch.usecase") != usecase:
                raise RegistryError(
                    "not a model run of this use case",
                    record=run_id,
                    expected=f"a wardwatch model run of {usecase}",
                    found=f"{tags.get('wardwatch.role', 'no role')} run of "
                    f"{tags.get('wardwatch.usecase', 'no use case')}",
                )
            return run
        experiments = [e.experiment_id for e in client.search_experiments()]
        sessions = client.search_runs(
            experiments,
            filter_string=f"tags.`wardwatch.usecase` = '{usecase}' and tags.`wardwatch.role` = "
            "'session' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if not sessions:
            raise RegistryError(
                "no finished training session", record=usecase, hint="run `wardwatch train` first"
            )
        parent = sessions[0]
        chosen = model or parent.data.tags.get("wardwatch.best_model", "")
        if not re.fullmatch(r"[A-Za-z0-9._-]+", chosen):
            raise RegistryError("bad model name", field="model", found=repr(chosen)[:40])
        children = client.search_runs(
            experiments,
            filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}' and "
            f"tags.`wardwatch.model` = '{chosen}'",
            max_results=1,
        )
        if not children:
            trained = parent.data.params.get("models", "")
            raise RegistryError(
                "no such model in the newest training session",
                record=parent.info.run_id,
                field="model",
                expected=trained or "a trained model",
                found=chosen,
            )
        return client.get_run(children[0].info.run_id)

    @staticmethod
    def _model_id(client: Any, run: Any) -> str:
        outputs = getattr(getattr(run, "outputs", None), "model_outputs", None) or []
        if outputs:
            return str(outputs[-1].model_id)
        found = client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run.info.run_id}'",
        )
        if not found:
            raise RegistryError(
                "the run logged no model",
                record=run.info.run_id,
                hint="register a run made by `wardwatch train`",
            )
        return str(found[0].model_id)

    def _workspace_evidence(
        self, usecase: str, model: str, reports: Mapping[str, Path] | None
    ) -> Evidence:
        """The reports named in ``reports`` (quality, leakage, evaluation), the others from
        the workspace's reports folder (or missing when there is no workspace)."""
        given = dict(reports or {})
        unknown = sorted(set(given) - set(KINDS))
        if unknown:
            raise RegistryError(
                "unknown report kind", field="reports", expected=" | ".join(KINDS), found=unknown[0]
            )
        if self.workspace is None:
            return Evidence.from_files(**given)
        return collect_evidence(self.workspace, usecase, model, **given)

    def _check_evaluation(self, ev: Evidence, usecase: str, model: str, run_id: str) -> str | None:
        """The run the evaluation report was made from, as the audit log says (None: not
        recorded); refuses a report of another model or of another run."""
        if ev.evaluation is None:
            return None
        said = ev.evaluation.data.get("model")
        if said is not None and said not in (f"{usecase}/{model}", model):
            raise RegistryError(
                "the evaluation report is of another model",
                record=ev.evaluation.source,
                field="model",
                expected=f"{usecase}/{model}",
                found=str(said),
            )
        events = self.audit.events(action="evaluate.run", subject=f"usecase:{usecase}")
        runs = [e.payload.get("run_id") for e in events if e.payload.get("model") == model]
        evaluated = runs[-1] if runs else None
        if evaluated is not None and evaluated != run_id:
            raise RegistryError(
                "the newest evaluation of this model is of another run",
                record=run_id,
                expected=f"an evaluation of run {run_id}",
                found=f"run {evaluated}",
                hint=f"run `wardwatch evaluate --model {model}` again, then register",
            )
        return str(evaluated) if evaluated else None

    def _lineage(
        self,
        client: Any,
        run: Any,
        usecase: str,
        model: str,
        model_uri: str,
        model_id: str,
        ev: Evidence,
        evaluated_run: str | None,
        identity: Identity,
        now: datetime,
    ) -> dict[str, Any]:
        tags = run.data.tags
        files = self._artifacts(client, run.info.run_id)
        stored = json_or_none(files.get("lineage.json")) or {}
        spec_text = files.get("usecase.yaml")
        dataset = dict(stored.get("dataset") or {})
        dataset.setdefault("sha256", tags.get("wardwatch.dataset_fingerprint"))
        code = dict(
            stored.get("code")
            or {
                "version": tags.get("wardwatch.code_version"),
                "source": tags.get("wardwatch.code_source"),
                "package_version": tags.get("wardwatch.package_version"),
            }
        )
        return {
            "format": "wardwatch-lineage-v1",
            "usecase": usecase,
            "model": model,
            "family": tags.get("wardwatch.family"),
            "mlflow": {
                "tracking_uri": redact(self.tracking_uri),
                "experiment_id": run.info.experiment_id,
                "run_id": run.info.run_id,
                "parent_run_id": tags.get("mlflow.parentRunId"),
                "model_id": model_id,
                "model_uri": model_uri,
            },
            "dataset": {"fingerprint": dataset.pop("sha256", None), **dataset},
            "code": code,
            "environment": json_or_none(files.get("environment.json")),
            "usecase_spec": {
                "sha256": sha_text(spec_text) if spec_text else None,
                "spec": yaml.safe_load(spec_text) if spec_text else None,
            },
            "split": json_or_none(files.get("split.json")),
            "params": {k: v for k, v in sorted(run.data.params.items()) if k.startswith("model.")},
            "metrics": dict(sorted(run.data.metrics.items())),
            "reports": ev.summary(),
            "evaluation_run_id": evaluated_run,
            "registered_by": identity.to_dict(),
            "registered_at": iso(now),
        }

    @staticmethod
    def _artifacts(client: Any, run_id: str) -> dict[str, str]:
        out: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="wardwatch-lineage-") as tmp:
            for name in _ARTIFACTS:
                try:
                    path = client.download_artifacts(run_id, name, tmp)
                    out[name] = Path(path).read_text(encoding="utf-8")
                except Exception:  # noqa: S112 - a missing artifact is recorded as missing
                    continue
        return out
