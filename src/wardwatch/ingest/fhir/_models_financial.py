"""R4 Claim and ExplanationOfBenefit, as far as wardwatch validates them.

Both are large resources; the model covers every required element of the resource and of the
backbone elements it models, the required bindings (status, use, outcome) and what the
``claims`` table reads. ``adjudication``, ``item.detail``, ``addItem``, ``benefitBalance`` and
the like are ignored: they are large (an EOB item has one adjudication per amount) and
decoding them into Structs would double the cost of an EOB for nothing wardwatch keeps.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from wardwatch.ingest.fhir._datatypes import (
    Address,
    CodeableConcept,
    DateTime,
    DateTimeP,
    Decimal,
    Element,
    Identifier,
    Money,
    Period,
    PositiveInt,
    Quantity,
    Reference,
    String,
)
from wardwatch.ingest.fhir._models_base import DomainResource

__all__ = ["Claim", "ClaimDiagnosis", "ClaimItem", "ExplanationOfBenefit"]

FinancialStatus = Literal["active", "cancelled", "draft", "entered-in-error"]
ClaimUse = Literal["claim", "preauthorization", "predetermination"]
RemittanceOutcome = Literal["queued", "complete", "error", "partial"]


class ClaimCareTeam(Element, kw_only=True):
    """R4 ``Claim.careTeam`` / ``ExplanationOfBenefit.careTeam``."""

    sequence: PositiveInt
    provider: Reference
    responsible: bool | None = None
    role: CodeableConcept | None = None
    qualification: CodeableConcept | None = None


class ClaimSupportingInfo(Element, kw_only=True):
    """R4 ``Claim.supportingInfo`` / ``ExplanationOfBenefit.supportingInfo``."""

    sequence: PositiveInt
    category: CodeableConcept
    code: CodeableConcept | None = None
    timing_date: DateTime | None = None
    timing_period: Period | None = None
    value_boolean: bool | None = None
    value_string: String | None = None
    value_quantity: Quantity | None = None
    value_reference: Reference | None = None
    reason: CodeableConcept | None = None


class ClaimDiagnosis(Element, kw_only=True):
    """R4 ``Claim.diagnosis`` / ``ExplanationOfBenefit.diagnosis``."""

    sequence: PositiveInt
    diagnosis_codeable_concept: CodeableConcept | None = None
    diagnosis_reference: Reference | None = None
    type: list[CodeableConcept] | None = None
    on_admission: CodeableConcept | None = None
    package_code: CodeableConcept | None = None


class ClaimProcedure(Element, kw_only=True):
    """R4 ``Claim.procedure`` / ``ExplanationOfBenefit.procedure``."""

    sequence: PositiveInt
    type: list[CodeableConcept] | None = None
    date: DateTime | None = None
    procedure_codeable_concept: CodeableConcept | None = None
    procedure_reference: Reference | None = None
    udi: list[Reference] | None = None


class ClaimInsurance(Element, kw_only=True):
    """R4 ``Claim.insurance``."""

    sequence: PositiveInt
    focal: bool
    identifier: Identifier | None = None
    coverage: Reference
    business_arrangement: String | None = None
    pre_auth_ref: list[String] | None = None
    claim_response: Reference | None = None


class ClaimItem(Element, kw_only=True):
    """R4 ``Claim.item`` / ``ExplanationOfBenefit.item`` (``detail`` not modeled)."""

    sequence: PositiveInt
    care_team_sequence: list[PositiveInt] | None = None
    diagnosis_sequence: list[PositiveInt] | None = None
    procedure_sequence: list[PositiveInt] | None = None
    information_sequence: list[PositiveInt] | None = None
    revenue: CodeableConcept | None = None
    category: CodeableConcept | None = None
    product_or_service: CodeableConcept
    modifier: list[CodeableConcept] | None = None
    program_code: list[CodeableConcept] | None = None
    serviced_date: DateTime | None = None
    serviced_period: Period | None = None
    location_codeable_concept: CodeableConcept | None = None
    location_address: Address | None = None
    location_reference: Reference | None = None
    quantity: Quantity | None = None
    unit_price: Money | None = None
    factor: Decimal | None = None
    net: Money | None = None
    udi: list[Reference] | None = None
    body_site: CodeableConcept | None = None
    sub_site: list[CodeableConcept] | None = None
    encounter: list[Reference] | None = None


class ClaimPayee(Element, kw_only=True):
    """R4 ``Claim.payee`` / ``ExplanationOfBenefit.payee``."""

    type: CodeableConcept
    party: Reference | None = None


class _FinancialBase(DomainResource, kw_only=True):
    """Elements Claim and ExplanationOfBenefit share (with the same R4 cardinalities)."""

    identifier: list[Identifier] | None = None
    status: FinancialStatus
    type: CodeableConcept
    sub_type: CodeableConcept | None = None
    use: ClaimUse
    patient: Reference
    billable_period: Period | None = None
    created: DateTime
    enterer: Reference | None = None
    provider: Reference
    prescription: Reference | None = None
    original_prescription: Reference | None = None
    payee: ClaimPayee | None = None
    referral: Reference | None = None
    facility: Reference | None = None
    care_team: list[ClaimCareTeam] | None = None
    supporting_info: list[ClaimSupportingInfo] | None = None
    diagnosis: list[ClaimDiagnosis] | None = None
    procedure: list[ClaimProcedure] | None = None
    item: list[ClaimItem] | None = None


class Claim(_FinancialBase, kw_only=True):
    """R4 ``Claim`` -> ``claims``."""

    insurer: Reference | None = None
    priority: CodeableConcept
    funds_reserve: CodeableConcept | None = None
    insurance: Annotated[list[ClaimInsurance], Meta(min_length=1)]
    total: Money | None = None


class EobInsurance(Element, kw_only=True):
    """R4 ``ExplanationOfBenefit.insurance``."""

    focal: bool
    coverage: Reference
    pre_auth_ref: list[String] | None = None


class EobTotal(Element, kw_only=True):
    """R4 ``ExplanationOfBenefit.total``."""

    category: CodeableConcept
    amount: Money


class EobPayment(Element, kw_only=True):
    """R4 ``ExplanationOfBenefit.payment``."""

    type: CodeableConcept | None = None
    adjustment: Money | None = None
    adjustment_reason: CodeableConcept | None = None
    date: DateTimeP | None = None
    amount: Money | None = None
    identifier: Identifier | None = None


class ExplanationOfBenefit(_FinancialBase, kw_only=True):
    """R4 ``ExplanationOfBenefit`` -> ``claims``."""

    insurer: Reference
    priority: CodeableConcept | None = None
    claim: Reference | None = None
    claim_response: Reference | None = None
    outcome: RemittanceOutcome
    disposition: String | None = None
    insurance: Annotated[list[EobInsurance], Meta(min_length=1)]
    total: list[EobTotal] | None = None
    payment: EobPayment | None = None
