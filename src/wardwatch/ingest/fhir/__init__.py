"""FHIR R4 ingest: bulk NDJSON and Bundle/resource JSON files to canonical rows.

Both parsers follow the sink contract of :mod:`wardwatch.ingest._sink`: every record (an
NDJSON line, a Bundle entry, or the single resource of a file) is either loaded as rows of the
canonical tables or quarantined with one :class:`~wardwatch.ingest._reasons.Reason`, the FHIR
element path, what R4 (or wardwatch) expects there and what was found. Messages never contain
the found value (it may be PHI).

Validation is structural, against the R4 definitions of the mapped types (Patient,
Encounter, Condition, Observation, MedicationRequest, Procedure, Claim, ExplanationOfBenefit,
DocumentReference, Practitioner, Organization): JSON types, cardinality, required elements,
required-binding codes, the primitive formats of the values used (``id``, ``code``, dates
through :mod:`wardwatch.core.timeutil`), one type per choice element, and references.
Elements wardwatch does not model are ignored, so extensions and unmodeled R4 elements never
cause a quarantine; FHIRPath invariants are not checked, except obs-6 and ref-1 for contained
medications. The other R4 types are loaded whole (compact JSON) into ``other_resources`` after
their ``id`` is checked. Beyond R4, wardwatch needs an ``id`` on every resource, a literal
reference to a Patient on clinical records, a coded concept where a table needs a code, and
an encounter start time.

Example::

    from wardwatch.ingest._sink import CollectingSink
    from wardwatch.ingest.fhir import parse_ndjson

    sink = CollectingSink()
    with open("Observation.ndjson", "rb") as f:
        parse_ndjson(f, sink)
    assert sink.records_in == sink.loaded + sink.quarantined
"""

from __future__ import annotations

from wardwatch.ingest.fhir._bundle import parse_bundle
from wardwatch.ingest.fhir._ndjson import parse_ndjson
from wardwatch.ingest.fhir._r4types import MAPPED_TYPES, R4_RESOURCE_TYPES
from wardwatch.ingest.fhir._record import MAX_DEPTH
from wardwatch.ingest.fhir._stream import RAW_LIMIT

__all__ = [
    "MAPPED_TYPES",
    "MAX_DEPTH",
    "R4_RESOURCE_TYPES",
    "RAW_LIMIT",
    "parse_bundle",
    "parse_ndjson",
]
