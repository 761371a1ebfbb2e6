"""CDS Hooks 2.0 documents checked against JSON Schemas written from the spec's tables."""

from __future__ import annotations

import re
import uuid
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.serve._cds import (
    OVERRIDE_REASONS,
    PREFETCH_KEYS,
    SUMMARY_MAX_CHARS,
    CdsRequestError,
    FeedbackItem,
    HookRequest,
    feedback_item,
    feedback_items,
    hook_request,
    missing_prefetch,
    prefetch_templates,
    risk_card,
    service_definition,
)

# --- JSON Schemas from the CDS Hooks 2.0 specification text ----------------------------------
# "JSON elements SHALL NOT be null ... or empty": strings minLength 1, arrays minItems 1.
_STR = {"type": "string", "minLength": 1}
_CODING = {
    "type": "object",
    "required": ["code", "system"],
    "properties": {"code": _STR, "system": _STR, "display": _STR},
}
DISCOVERY = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": _STR,
                    "title": _STR,
                    "description": _STR,
                    "id": _STR,
                    "prefetch": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": _STR,
                    },
                    "usageRequirements": _STR,
                },
            },
        }
    },
}
CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": _STR,
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": _STR,
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {"label": _STR, "url": _STR, "icon": _STR, "topic": _CODING},
        },
        "suggestions": {"type": "array", "minItems": 1},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {
            "type": "array",
            "minItems": 1,
            "items": {**_CODING, "required": ["code", "system", "display"]},
        },
        "links": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["label", "url", "type"],
                "properties": {
                    "label": _STR,
                    "url": _STR,
                    "type": {"enum": ["absolute", "smart"]},
                    "appContext": _STR,
                },
            },
        },
    },
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}
CDS_RESPONSE = {
    "type": "object",
    "required": ["cards"],
    "properties": {"cards": {"type": "array", "items": CARD}},
}
FEEDBACK = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": _STR,
                    "outcome": {"enum": ["accepted", "overridden"]},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {"type": "object", "required": ["id"], "properties": {"id": _STR}},
                    },
                    "overrideReason": {
                        "type": "object",
                        "properties": {"reason": _CODING, "userComment": _STR},
                    },
                    "outcomeTimestamp": _STR,
                },
                "if": {"properties": {"outcome": {"const": "accepted"}}},
                "then": {"required": ["acceptedSuggestions"]},
            },
        }
    },
}


def validate(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(orjson.loads(orjson.dumps(instance)))


CARD_ID = "4e0a3a1e-3283-4575-ab82-028d55fe2719"
FACTORS = [
    {"label": "Inpatient stays in the prior 365 days", "value": "3", "contribution": 0.42},
    {"label": "Sodium | last value", "value": "131 mmol/L", "contribution": -0.1},
    {"label": "Age (years)", "value": "71", "contribution": 0.0},
]


def card(**over: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "summary": "High risk of unplanned readmission within 30 days",
        "risk": 0.234,
        "band": "high",
        "model_name": "readmission-30d",
        "model_version": "7",
        "factors": FACTORS,
        "source_label": "wardwatch",
        "source_url": "https://wardwatch.example.org/models/readmission-30d",
        "dashboard_url": "https://wardwatch.example.org/predictions/abc",
        "threshold": 0.2,
        "uuid": CARD_ID,
    }
    kw.update(over)
    return risk_card(**kw)


# --- discovery and prefetch -------------------------------------------------------------------

ALLOWED_TOKEN = re.compile(
    r"\{\{(context\.(patientId|encounterId|userId)|userPractitionerId|userPractitionerRoleId"
    r"|userPatientId|userRelatedPersonId)\}\}"
)


@pytest.mark.parametrize("hook", ["patient-view", "encounter-discharge"])
def test_discovery_entry_matches_spec(hook: Any) -> None:
    prefetch = prefetch_templates(PREFETCH_KEYS, hook=hook)
    entry = service_definition(
        service_id="readmission-30d",
        hook=hook,
        title="30-day readmission risk",
        description="Estimated risk of unplanned readmission within 30 days.",
        prefetch=prefetch,
        usage_requirements="Needs a signed data-use agreement.",
    )
    validate({"services": [entry]}, DISCOVERY)
    assert entry["hook"] == hook
    assert entry["prefetch"] == prefetch


def test_discovery_omits_empty_optionals() -> None:
    entry = service_definition(
        service_id="x", hook="patient-view", title=" ", description="d", prefetch={}
    )
    assert entry == {"hook": "patient-view", "id": "x", "description": "d"}
    validate({"services": [entry]}, DISCOVERY)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"service_id": "has space"}, "URL-safe"),
        ({"service_id": "a/b"}, "URL-safe"),
        ({"hook": "order-sign"}, "not supported"),
        ({"description": "  "}, "description"),
        ({"prefetch": {"labs": "Observation?date=ge{{today() - 14 days}}"}}, "today"),
        ({"prefetch": {"p": "Patient/{{context.patient.id}}"}}, "does not define"),
        ({"prefetch": {"p": "Patient/{{context.patientId}"}}, "unbalanced"),
        ({"prefetch": {"": "Patient/{{context.patientId}}"}}, "non-empty"),
    ],
)
def test_discovery_refuses_bad_input(kw: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {
        "service_id": "ok",
        "hook": "patient-view",
        "title": "t",
        "description": "d",
        "prefetch": {},
    }
    with pytest.raises(ValueError, match=match):
        service_definition(**(args | kw))


def test_prefetch_templates_ask_only_for_what_is_used() -> None:
    got = prefetch_templates(["Condition", "Patient"], hook="patient-view")
    assert got == {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
    }
    discharge = prefetch_templates(["Encounter"], hook="encounter-discharge")
    assert discharge["encounter"] == "Encounter/{{context.encounterId}}"
    assert discharge["encounters"].startswith("Encounter?patient={{context.patientId}}")


@pytest.mark.parametrize("hook", ["patient-view", "encounter-discharge"])
def test_prefetch_templates_use_only_spec_tokens(hook: str) -> None:
    for template in prefetch_templates(
        PREFETCH_KEYS, hook=hook, lookback_days={"Observation": 14}
    ).values():
        tokens = re.findall(r"\{\{.*?\}\}", template)
        assert tokens
        assert all(ALLOWED_TOKEN.fullmatch(t) for t in tokens), template
        assert "today" not in template


def test_prefetch_templates_refuse_unknown_input() -> None:
    with pytest.raises(ValueError, match="Specimen"):
        prefetch_templates(["Specimen"], hook="patient-view")
    with pytest.raises(ValueError, match="not supported"):
        prefetch_templates(["Patient"], hook="order-sign")
    with pytest.raises(ValueError, match="positive"):
        prefetch_templates(["Observation"], hook="patient-view", lookback_days={"Observation": 0})
    with pytest.raises(ValueError, match="integer"):
        prefetch_templates(["Observation"], hook="patient-view", lookback_days={"Labs": 14})


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        (None, ["patient", "labs", "encounter"]),
        ({}, ["patient", "labs", "encounter"]),
        ({"patient": {"resourceType": "Patient"}, "labs": None}, ["labs", "encounter"]),
        (
            {"patient": {}, "labs": {"resourceType": "Bundle"}, "encounter": {}, "other": None},
            [],
        ),
    ],
)
def test_missing_prefetch(given: dict[str, Any] | None, missing: list[str]) -> None:
    definition = {"patient": "P", "labs": "L", "encounter": "E"}
    assert missing_prefetch(definition, given) == missing


# --- cards ------------------------------------------------------------------------------------


def test_card_matches_spec() -> None:
    c = card()
    validate({"cards": [c]}, CDS_RESPONSE)
    assert c["uuid"] == CARD_ID
    assert c["indicator"] == "critical"
    assert c["source"] == {
        "label": "wardwatch",
        "url": "https://wardwatch.example.org/models/readmission-30d",
    }
    assert c["links"] == [
        {
            "label": "Open in wardwatch dashboard",
            "url": "https://wardwatch.example.org/predictions/abc",
            "type": "absolute",
        }
    ]
    assert "suggestions" not in c
    assert "selectionBehavior" not in c
    assert [r["code"] for r in c["overrideReasons"]] == [r["code"] for r in OVERRIDE_REASONS]


def test_card_detail_markdown() -> None:
    detail = card()["detail"]
    assert "23.4 %" in detail
    assert "high band" in detail
    assert "**at or above** the alert threshold of 20.0 %" in detail
    rows = [line for line in detail.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Factor | Value | Effect on risk |"
    assert rows[1] == "| Inpatient stays in the prior 365 days | 3 | raises risk (+0.42) |"
    assert rows[2] == "| Sodium \\| last value | 131 mmol/L | lowers risk (-0.10) |"
    assert rows[3] == "| Age (years) | 71 | no effect |"
    assert "readmission-30d v7" in detail
    below = card(risk=0.05, band="low")["detail"]
    assert "**below** the alert threshold" in below
    assert "No alert threshold" in card(threshold=None)["detail"]


@pytest.mark.parametrize(
    ("band", "indicator"), [("low", "info"), ("medium", "warning"), ("high", "critical")]
)
def test_indicator_follows_band(band: str, indicator: str) -> None:
    assert card(band=band)["indicator"] == indicator


def test_card_optional_parts_omitted() -> None:
    c = card(source_url=None, dashboard_url=None, factors=[], feedback_enabled=False)
    assert c["source"] == {"label": "wardwatch"}
    assert "links" not in c
    assert "overrideReasons" not in c
    assert "| Factor" not in c["detail"]
    validate({"cards": [c]}, CDS_RESPONSE)


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"risk": 1.2}, r"\[0, 1\]"),
        ({"risk": float("nan")}, "finite"),
        ({"threshold": -0.1}, "threshold"),
        ({"band": "severe"}, "band"),
        ({"uuid": "card-1"}, "UUID"),
        ({"source_label": ""}, "label"),
        ({"dashboard_url": "/predictions/abc"}, "dashboard_url"),
        ({"source_url": "wardwatch.example.org"}, "source_url"),
    ],
)
def test_card_refuses_bad_input(over: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        card(**over)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=600))
def test_summary_is_short_one_line_and_deterministic(text: str) -> None:
    first = card(summary=text)["summary"]
    assert 1 <= len(first) <= SUMMARY_MAX_CHARS <= 140
    assert "\n" not in first
    assert first == card(summary=text)["summary"]
    flat = " ".join(text.split())
    if len(flat) <= SUMMARY_MAX_CHARS and flat:
        assert first == flat
    elif flat:
        assert first.endswith("…")
        assert flat.startswith(first[:-1].rstrip(" ,;:.-")[:50])


def test_long_summary_cut_at_a_word() -> None:
    text = "High risk of unplanned readmission " * 10
    got = card(summary=text)["summary"]
    assert got.endswith("…")
    assert got[:-1].split()[-1] in text.split()


# --- hook request -----------------------------------------------------------------------------


def request(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "https://ehr.example.org/fhir",
        "fhirAuthorization": {
            "access_token": "secret-token-xyz",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/Patient.read",
            "subject": "cds-service4",
        },
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992"}},
        "extension": {"com.example.timestamp": "2017-11-27T22:13:25Z"},
    }
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


def test_hook_request_spec_example() -> None:
    req = hook_request(request())
    assert isinstance(req, HookRequest)
    assert req.context.patientId == "1288992"
    assert req.model_extra == {"extension": {"com.example.timestamp": "2017-11-27T22:13:25Z"}}
    assert req.fhirAuthorization is not None
    assert req.fhirAuthorization.access_token.get_secret_value() == "secret-token-xyz"
    assert "secret-token-xyz" not in repr(req)
    minimal = hook_request(request(fhirServer=None, fhirAuthorization=None, prefetch=None))
    assert minimal.prefetch is None


def test_encounter_discharge_needs_encounter() -> None:
    ctx = {"userId": "Practitioner/1", "patientId": "p1", "encounterId": "e1"}
    assert (
        hook_request(request(hook="encounter-discharge", context=ctx)).context.encounterId == "e1"
    )
    with pytest.raises(CdsRequestError, match="encounterId is required"):
        hook_request(request(hook="encounter-discharge"))


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"context": {"userId": "Practitioner/1"}}, "context.patientId"),
        ({"context": {"patientId": 1288992}}, "context.patientId"),
        ({"hookInstance": "not-a-uuid-1288992"}, "hookInstance"),
        ({"hookInstance": 7}, "hookInstance"),
        ({"hook": "order-sign"}, "hook"),
        ({"fhirServer": None}, "fhirServer is required"),
        ({"fhirServer": "ehr.example.org/fhir"}, "absolute"),
        ({"fhirAuthorization": {"access_token": "secret-token-xyz"}}, "fhirAuthorization"),
        ({"prefetch": ["x"]}, "prefetch"),
    ],
)
def test_hook_request_errors_are_one_line_without_values(over: dict[str, Any], field: str) -> None:
    with pytest.raises(CdsRequestError) as info:
        hook_request(request(**over))
    text = str(info.value)
    assert field in text
    assert "\n" not in text
    for value in ("1288992", "secret-token-xyz", "not-a-uuid", "ehr.example.org"):
        assert value not in text
    assert isinstance(info.value, ValueError)


def test_hook_request_not_an_object() -> None:
    with pytest.raises(CdsRequestError, match="invalid CDS Hooks hook request"):
        hook_request(["hook"])


# --- feedback ---------------------------------------------------------------------------------

ACCEPTED = {
    "card": CARD_ID,
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2020-12-11T00:00:00Z",
}
OVERRIDDEN = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "overridden",
    "overrideReason": {
        "reason": {"code": "d7ecf885", "system": "https://example.com/cds-hooks/override"},
        "userComment": "A comment entered by the clinician.",
    },
    "outcomeTimestamp": "2020-12-11T00:00:00Z",
}


@pytest.mark.parametrize(
    "entry",
    [
        ACCEPTED,
        OVERRIDDEN,
        {k: v for k, v in OVERRIDDEN.items() if k != "overrideReason"},
        OVERRIDDEN | {"overrideReason": {"userComment": "not now"}},
    ],
)
def test_feedback_spec_examples(entry: dict[str, Any]) -> None:
    validate({"feedback": [entry]}, FEEDBACK)
    item = feedback_item(entry)
    assert isinstance(item, FeedbackItem)
    assert item.card == entry["card"]
    assert item.outcomeTimestamp.utcoffset() is not None


def test_feedback_body() -> None:
    items = feedback_items({"feedback": [ACCEPTED, OVERRIDDEN]})
    assert [i.outcome for i in items] == ["accepted", "overridden"]
    bad: Any
    for bad in ({}, {"feedback": []}, {"feedback": ACCEPTED}, [ACCEPTED]):
        with pytest.raises(CdsRequestError, match="feedback"):
            feedback_items(bad)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({k: v for k, v in ACCEPTED.items() if k != "card"}, "card"),
        (ACCEPTED | {"card": "card-1"}, "card"),
        (ACCEPTED | {"outcome": "ignored"}, "outcome"),
        ({k: v for k, v in ACCEPTED.items() if k != "acceptedSuggestions"}, "acceptedSuggestions"),
        (ACCEPTED | {"acceptedSuggestions": []}, "acceptedSuggestions"),
        (ACCEPTED | {"acceptedSuggestions": [{}]}, "acceptedSuggestions.0.id"),
        (ACCEPTED | {"overrideReason": {"userComment": "x"}}, "overrideReason"),
        (OVERRIDDEN | {"acceptedSuggestions": [{"id": "s"}]}, "acceptedSuggestions"),
        (OVERRIDDEN | {"overrideReason": {}}, "overrideReason"),
        (
            OVERRIDDEN | {"overrideReason": {"reason": {"code": "x"}}},
            "overrideReason.reason.system",
        ),
        ({k: v for k, v in ACCEPTED.items() if k != "outcomeTimestamp"}, "outcomeTimestamp"),
        (ACCEPTED | {"outcomeTimestamp": "2020-12-11T00:00:00"}, "outcomeTimestamp"),
        (ACCEPTED | {"outcomeTimestamp": "yesterday"}, "outcomeTimestamp"),
        (ACCEPTED | {"outcomeTimestamp": 1607644800}, "outcomeTimestamp"),
        ("not an object", "feedback"),
    ],
)
def test_feedback_refused_naming_the_field(entry: Any, field: str) -> None:
    with pytest.raises(CdsRequestError) as info:
        feedback_item(entry)
    text = str(info.value)
    assert field in text
    assert "\n" not in text
    assert isinstance(info.value, ValueError)


def test_card_uuid_round_trips_through_feedback() -> None:
    card_id = str(uuid.uuid4())
    c = card(uuid=card_id)
    item = feedback_item(OVERRIDDEN | {"card": c["uuid"]})
    assert item.card == card_id
