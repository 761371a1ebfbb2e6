"""Facts a model card states, read from the stages' ``to_dict()`` output and phrased once.

The HTI-1 attributes, the CHAI XML and the HTML page all say the same things (the AUROC with
its interval, who the cohort is, which subgroups differ), so the reading and the wording live
here: every number is taken from a report as it was computed, never recomputed, and every
interval is written ``0.742 (95% CI 0.582–0.833)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wardwatch.features import UseCase

__all__ = [
    "DEMOGRAPHIC_ATTRIBUTES",
    "HEADLINE_METRICS",
    "Metric",
    "cohort_sentence",
    "demographic_inputs",
    "disparity_rows",
    "fmt_ci",
    "headline_metrics",
    "level_name",
    "operating_points",
    "representativeness",
    "test_data_sentence",
]

HEADLINE_METRICS: tuple[tuple[str, str, str, str], ...] = (
    # (section, key, label, kind: 'score' three decimals, 'rate' a percentage, 'ratio')
    ("discrimination", "auroc", "AUROC", "score"),
    ("discrimination", "auprc", "AUPRC (average precision)", "score"),
    ("calibration", "brier", "Brier score", "score"),
    ("calibration", "calibration_intercept", "Calibration intercept", "score"),
    ("calibration", "calibration_slope", "Calibration slope", "score"),
    ("calibration", "oe_ratio", "Observed / expected events", "score"),
    ("calibration", "ece", "Expected calibration error", "score"),
)
_RATES = ("sensitivity", "specificity", "ppv", "npv", "flag_rate")

DEMOGRAPHIC_ATTRIBUTES: tuple[str, ...] = ("age_band", "sex", "race", "ethnicity")
"""Subgroup attributes that are HTI-1 demographic variables (age band: from date of birth)."""

HTI1_VARIABLES: tuple[tuple[str, str | None], ...] = (
    # the variables of 45 CFR 170.315(b)(11)(iv)(A)(5)-(13), and the feature field that is one
    ("race", "race"),
    ("ethnicity", "ethnicity"),
    ("language", None),
    ("sexual orientation", None),
    ("gender identity", None),
    ("sex", "sex"),
    ("date of birth", "age"),
    ("social determinants of health", None),
    ("health status assessments", None),
)

_CODE_NAMES = {
    # CDC Race & Ethnicity code set (as recorded by US Core), and the null flavours in use
    "1002-5": "American Indian or Alaska Native",
    "2028-9": "Asian",
    "2054-5": "Black or African American",
    "2076-8": "Native Hawaiian or Other Pacific Islander",
    "2106-3": "White",
    "2131-1": "Other race",
    "2135-2": "Hispanic or Latino",
    "2186-5": "Not Hispanic or Latino",
    "UNK": "unknown",
    "ASKU": "asked but unknown",
}


@dataclass(frozen=True)
class Metric:
    """One headline number of the evaluation, with its interval (None: not defined)."""

    key: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    kind: str = "score"

    @property
    def text(self) -> str:
        return fmt_ci(self.value, self.low, self.high, self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "ci": [self.low, self.high] if self.low is not None else None,
            "text": self.text,
        }


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def estimate(data: Any) -> tuple[float | None, float | None, float | None]:
    """``(value, low, high)`` of an ``Estimate.to_dict()`` (or a bare number)."""
    if isinstance(data, Mapping):
        ci = data.get("ci")
        low, high = (ci[0], ci[1]) if isinstance(ci, Sequence) and len(ci) == 2 else (None, None)
        return _num(data.get("value")), _num(low), _num(high)
    return _num(data), None, None


def _fmt(value: float, kind: str) -> str:
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "count":
        return f"{value:,.2f}"
    return f"{value:.3f}"


def fmt_ci(
    value: float | None,
    low: float | None,
    high: float | None,
    kind: str = "score",
    level: float = 0.95,
) -> str:
    """``0.742 (95% CI 0.582–0.833)``; ``not defined`` when there is no value."""
    if value is None:
        return "not defined"
    text = _fmt(value, kind)
    if low is not None and high is not None:
        sep = " to " if low < 0 or high < 0 else "–"  # a dash between negatives misreads
        text += f" ({level * 100:.0f}% CI {_fmt(low, kind)}{sep}{_fmt(high, kind)})"
    return text


def ci_level(evaluation: Mapping[str, Any]) -> float:
    level = _num((evaluation.get("bootstrap") or {}).get("ci_level"))
    return level if level is not None else 0.95


def headline_metrics(evaluation: Mapping[str, Any]) -> list[Metric]:
    """AUROC, AUPRC and the calibration measures, as the evaluation report computed them."""
    out = []
    for section, key, label, kind in HEADLINE_METRICS:
        value, low, high = estimate((evaluation.get(section) or {}).get(key))
        out.append(Metric(key, label, value, low, high, kind))
    return out


def metric_text(evaluation: Mapping[str, Any], metric: Metric) -> str:
    return fmt_ci(metric.value, metric.low, metric.high, metric.kind, ci_level(evaluation))


def operating_points(evaluation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The policy operating points: name, rule, threshold and rates with intervals (text)."""
    level = ci_level(evaluation)
    rows = []
    for op in evaluation.get("operating_points") or []:
        row: dict[str, Any] = {
            "name": str(op.get("name", "")),
            "rule": str(op.get("rule", "")),
            "reached": bool(op.get("reached", False)),
            "threshold": _num(op.get("threshold")),
            "estimates": {},
        }
        for key in (*_RATES, "alerts_per_day"):
            value, low, high = estimate(op.get(key))
            row["estimates"][key] = (value, low, high)
            row[key] = fmt_ci(
                value, low, high, "count" if key == "alerts_per_day" else "rate", level
            )
        rows.append(row)
    return rows


def level_name(attribute: str, level: Any) -> str:
    """A subgroup level as a reader knows it (``2106-3`` is ``White (2106-3)``)."""
    text = str(level)
    name = _CODE_NAMES.get(text) if attribute in ("race", "ethnicity") else None
    return f"{name} ({text})" if name else text


def test_data_sentence(evaluation: Mapping[str, Any]) -> str:
    """Where the evaluation's numbers come from, in one sentence."""
    data = evaluation.get("data") or {}
    period = data.get("period") or {}
    when = (
        f", index times {period['first_month']} to {period['last_month']}"
        if period.get("first_month")
        else ""
    )
    prev, _, _ = estimate(data.get("prevalence"))
    prevalence = f", prevalence {prev * 100:.1f}%" if prev is not None else ""
    boot = evaluation.get("bootstrap") or {}
    reps = boot.get("replicates")
    ci = f"; intervals from {int(reps):,} patient-level bootstrap replicates" if reps else ""
    return (
        f"{_count(data.get('predictions'))} predictions for {_count(data.get('patients'))} "
        f"patients with {_count(data.get('positives'))} events{prevalence}{when}{ci}"
    )


def _count(value: Any) -> str:
    n = _num(value)
    return f"{int(n):,}" if n is not None else "an unknown number of"


def representativeness(evaluation: Mapping[str, Any]) -> list[str]:
    """Per demographic attribute: its levels with counts and shares, suppressed levels named.

    Counts are of predictions (index events) in the evaluated data; levels the evaluation
    suppressed (fewer patients or events than its small-cell threshold) are listed by name
    only, never with a count.
    """
    total = _num((evaluation.get("data") or {}).get("predictions"))
    lines = []
    for group in evaluation.get("subgroups") or []:
        attribute = str(group.get("attribute", ""))
        if attribute not in DEMOGRAPHIC_ATTRIBUTES:
            continue
        shown, hidden = [], []
        for lv in group.get("levels") or []:
            name = level_name(attribute, lv.get("level"))
            n = _num(lv.get("predictions"))
            if lv.get("suppressed") or n is None:
                hidden.append(name)
            else:
                share = f", {n / total * 100:.0f}%" if total else ""
                shown.append(f"{name} {int(n):,}{share}")
        text = f"{attribute}: " + ("; ".join(shown) if shown else "no level large enough to show")
        if hidden:
            text += f"; suppressed as small cells: {', '.join(hidden)}"
        lines.append(text)
    return lines


def disparity_rows(evaluation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per shown subgroup level: size, AUROC and its ratio to overall, flags."""
    level = ci_level(evaluation)
    rows = []
    for group in evaluation.get("subgroups") or []:
        attribute = str(group.get("attribute", ""))
        for lv in group.get("levels") or []:
            if lv.get("suppressed"):
                continue
            auroc = estimate((lv.get("metrics") or {}).get("auroc"))
            ratio = estimate((lv.get("disparity") or {}).get("auroc"))
            rows.append(
                {
                    "attribute": attribute,
                    "level": level_name(attribute, lv.get("level")),
                    "predictions": _num(lv.get("predictions")),
                    "patients": _num(lv.get("patients")),
                    "auroc": fmt_ci(*auroc, "score", level),
                    "auroc_ratio": fmt_ci(*ratio, "ratio", level),
                    "auroc_ratio_estimate": ratio,
                    "flags": [str(f) for f in lv.get("disparities") or []],
                }
            )
    return rows


def disparity_bounds(evaluation: Mapping[str, Any]) -> tuple[float, float]:
    bounds = (evaluation.get("config") or {}).get("disparity_bounds") or (0.8, 1.25)
    return float(bounds[0]), float(bounds[1])


def demographic_inputs(usecase: UseCase) -> tuple[list[str], list[str]]:
    """HTI-1 demographic variables the model uses as inputs, and those it does not.

    Used ones name the feature (``date of birth (as age at the prediction time: feature
    'age')``); a variable counts as used when a ``demographic`` feature reads its field.
    """
    fields = {f.field: f.name for f in usecase.features if f.kind == "demographic"}
    used, unused = [], []
    for variable, fld in HTI1_VARIABLES:
        if fld is not None and fld in fields:
            how = " (as age at the prediction time)" if fld == "age" else ""
            used.append(f"{variable}{how}: feature '{fields[fld]}'")
        else:
            unused.append(variable)
    return used, unused


def cohort_sentence(usecase: UseCase) -> str:
    """Who is scored, from the cohort definition (inclusions, then exclusions in order)."""
    c = usecase.cohort
    p = usecase.prediction
    when = "discharge" if p.at == "discharge" else "admission"
    if p.offset_hours:
        when += f" {p.offset_hours:+g} hours"
    parts = [
        f"Patients aged {c.min_age} or older with an encounter of class "
        f"{', '.join(c.encounter_classes)} (one prediction per stay, at {when})"
    ]
    excl = {
        "under_age": f"patients under {c.min_age} years",
        "died_in_hospital": "stays ending in death in hospital (disposition "
        f"{', '.join(c.death_dispositions)})",
        "transfer_out": "transfers to another acute-care hospital (disposition "
        f"{', '.join(c.transfer_dispositions)})",
        "planned_index": f"planned admissions (type {', '.join(c.planned_types)})",
    }
    if c.exclude:
        parts.append("excluded: " + "; ".join(excl[e] for e in c.exclude))
    if c.start or c.end:
        parts.append(
            f"discharged between {c.start or 'the first record'} and {c.end or 'the data cut-off'}"
        )
    return "; ".join(parts) + "."


def outcome_sentence(usecase: UseCase) -> str:
    """The outcome: ``'readmit_30d' (an encounter of class IMP starting within ...)``."""
    lab = usecase.label
    planned = "; planned admissions do not count" if lab.exclude_planned else ""
    return (
        f"'{lab.name}' (an encounter of class {', '.join(lab.encounter_classes)} starting "
        f"within {lab.window_days} days after the prediction time{planned})"
    )
