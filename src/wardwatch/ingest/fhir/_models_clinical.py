"""R4 Condition, Observation, MedicationRequest, Procedure and DocumentReference.

Choice elements (``value[x]``, ``onset[x]``...) are one optional field per type; that at most
one of them is present is checked by the mapping step. Elements wardwatch neither maps nor
validates (``Timing``, ``Dosage``, ``Age``-typed choices...) are left out and so ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from wardwatch.ingest.fhir._datatypes import (
    Annotation,
    Attachment,
    CodeableConcept,
    Coding,
    DateTime,
    Element,
    Identifier,
    Integer,
    Period,
    Quantity,
    Range,
    Ratio,
    Reference,
    SampledData,
    String,
)
from wardwatch.ingest.fhir._models_base import DomainResource

__all__ = [
    "Condition",
    "DocumentReference",
    "MedicationRequest",
    "Observation",
    "ObservationComponent",
    "Procedure",
]

Time = Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$")]

ObservationStatus = Literal[
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
]
MedicationRequestStatus = Literal[
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "entered-in-error",
    "stopped",
    "draft",
    "unknown",
]
MedicationRequestIntent = Literal[
    "proposal",
    "plan",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
]
RequestPriority = Literal["routine", "urgent", "asap", "stat"]
EventStatus = Literal[
    "preparation",
    "in-progress",
    "not-done",
    "on-hold",
    "stopped",
    "completed",
    "entered-in-error",
    "unknown",
]
DocumentReferenceStatus = Literal["current", "superseded", "entered-in-error"]
CompositionStatus = Literal["preliminary", "final", "amended", "entered-in-error"]
DocumentRelationshipType = Literal["replaces", "transforms", "signs", "appends"]


class Condition(DomainResource, kw_only=True):
    """R4 ``Condition`` -> ``conditions``."""

    identifier: list[Identifier] | None = None
    clinical_status: CodeableConcept | None = None
    verification_status: CodeableConcept | None = None
    category: list[CodeableConcept] | None = None
    severity: CodeableConcept | None = None
    code: CodeableConcept | None = None
    body_site: list[CodeableConcept] | None = None
    subject: Reference
    encounter: Reference | None = None
    onset_date_time: DateTime | None = None
    onset_period: Period | None = None
    onset_range: Range | None = None
    onset_string: String | None = None
    abatement_date_time: DateTime | None = None
    abatement_period: Period | None = None
    abatement_range: Range | None = None
    abatement_string: String | None = None
    recorded_date: DateTime | None = None
    recorder: Reference | None = None
    asserter: Reference | None = None
    note: list[Annotation] | None = None


class ReferenceRange(Element, kw_only=True):
    """R4 ``Observation.referenceRange``."""

    low: Quantity | None = None
    high: Quantity | None = None
    type: CodeableConcept | None = None
    applies_to: list[CodeableConcept] | None = None
    age: Range | None = None
    text: String | None = None


class ObservationComponent(Element, kw_only=True):
    """R4 ``Observation.component``: one ``observations`` row each."""

    code: CodeableConcept
    value_quantity: Quantity | None = None
    value_codeable_concept: CodeableConcept | None = None
    value_string: String | None = None
    value_boolean: bool | None = None
    value_integer: Integer | None = None
    value_range: Range | None = None
    value_ratio: Ratio | None = None
    value_sampled_data: SampledData | None = None
    value_time: Time | None = None
    value_date_time: DateTime | None = None
    value_period: Period | None = None
    data_absent_reason: CodeableConcept | None = None
    interpretation: list[CodeableConcept] | None = None
    reference_range: list[ReferenceRange] | None = None


class Observation(DomainResource, kw_only=True):
    """R4 ``Observation`` -> ``observations``."""

    identifier: list[Identifier] | None = None
    based_on: list[Reference] | None = None
    part_of: list[Reference] | None = None
    status: ObservationStatus
    category: list[CodeableConcept] | None = None
    code: CodeableConcept
    subject: Reference | None = None
    focus: list[Reference] | None = None
    encounter: Reference | None = None
    effective_date_time: DateTime | None = None
    effective_period: Period | None = None
    effective_instant: DateTime | None = None
    issued: DateTime | None = None
    performer: list[Reference] | None = None
    note: list[Annotation] | None = None
    body_site: CodeableConcept | None = None
    method: CodeableConcept | None = None
    specimen: Reference | None = None
    device: Reference | None = None
    has_member: list[Reference] | None = None
    derived_from: list[Reference] | None = None
    component: list[ObservationComponent] | None = None
    # value[x] and what goes with it, as in ObservationComponent (Structs cannot share a mixin)
    value_quantity: Quantity | None = None
    value_codeable_concept: CodeableConcept | None = None
    value_string: String | None = None
    value_boolean: bool | None = None
    value_integer: Integer | None = None
    value_range: Range | None = None
    value_ratio: Ratio | None = None
    value_sampled_data: SampledData | None = None
    value_time: Time | None = None
    value_date_time: DateTime | None = None
    value_period: Period | None = None
    data_absent_reason: CodeableConcept | None = None
    interpretation: list[CodeableConcept] | None = None
    reference_range: list[ReferenceRange] | None = None


class MedicationRequest(DomainResource, kw_only=True):
    """R4 ``MedicationRequest`` -> ``medications``."""

    contained: list[msgspec.Raw] | None = None
    identifier: list[Identifier] | None = None
    status: MedicationRequestStatus
    status_reason: CodeableConcept | None = None
    intent: MedicationRequestIntent
    category: list[CodeableConcept] | None = None
    priority: RequestPriority | None = None
    do_not_perform: bool | None = None
    reported_boolean: bool | None = None
    reported_reference: Reference | None = None
    medication_codeable_concept: CodeableConcept | None = None
    medication_reference: Reference | None = None
    subject: Reference
    encounter: Reference | None = None
    supporting_information: list[Reference] | None = None
    authored_on: DateTime | None = None
    requester: Reference | None = None
    performer: Reference | None = None
    performer_type: CodeableConcept | None = None
    recorder: Reference | None = None
    reason_code: list[CodeableConcept] | None = None
    reason_reference: list[Reference] | None = None
    based_on: list[Reference] | None = None
    group_identifier: Identifier | None = None
    course_of_therapy_type: CodeableConcept | None = None
    insurance: list[Reference] | None = None
    note: list[Annotation] | None = None


class ProcedurePerformer(Element, kw_only=True):
    """R4 ``Procedure.performer``."""

    function: CodeableConcept | None = None
    actor: Reference
    on_behalf_of: Reference | None = None


class Procedure(DomainResource, kw_only=True):
    """R4 ``Procedure`` -> ``procedures``."""

    identifier: list[Identifier] | None = None
    based_on: list[Reference] | None = None
    part_of: list[Reference] | None = None
    status: EventStatus
    status_reason: CodeableConcept | None = None
    category: CodeableConcept | None = None
    code: CodeableConcept | None = None
    subject: Reference
    encounter: Reference | None = None
    performed_date_time: DateTime | None = None
    performed_period: Period | None = None
    performed_string: String | None = None
    performed_range: Range | None = None
    recorder: Reference | None = None
    asserter: Reference | None = None
    performer: list[ProcedurePerformer] | None = None
    location: Reference | None = None
    reason_code: list[CodeableConcept] | None = None
    reason_reference: list[Reference] | None = None
    body_site: list[CodeableConcept] | None = None
    outcome: CodeableConcept | None = None
    report: list[Reference] | None = None
    complication: list[CodeableConcept] | None = None
    follow_up: list[CodeableConcept] | None = None
    note: list[Annotation] | None = None
    used_reference: list[Reference] | None = None
    used_code: list[CodeableConcept] | None = None


class DocumentRelatesTo(Element, kw_only=True):
    """R4 ``DocumentReference.relatesTo``."""

    code: DocumentRelationshipType
    target: Reference


class DocumentContent(Element, kw_only=True):
    """R4 ``DocumentReference.content``."""

    attachment: Attachment
    format: Coding | None = None


class DocumentContext(Element, kw_only=True):
    """R4 ``DocumentReference.context``."""

    encounter: list[Reference] | None = None
    event: list[CodeableConcept] | None = None
    period: Period | None = None
    facility_type: CodeableConcept | None = None
    practice_setting: CodeableConcept | None = None
    source_patient_info: Reference | None = None
    related: list[Reference] | None = None


class DocumentReference(DomainResource, kw_only=True):
    """R4 ``DocumentReference`` -> ``documents``."""

    master_identifier: Identifier | None = None
    identifier: list[Identifier] | None = None
    status: DocumentReferenceStatus
    doc_status: CompositionStatus | None = None
    type: CodeableConcept | None = None
    category: list[CodeableConcept] | None = None
    subject: Reference | None = None
    date: DateTime | None = None
    author: list[Reference] | None = None
    authenticator: Reference | None = None
    custodian: Reference | None = None
    relates_to: list[DocumentRelatesTo] | None = None
    description: String | None = None
    security_label: list[CodeableConcept] | None = None
    content: Annotated[list[DocumentContent], Meta(min_length=1)]
    context: DocumentContext | None = None
