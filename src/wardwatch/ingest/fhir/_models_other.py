"""The decoder over every R4 resource type, and the Structs of the types wardwatch keeps whole.

Each R4 type outside :data:`MAPPED_TYPES` gets a minimal :class:`OtherResource` subclass (made
with ``msgspec.defstruct``) so that the single tagged-union decoder knows every R4 name: a
``resourceType`` it does not know is then an ``unknown-resource-type`` straight from msgspec.
"""

from __future__ import annotations

from typing import Any, Union, cast

import msgspec

from wardwatch.ingest.fhir._datatypes import CodeableConcept, Element
from wardwatch.ingest.fhir._models_admin import Encounter, Organization, Patient, Practitioner
from wardwatch.ingest.fhir._models_base import OtherResource, TaggedResource
from wardwatch.ingest.fhir._models_clinical import (
    Condition,
    DocumentReference,
    MedicationRequest,
    Observation,
    Procedure,
)
from wardwatch.ingest.fhir._models_financial import Claim, ExplanationOfBenefit
from wardwatch.ingest.fhir._r4types import MAPPED_TYPES, R4_RESOURCE_TYPES

__all__ = [
    "MAPPED_CLASSES",
    "RESOURCE_DECODER",
    "ContainedMedication",
    "Head",
    "Medication",
    "OtherResource",
    "resource_class",
]


class Medication(OtherResource, kw_only=True):
    """Kept in ``other_resources``; its code also resolves a MedicationRequest's reference."""

    code: CodeableConcept | None = None


class ContainedMedication(Element, kw_only=True):
    """A contained resource, read only to resolve ``medicationReference: #id``."""

    resource_type: str | None = msgspec.field(default=None, name="resourceType")
    id: str | None = None
    code: CodeableConcept | None = None


class Head(msgspec.Struct, gc=False):
    """``resourceType`` and ``id`` of any JSON object, whatever their types (for messages)."""

    resourceType: Any = None  # noqa: N815 - the JSON name
    id: Any = None


MAPPED_CLASSES: tuple[type[TaggedResource], ...] = (
    Patient,
    Encounter,
    Condition,
    Observation,
    MedicationRequest,
    Procedure,
    Claim,
    ExplanationOfBenefit,
    DocumentReference,
    Practitioner,
    Organization,
)
assert {c.__name__ for c in MAPPED_CLASSES} == MAPPED_TYPES

_OTHER_CLASSES: dict[str, type[TaggedResource]] = {"Medication": Medication}
for _name in sorted(R4_RESOURCE_TYPES - MAPPED_TYPES - {"Medication"}):
    _OTHER_CLASSES[_name] = cast(
        "type[TaggedResource]",
        msgspec.defstruct(
            _name, [], bases=(OtherResource,), tag=_name, kw_only=True, module=__name__
        ),
    )

_ALL: dict[str, type[TaggedResource]] = {c.__name__: c for c in MAPPED_CLASSES} | _OTHER_CLASSES

RESOURCE_DECODER = cast(
    "msgspec.json.Decoder[TaggedResource]",
    msgspec.json.Decoder(Union[tuple(_ALL.values())]),  # noqa: UP007 - built at run time
)
"""Decodes one resource (JSON bytes) into the Struct of its ``resourceType``."""


def resource_class(resource_type: str) -> type[TaggedResource] | None:
    """The Struct class decoding ``resource_type``, or None if it is not an R4 type."""
    return _ALL.get(resource_type)
