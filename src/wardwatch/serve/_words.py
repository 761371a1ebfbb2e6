"""Feature names in plain clinical words, for explanations a clinician reads.

``feature_label(spec)`` turns a use case's feature definition into a short label
("Inpatient stays in the prior 365 days", "Sodium, last value in 14 days (mmol/L)"); a
feature kind it does not know falls back to its name with underscores as spaces.
"""

from __future__ import annotations

import math
from typing import Any

from wardwatch.features import FeatureSpec
from wardwatch.terminology import lab_spec

__all__ = ["describe_value", "feature_label"]

_DEMOGRAPHIC = {"age": "Age (years)", "sex": "Sex", "race": "Race", "ethnicity": "Ethnicity"}
_STAY = {
    "los_days": "Length of stay (days)",
    "disposition": "Discharge disposition",
    "admit_source": "Admission source",
    "diagnosis_group": "Principal diagnosis group (ICD-10-CM)",
}
_COMORBIDITY = {
    "charlson": "Charlson comorbidity index",
    "elixhauser": "Elixhauser comorbidity count",
}
_CLASSES = {
    "IMP": "inpatient stays",
    "EMER": "emergency visits",
    "AMB": "outpatient visits",
    "OBSENC": "observation stays",
}
_STATS = {
    "last": "last value",
    "mean": "mean",
    "min": "lowest value",
    "max": "highest value",
    "count": "number of results",
    "delta": "change from first to last",
}


def _window(days: float | None) -> str:
    if days is None:
        return ""
    return f" in {days:g} days" if days != 1 else " in 1 day"


def feature_label(spec: FeatureSpec) -> str:
    """A short label for ``spec`` in clinical words (no PHI: it describes the feature)."""
    field = spec.field or ""
    if spec.kind == "demographic" and field in _DEMOGRAPHIC:
        return _DEMOGRAPHIC[field]
    if spec.kind == "stay" and field in _STAY:
        return _STAY[field]
    if spec.kind == "comorbidity" and field in _COMORBIDITY:
        return _COMORBIDITY[field]
    if spec.kind == "utilization":
        what = " and ".join(_CLASSES.get(c, c.lower()) for c in spec.classes) or "encounters"
        window = f"the prior {spec.window_days:g} days" if spec.window_days else "all history"
        return f"{what[0].upper()}{what[1:]} in {window}"
    if spec.kind == "lab" and spec.code:
        lab = lab_spec(spec.code)
        name = lab.display.split(" [", 1)[0] if lab else f"LOINC {spec.code}"
        unit = f" ({lab.unit})" if lab and spec.stat != "count" else ""
        return f"{name}, {_STATS.get(spec.stat, spec.stat)}{_window(spec.window_days)}{unit}"
    if spec.kind == "abnormal_labs":
        return f"Abnormal lab results{_window(spec.window_days)}"
    if spec.kind == "medications":
        return f"Distinct medications ordered{_window(spec.window_days)}"
    words = spec.name.replace("_", " ")
    return words[0].upper() + words[1:]


def describe_value(value: Any) -> str:
    """A feature value as a clinician would read it: ``missing`` for no value, numbers
    with at most 3 significant decimals, categories as given."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            return "missing"
        if number.is_integer():
            return str(int(number))
        return f"{number:.3g}" if abs(number) < 1000 else f"{number:,.0f}"
    return str(value)
