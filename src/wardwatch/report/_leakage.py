"""The leakage audit as one self-contained HTML page, for the ML engineer and the reviewer.

Top to bottom: the verdict, then one row per feature (status first: leaks, then suspicious,
then the rest) with how many rows used data recorded after the prediction time and how
strongly the feature alone separates the label, then the split overlap. It takes
:meth:`wardwatch.features.LeakageReport.to_dict` output, so ``report`` imports no stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wardwatch.report._base import EMPTY, fmt_number, fmt_rate, render

__all__ = ["render_leakage_html"]

_VERDICTS = {
    "pass": ("PASS", "✓", "No feature used data recorded after the prediction time."),
    "warn": ("WARN", "!", "No late data, but a feature is implausibly strong: look at it."),
    "fail": (
        "FAIL",
        "✕",
        "Features used data from after the prediction time, or splits share patients.",
    ),
}
_ORDER = {"leak": 0, "suspicious": 1, "ok": 2, "static": 3}


def _auc(value: Any) -> str:
    return EMPTY if value is None else f"{float(value):.3f}"


def _hours(value: Any) -> str:
    return EMPTY if value is None else f"{float(value):,.1f} h"


def render_leakage_html(data: Mapping[str, Any]) -> str:
    """A leakage-audit dict (``LeakageReport.to_dict()``) as a self-contained HTML page."""
    verdict = str(data["verdict"])
    label, symbol, meaning = _VERDICTS[verdict]
    feats = sorted(data["features"], key=lambda f: (_ORDER.get(f["status"], 9), f["name"]))
    rows = [
        {
            "name": f["name"],
            "kind": f["kind"],
            "basis": f["time_basis"],
            "with_source": fmt_number(f["rows_with_source"]),
            "late": fmt_number(f["late_rows"]),
            "late_rate": fmt_rate(f["late_rate"]),
            "max_late": _hours(f["max_late_hours"]),
            "auroc": _auc(f["auroc"]),
            "status": f["status"],
            "note": f["note"] or EMPTY,
        }
        for f in feats
    ]
    split = data.get("split_counts")
    return render(
        "leakage.html.j2",
        usecase=data["usecase"],
        verdict=verdict,
        verdict_label=label,
        verdict_symbol=symbol,
        verdict_meaning=meaning,
        index_events=fmt_number(data["index_events"]),
        max_auroc=f"{float(data['max_auroc']):.2f}",
        rows=rows,
        split=sorted(split.items()) if split else None,
        overlap=data.get("patient_overlap"),
        label_before=fmt_number(data.get("label_before_prediction", 0)),
        notes=list(data.get("notes", [])),
    )
