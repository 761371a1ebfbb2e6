"""The evaluation report: JSON for machines, one self-contained HTML page for people.

It carries no row-level data: no patient id, no index time (the period is given in months),
no prediction; subgroups and months smaller than the small-cell threshold are suppressed.
Numbers come with their bootstrap intervals; ``notes`` says in plain sentences what could not
be computed and why (too few events for a calibration curve, an interval undefined in too
many replicates, a policy no threshold meets, ...).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wardwatch.evaluate._config import EvaluationConfig
from wardwatch.evaluate._summary import Estimate

__all__ = ["EvaluationReport"]


@dataclass
class EvaluationReport:
    """The clinical evaluation of a binary risk model (see :func:`evaluate_predictions`).

    Sections are plain JSON-ready data (see :meth:`to_dict`); the headline metrics are also
    :class:`Estimate` attributes for code and notebooks (``report.auroc.ci``).
    """

    model: str
    created_at: str
    seconds: float
    config: EvaluationConfig
    data: dict[str, Any]
    discrimination: dict[str, Estimate]
    calibration: dict[str, Any]
    operating_points: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]
    decision_curve: list[dict[str, Any]]
    subgroups: list[dict[str, Any]] = field(default_factory=list)
    temporal: dict[str, Any] | None = None
    tripod: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bootstrap: dict[str, Any] = field(default_factory=dict)

    @property
    def auroc(self) -> Estimate:
        """Area under the ROC curve, with its interval."""
        return self.discrimination["auroc"]

    @property
    def auprc(self) -> Estimate:
        """Average precision (area under the precision-recall curve), with its interval."""
        return self.discrimination["auprc"]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (no row-level data; see the module docstring)."""
        return {
            "kind": "evaluation",
            "model": self.model,
            "created_at": self.created_at,
            "seconds": round(self.seconds, 3),
            "config": self.config.model_dump(mode="json"),
            "bootstrap": self.bootstrap,
            "data": self.data,
            "discrimination": {k: v.to_dict() for k, v in self.discrimination.items()},
            "calibration": self.calibration,
            "operating_points": self.operating_points,
            "thresholds": self.thresholds,
            "decision_curve": self.decision_curve,
            "subgroups": self.subgroups,
            "temporal": self.temporal,
            "tripod": self.tripod,
            "notes": self.notes,
        }

    def to_json(self) -> bytes:
        """:meth:`to_dict` as indented JSON (NaN never appears: undefined values are null)."""
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2)

    def to_html(self) -> str:
        """A self-contained HTML page (no scripts, no external assets)."""
        from wardwatch.report import render_evaluation_html

        page: str = render_evaluation_html(self.to_dict())
        return page

    def save_json(self, path: Path | str) -> Path:
        """Write :meth:`to_json` to ``path`` (folders created); return the path."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(self.to_json())
        return p

    def save_html(self, path: Path | str) -> Path:
        """Write :meth:`to_html` to ``path`` (folders created); return the path."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.to_html(), encoding="utf-8")
        return p

    def write(self, folder: Path | str, stem: str = "evaluation") -> tuple[Path, Path]:
        """Write ``<stem>.json`` and ``<stem>.html`` into ``folder``; return both paths."""
        f = Path(folder)
        return self.save_json(f / f"{stem}.json"), self.save_html(f / f"{stem}.html")

    def _repr_html_(self) -> str:
        """The page in a sandboxed frame, so that its styles stay out of the notebook's."""
        page = html.escape(self.to_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" sandbox="" title="Evaluation of {html.escape(self.model)}"'
            ' style="width:100%;height:640px;border:1px solid #d1d9e0"></iframe>'
        )
