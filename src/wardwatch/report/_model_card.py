"""A model card as one self-contained HTML page, for the technical lead and the reviewer.

Top to bottom: which version this is and where it stands, the headline evaluation numbers
with their intervals, the operating points, performance per subgroup, the 31 HTI-1 source
attributes (filled, or marked as needing a person and why), the gate results and approvals,
then lineage and the training split. It takes :meth:`wardwatch.registry.cards.ModelCard.to_dict`
output, so ``report`` imports no stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wardwatch.report._base import EMPTY, fmt_number, fmt_value, render

__all__ = ["render_model_card_html"]

_GATE_BADGE = {
    "pass": "status-passed",
    "passed": "status-passed",
    "warn": "status-errored",
    "fail": "status-failed",
    "failed": "status-failed",
}
"""Badge of a check's status; any other status (``not-evaluable``) shows as a warning."""
_VERDICTS = {
    "pass": ("PASS", "✓", "Every gate passed for this version."),
    "warn": ("WARN", "!", "Gates passed with warnings: read them before promotion."),
    "fail": ("FAIL", "✕", "A gate failed: this version must not be promoted."),
}
_SPLIT_KEYS = ("rows", "patients", "positives", "start", "end")
_HEADLINE = ("auroc", "auprc", "brier", "calibration_slope", "oe_ratio")


def _tile(metric: Mapping[str, Any], level: float) -> dict[str, str]:
    value = metric.get("value")
    ci = metric.get("ci")
    return {
        "label": str(metric.get("label", "")),
        "level": f"{level * 100:.0f}% CI",
        "value": EMPTY if value is None else f"{float(value):.3f}",
        "ci": (
            f"{float(ci[0]):.3f}–{float(ci[1]):.3f}"
            if ci and ci[0] is not None and ci[1] is not None
            else ""
        ),
    }


def _groups(attributes: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The attributes in their nine groups, in the rule's order."""
    groups: dict[int, dict[str, Any]] = {}
    for a in attributes:
        n = int(a["group_number"])
        if n not in groups:
            groups[n] = {"number": n, "name": a["group"], "rows": []}
        groups[n]["rows"].append(
            {
                "ref": a["ref"],
                "short": a["short"],
                "name": a["name"],
                "description": a["description"],
                "filled": a["status"] == "filled",
                "status": a["status"],
                "text": a["text"],
                "facts": a.get("facts") or "",
                "source": a["source"],
            }
        )
    return [groups[k] for k in sorted(groups)]


def render_model_card_html(data: Mapping[str, Any]) -> str:
    """A model-card dict (``ModelCard.to_dict()``) as a self-contained HTML page."""
    model = data["model"]
    hti1 = data["hti1"]
    ev = data.get("evaluation")
    gates = data.get("gates")
    verdict = str(gates["verdict"]) if gates else None
    label, symbol, meaning = _VERDICTS.get(verdict or "", (str(verdict).upper(), "?", ""))
    lineage = data.get("lineage") or {}
    env = lineage.get("environment") or {}
    packages = env.get("packages") if isinstance(env, Mapping) else None
    training = data.get("training") or {}
    splits = (training.get("split") or {}).get("splits") or {}
    return render(
        "model_card.html.j2",
        name=str(model["name"]),
        version=str(model["version"]),
        status=str(model.get("status") or EMPTY),
        aliases=", ".join(model.get("aliases") or []) or EMPTY,
        registered_by=fmt_value(model.get("registered_by")),
        registered_at=fmt_value(model.get("registered_at")),
        generated_at=fmt_value(data.get("generated_at")),
        usecase=fmt_value(model.get("usecase")),
        description=fmt_value(model.get("description")),
        family=fmt_value(model.get("family")),
        candidate=fmt_value(model.get("candidate")),
        developer=fmt_value({k: v for k, v in (data.get("developer") or {}).items() if v})
        or "needs a person",
        regulation=hti1["regulation"],
        filled=int(hti1["filled"]),
        needs=int(hti1["needs_a_person"]),
        total=len(hti1["attributes"]),
        groups=_groups(hti1["attributes"]),
        evaluation=ev is not None,
        tiles=[
            _tile(m, float((ev or {}).get("ci_level") or 0.95))
            for m in (ev or {}).get("headline", [])
            if m.get("key") in _HEADLINE
        ],
        metrics=[{"label": m["label"], "text": m["text"]} for m in (ev or {}).get("headline", [])],
        test_data=(ev or {}).get("test_data", ""),
        eval_model=fmt_value((ev or {}).get("model")),
        eval_created=fmt_value((ev or {}).get("created_at")),
        ops=[
            {
                **op,
                "threshold": EMPTY
                if op.get("threshold") is None
                else f"{float(op['threshold']):.3f}",
            }
            for op in (ev or {}).get("operating_points", [])
        ],
        subgroups=[
            {
                **r,
                "predictions": fmt_number(r.get("predictions")),
                "flags": "; ".join(r.get("flags") or []) or EMPTY,
            }
            for r in (ev or {}).get("subgroups", [])
        ],
        notes=list((ev or {}).get("notes", [])),
        gates=gates is not None,
        verdict=verdict,
        verdict_label=label,
        verdict_symbol=symbol,
        verdict_meaning=meaning,
        policy=fmt_value((gates or {}).get("policy")),
        checks=[
            {
                "name": str(c["name"]),
                "status": str(c["status"]),
                "badge": _GATE_BADGE.get(str(c["status"]), "status-errored"),
                "message": fmt_value(c.get("message")) or EMPTY,
                "evidence": fmt_value(c.get("evidence")) or EMPTY,
                "bounds": fmt_value(c.get("bounds")) or EMPTY,
            }
            for c in (gates or {}).get("checks", [])
        ],
        approvals=[
            {k: fmt_value(a.get(k)) for k in ("approver", "role", "at", "decision", "comment")}
            for a in data.get("approvals") or []
        ],
        lineage=[
            (k.replace("_", " "), fmt_value(lineage.get(k)))
            for k in (
                "dataset_fingerprint",
                "provenance_hash",
                "code_version",
                "code_dirty",
                "run_id",
                "model_uri",
                "experiment",
                "seed",
            )
        ],
        python=fmt_value(env.get("python") if isinstance(env, Mapping) else None),
        packages=sorted((packages or {}).items()),
        splits=[
            (name, {k: fmt_value(s.get(k)) for k in _SPLIT_KEYS}) for name, s in splits.items()
        ],
        dropped=fmt_number((training.get("split") or {}).get("dropped")),
        overlap=fmt_number((training.get("split") or {}).get("patient_overlap")),
        leakage=data.get("leakage"),
        quality=data.get("quality"),
    )
