"""Reason codes for quarantined records.

Each quarantined record carries exactly one reason (the first problem found), plus the field
path, what was expected and what was found, so that a data team can fix the feed.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Reason"]


class Reason(StrEnum):
    """Why a record was quarantined."""

    MALFORMED = "malformed-record"
    """The record is not parseable: broken JSON, an HL7 message without a valid MSH, a CSV row
    with the wrong number of fields."""
    ENCODING = "bad-encoding"
    """The bytes are not valid UTF-8 (or the declared character set)."""
    TOO_LARGE = "record-too-large"
    """The record exceeds the size limit; it is kept in part, the source file has it whole."""
    TOO_DEEP = "too-deeply-nested"
    """JSON nesting beyond the depth any FHIR resource needs."""
    NOT_A_RESOURCE = "not-a-resource"
    """Valid JSON that is not a FHIR resource (not an object, or no ``resourceType``)."""
    UNKNOWN_TYPE = "unknown-resource-type"
    """``resourceType`` names no FHIR R4 resource."""
    MISSING_REQUIRED = "missing-required"
    """A required element (cardinality 1..) is absent or empty."""
    WRONG_TYPE = "wrong-type"
    """An element has the wrong JSON type (a string where an object is required...)."""
    CARDINALITY = "bad-cardinality"
    """An element repeats where at most one is allowed (or the reverse)."""
    INVALID_VALUE = "invalid-value"
    """A value outside a required-binding value set, or not of its primitive's format."""
    INVALID_DATETIME = "invalid-datetime"
    """A date or time that is not a valid date/dateTime/instant (or HL7 DTM)."""
    BAD_REFERENCE = "bad-reference"
    """A reference that is malformed, or a ``urn:uuid:`` that resolves to no bundle entry."""
    MISSING_SEGMENT = "missing-segment"
    """An HL7 v2 message lacks a segment its type requires (PID in ADT, OBX in ORU...)."""
    MAPPING_ERROR = "mapping-error"
    """A tabular row whose value cannot be converted to the canonical column's type."""
