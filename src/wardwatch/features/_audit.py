"""The leakage audit: proof that features could not see the future, and signs that one did.

Three checks, each computed from the data, none assumed:

1. **Time travel**: for every time-varying feature and index event, the latest
   ``recorded_time`` among the source rows the feature used is compared with the prediction
   time. Any row later than it is leakage (``late_rows``), whatever the feature's definition
   says. Static attributes (sex, age from the birth date) have no source time and are listed
   as such.
2. **Implausible strength**: each feature alone is scored against the label (AUROC, folded
   so that 0.5 is no association and 1.0 perfect separation; categories are target-encoded
   across two patient folds so that a category does not score its own rows). A single
   feature above ``max_auroc`` (default 0.90) is flagged: readmission is not that
   predictable, so such a feature usually carries the outcome.
3. **Split overlap**: given a split assignment, the number of patients in more than one
   split (must be 0).

The verdict is ``fail`` on any late row or overlapping patient, ``warn`` on an implausibly
strong feature, ``pass`` otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sklearn.metrics import roc_auc_score

from wardwatch.features._build import FeatureSet
from wardwatch.features._definitions import src_column
from wardwatch.report import render_leakage_html

__all__ = ["FeatureAudit", "LeakageReport", "audit_features"]

_MIN_ROWS = 20


@dataclass(frozen=True)
class FeatureAudit:
    """What the audit found for one feature."""

    name: str
    kind: str
    time_basis: str
    rows: int
    rows_with_source: int
    late_rows: int
    max_late_hours: float | None
    auroc: float | None
    status: str
    """``ok`` | ``static`` | ``leak`` (late rows) | ``suspicious`` (implausibly strong)."""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "time_basis": self.time_basis,
            "rows": self.rows,
            "rows_with_source": self.rows_with_source,
            "late_rows": self.late_rows,
            "late_rate": self.late_rows / self.rows if self.rows else 0.0,
            "max_late_hours": self.max_late_hours,
            "auroc": self.auroc,
            "status": self.status,
            "note": self.note,
        }


@dataclass
class LeakageReport:
    """The audit of one feature set (see the module docstring)."""

    usecase: str
    index_events: int
    features: list[FeatureAudit]
    max_auroc: float
    split_counts: dict[str, int] | None = None
    patient_overlap: int | None = None
    label_before_prediction: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if any(f.status == "leak" for f in self.features):
            return "fail"
        if self.patient_overlap or self.label_before_prediction:
            return "fail"
        if any(f.status == "suspicious" for f in self.features):
            return "warn"
        return "pass"

    @property
    def leaky(self) -> list[str]:
        """Names of the features with late rows or an implausibly strong association."""
        return [f.name for f in self.features if f.status in ("leak", "suspicious")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "leakage-audit",
            "usecase": self.usecase,
            "verdict": self.verdict,
            "index_events": self.index_events,
            "max_auroc": self.max_auroc,
            "features": [f.to_dict() for f in self.features],
            "split_counts": self.split_counts,
            "patient_overlap": self.patient_overlap,
            "label_before_prediction": self.label_before_prediction,
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()

    def to_html(self) -> str:
        return render_leakage_html(self.to_dict())

    def save_html(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def save_json(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.to_html()


def _folds(patients: pd.Series) -> np.ndarray:
    """Two folds by a hash of the patient id (stable across runs and machines)."""
    return np.fromiter(
        (hashlib.blake2b(p.encode(), digest_size=1).digest()[0] & 1 for p in patients),
        dtype=np.int8,
        count=len(patients),
    )


def _encode(values: pd.Series, y: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Cross-fitted target encoding: each row gets its category's rate in the other fold."""
    out = np.full(len(values), float(y.mean()))
    cats = values.fillna("(missing)").astype(str).to_numpy()
    for k in (0, 1):
        train, apply = folds != k, folds == k
        rates = pd.Series(y[train]).groupby(cats[train]).mean()
        out[apply] = pd.Series(cats[apply]).map(rates).fillna(float(y[train].mean())).to_numpy()
    return out


def _auroc(values: pd.Series, y: np.ndarray, categorical: bool, folds: np.ndarray) -> float | None:
    if len(y) < _MIN_ROWS or y.min() == y.max():
        return None
    if categorical:
        score = _encode(values, y, folds)
        mask = np.ones(len(y), dtype=bool)
    else:
        score = values.to_numpy(dtype="float64")
        mask = ~np.isnan(score)
    ys = y[mask]
    if mask.sum() < _MIN_ROWS or ys.min() == ys.max() or np.unique(score[mask]).size < 2:
        return None
    auc = float(roc_auc_score(ys, score[mask]))
    return max(auc, 1.0 - auc)


def audit_features(
    fs: FeatureSet,
    *,
    split: pd.Series | None = None,
    max_auroc: float = 0.90,
) -> LeakageReport:
    """Audit ``fs`` (see the module docstring); ``split`` maps index_id -> split name."""
    frame, times = fs.frame, fs.source_times
    at = times["index_time"]
    y = frame["label"].to_numpy(dtype="int64")
    folds = _folds(frame["patient_id"])
    audits: list[FeatureAudit] = []
    for f in fs.usecase.features:
        src = times[src_column(f.name)]
        with_src = int(src.notna().sum())
        late = src.notna() & (src > at)
        n_late = int(late.sum())
        late_h = float((src[late] - at[late]).max().total_seconds() / 3600) if n_late else None
        auc = _auroc(frame[f.name], y, f.categorical, folds)
        if n_late:
            status, note = "leak", f"{n_late:,} rows used data recorded after the prediction time"
        elif auc is not None and auc > max_auroc:
            status, note = "suspicious", f"alone it separates the label with AUROC {auc:.3f}"
        elif f.kind == "demographic":
            status, note = "static", "a patient attribute with no source time"
        else:
            status, note = "ok", ""
        audits.append(
            FeatureAudit(
                name=f.name,
                kind=f.kind,
                time_basis=f.time_basis,
                rows=len(frame),
                rows_with_source=with_src,
                late_rows=n_late,
                max_late_hours=late_h,
                auroc=auc,
                status=status,
                note=note,
            )
        )
    labels = times["label_time"]
    early = int((labels.notna() & (labels <= at)).sum())
    report = LeakageReport(
        usecase=fs.usecase.name,
        index_events=len(frame),
        features=audits,
        max_auroc=max_auroc,
        label_before_prediction=early,
    )
    if len(frame) < _MIN_ROWS:
        report.notes.append(
            f"{len(frame)} index events: too few to score features against the label "
            f"(at least {_MIN_ROWS} needed)"
        )
    elif y.min() == y.max():
        report.notes.append("every label is the same: feature-label associations not computed")
    if split is not None:
        assigned = frame[["index_id", "patient_id"]].assign(
            split=frame["index_id"].map(split).fillna("unassigned").to_numpy()
        )
        kept = assigned[~assigned["split"].isin(["dropped", "unassigned"])]
        per_patient = kept.groupby("patient_id")["split"].nunique()
        report.patient_overlap = int((per_patient > 1).sum())
        report.split_counts = {str(k): int(v) for k, v in assigned["split"].value_counts().items()}
    return report
