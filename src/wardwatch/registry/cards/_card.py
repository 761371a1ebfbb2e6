"""The model card of one registered version: JSON, one self-contained HTML page, CHAI XML.

    card = ModelCard.from_inputs(inputs)        # inputs: CardInputs
    card.save(folder)                           # model-card.html, .json, .xml
    card.hti1                                   # the 31 HTI-1 source attributes
    validate_chai_xml(card.to_chai_xml())       # [] : valid against the CHAI schema

A card is built only from :class:`CardInputs` (and the time it was generated), so the same
inputs and time give the same bytes in every format. It carries no row-level data.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from wardwatch.registry.cards._chai import chai_xml
from wardwatch.registry.cards._facts import (
    ci_level,
    disparity_rows,
    headline_metrics,
    operating_points,
    test_data_sentence,
)
from wardwatch.registry.cards._hti1 import REGULATION, Attribute, hti1_attributes
from wardwatch.registry.cards._inputs import CardInputs
from wardwatch.registry.cards._phi import scrub_identifiers

__all__ = ["CARD_FORMAT", "ModelCard", "normalize_approvals", "normalize_gates"]

CARD_FORMAT = "wardwatch.model-card/1"


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    for k in keys:
        value = data.get(k)
        if value not in (None, ""):
            return value
    return None


def _status(value: Any, passed: Any) -> str:
    if isinstance(value, str) and value:
        return value.lower()
    if isinstance(passed, bool):
        return "pass" if passed else "fail"
    return "unknown"


def normalize_gates(gates: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Gate results as ``{verdict, policy, checks: [{name, status, evidence}]}``.

    Reads the registry's ``GateResult.to_dict()`` (checks with ``check``, ``status``
    ``passed | failed | not-evaluable``, ``message``, ``evidence``, ``bounds``) and the common
    other spellings (``results``, ``name``, ``passed`` as a boolean, ``detail``).
    """
    if gates is None:
        return None
    gates = scrub_identifiers(gates)
    checks = []
    for c in _first(gates, "checks", "results", "gates") or []:
        if not isinstance(c, Mapping):
            continue
        checks.append(
            {
                "name": str(_first(c, "name", "check", "gate", "id") or "unnamed check"),
                "status": _status(_first(c, "status", "verdict", "outcome"), c.get("passed")),
                "message": _first(c, "message", "detail", "reason"),
                "evidence": _first(c, "evidence", "details"),
                "bounds": _first(c, "bounds", "threshold"),
            }
        )
    verdict = _status(_first(gates, "verdict", "decision", "status"), gates.get("passed"))
    return {
        "verdict": verdict,
        "policy": _first(gates, "policy", "policy_name"),
        "policy_sha256": gates.get("policy_sha256"),
        "checks": checks,
    }


def normalize_approvals(approvals: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Approvals as ``[{approver, role, at, decision, comment}]`` (common spellings read)."""
    out = []
    for a in scrub_identifiers(list(approvals)):
        out.append(
            {
                "approver": _first(a, "approver", "by", "actor", "who", "user"),
                "role": _first(a, "role"),
                "at": _first(a, "at", "when", "approved_at", "decided_at"),
                "decision": _first(a, "decision", "status", "action"),
                "comment": _first(a, "comment", "reason", "note"),
            }
        )
    return out


@dataclass(frozen=True)
class ModelCard:
    """A model card (see the module docstring). Build it with :meth:`from_inputs`."""

    inputs: CardInputs
    hti1: tuple[Attribute, ...]
    generated_at: str

    @classmethod
    def from_inputs(
        cls, inputs: CardInputs, *, generated_at: datetime | str | None = None
    ) -> ModelCard:
        """The card of ``inputs``; ``generated_at`` defaults to now (UTC, seconds)."""
        if generated_at is None:
            generated_at = datetime.now(UTC)
        when = (
            generated_at.isoformat(timespec="seconds")
            if isinstance(generated_at, datetime)
            else str(generated_at)
        )
        return cls(inputs, tuple(hti1_attributes(inputs)), when)

    @property
    def stem(self) -> str:
        """The file name stem of this card: ``model-card-<name>-v<version>``."""
        safe = "".join(
            ch if ch.isalnum() or ch in "-_." else "_"
            for ch in f"{self.inputs.model_name}-v{self.inputs.version}"
        )
        return f"model-card-{safe}"

    @property
    def filled(self) -> int:
        """How many HTI-1 attributes are filled (the rest need a person)."""
        return sum(a.filled for a in self.hti1)

    @property
    def needs_a_person(self) -> list[Attribute]:
        return [a for a in self.hti1 if not a.filled]

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready data (no row-level data)."""
        i = self.inputs
        entry = i.model_entry or {}
        return {
            "kind": "model-card",
            "format": CARD_FORMAT,
            "generated_at": self.generated_at,
            "model": {
                "name": i.model_name,
                "version": i.version,
                "status": i.status,
                "aliases": list(i.aliases),
                "registered_by": i.registered_by,
                "registered_at": i.registered_at,
                "usecase": i.usecase.name,
                "description": " ".join(i.usecase.description.split()),
                "candidate": entry.get("name"),
                "family": entry.get("family"),
                "params": entry.get("params"),
            },
            "developer": {k: i.developer_value(k) for k in ("name", "contact", "funding")},
            "lineage": {
                "dataset_fingerprint": i.lineage_value("dataset_fingerprint"),
                "provenance_hash": i.lineage_value("provenance_hash"),
                "code_version": i.lineage_value("code_version"),
                "code_dirty": i.lineage_value("code_dirty"),
                "run_id": i.lineage_value("run_id"),
                "model_uri": i.lineage_value("model_uri"),
                "experiment": i.lineage_value("experiment"),
                "seed": i.lineage_value("seed"),
                "environment": i.lineage_value("environment"),
            },
            "hti1": {
                "regulation": REGULATION,
                "filled": self.filled,
                "needs_a_person": len(self.hti1) - self.filled,
                "attributes": [a.to_dict() for a in self.hti1],
            },
            "evaluation": self._evaluation(),
            "training": self._training(),
            "leakage": self._leakage(),
            "quality": self._quality(),
            "gates": normalize_gates(i.gates),
            "approvals": normalize_approvals(i.approvals),
            "statements": {k: v for k, v in sorted(i.statements.items()) if v},
        }

    def _evaluation(self) -> dict[str, Any] | None:
        ev = self.inputs.evaluation
        if not ev:
            return None
        rows = []
        for r in disparity_rows(ev):
            rows.append({k: v for k, v in r.items() if k != "auroc_ratio_estimate"})
        ops = [{k: v for k, v in op.items() if k != "estimates"} for op in operating_points(ev)]
        return {
            "model": ev.get("model"),
            "created_at": ev.get("created_at"),
            "test_data": test_data_sentence(ev),
            "ci_level": ci_level(ev),
            "headline": [m.to_dict() for m in headline_metrics(ev)],
            "operating_points": ops,
            "subgroups": rows,
            "notes": [str(n) for n in ev.get("notes") or []],
        }

    def _training(self) -> dict[str, Any] | None:
        i = self.inputs
        t = i.training or {}
        split = i.split
        if not t and not split:
            return None
        models = t.get("models") or (
            {i.model_entry["name"]: i.model_entry} if i.model_entry else {}
        )
        return {
            "best_model": t.get("best_model"),
            "selection_metric": t.get("selection_metric"),
            "candidates": {
                name: {
                    "family": m.get("family"),
                    "validation_auroc": (m.get("metrics") or {}).get("validation_auroc"),
                    "test_auroc": (m.get("metrics") or {}).get("test_auroc"),
                }
                for name, m in models.items()
            },
            "split": {
                "method": split.get("method"),
                "splits": split.get("splits"),
                "dropped": split.get("dropped"),
                "patient_overlap": split.get("patient_overlap"),
            },
        }

    def _leakage(self) -> dict[str, Any] | None:
        lk = self.inputs.leakage
        if not lk:
            return None
        flagged = [
            f.get("name")
            for f in lk.get("features") or []
            if f.get("status") in ("leak", "suspicious")
        ]
        return {
            "verdict": lk.get("verdict"),
            "index_events": lk.get("index_events"),
            "patient_overlap": lk.get("patient_overlap"),
            "flagged_features": flagged,
        }

    def _quality(self) -> dict[str, Any] | None:
        q = self.inputs.quality
        if not q:
            return None
        return {
            "verdict": q.get("verdict"),
            "contract": q.get("contract"),
            "as_of": q.get("as_of"),
            "summary": q.get("summary"),
        }

    # -- outputs ------------------------------------------------------------------------------

    def to_json(self) -> bytes:
        """:meth:`to_dict` as indented JSON."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2)

    def to_html(self) -> str:
        """A self-contained HTML page (no scripts, no external assets)."""
        from wardwatch.report import render_model_card_html

        page: str = render_model_card_html(self.to_dict())
        return page

    def to_chai_xml(self) -> bytes:
        """The CHAI Applied Model Card (v0.2) as UTF-8 XML (see :func:`validate_chai_xml`)."""
        return chai_xml(self.inputs, list(self.hti1), generated_at=self.generated_at)

    def save_json(self, path: Path | str) -> Path:
        return _write(path, self.to_json())

    def save_html(self, path: Path | str) -> Path:
        return _write(path, self.to_html().encode("utf-8"))

    def save_xml(self, path: Path | str) -> Path:
        return _write(path, self.to_chai_xml())

    def save(self, folder: Path | str, stem: str | None = None) -> dict[str, Path]:
        """Write ``<stem>.html``, ``.json`` and ``.xml`` into ``folder`` (default stem:
        :attr:`stem`); return their paths by format."""
        f = Path(folder)
        s = stem or self.stem
        return {
            "html": self.save_html(f / f"{s}.html"),
            "json": self.save_json(f / f"{s}.json"),
            "xml": self.save_xml(f / f"{s}.xml"),
        }

    def _repr_html_(self) -> str:
        """The page in a sandboxed frame, so that its styles stay out of the notebook's."""
        page = html.escape(self.to_html(), quote=True)
        title = html.escape(f"Model card of {self.inputs.model_name} v{self.inputs.version}")
        return (
            f'<iframe srcdoc="{page}" sandbox="" title="{title}"'
            ' style="width:100%;height:640px;border:1px solid #d1d9e0"></iframe>'
        )


def _write(path: Path | str, data: bytes) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p
