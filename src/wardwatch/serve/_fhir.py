"""A risk score as a FHIR R4 ``RiskAssessment`` resource (plain JSON, no FHIR library).

One prediction, final status, the model named in ``method``, the probability rounded to
four decimals and the band as a ``risk-probability`` code, the alert decision in
``prediction.rationale`` and the top factors in words in ``note``. Optional elements
without a value are omitted (FHIR forbids empty elements).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = ["QUALITATIVE_RISK", "RISK_PROBABILITY_SYSTEM", "UNIDENTIFIED_SUBJECT", "risk_assessment"]

#: HL7 code system for qualitative risk (low, moderate, high, ...).
RISK_PROBABILITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/risk-probability"
#: wardwatch band → (risk-probability code, its display).
QUALITATIVE_RISK: Mapping[str, tuple[str, str]] = {
    "low": ("low", "Low likelihood"),
    "medium": ("moderate", "Moderate likelihood"),
    "high": ("high", "High likelihood"),
}
#: The subject when no patient reference may be given (``subject`` is required, 1..1).
UNIDENTIFIED_SUBJECT: Mapping[str, str] = {"display": "unidentified patient"}

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_MAX_NOTE_FACTORS = 10


def _reference(ref: str, name: str) -> dict[str, str]:
    if not ref or any(c.isspace() for c in ref):
        raise ValueError(f"{name} must be a FHIR reference such as 'Patient/123', without spaces")
    return {"reference": ref}


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in [0, 1], found {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], found {value!r}")
    return float(value)


def _factor_words(factor: Mapping[str, Any]) -> str:
    label = " ".join(str(factor.get("label", "")).split()) or "unnamed factor"
    value = factor.get("value")
    text = label if value is None or value == "" else f"{label} = {value}"
    c = factor.get("contribution")
    if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c):
        return text
    if c == 0:
        return f"{text} (no effect)"
    return f"{text} ({'raises' if c > 0 else 'lowers'} risk, {c:+.2f})"


def _datetime(when: datetime) -> str:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("when must be timezone-aware (FHIR dateTime with a time needs a zone)")
    return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds")


def risk_assessment(
    *,
    patient_ref: str | None,
    encounter_ref: str | None,
    risk: float,
    band: str,
    decision: bool,
    threshold: float | None,
    model_name: str,
    model_version: str,
    outcome_text: str,
    outcome_code: Mapping[str, str] | None,
    when: datetime,
    factors: Sequence[Mapping[str, Any]],
    request_id: str,
) -> dict[str, Any]:
    """A FHIR R4 ``RiskAssessment`` for one scored request.

    Args:
        patient_ref: ``Patient/<id>`` (already pseudonymized if it must be); None gives the
            required ``subject`` as :data:`UNIDENTIFIED_SUBJECT`.
        encounter_ref: ``Encounter/<id>``, or None to omit ``encounter``.
        risk: the predicted probability of the outcome, in [0, 1] (rounded to 4 decimals).
        band: ``low``, ``medium`` or ``high``; becomes ``qualitativeRisk`` (medium → moderate).
        decision: whether the score raised an alert; stated in ``prediction.rationale``.
        threshold: the alert threshold the decision used, if any.
        outcome_text, outcome_code: the predicted outcome (text, and an optional Coding
            ``{"system", "code", "display"?}``).
        when: when the assessment was made (timezone-aware).
        factors: top factors ``{"label", "value", "contribution"}``; the first ten go into
            ``note`` in words.
        request_id: the resource ``id`` (a FHIR id: letters, digits, '-', '.'; ≤ 64).

    Returns the resource as a JSON-ready dict (validates against R4 ``RiskAssessment``).
    """
    if not _FHIR_ID.fullmatch(request_id):
        raise ValueError(
            "request_id is not a FHIR id; use 1-64 letters, digits, '-' or '.' (a UUID works)"
        )
    risk = _probability("risk", risk)
    if band not in QUALITATIVE_RISK:
        raise ValueError(f"band must be one of low, medium, high, found {band!r}")
    if not outcome_text.strip():
        raise ValueError("outcome_text must name the predicted outcome")
    code, display = QUALITATIVE_RISK[band]
    outcome: dict[str, Any] = {"text": outcome_text}
    if outcome_code is not None:
        coding = {
            k: str(outcome_code[k]) for k in ("system", "code", "display") if outcome_code.get(k)
        }
        if "system" not in coding or "code" not in coding:
            raise ValueError("outcome_code needs a non-empty 'system' and 'code'")
        outcome["coding"] = [coding]
    flagged = "flagged for follow-up" if decision else "not flagged"
    if threshold is None:
        rationale = f"Predicted risk {_pct(risk)} ({band}); {flagged} (no alert threshold set)."
    else:
        threshold = _probability("threshold", threshold)
        rationale = (
            f"Predicted risk {_pct(risk)} ({band}); {flagged} at the alert threshold of "
            f"{_pct(threshold)}."
        )
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": request_id,
        "status": "final",
        "subject": (
            _reference(patient_ref, "patient_ref")
            if patient_ref is not None
            else dict(UNIDENTIFIED_SUBJECT)
        ),
    }
    if encounter_ref is not None:
        resource["encounter"] = _reference(encounter_ref, "encounter_ref")
    resource["occurrenceDateTime"] = _datetime(when)
    resource["method"] = {"text": f"wardwatch model {model_name} v{model_version}"}
    resource["prediction"] = [
        {
            "outcome": outcome,
            "probabilityDecimal": round(risk, 4),
            "qualitativeRisk": {
                "coding": [{"system": RISK_PROBABILITY_SYSTEM, "code": code, "display": display}],
                "text": display,
            },
            "rationale": rationale,
        }
    ]
    if factors:
        words = "; ".join(_factor_words(f) for f in factors[:_MAX_NOTE_FACTORS])
        resource["note"] = [{"text": f"Top factors: {words}."}]
    return resource
