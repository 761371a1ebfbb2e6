"""CSV and Parquet files to one canonical table each, through a YAML mapping.

A mapping (see :mod:`wardwatch.ingest.tabular._mapping` for the full schema) names the
canonical table, which source column fills which canonical column and how to read it::

    table: claims
    record_id: claim_id
    columns:
      claim_id: claim_id
      patient_id: member_id
      billable_start: {source: service_from, format: date}
      total_amount: total_charge
      diagnosis_codes: {source: icd10_codes, split: "|"}
    constants:
      resource_type: csv

One record is one data row: its record number is the 1-based data row of a CSV (header
excluded, blank lines skipped) or row index + 1 of a Parquet file. A row is loaded whole or
quarantined whole with the first problem found: MALFORMED (CSV row with the wrong number of
fields), ENCODING, MISSING_REQUIRED, MAPPING_ERROR or INVALID_DATETIME, the field being the
source column. A file that cannot be mapped at all (no header, source columns missing, a Parquet
column of an incompatible type) raises :class:`~wardwatch.errors.InputError`.

Built-in mappings: ``synth_claims`` (the wardwatch generator's claims CSV) and
``ehr_lab_results`` (an example EHR lab extract to observations); :func:`match_builtin` picks
one from a header.
"""

from wardwatch.ingest.tabular._builtin import builtin_mapping, builtin_names, match_builtin
from wardwatch.ingest.tabular._csv import parse_csv, read_header
from wardwatch.ingest.tabular._mapping import (
    ColumnMapping,
    TableMapping,
    load_mapping,
    mapping_from_dict,
)
from wardwatch.ingest.tabular._parquet import parse_parquet

Mapping = TableMapping
"""The name the ingest API uses for :class:`TableMapping`."""

__all__ = [
    "ColumnMapping",
    "Mapping",
    "TableMapping",
    "builtin_mapping",
    "builtin_names",
    "load_mapping",
    "mapping_from_dict",
    "match_builtin",
    "parse_csv",
    "parse_parquet",
    "read_header",
]
