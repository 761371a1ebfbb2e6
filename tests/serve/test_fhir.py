"""FHIR R4 RiskAssessment output, checked with fhir.resources' R4B model as the oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from fhir.resources.R4B.riskassessment import RiskAssessment
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.serve._fhir import RISK_PROBABILITY_SYSTEM, risk_assessment

WHEN = datetime(2026, 11, 3, 14, 5, 9, tzinfo=UTC)
FACTORS = [
    {"label": "Inpatient stays in the prior 365 days", "value": "3", "contribution": 0.42},
    {"label": "Sodium, last value", "value": "131 mmol/L", "contribution": -0.1},
]


def assessment(**over: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "patient_ref": "Patient/p-7f3a",
        "encounter_ref": "Encounter/e-19",
        "risk": 0.23456,
        "band": "high",
        "decision": True,
        "threshold": 0.2,
        "model_name": "readmission-30d",
        "model_version": "7",
        "outcome_text": "Unplanned readmission within 30 days",
        "outcome_code": None,
        "when": WHEN,
        "factors": FACTORS,
        "request_id": "9368d37b-283f-44a0-93ea-547cebab93ed",
    }
    kw.update(over)
    return risk_assessment(**kw)


def parse(resource: dict[str, Any]) -> Any:
    """Validate as an R4 resource, after a JSON round trip (what a client would receive)."""
    return RiskAssessment.model_validate(orjson.loads(orjson.dumps(resource)))


def test_valid_r4_risk_assessment() -> None:
    resource = assessment()
    parsed = parse(resource)
    assert parsed.id == "9368d37b-283f-44a0-93ea-547cebab93ed"
    assert parsed.status == "final"
    assert parsed.subject.reference == "Patient/p-7f3a"
    assert parsed.encounter.reference == "Encounter/e-19"
    assert parsed.method.text == "wardwatch model readmission-30d v7"
    (prediction,) = parsed.prediction
    assert float(prediction.probabilityDecimal) == 0.2346
    assert prediction.outcome.text == "Unplanned readmission within 30 days"
    (coding,) = prediction.qualitativeRisk.coding
    assert (coding.system, coding.code) == (RISK_PROBABILITY_SYSTEM, "high")
    assert "flagged for follow-up at the alert threshold of 20.0 %" in prediction.rationale
    assert resource["occurrenceDateTime"] == "2026-11-03T14:05:09+00:00"
    assert resource["note"] == [
        {
            "text": "Top factors: Inpatient stays in the prior 365 days = 3 (raises risk, +0.42); "
            "Sodium, last value = 131 mmol/L (lowers risk, -0.10)."
        }
    ]
    assert "basis" not in resource
    assert "mitigation" not in resource


def test_no_patient_reference_still_has_required_subject() -> None:
    resource = assessment(patient_ref=None, encounter_ref=None, factors=[])
    parsed = parse(resource)
    assert resource["subject"] == {"display": "unidentified patient"}
    assert parsed.encounter is None
    assert "note" not in resource


def test_outcome_coding_and_no_threshold() -> None:
    code = {
        "system": "http://snomed.info/sct",
        "code": "417005",
        "display": "Hospital re-admission",
    }
    resource = assessment(outcome_code=code, threshold=None, decision=False)
    parse(resource)
    prediction = resource["prediction"][0]
    assert prediction["outcome"]["coding"] == [code]
    assert prediction["rationale"].endswith("not flagged (no alert threshold set).")


def test_other_zones_and_fractions() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=timezone(timedelta(hours=-5)))
    resource = assessment(when=when)
    assert resource["occurrenceDateTime"] == "2026-01-02T03:04:05.678-05:00"
    parse(resource)


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"when": datetime(2026, 1, 1, 12)}, "timezone"),  # naive on purpose
        ({"request_id": "has space"}, "FHIR id"),
        ({"request_id": "x" * 65}, "FHIR id"),
        ({"risk": 1.01}, r"\[0, 1\]"),
        ({"risk": float("inf")}, "finite"),
        ({"threshold": 2.0}, "threshold"),
        ({"band": "moderate"}, "band"),
        ({"patient_ref": "Patient/ 1"}, "patient_ref"),
        ({"patient_ref": ""}, "patient_ref"),
        ({"outcome_code": {"code": "417005"}}, "system"),
        ({"outcome_text": " "}, "outcome_text"),
    ],
)
def test_refuses_bad_input(over: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        assessment(**over)


@settings(max_examples=150, deadline=None)
@given(
    risk=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    band=st.sampled_from(["low", "medium", "high"]),
    decision=st.booleans(),
    threshold=st.none() | st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    contribution=st.floats(allow_nan=True, allow_infinity=True) | st.none(),
)
def test_any_risk_and_band_gives_a_valid_resource(
    risk: float, band: str, decision: bool, threshold: float | None, contribution: float | None
) -> None:
    resource = assessment(
        risk=risk,
        band=band,
        decision=decision,
        threshold=threshold,
        factors=[{"label": "Age (years)", "value": 71, "contribution": contribution}],
    )
    parsed = parse(resource)
    probability = resource["prediction"][0]["probabilityDecimal"]
    assert 0.0 <= probability <= 1.0
    assert probability == round(risk, 4)
    assert abs(float(parsed.prediction[0].probabilityDecimal) - risk) <= 5e-5 + 1e-12
    expected = {"low": "low", "medium": "moderate", "high": "high"}[band]
    assert parsed.prediction[0].qualitativeRisk.coding[0].code == expected
