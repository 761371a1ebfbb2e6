"""R4 Patient, Practitioner, Organization and Encounter, as far as wardwatch validates them.

Cardinalities and required bindings follow https://hl7.org/fhir/R4/ (``Literal`` for required
bindings, ``Annotated[list, Meta(min_length=1)]`` for ``1..*``, no default for ``1..1``).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from wardwatch.ingest.fhir._datatypes import (
    Address,
    AdministrativeGender,
    Attachment,
    CodeableConcept,
    Coding,
    ContactPoint,
    DateTime,
    Element,
    Extension,
    HumanName,
    Identifier,
    Integer,
    Period,
    PeriodP,
    PositiveInt,
    Quantity,
    Reference,
    String,
)
from wardwatch.ingest.fhir._models_base import DomainResource

__all__ = ["Encounter", "Organization", "Patient", "Practitioner"]

EncounterStatus = Literal[
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
]
EncounterLocationStatus = Literal["planned", "active", "reserved", "completed"]
LinkType = Literal["replaced-by", "replaces", "refer", "seealso"]


class PatientContact(Element, kw_only=True):
    """R4 ``Patient.contact``."""

    relationship: list[CodeableConcept] | None = None
    name: HumanName | None = None
    telecom: list[ContactPoint] | None = None
    address: Address | None = None
    gender: AdministrativeGender | None = None
    organization: Reference | None = None
    period: PeriodP | None = None


class PatientCommunication(Element, kw_only=True):
    """R4 ``Patient.communication``."""

    language: CodeableConcept
    preferred: bool | None = None


class PatientLink(Element, kw_only=True):
    """R4 ``Patient.link``."""

    other: Reference
    type: LinkType


class Patient(DomainResource, kw_only=True):
    """R4 ``Patient`` -> ``patients``."""

    extension: list[Extension] | None = None
    identifier: list[Identifier] | None = None
    active: bool | None = None
    name: list[HumanName] | None = None
    telecom: list[ContactPoint] | None = None
    gender: AdministrativeGender | None = None
    birth_date: DateTime | None = None
    deceased_boolean: bool | None = None
    deceased_date_time: DateTime | None = None
    address: list[Address] | None = None
    marital_status: CodeableConcept | None = None
    multiple_birth_boolean: bool | None = None
    multiple_birth_integer: Integer | None = None
    photo: list[Attachment] | None = None
    contact: list[PatientContact] | None = None
    communication: list[PatientCommunication] | None = None
    general_practitioner: list[Reference] | None = None
    managing_organization: Reference | None = None
    link: list[PatientLink] | None = None


class PractitionerQualification(Element, kw_only=True):
    """R4 ``Practitioner.qualification``."""

    identifier: list[Identifier] | None = None
    code: CodeableConcept
    period: PeriodP | None = None
    issuer: Reference | None = None


class Practitioner(DomainResource, kw_only=True):
    """R4 ``Practitioner`` -> ``practitioners``."""

    identifier: list[Identifier] | None = None
    active: bool | None = None
    name: list[HumanName] | None = None
    telecom: list[ContactPoint] | None = None
    address: list[Address] | None = None
    gender: AdministrativeGender | None = None
    birth_date: DateTime | None = None
    photo: list[Attachment] | None = None
    qualification: list[PractitionerQualification] | None = None
    communication: list[CodeableConcept] | None = None


class OrganizationContact(Element, kw_only=True):
    """R4 ``Organization.contact``."""

    purpose: CodeableConcept | None = None
    name: HumanName | None = None
    telecom: list[ContactPoint] | None = None
    address: Address | None = None


class Organization(DomainResource, kw_only=True):
    """R4 ``Organization`` -> ``organizations``."""

    identifier: list[Identifier] | None = None
    active: bool | None = None
    type: list[CodeableConcept] | None = None
    name: String | None = None
    alias: list[String] | None = None
    telecom: list[ContactPoint] | None = None
    address: list[Address] | None = None
    part_of: Reference | None = None
    contact: list[OrganizationContact] | None = None
    endpoint: list[Reference] | None = None


class EncounterStatusHistory(Element, kw_only=True):
    """R4 ``Encounter.statusHistory``."""

    status: EncounterStatus
    period: PeriodP


class EncounterClassHistory(Element, kw_only=True):
    """R4 ``Encounter.classHistory``."""

    class_: Coding = msgspec.field(name="class")
    period: PeriodP


class EncounterParticipant(Element, kw_only=True):
    """R4 ``Encounter.participant``."""

    type: list[CodeableConcept] | None = None
    period: Period | None = None
    individual: Reference | None = None


class EncounterDiagnosis(Element, kw_only=True):
    """R4 ``Encounter.diagnosis``."""

    condition: Reference
    use: CodeableConcept | None = None
    rank: PositiveInt | None = None


class EncounterHospitalization(Element, kw_only=True):
    """R4 ``Encounter.hospitalization``."""

    pre_admission_identifier: Identifier | None = None
    origin: Reference | None = None
    admit_source: CodeableConcept | None = None
    re_admission: CodeableConcept | None = None
    diet_preference: list[CodeableConcept] | None = None
    special_courtesy: list[CodeableConcept] | None = None
    special_arrangement: list[CodeableConcept] | None = None
    destination: Reference | None = None
    discharge_disposition: CodeableConcept | None = None


class EncounterLocation(Element, kw_only=True):
    """R4 ``Encounter.location``."""

    location: Reference
    status: EncounterLocationStatus | None = None
    physical_type: CodeableConcept | None = None
    period: Period | None = None


class Encounter(DomainResource, kw_only=True):
    """R4 ``Encounter`` -> ``encounters``."""

    identifier: list[Identifier] | None = None
    status: EncounterStatus
    status_history: list[EncounterStatusHistory] | None = None
    class_: Coding = msgspec.field(name="class")
    class_history: list[EncounterClassHistory] | None = None
    type: list[CodeableConcept] | None = None
    service_type: CodeableConcept | None = None
    priority: CodeableConcept | None = None
    subject: Reference | None = None
    episode_of_care: list[Reference] | None = None
    based_on: list[Reference] | None = None
    participant: list[EncounterParticipant] | None = None
    appointment: list[Reference] | None = None
    period: Period | None = None
    length: Quantity | None = None
    reason_code: list[CodeableConcept] | None = None
    reason_reference: list[Reference] | None = None
    diagnosis: list[EncounterDiagnosis] | None = None
    account: list[Reference] | None = None
    hospitalization: EncounterHospitalization | None = None
    location: list[EncounterLocation] | None = None
    service_provider: Reference | None = None
    part_of: Reference | None = None
