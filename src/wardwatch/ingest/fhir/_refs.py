"""Literal references: check their form and resolve them to the target's type and id.

A reference resolves, in this order, through the ``fullUrl`` of the entries of the Bundle being
read (``urn:uuid:...`` or absolute URLs), as a relative ``ResourceType/id[/_history/v]``, or as
an absolute URL ending in ``ResourceType/id``. ``urn:uuid:``/``urn:oid:`` references that match
no entry are ``bad-reference`` (outside a Bundle they never resolve). Contained references
(``#id``) and absolute URLs that name no FHIR resource resolve to nothing.

The resolver also keeps what other entries of a Bundle can tell about a target (the code of a
Condition or of a Medication), for claims and medication orders that refer to them.
"""

from __future__ import annotations

import re

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest.fhir._datatypes import Coding, Reference
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._r4types import R4_RESOURCE_TYPES

__all__ = ["URN_REFERENCE", "Resolver", "Target"]

Target = tuple[str, str]
"""(resource type, id) of a reference's target."""

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}").fullmatch
_URL = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?:\S*/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})"
    r"(?:/_history/[A-Za-z0-9\-.]{1,64})?"
).fullmatch
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+").fullmatch
URN_REFERENCE = re.compile(rb'"reference"\s*:\s*"(urn:(?:uuid|oid):[^"\\]*)"')
"""Finds ``urn:uuid``/``urn:oid`` references anywhere in a record's bytes."""

_MISS: Target = ("", "")
_CACHE_LIMIT = 1 << 16
_FORMS = "Type/id, an absolute URL ending in Type/id, a bundle entry's fullUrl, or #id"


class Resolver:
    """Resolves references inside one file (a Bundle, or the lines of an NDJSON file).

    Args:
        full_urls: the Bundle's ``fullUrl`` -> (type, id) of its entries; None outside a Bundle.
    """

    __slots__ = ("_cache", "_full", "condition_codes", "in_bundle", "medication_codes")

    def __init__(self, full_urls: dict[str, Target] | None = None) -> None:
        self.in_bundle = full_urls is not None
        self._full: dict[str, Target] = full_urls if full_urls is not None else {}
        self._cache: dict[str, Target | None] = {}
        self.condition_codes: dict[str, Coding] = {}
        """Condition id -> its coding, from the entries of the Bundle."""
        self.medication_codes: dict[str, Coding] = {}
        """Medication id -> its coding, from the entries of the Bundle."""

    def unresolved_urn(self, raw: bytes) -> str | None:
        """The first ``urn:uuid``/``urn:oid`` reference in ``raw`` that matches no entry."""
        for m in URN_REFERENCE.finditer(raw):
            urn = m.group(1).decode("utf-8", "replace")
            if urn not in self._full:
                return urn
        return None

    def target(self, ref: str, field: str) -> Target | None:
        """(type, id) of the target of ``ref``; None when it names no loadable resource."""
        hit = self._cache.get(ref, _MISS)
        if hit is not _MISS:
            return hit
        res = self._resolve(ref, field)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[ref] = res
        return res

    def _resolve(self, ref: str, field: str) -> Target | None:
        """Resolve ``ref`` without the cache (see :meth:`target`)."""
        full = self._full.get(ref)
        if full is not None:
            return full
        if ref.startswith(("urn:uuid:", "urn:oid:")):
            where = "no entry of this Bundle" if self.in_bundle else "nothing outside a Bundle"
            raise Reject(
                Reason.BAD_REFERENCE,
                field,
                "the fullUrl of an entry of the same Bundle",
                ref,
                f"reference resolves to {where}",
            )
        if ref.startswith("#"):
            return None
        rtype, sep, rid = ref.partition("/")
        if sep and rtype in R4_RESOURCE_TYPES and _ID(rid) is not None:
            return rtype, rid
        m = _URL(ref)
        if m is not None and m.group(1) in R4_RESOURCE_TYPES:
            return m.group(1), m.group(2)
        if _ABSOLUTE(ref) is not None:
            return None
        raise Reject(Reason.BAD_REFERENCE, field, _FORMS, ref, "not a valid reference")

    def patient(self, ref: Reference | None, field: str) -> str:
        """The Patient id a mapped record belongs to; Reject when there is none."""
        value = None if ref is None else ref.reference
        if value is not None:
            tgt = self._cache.get(value, _MISS)
            if tgt is _MISS:
                tgt = self.target(value, field + ".reference")
            if tgt is not None and tgt[0] == "Patient":
                return tgt[1]
        raise self._no_patient(ref, field)

    def _no_patient(self, ref: Reference | None, field: str) -> Reject:
        """Why ``ref`` gives no Patient id (the message says wardwatch needs one)."""
        if ref is None:
            return Reject(
                Reason.MISSING_REQUIRED,
                field,
                "a reference to a Patient",
                "absent",
                "wardwatch needs a patient reference to load this record",
            )
        if ref.reference is None:
            return Reject(
                Reason.MISSING_REQUIRED,
                f"{field}.reference",
                "a literal reference to a Patient (Patient/<id> or an entry's fullUrl)",
                "absent (identifier or display only)",
                "wardwatch needs a literal patient reference to load this record",
            )
        return Reject(
            Reason.MISSING_REQUIRED,
            f"{field}.reference",
            "a reference to a Patient resource",
            ref.reference,
            "wardwatch needs a reference to a Patient to load this record",
        )

    def optional(self, ref: Reference | None, field: str, rtype: str) -> str | None:
        """The id of an optional reference's target, checked to be a ``rtype``."""
        if ref is None:
            return None
        value = ref.reference
        if value is None:
            return None
        tgt = self._cache.get(value, _MISS)
        if tgt is _MISS:
            tgt = self.target(value, field + ".reference")
        if tgt is None:
            return None
        if tgt[0] != rtype:
            raise Reject(
                Reason.BAD_REFERENCE,
                f"{field}.reference",
                f"a reference to {rtype}",
                value,
                f"reference to a {tgt[0]} where R4 allows {rtype}",
            )
        return tgt[1]
