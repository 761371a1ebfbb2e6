"""The evidence a version is registered with: the reports its gates are evaluated against.

Three reports, each kept as the exact text of its JSON file with that text's SHA-256 (so a
copy can be proved identical to what the gates saw):

- ``quality``: the data-quality gate report (``quality-*.json``; its ``verdict``);
- ``leakage``: the leakage audit (``leakage-<use case>.json``);
- ``evaluation``: the clinical evaluation report (``evaluation-<use case>-<model>.json``).

:func:`collect_evidence` finds them in a workspace's reports folder (the newest quality
report unless one is named); :meth:`Evidence.from_reports` takes report dicts directly.
A missing report is recorded as missing: the gates that need it are then not evaluable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardwatch.audit import canonical_json
from wardwatch.core.workspace import Workspace
from wardwatch.registry._errors import RegistryError

__all__ = ["KINDS", "Evidence", "EvidenceDoc", "collect_evidence"]

KINDS: tuple[str, ...] = ("quality", "leakage", "evaluation")
FORMAT = "wardwatch-evidence-v1"


@dataclass(frozen=True)
class EvidenceDoc:
    """One report: where it came from, its exact JSON text and that text's SHA-256."""

    kind: str
    source: str
    text: str
    sha256: str

    @property
    def data(self) -> dict[str, Any]:
        value = json.loads(self.text)
        return value if isinstance(value, dict) else {}

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "sha256": self.sha256, "text": self.text}

    def summary(self) -> dict[str, Any]:
        """What the lineage says of the report: source, hash, and its headline."""
        d = self.data
        out: dict[str, Any] = {"source": self.source, "sha256": self.sha256}
        if self.kind == "quality":
            out |= {
                "verdict": d.get("verdict"),
                "contract": d.get("contract"),
                "started_at": d.get("started_at"),
            }
        elif self.kind == "leakage":
            out |= {"verdict": d.get("verdict"), "usecase": d.get("usecase")}
        else:
            auroc = d.get("discrimination", {}).get("auroc", {})
            out |= {
                "model": d.get("model"),
                "created_at": d.get("created_at"),
                "auroc": auroc.get("value") if isinstance(auroc, dict) else None,
            }
        return out


def _doc(kind: str, source: str, text: str) -> EvidenceDoc:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{kind} report is not JSON", record=source, found=f"line {exc.lineno}: {exc.msg}"
        ) from None
    if not isinstance(value, dict):
        raise RegistryError(
            f"{kind} report is not a JSON object", record=source, found=type(value).__name__
        )
    return EvidenceDoc(kind, source, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


@dataclass(frozen=True)
class Evidence:
    """The three reports of a version (None where a report is missing)."""

    quality: EvidenceDoc | None = None
    leakage: EvidenceDoc | None = None
    evaluation: EvidenceDoc | None = None

    def docs(self) -> dict[str, EvidenceDoc | None]:
        return {"quality": self.quality, "leakage": self.leakage, "evaluation": self.evaluation}

    def gate_input(self) -> dict[str, Any]:
        """What :func:`~wardwatch.registry.evaluate_gates` takes: each report's data, and
        each report's hash under ``sha256``."""
        docs = self.docs()
        out: dict[str, Any] = {k: (d.data if d else None) for k, d in docs.items()}
        out["sha256"] = {k: (d.sha256 if d else None) for k, d in docs.items()}
        return out

    def summary(self) -> dict[str, Any]:
        """The lineage's ``reports`` section: per report its source, hash and headline."""
        return {k: (d.summary() if d else None) for k, d in self.docs().items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            **{k: (d.to_dict() if d else None) for k, d in self.docs().items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        docs = {}
        for kind in KINDS:
            item = d.get(kind)
            docs[kind] = (
                EvidenceDoc(kind, str(item["source"]), str(item["text"]), str(item["sha256"]))
                if isinstance(item, Mapping)
                else None
            )
        return cls(**docs)

    @classmethod
    def from_reports(
        cls,
        *,
        quality: Mapping[str, Any] | None = None,
        leakage: Mapping[str, Any] | None = None,
        evaluation: Mapping[str, Any] | None = None,
    ) -> Evidence:
        """Evidence from report dicts (``to_dict()`` output), kept as canonical JSON."""
        given = {"quality": quality, "leakage": leakage, "evaluation": evaluation}
        return cls(
            **{
                k: _doc(k, "given", canonical_json(dict(v)).decode("utf-8"))
                if v is not None
                else None
                for k, v in given.items()
            }
        )

    @classmethod
    def from_files(
        cls,
        *,
        quality: Path | None = None,
        leakage: Path | None = None,
        evaluation: Path | None = None,
    ) -> Evidence:
        """Evidence from report files (each must exist and hold a JSON object)."""
        given = {"quality": quality, "leakage": leakage, "evaluation": evaluation}
        return cls(**{k: _read(k, p) if p is not None else None for k, p in given.items()})


def _read(kind: str, path: Path) -> EvidenceDoc:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(
            f"cannot read the {kind} report",
            record=str(path),
            found=exc.strerror or type(exc).__name__,
        ) from None
    return _doc(kind, path.name, text)


def _newest_quality(reports: Path) -> Path | None:
    found = sorted(reports.glob("quality-*.json"), key=lambda p: (p.stat().st_mtime, p.name))
    return found[-1] if found else None


def collect_evidence(
    ws: Workspace,
    usecase: str,
    model: str,
    *,
    quality: Path | None = None,
    leakage: Path | None = None,
    evaluation: Path | None = None,
) -> Evidence:
    """The reports of ``usecase``'s ``model`` in the workspace's reports folder.

    Paths given are used as they are (and must exist); otherwise the newest
    ``quality-*.json``, ``leakage-<usecase>.json`` and ``evaluation-<usecase>-<model>.json``
    are taken where they exist.
    """
    reports = ws.reports_dir

    def pick(given: Path | None, default: Path | None) -> Path | None:
        if given is not None:
            return given
        return default if default is not None and default.is_file() else None

    return Evidence.from_files(
        quality=pick(quality, _newest_quality(reports) if reports.is_dir() else None),
        leakage=pick(leakage, reports / f"leakage-{usecase}.json"),
        evaluation=pick(evaluation, reports / f"evaluation-{usecase}-{model}.json"),
    )
