"""Base Structs of FHIR resources: the ``resourceType`` tag, ``id`` and the DomainResource parts.

Every resource Struct is tagged by its class name on ``resourceType``, so one
``msgspec.json.Decoder`` over the union of all of them dispatches on the type at C speed.
``id`` is decoded as a plain string and checked by the mapping step (see ``_primitives``).
"""

from __future__ import annotations

import msgspec

from wardwatch.ingest.fhir._datatypes import Code, Element, Narrative, ResourceMeta, Uri

__all__ = ["DomainResource", "OtherResource", "TaggedResource"]


class TaggedResource(Element, tag_field="resourceType", tag=True, kw_only=True):
    """Any resource: ``resourceType`` (the tag) and ``id``."""

    id: str | None = None


class DomainResource(TaggedResource, kw_only=True):
    """A resource type wardwatch maps to a canonical table (validated in depth)."""

    meta: ResourceMeta | None = None
    implicit_rules: Uri | None = None
    language: Code | None = None
    text: Narrative | None = None


class OtherResource(TaggedResource, kw_only=True):
    """An R4 resource type wardwatch keeps whole in ``other_resources``.

    Only ``id`` is checked; ``subject`` and ``patient`` are kept raw because their type differs
    between resources (a list in Account and Contract) and are read only to find the patient.
    """

    subject: msgspec.Raw = msgspec.Raw()
    patient: msgspec.Raw = msgspec.Raw()
