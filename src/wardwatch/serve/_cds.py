"""CDS Hooks 2.0 documents: discovery entries, prefetch templates, risk cards, feedback.

Pure functions building (or checking) the spec's JSON shapes; optional fields are omitted,
never null or empty. Request bodies (:class:`HookRequest`, :class:`FeedbackItem`) are pydantic
models keeping unknown keys (extensions); :func:`hook_request` and :func:`feedback_item` turn
a validation failure into one :class:`CdsRequestError` line naming the field, never the value.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)

from wardwatch.errors import WardwatchError

__all__ = [
    "INDICATORS",
    "OVERRIDE_REASONS",
    "OVERRIDE_REASON_SYSTEM",
    "PREFETCH_KEYS",
    "SUMMARY_MAX_CHARS",
    "CdsRequestError",
    "FeedbackItem",
    "HookRequest",
    "feedback_item",
    "feedback_items",
    "hook_request",
    "missing_prefetch",
    "prefetch_templates",
    "risk_card",
    "service_definition",
]

Hook = Literal["patient-view", "encounter-discharge"]
Band = Literal["low", "medium", "high"]

#: The spec asks for a "<140-character" summary: at most 139 characters.
SUMMARY_MAX_CHARS = 139
#: Card indicator for each risk band.
INDICATORS: Mapping[str, str] = {"low": "info", "medium": "warning", "high": "critical"}
#: Prefetch key and FHIR query template for each resource type a model may use.
PREFETCH_KEYS: Mapping[str, tuple[str, str]] = {
    "Patient": ("patient", "Patient/{{context.patientId}}"),
    "Encounter": ("encounters", "Encounter?patient={{context.patientId}}&_count=100"),
    "Condition": ("conditions", "Condition?patient={{context.patientId}}"),
    "Observation": ("labs", "Observation?patient={{context.patientId}}&category=laboratory"),
    "MedicationRequest": ("medications", "MedicationRequest?patient={{context.patientId}}"),
    "Procedure": ("procedures", "Procedure?patient={{context.patientId}}"),
}
#: The code system of the override reasons offered on wardwatch cards.
OVERRIDE_REASON_SYSTEM = "https://wardwatch.dev/fhir/CodeSystem/cds-override-reason"
OVERRIDE_REASONS: Sequence[Mapping[str, str]] = (
    {"code": "already-addressed", "display": "Already addressed in the care plan"},
    {"code": "not-applicable", "display": "Not applicable to this patient"},
    {"code": "disagree-estimate", "display": "Disagree with the risk estimate"},
)

# Context fields usable as prefetch tokens (both hooks: userId, patientId, encounterId).
_CONTEXT_TOKENS = frozenset({"userId", "patientId", "encounterId"})
_USER_TOKENS = frozenset(
    {"userPractitionerId", "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"}
)
_TOKEN = re.compile(r"\{\{(.*?)\}\}")
_SERVICE_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")


class CdsRequestError(WardwatchError, ValueError):
    """A CDS Hooks request body (hook call or feedback) does not follow the spec."""


# --- discovery -----------------------------------------------------------------------------


def _check_hook(hook: str) -> None:
    if hook not in ("patient-view", "encounter-discharge"):
        raise ValueError(f"hook {hook!r} is not supported; use patient-view or encounter-discharge")


def _check_template(key: str, template: str) -> None:
    if not key or not template:
        raise ValueError("prefetch keys and templates must be non-empty strings")
    rest = _TOKEN.sub("", template)
    if "{{" in rest or "}}" in rest:
        raise ValueError(f"prefetch template {key!r} has an unbalanced '{{{{' or '}}}}'")
    for token in _TOKEN.findall(template):
        name = token.strip()
        ok = name in _USER_TOKENS or (
            name.startswith("context.") and name.removeprefix("context.") in _CONTEXT_TOKENS
        )
        if not ok:
            raise ValueError(
                f"prefetch template {key!r} uses token {{{{{name}}}}}, which CDS Hooks 2.0 "
                "does not define; use context.patientId/encounterId/userId or a user token"
            )


def service_definition(
    *,
    service_id: str,
    hook: Hook,
    title: str,
    description: str,
    prefetch: Mapping[str, str],
    usage_requirements: str | None = None,
) -> dict[str, Any]:
    """One entry of the discovery response ``GET /cds-services`` → ``{"services": [...]}``.

    ``service_id`` becomes the URL segment ``/cds-services/{id}``, so it must be URL-safe;
    every prefetch template is checked to use only tokens the spec defines.
    """
    if not _SERVICE_ID.fullmatch(service_id):
        raise ValueError(
            f"CDS service id {service_id!r} is not URL-safe; use letters, digits, '.', '_', "
            "'~' or '-' (at most 64)"
        )
    _check_hook(hook)
    if not description.strip():
        raise ValueError("a CDS service needs a description (the spec requires one)")
    for key, template in prefetch.items():
        _check_template(key, template)
    out: dict[str, Any] = {"hook": hook, "id": service_id, "description": description}
    if title.strip():
        out["title"] = title
    if prefetch:
        out["prefetch"] = dict(prefetch)
    if usage_requirements:
        out["usageRequirements"] = usage_requirements
    return out


def prefetch_templates(
    resource_types: Iterable[str],
    *,
    hook: str,
    lookback_days: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """Prefetch templates asking only for the FHIR data a model uses.

    Returns ``{key: template}`` for each resource type in :data:`PREFETCH_KEYS` (in that
    order), plus ``encounter`` (``Encounter/{{context.encounterId}}``) for
    ``encounter-discharge``. ``lookback_days`` (resource type → days) is checked but cannot go
    into the query: CDS Hooks 2.0 prefetch tokens have no date arithmetic, so a window must
    be applied by the service to what the EHR sends.
    """
    wanted = set(resource_types)
    unknown = sorted(wanted - PREFETCH_KEYS.keys())
    if unknown:
        raise ValueError(
            f"no prefetch template for resource type(s) {', '.join(unknown)}; "
            f"supported: {', '.join(PREFETCH_KEYS)}"
        )
    _check_hook(hook)
    for rtype, days in (lookback_days or {}).items():
        if rtype not in PREFETCH_KEYS or isinstance(days, bool) or not isinstance(days, int):
            raise ValueError(f"lookback_days[{rtype!r}] must be a supported type and an integer")
        if days <= 0:
            raise ValueError(f"lookback_days[{rtype!r}] must be positive, found {days}")
    out = {key: query for rtype, (key, query) in PREFETCH_KEYS.items() if rtype in wanted}
    if hook == "encounter-discharge":
        out["encounter"] = "Encounter/{{context.encounterId}}"
    return out


def missing_prefetch(
    definition_prefetch: Mapping[str, str], request_prefetch: Mapping[str, Any] | None
) -> list[str]:
    """Prefetch keys the service asked for that the request did not fill.

    A key counts as missing when absent (the EHR chose not to, or failed to, prefetch it) or
    null (the EHR found no data, which the spec also signals with null). The result keeps
    the definition's order; empty means everything asked for arrived.
    """
    given = request_prefetch or {}
    return [key for key in definition_prefetch if given.get(key) is None]


# --- cards ---------------------------------------------------------------------------------


def _summary(text: str) -> str:
    """One line of at most :data:`SUMMARY_MAX_CHARS`, cut at a word with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= SUMMARY_MAX_CHARS:
        return line
    cut = line[: SUMMARY_MAX_CHARS - 1]
    space = cut.rfind(" ")
    if space >= SUMMARY_MAX_CHARS - 30:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def _cell(value: Any) -> str:
    """Text safe inside one GitHub-flavored markdown table cell."""
    return " ".join(str(value).split()).replace("\\", "\\\\").replace("|", "\\|") or "—"


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _effect(contribution: Any) -> str:
    if isinstance(contribution, bool) or not isinstance(contribution, int | float):
        return "—"
    if not math.isfinite(contribution) or contribution == 0:
        return "no effect"
    verb = "raises" if contribution > 0 else "lowers"
    return f"{verb} risk ({contribution:+.2f})"


def _probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in [0, 1], found {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], found {value!r}")
    return float(value)


def risk_card(
    *,
    summary: str,
    risk: float,
    band: Band,
    model_name: str,
    model_version: str,
    factors: Sequence[Mapping[str, Any]],
    source_label: str,
    source_url: str | None,
    dashboard_url: str | None,
    threshold: float | None,
    uuid: str,
    feedback_enabled: bool = True,
) -> dict[str, Any]:
    """A CDS Hooks 2.0 card for one risk score.

    ``indicator`` follows the band (low → info, medium → warning, high → critical); the
    ``detail`` markdown gives the risk as a percentage, the band, the threshold decision
    and a table of ``factors`` (each ``{"label", "value", "contribution"}``, in the order
    given) with what each does to the risk. ``uuid`` identifies the card in feedback; with
    ``feedback_enabled`` the card also offers :data:`OVERRIDE_REASONS`. The card carries no
    patient data beyond what the caller passes in.
    """
    risk = _probability("risk", risk)
    if band not in INDICATORS:
        raise ValueError(f"band must be one of low, medium, high, found {band!r}")
    card_id = _uuid_text(uuid, "uuid")
    if not source_label.strip():
        raise ValueError("a card source needs a label (the spec requires one)")
    for name, url in (("source_url", source_url), ("dashboard_url", dashboard_url)):
        if url and not re.match(r"https?://[^/\s]+", url):
            raise ValueError(f"{name} must be an absolute http(s) URL")
    lines = [f"**Estimated risk: {_pct(risk)}** ({band} band)", ""]
    if threshold is None:
        lines.append("No alert threshold is set for this model.")
    else:
        threshold = _probability("threshold", threshold)
        side = "at or above" if risk >= threshold else "below"
        lines.append(f"The risk is **{side}** the alert threshold of {_pct(threshold)}.")
    if factors:
        lines += ["", "| Factor | Value | Effect on risk |", "|---|---|---|"]
        lines += [
            f"| {_cell(f.get('label', ''))} | {_cell(f.get('value', ''))} | "
            f"{_effect(f.get('contribution'))} |"
            for f in factors
        ]
    lines += ["", f"Model: {_cell(model_name)} v{_cell(model_version)}."]
    card: dict[str, Any] = {
        "uuid": card_id,
        "summary": _summary(summary) or "Risk estimate",
        "indicator": INDICATORS[band],
        "detail": "\n".join(lines),
        "source": {"label": source_label} | ({"url": source_url} if source_url else {}),
    }
    if feedback_enabled:
        card["overrideReasons"] = [
            {"system": OVERRIDE_REASON_SYSTEM, **reason} for reason in OVERRIDE_REASONS
        ]
    if dashboard_url:
        card["links"] = [
            {"label": "Open in wardwatch dashboard", "url": dashboard_url, "type": "absolute"}
        ]
    return card


def _uuid_text(value: Any, name: str | None = None) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(f"{name} must be a UUID" if name else "expected a UUID") from None


# --- request bodies --------------------------------------------------------------------------


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 timestamp string with a time zone")
    return value


_Uuid = Annotated[str, Field(strict=True), AfterValidator(_uuid_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=False)


class Coding(_Model):
    """A CDS Hooks Coding: ``system`` and ``code`` required, ``display`` optional."""

    system: str = Field(min_length=1)
    code: str = Field(min_length=1)
    display: str | None = None


class HookContext(_Model):
    """The hook context wardwatch reads: the patient, the encounter, the user."""

    patientId: str = Field(min_length=1)  # noqa: N815 - spec field names
    encounterId: str | None = Field(default=None, min_length=1)  # noqa: N815
    userId: str | None = Field(default=None, min_length=1)  # noqa: N815


class FhirAuthorization(_Model):
    """The OAuth 2.0 token the EHR lends for its FHIR server (the token is kept secret)."""

    access_token: SecretStr
    token_type: Literal["Bearer"]
    expires_in: int = Field(ge=0)
    scope: str = Field(min_length=1)
    subject: str = Field(min_length=1)


class HookRequest(_Model):
    """The body of ``POST /cds-services/{id}`` (CDS Hooks 2.0; extra keys kept)."""

    hook: Hook
    hookInstance: _Uuid  # noqa: N815
    fhirServer: str | None = None  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: HookContext
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _conditions(self) -> HookRequest:
        if self.fhirServer is not None and not re.match(r"https?://[^/\s]+", self.fhirServer):
            raise ValueError("fhirServer must be an absolute http(s) URL")
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        if self.hook == "encounter-discharge" and self.context.encounterId is None:
            raise ValueError("context.encounterId is required for the encounter-discharge hook")
        return self


class AcceptedSuggestion(_Model):
    """One accepted suggestion: the ``suggestion.uuid`` the card carried."""

    id: str = Field(min_length=1)


class OverrideReason(_Model):
    """Why a clinician dismissed a card: a coded reason, a comment, or both."""

    reason: Coding | None = None
    userComment: str | None = Field(default=None, min_length=1)  # noqa: N815

    @model_validator(mode="after")
    def _not_empty(self) -> OverrideReason:
        if self.reason is None and self.userComment is None:
            raise ValueError("overrideReason needs a reason or a userComment")
        return self


class FeedbackItem(_Model):
    """One element of ``POST /cds-services/{id}/feedback`` → ``{"feedback": [...]}``."""

    card: _Uuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None  # noqa: N815
    overrideReason: OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: Annotated[AwareDatetime, BeforeValidator(_iso_text)]  # noqa: N815

    @model_validator(mode="after")
    def _by_outcome(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required for an accepted outcome")
        if self.outcome == "overridden" and self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions must be absent for an overridden outcome")
        if self.outcome == "accepted" and self.overrideReason is not None:
            raise ValueError("overrideReason is only valid for an overridden outcome")
        return self


def _one_line(exc: ValidationError, what: str) -> CdsRequestError:
    """The first problem of ``exc`` as one line naming the field (never the input value)."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ").replace("\n", " ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return CdsRequestError(
        f"invalid CDS Hooks {what}: {msg}{more}",
        field=loc or None,
        hint="see the CDS Hooks 2.0 specification for this body",
    )


def hook_request(obj: Any) -> HookRequest:
    """Validate a hook call body; raises :class:`CdsRequestError` (one line) if it is wrong."""
    try:
        return HookRequest.model_validate(obj)
    except ValidationError as exc:
        raise _one_line(exc, "hook request") from None


def feedback_item(obj: Any) -> FeedbackItem:
    """Validate one feedback entry; raises :class:`CdsRequestError` (one line) if it is wrong."""
    try:
        return FeedbackItem.model_validate(obj)
    except ValidationError as exc:
        raise _one_line(exc, "feedback") from None


def feedback_items(body: Any) -> list[FeedbackItem]:
    """Validate a whole feedback body ``{"feedback": [...]}`` (at least one entry)."""
    entries = body.get("feedback") if isinstance(body, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise CdsRequestError(
            "invalid CDS Hooks feedback: expected an object with a non-empty array",
            field="feedback",
        )
    return [feedback_item(entry) for entry in entries]
