"""Canonical tables of the lake and their fixed Arrow schemas.

Every ingest path (FHIR R4, HL7 v2, CSV/Parquet) produces rows for these tables, so everything
downstream (quality checks, features, monitoring) is written once against one schema.

Conventions:

* Timestamps are ``timestamp[us, tz=UTC]``; a source time without a zone is taken as UTC.
* Every clinical event table carries ``recorded_time``: when the fact became available in the
  source system (an Observation's ``issued``, a Condition's ``recordedDate``, a Claim's
  ``created``...). Point-in-time features must filter on it, not only on the clinical time.
* Every row carries provenance: the source file, the line / entry / message / row number inside
  it (1-based), the SHA-256 of the source file and the ingest run id.
* Columns flagged ``phi`` hold direct identifiers; reports mask them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

__all__ = [
    "PROVENANCE",
    "QUARANTINE",
    "TABLES",
    "Column",
    "Kind",
    "TableSpec",
    "arrow_schema",
    "table_spec",
]

Kind = Literal["str", "ts", "date", "float", "int", "bool", "list_str"]

_ARROW: dict[str, pa.DataType] = {
    "str": pa.string(),
    "ts": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "list_str": pa.list_(pa.string()),
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``kind`` decides both the Arrow type and how the writer converts what parsers emit:
    ``ts`` and ``date`` columns arrive as normalized ISO-8601 strings (see
    :func:`wardwatch.core.timeutil.normalize_datetime`) and are cast in bulk.
    """

    name: str
    kind: Kind
    required: bool = False
    phi: bool = False
    doc: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW[self.kind]


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its name, key column and columns (provenance excluded)."""

    name: str
    key: str
    columns: tuple[Column, ...]
    doc: str = ""

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + PROVENANCE

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.all_columns)

    def column(self, name: str) -> Column:
        for c in self.all_columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(
    name: str, kind: Kind = "str", *, required: bool = False, phi: bool = False, doc: str = ""
) -> Column:
    return Column(name, kind, required, phi, doc)


PROVENANCE: tuple[Column, ...] = (
    _c("source_file", required=True, doc="path of the source file as given to ingest"),
    _c("source_line", "int", required=True, doc="1-based line, bundle entry, message or row"),
    _c("source_hash", required=True, doc="SHA-256 of the source file"),
    _c("source_format", required=True, doc="fhir-ndjson | fhir-bundle | hl7v2 | csv | parquet"),
    _c("ingest_run", required=True, doc="id of the ingest run that loaded the row"),
)

PATIENTS = TableSpec(
    "patients",
    "patient_id",
    (
        _c("patient_id", required=True),
        _c("mrn", phi=True, doc="medical record number"),
        _c("ssn", phi=True),
        _c("family_name", phi=True),
        _c("given_name", phi=True),
        _c("birth_date", "date", phi=True),
        _c("death_time", "ts"),
        _c("sex", doc="FHIR administrative gender: male | female | other | unknown"),
        _c("race", doc="OMB race category code (urn:oid:2.16.840.1.113883.6.238)"),
        _c("ethnicity", doc="OMB ethnicity category code"),
        _c("address_line", phi=True),
        _c("city", phi=True),
        _c("state"),
        _c("postal_code", phi=True),
        _c("phone", phi=True),
        _c("site_id", doc="managing organization"),
        _c("recorded_time", "ts"),
    ),
    "One row per patient.",
)

ENCOUNTERS = TableSpec(
    "encounters",
    "encounter_id",
    (
        _c("encounter_id", required=True),
        _c("patient_id", required=True),
        _c("status"),
        _c("class_code", doc="v3 ActCode: IMP (inpatient), AMB, EMER, OBSENC, HH, VR"),
        _c("type_code"),
        _c("type_system"),
        _c("start_time", "ts", required=True),
        _c("end_time", "ts"),
        _c("admit_source", doc="admit source code (e.g. emd, hosp-trans, outp)"),
        _c("discharge_disposition", doc="discharge disposition code (home, snf, hosp, exp...)"),
        _c("reason_code"),
        _c("reason_system"),
        _c("site_id"),
        _c("practitioner_npi"),
        _c("payer"),
        _c("recorded_time", "ts"),
    ),
    "One row per encounter (visit, admission).",
)

CONDITIONS = TableSpec(
    "conditions",
    "condition_id",
    (
        _c("condition_id", required=True),
        _c("patient_id", required=True),
        _c("encounter_id"),
        _c("code", required=True),
        _c("code_system", required=True),
        _c("display"),
        _c("category", doc="encounter-diagnosis | problem-list-item"),
        _c("clinical_status"),
        _c("verification_status"),
        _c("onset_time", "ts"),
        _c("abatement_time", "ts"),
        _c("recorded_time", "ts"),
    ),
    "Diagnoses and problems.",
)

OBSERVATIONS = TableSpec(
    "observations",
    "observation_id",
    (
        _c("observation_id", required=True, doc="resource id; '<id>#<n>' for the n-th component"),
        _c("patient_id", required=True),
        _c("encounter_id"),
        _c("code", required=True),
        _c("code_system", required=True),
        _c("display"),
        _c("category"),
        _c("status"),
        _c("value_num", "float"),
        _c("value_unit", doc="UCUM unit code"),
        _c("value_code"),
        _c("value_text"),
        _c("reference_low", "float"),
        _c("reference_high", "float"),
        _c("interpretation"),
        _c("effective_time", "ts"),
        _c("recorded_time", "ts", doc="Observation.issued"),
    ),
    "Labs, vitals and other measurements; one row per value (components get their own rows).",
)

MEDICATIONS = TableSpec(
    "medications",
    "medication_id",
    (
        _c("medication_id", required=True),
        _c("patient_id", required=True),
        _c("encounter_id"),
        _c("code", required=True),
        _c("code_system", required=True),
        _c("display"),
        _c("status"),
        _c("intent"),
        _c("recorded_time", "ts", doc="MedicationRequest.authoredOn"),
    ),
    "Medication orders (MedicationRequest, HL7 RXO/RXE).",
)

PROCEDURES = TableSpec(
    "procedures",
    "procedure_id",
    (
        _c("procedure_id", required=True),
        _c("patient_id", required=True),
        _c("encounter_id"),
        _c("code", required=True),
        _c("code_system", required=True),
        _c("display"),
        _c("status"),
        _c("start_time", "ts"),
        _c("end_time", "ts"),
        _c("recorded_time", "ts"),
    ),
    "Procedures performed.",
)

CLAIMS = TableSpec(
    "claims",
    "claim_id",
    (
        _c("claim_id", required=True),
        _c("patient_id", required=True),
        _c("encounter_id"),
        _c("resource_type", doc="Claim | ExplanationOfBenefit | csv"),
        _c("claim_type", doc="institutional | professional | pharmacy | oral | vision"),
        _c("status"),
        _c("payer"),
        _c("provider_npi"),
        _c("billable_start", "ts"),
        _c("billable_end", "ts"),
        _c("total_amount", "float"),
        _c("currency"),
        _c("diagnosis_codes", "list_str", doc="ICD-10-CM codes, principal first"),
        _c("procedure_codes", "list_str", doc="CPT/HCPCS or SNOMED CT codes of the items"),
        _c("recorded_time", "ts", doc="Claim.created"),
    ),
    "Claims and explanations of benefit, one row per claim.",
)

DOCUMENTS = TableSpec(
    "documents",
    "document_id",
    (
        _c("document_id", required=True),
        _c("patient_id", required=True),
        _c("encounter_id"),
        _c("type_code"),
        _c("type_system"),
        _c("status"),
        _c("content_type"),
        _c("text", phi=True, doc="decoded text of the first attachment"),
        _c("url"),
        _c("recorded_time", "ts", doc="DocumentReference.date"),
    ),
    "Clinical notes and other documents.",
)

PRACTITIONERS = TableSpec(
    "practitioners",
    "practitioner_id",
    (
        _c("practitioner_id", required=True),
        _c("npi"),
        _c("family_name"),
        _c("given_name"),
    ),
    "Clinicians.",
)

ORGANIZATIONS = TableSpec(
    "organizations",
    "organization_id",
    (
        _c("organization_id", required=True),
        _c("name"),
        _c("npi"),
        _c("type_code"),
        _c("state"),
    ),
    "Sites, hospitals and payers.",
)

OTHER_RESOURCES = TableSpec(
    "other_resources",
    "resource_id",
    (
        _c("resource_id", required=True),
        _c("resource_type", required=True),
        _c("patient_id"),
        _c("json", required=True, phi=True, doc="the resource as received"),
    ),
    "Valid FHIR resources of types wardwatch does not model (Immunization, CarePlan...), kept "
    "whole so that nothing is lost.",
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        PATIENTS,
        ENCOUNTERS,
        CONDITIONS,
        OBSERVATIONS,
        MEDICATIONS,
        PROCEDURES,
        CLAIMS,
        DOCUMENTS,
        PRACTITIONERS,
        ORGANIZATIONS,
        OTHER_RESOURCES,
    )
}

QUARANTINE = TableSpec(
    "quarantine",
    "record_id",
    (
        _c("reason", required=True, doc="reason code, see wardwatch.ingest.Reason"),
        _c("resource_type", doc="FHIR resource type, HL7 message type, or table"),
        _c("record_id", doc="id of the record when it could be read"),
        _c("field", doc="field path, FHIR-style (Observation.subject.reference) or HL7 (PID-7)"),
        _c("expected"),
        _c("found", phi=True),
        _c("message", required=True, doc="one line: what is wrong and what to do"),
        _c("raw", phi=True, doc="the record as received (UTF-8, invalid bytes replaced)"),
        _c(
            "raw_truncated", "bool", doc="raw was cut at the size limit; the source file has it all"
        ),
    ),
    "Records that could not be loaded, with why. Records in = loaded + quarantined.",
)


def table_spec(name: str) -> TableSpec:
    """Return the spec of a canonical table (or of ``quarantine``)."""
    if name == QUARANTINE.name:
        return QUARANTINE
    try:
        return TABLES[name]
    except KeyError:
        from wardwatch.errors import SchemaError

        raise SchemaError(
            "unknown table", found=name, expected=" | ".join([*TABLES, QUARANTINE.name])
        ) from None


def arrow_schema(name: str) -> pa.Schema:
    """The fixed Arrow schema of a table, provenance columns last."""
    spec = table_spec(name)
    return pa.schema(
        [pa.field(c.name, c.arrow_type, nullable=not c.required) for c in spec.all_columns]
    )
