"""The "why" of an alert: who owns it, what was measured against what, and what the
observation's detail says about the likely cause (a unit switch in a lab feed above all).

Texts carry metric names, scopes, numbers and units only, never identifiers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from wardwatch.monitor._observation import Observation, Owner
from wardwatch.monitor.alerts._rules import AlertRule, window_kind

__all__ = ["CONVERSIONS", "OWNER_LABELS", "describe", "unit_switch"]

OWNER_LABELS: dict[Owner, str] = {
    "data-feed": "data-feed owner: input drift, not a model problem",
    "model": "model owner: performance or calibration decay",
    "sre": "SRE: service health, not a model problem",
}
"""The first words of every alert: whom it pages and what kind of problem it is."""

CONVERSIONS: tuple[tuple[float, str], ...] = (
    (18.016, "glucose mg/dL↔mmol/L"),
    (88.4, "creatinine mg/dL↔µmol/L"),
    (10.0, "hemoglobin g/dL↔g/L"),
    (1000.0, "a ×1000 prefix change (g↔mg, L↔mL)"),
)
"""Known unit conversion factors; a median ratio within 8% of one (or of its inverse)
reads as a unit switch."""

_TOLERANCE = math.log(1.08)
_CONTEXT_KEYS = (
    ("statistic", "statistic"),
    ("p_value", "p"),
    ("reference_median", "reference median"),
    ("current_median", "current median"),
    ("reference_unit", "reference unit"),
    ("unit", "unit"),
    ("reference_missing", "reference missing"),
    ("current_missing", "current missing"),
    ("new_categories", "new categories"),
    ("reference_rate", "reference rate"),
    ("current_rate", "current rate"),
    ("approved", "approved"),
)


def _num(x: float) -> str:
    return f"{x:.4g}"


def _subject(obs: Observation) -> str:
    """The feature or column an observation is about (``glucose`` for ``feature:glucose``
    or ``feed:labs.glucose``)."""
    name = obs.detail.get("feature")
    if isinstance(name, str) and name:
        return name[:60]
    kind, _, rest = obs.scope.partition(":")
    if kind == "feed":
        return rest.rsplit(".", 1)[-1] or obs.scope
    return rest or obs.scope


def _factor(ratio: float) -> tuple[float, str] | None:
    for factor, label in CONVERSIONS:
        for f in (factor, 1 / factor):
            if abs(math.log(ratio) - math.log(f)) <= _TOLERANCE:
                return f, label
    return None


def _shift(ratio: float) -> str:
    return f"×{ratio:.3g}" if ratio >= 1 else f"÷{1 / ratio:.3g}"


def unit_switch(obs: Observation) -> str | None:
    """A sentence naming a unit switch when the observation's detail carries a median ratio
    (current over reference) near a known conversion factor; None otherwise.

    ``unit_changed: false`` in the detail means the feed kept reporting the same unit, so
    the values were converted upstream without saying so: "values of glucose shifted ×18
    with unchanged unit: a unit switch in the lab feed, not a model problem".
    """
    ratio = obs.detail.get("median_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, int | float):
        return None
    if not math.isfinite(ratio) or ratio <= 0:
        return None
    found = _factor(float(ratio))
    if found is None:
        return None
    factor, label = found
    what = f"values of {_subject(obs)} shifted {_shift(float(ratio))}"
    changed = obs.detail.get("unit_changed")
    if changed is False:
        text = f"{what} with unchanged unit: a unit switch in the lab feed, not a model problem"
    elif changed is True:
        text = f"{what} and the reported unit changed{_units(obs.detail)}: the feed switched units"
    else:
        text = f"{what}: likely a unit switch in the lab feed, not a model problem"
    exact = f"×{factor:.5g}" if factor >= 1 else f"÷{1 / factor:.5g}"
    return f"{text} ({exact} is {label})"


def _units(detail: Mapping[str, Any]) -> str:
    a, b = detail.get("from_unit"), detail.get("to_unit")
    if isinstance(a, str) and isinstance(b, str):
        return f" from {a[:20]} to {b[:20]}"
    return ""


def _context(detail: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for key, label in _CONTEXT_KEYS:
        value = detail.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            parts.append(f"{label} {_num(float(value))}")
        elif isinstance(value, str) and len(value) <= 40:
            parts.append(f"{label} {value}")
        elif isinstance(value, list | tuple):
            parts.append(f"{label} {len(value)}")
    if isinstance(detail.get("from_unit"), str) and isinstance(detail.get("to_unit"), str):
        parts.append(f"unit{_units(detail)}")
    return ", ".join(parts)


def describe(rule: AlertRule, obs: Observation, windows: int) -> str:
    """The alert's explanation: owner label, unit-switch reading if any, the rule and its
    description, the value against the condition, the window, and context from the detail.
    ``windows`` is the number of consecutive windows the rule has fired in."""
    sentences = [OWNER_LABELS[rule.owner]]
    switch = unit_switch(obs)
    if switch:
        sentences.append(switch)
    cond = rule.condition
    ci = ""
    if obs.lower is not None and obs.upper is not None:
        ci = f" (95% CI {_num(obs.lower)}–{_num(obs.upper)})"
    measured = f"{obs.metric} = {_num(obs.value)}{ci}, {cond.describe()}"
    if cond.use in ("lower", "upper"):
        measured += f" (judged {_num(cond.judged(obs))})"
    kind = window_kind(obs)
    when = f"{'' if kind == 'any' else kind + ' '}window {obs.window_start:%Y-%m-%d %H:%M}"
    when += f" to {obs.window_end:%Y-%m-%d %H:%M}"
    if obs.n is not None:
        when += f", n={obs.n}"
    if windows > 1:
        when += f", {windows} consecutive windows"
    head = f"{rule.name} on {obs.scope} of {obs.model} v{obs.version}: {measured}; {when}"
    sentences.append(head)
    if rule.description:
        sentences.append(rule.description[:1].upper() + rule.description[1:])
    context = _context(obs.detail)
    if context:
        sentences.append(context)
    return ". ".join(s.rstrip(".") for s in sentences) + "."
