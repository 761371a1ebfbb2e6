"""Ingest: FHIR R4, HL7 v2 and CSV/Parquet into canonical lake tables, with a quarantine.

Every input record ends up either in a canonical table or in quarantine with a reason; a run's
summary says ``records_in == loaded + quarantined``. Parsers live in ``fhir``, ``hl7v2`` and
``tabular``; :func:`ingest` runs them over files exactly once.
"""

from wardwatch.ingest._quarantine import quarantine_counts, quarantine_entries, quarantine_entry
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._runner import IngestSummary, ProgressFn, SourceResult, ingest, run_source
from wardwatch.ingest._sink import CollectingSink, RecordSink, Rejection, Row, row_from_mapping

__all__ = [
    "CollectingSink",
    "IngestSummary",
    "ProgressFn",
    "Reason",
    "RecordSink",
    "Rejection",
    "Row",
    "SourceResult",
    "ingest",
    "quarantine_counts",
    "quarantine_entries",
    "quarantine_entry",
    "row_from_mapping",
    "run_source",
]
