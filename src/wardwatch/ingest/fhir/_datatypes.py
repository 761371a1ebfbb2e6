"""FHIR R4 primitive and complex data types as msgspec Structs.

Decoding into these types checks JSON types, cardinality (an object where 0..1, an array where
0..*), required elements and required-binding codes (``Literal``) at C speed. Formats that need
a regular expression (``id``, ``code``, ``dateTime``...) are *not* declared with
``Meta(pattern=...)`` on hot elements: msgspec calls Python's ``re`` per value, which costs about
0.5 µs each; the mapping step checks the values it uses with faster code (see ``_primitives``).
Rarely present elements do carry patterns (:data:`DateTimeP`), where the cost does not matter.

Elements wardwatch does not model are ignored on decoding (``forbid_unknown_fields`` is off), so
extensions and R4 elements outside the model never cause a quarantine.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "Address",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Element",
    "Extension",
    "HumanName",
    "Identifier",
    "Money",
    "Narrative",
    "Period",
    "PeriodP",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "ResourceMeta",
    "SampledData",
]

# --- primitives -------------------------------------------------------------------------------

String = Annotated[str, Meta(min_length=1)]
"""R4 ``string``: ``[ \\r\\n\\t\\S]+``, i.e. not empty."""
Code = Annotated[str, Meta(min_length=1)]
"""R4 ``code``: whitespace rules are checked where codes are used (``_primitives.code``)."""
Uri = Annotated[str, Meta(min_length=1)]
Markdown = Annotated[str, Meta(min_length=1)]
Decimal = float
"""R4 ``decimal``: a JSON number (msgspec rejects strings and booleans here)."""
Integer = Annotated[int, Meta(ge=-(2**31), le=2**31 - 1)]
PositiveInt = Annotated[int, Meta(ge=1, le=2**31 - 1)]
UnsignedInt = Annotated[int, Meta(ge=0, le=2**31 - 1)]
DateTime = Annotated[str, Meta(min_length=1)]
"""R4 ``dateTime``/``date``/``instant`` of a mapped element: checked by ``_primitives``."""

DATETIME_PATTERN = (
    r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]"
    r"|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3])"
    r":[0-5][0-9]|14:00)))?)?)?$"
)
"""The R4 ``dateTime`` regular expression (anchored), for elements wardwatch does not map."""
DateTimeP = Annotated[str, Meta(pattern=DATETIME_PATTERN)]
Base64 = Annotated[str, Meta(min_length=1)]

NarrativeStatus = Literal["generated", "extensions", "additional", "empty"]
IdentifierUse = Literal["usual", "official", "temp", "secondary", "old"]
NameUse = Literal["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"]
ContactPointSystem = Literal["phone", "fax", "email", "pager", "url", "sms", "other"]
ContactPointUse = Literal["home", "work", "temp", "old", "mobile"]
AddressUse = Literal["home", "work", "temp", "old", "billing"]
AddressType = Literal["postal", "physical", "both"]
QuantityComparator = Literal["<", "<=", ">=", ">"]
AdministrativeGender = Literal["male", "female", "other", "unknown"]


class Element(msgspec.Struct, rename="camel", omit_defaults=True, gc=False, kw_only=True):
    """Base of every FHIR struct: camelCase names, no GC tracking (no cycles), keyword-only."""


# --- general-purpose types ---------------------------------------------------------------------


class Coding(Element, kw_only=True):
    """R4 ``Coding``: a code in a code system."""

    system: Uri | None = None
    version: String | None = None
    code: Code | None = None
    display: String | None = None
    user_selected: bool | None = None


class CodeableConcept(Element, kw_only=True):
    """R4 ``CodeableConcept``: codings and/or text."""

    coding: list[Coding] | None = None
    text: String | None = None


class Period(Element, kw_only=True):
    """A period whose bounds wardwatch maps (checked in the mapping step)."""

    start: DateTime | None = None
    end: DateTime | None = None


class PeriodP(Element, kw_only=True):
    """A period wardwatch does not map: its bounds are checked against the R4 regex on decode."""

    start: DateTimeP | None = None
    end: DateTimeP | None = None


class Identifier(Element, kw_only=True):
    """R4 ``Identifier`` (``use`` has a required binding)."""

    use: IdentifierUse | None = None
    type: CodeableConcept | None = None
    system: Uri | None = None
    value: String | None = None
    period: PeriodP | None = None
    assigner: Reference | None = None


class Reference(Element, kw_only=True):
    """R4 ``Reference``; the form of ``reference`` is checked where it is resolved."""

    reference: String | None = None
    type: Uri | None = None
    identifier: Identifier | None = None
    display: String | None = None


class Quantity(Element, kw_only=True):
    """R4 ``Quantity`` (and SimpleQuantity, Age, Duration...; ``comparator`` is bound)."""

    value: Decimal | None = None
    comparator: QuantityComparator | None = None
    unit: String | None = None
    system: Uri | None = None
    code: Code | None = None


class Range(Element, kw_only=True):
    """R4 ``Range``."""

    low: Quantity | None = None
    high: Quantity | None = None


class Ratio(Element, kw_only=True):
    """R4 ``Ratio``."""

    numerator: Quantity | None = None
    denominator: Quantity | None = None


class SampledData(Element, kw_only=True):
    """R4 ``SampledData`` (``origin``, ``period`` and ``dimensions`` are 1..1)."""

    origin: Quantity
    period: Decimal
    factor: Decimal | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    dimensions: PositiveInt
    data: String | None = None


class Money(Element, kw_only=True):
    """R4 ``Money``; the ISO 4217 binding of ``currency`` is checked when mapped."""

    value: Decimal | None = None
    currency: Code | None = None


class HumanName(Element, kw_only=True):
    """R4 ``HumanName`` (``use`` has a required binding)."""

    use: NameUse | None = None
    text: String | None = None
    family: String | None = None
    given: list[String] | None = None
    prefix: list[String] | None = None
    suffix: list[String] | None = None
    period: PeriodP | None = None


class Address(Element, kw_only=True):
    """R4 ``Address`` (``use`` and ``type`` have required bindings)."""

    use: AddressUse | None = None
    type: AddressType | None = None
    text: String | None = None
    line: list[String] | None = None
    city: String | None = None
    district: String | None = None
    state: String | None = None
    postal_code: String | None = None
    country: String | None = None
    period: PeriodP | None = None


class ContactPoint(Element, kw_only=True):
    """R4 ``ContactPoint`` (``system`` and ``use`` have required bindings)."""

    system: ContactPointSystem | None = None
    value: String | None = None
    use: ContactPointUse | None = None
    rank: PositiveInt | None = None
    period: PeriodP | None = None


class Attachment(Element, kw_only=True):
    """R4 ``Attachment``; MIME type and base64 data are checked when mapped."""

    content_type: Code | None = None
    language: Code | None = None
    data: Base64 | None = None
    url: Uri | None = None
    size: UnsignedInt | None = None
    hash: Base64 | None = None
    title: String | None = None
    creation: DateTime | None = None  # checked by the mapper of DocumentReference


class Annotation(Element, kw_only=True):
    """R4 ``Annotation`` (``text`` is 1..1)."""

    author_reference: Reference | None = None
    author_string: String | None = None
    time: DateTimeP | None = None
    text: Markdown


class Narrative(Element, kw_only=True):
    """R4 ``Narrative`` (``DomainResource.text``): status and div are 1..1."""

    status: NarrativeStatus
    div: String


class ResourceMeta(Element, kw_only=True):
    """``Resource.meta``: only ``lastUpdated`` (an ``instant``) is used."""

    version_id: String | None = None
    last_updated: DateTime | None = None
    source: Uri | None = None
    profile: list[Uri] | None = None
    security: list[Coding] | None = None
    tag: list[Coding] | None = None


class Extension(Element, kw_only=True):
    """An extension; only the value types wardwatch reads are modeled (US Core race/ethnicity)."""

    url: Uri
    extension: list[Extension] | None = None
    value_coding: Coding | None = None
    value_string: String | None = None
    value_code: Code | None = None
