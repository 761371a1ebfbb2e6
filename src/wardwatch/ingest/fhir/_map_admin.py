"""Map Patient, Practitioner, Organization and Encounter to canonical rows.

Each mapper takes the decoded Struct (its ``id`` already checked), the file's
:class:`~wardwatch.ingest.fhir._refs.Resolver` and the record's bytes, and returns the rows of
the record or raises :class:`~wardwatch.ingest.fhir._errors.Reject`.
"""

from __future__ import annotations

from wardwatch.ingest._reasons import Reason
from wardwatch.ingest._sink import Row
from wardwatch.ingest.fhir._errors import Reject
from wardwatch.ingest.fhir._map_common import (
    NPI_SYSTEM,
    choice,
    code_and_system,
    code_of,
    identifier_of_type,
    identifier_value,
    name_parts,
    period,
    recorded,
    reference_npi,
)
from wardwatch.ingest.fhir._models_admin import Encounter, Organization, Patient, Practitioner
from wardwatch.ingest.fhir._primitives import check_code, date, datetime
from wardwatch.ingest.fhir._refs import Resolver

__all__ = ["map_encounter", "map_organization", "map_patient", "map_practitioner"]

SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"


def _omb_category(p: Patient, url: str) -> str | None:
    """The first ``ombCategory`` code of the US Core race or ethnicity extension."""
    for ext in p.extension or ():
        if ext.url == url:
            for sub in ext.extension or ():
                if sub.url == "ombCategory" and sub.value_coding is not None:
                    return sub.value_coding.code
    return None


def map_patient(p: Patient, res: Resolver, raw: bytes) -> list[Row]:
    """Patient -> one ``patients`` row."""
    choice("Patient.deceased[x]", p.deceased_boolean, p.deceased_date_time)
    choice("Patient.multipleBirth[x]", p.multiple_birth_boolean, p.multiple_birth_integer)
    family, given = name_parts(p.name)
    birth = None if p.birth_date is None else date(p.birth_date, "Patient.birthDate")
    death = None
    if p.deceased_date_time is not None:
        death = datetime(p.deceased_date_time, "Patient.deceasedDateTime")
    line = city = state = postal = None
    if p.address:
        a = p.address[0]
        line = ", ".join(a.line) if a.line else None
        city, state, postal = a.city, a.state, a.postal_code
    phone = None
    for t in p.telecom or ():
        if t.system == "phone" and t.value is not None:
            phone = t.value
            break
    site = res.optional(p.managing_organization, "Patient.managingOrganization", "Organization")
    return [
        (
            "patients",
            (
                p.id,
                identifier_of_type(p.identifier, "MR"),
                identifier_value(p.identifier, SSN_SYSTEM),
                family,
                given,
                birth,
                death,
                p.gender,
                _omb_category(p, RACE_URL),
                _omb_category(p, ETHNICITY_URL),
                line,
                city,
                state,
                postal,
                phone,
                site,
                recorded(p.meta, "Patient"),
            ),
        )
    ]


def map_practitioner(p: Practitioner, res: Resolver, raw: bytes) -> list[Row]:
    """Practitioner -> one ``practitioners`` row."""
    if p.birth_date is not None:
        date(p.birth_date, "Practitioner.birthDate")
    family, given = name_parts(p.name)
    return [("practitioners", (p.id, identifier_value(p.identifier, NPI_SYSTEM), family, given))]


def map_organization(o: Organization, res: Resolver, raw: bytes) -> list[Row]:
    """Organization -> one ``organizations`` row."""
    type_code = code_of(o.type[0], "Organization.type") if o.type else None
    state = o.address[0].state if o.address else None
    npi = identifier_value(o.identifier, NPI_SYSTEM)
    return [("organizations", (o.id, o.name, npi, type_code, state))]


def map_encounter(e: Encounter, res: Resolver, raw: bytes) -> list[Row]:
    """Encounter -> one ``encounters`` row (wardwatch needs a patient and a start time)."""
    pid = res.patient(e.subject, "Encounter.subject")
    start, end = period(e.period, "Encounter.period")
    if start is None:
        raise Reject(
            Reason.MISSING_REQUIRED,
            "Encounter.period.start",
            "the start of the encounter",
            "absent",
            "wardwatch needs the start time of an encounter to load it",
        )
    class_code = None if e.class_.code is None else check_code(e.class_.code, "Encounter.class")
    type_code, type_system = (
        code_and_system(e.type[0], "Encounter.type") if e.type else (None, None)
    )
    reason_code, reason_system = (
        code_and_system(e.reason_code[0], "Encounter.reasonCode") if e.reason_code else (None, None)
    )
    admit = discharge = None
    h = e.hospitalization
    if h is not None:
        admit = code_of(h.admit_source, "Encounter.hospitalization.admitSource")
        discharge = code_of(
            h.discharge_disposition, "Encounter.hospitalization.dischargeDisposition"
        )
    npi = None
    for part in e.participant or ():
        if part.period is not None:
            period(part.period, "Encounter.participant.period")
        if npi is None:
            npi = reference_npi(part.individual)
    for loc in e.location or ():
        if loc.period is not None:
            period(loc.period, "Encounter.location.period")
    site = res.optional(e.service_provider, "Encounter.serviceProvider", "Organization")
    rec = recorded(e.meta, "Encounter") or end
    return [
        (
            "encounters",
            (
                e.id,
                pid,
                e.status,
                class_code,
                type_code,
                type_system,
                start,
                end,
                admit,
                discharge,
                reason_code,
                reason_system,
                site,
                npi,
                None,
                rec,
            ),
        )
    ]
