"""FHIR R4 resources from the simulated record, as plain dicts ready for ``orjson.dumps``.

Coded values use their required bindings (administrative gender, encounter status and class,
condition clinical and verification status, observation status, request status and intent,
claim status, use and type, document reference status). Every time carries the UTC offset
of the site. In NDJSON format references are relative (``Patient/<id>``); in bundle format
they are ``urn:uuid:<id>`` and resolve to an entry of the same bundle.

Constant parts (codings, categories) are shared between resources for speed: code that
changes a resource must copy it first (the defect injector does).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from wardwatch.synth._billing import claim_resource
from wardwatch.synth._catalog import GLUCOSE_MMOL, LABS, Lab
from wardwatch.synth._clock import date_str
from wardwatch.synth._codes import SYSTEMS
from wardwatch.synth._model import Dx, Obs, Person, Visit
from wardwatch.synth._notes import DISCHARGE_SUMMARY, PROGRESS_NOTE, note_text
from wardwatch.synth._reference import Clinician, Payer, Site
from wardwatch.synth._vocab import (
    ADMIT_CC,
    ATTENDER,
    CLASS,
    CLINICAL,
    COND_CAT,
    CONFIRMED,
    DISCHARGE_CC,
    ETYPE,
    ICD,
    INTERP,
    JSON,
    LOINC,
    MR_TYPE,
    MRN_SYSTEM,
    NOTE_CAT,
    NOTE_TYPE,
    OBS_CAT,
    OMB,
    PAY,
    PAYER_ID_SYSTEM,
    PROV,
    SCT,
    SS_TYPE,
    TERM,
    cc,
    qty,
)
from wardwatch.synth._world import World

__all__ = ["FhirBuilder", "Record"]

#: (resource type, resource, visit it belongs to or None)
Record = tuple[str, JSON, Visit | None]


class FhirBuilder:
    """Turns simulated patients into FHIR R4 resources."""

    def __init__(self, world: World, *, bundle: bool) -> None:
        self.world = world
        self.bundle = bundle
        self._lab_cc: dict[str, JSON] = {}

    def ref(self, rtype: str, rid: str) -> str:
        """The reference string to resource ``rtype/rid`` in this output format."""
        return f"urn:uuid:{rid}" if self.bundle else f"{rtype}/{rid}"

    def _org_ref(self, org: Site | Payer) -> JSON:
        return {"reference": self.ref("Organization", org.id), "display": org.name}

    def _clin_ref(self, c: Clinician) -> JSON:
        return {
            "reference": self.ref("Practitioner", c.id),
            "identifier": {"system": SYSTEMS["npi"], "value": c.npi},
            "display": f"Dr. {c.given} {c.family}",
        }

    # -- shared resources ------------------------------------------------------------------

    def organization(self, org: Site | Payer) -> JSON:
        """An Organization: a hospital (NPI, type prov) or a payer (payer id, type pay)."""
        if isinstance(org, Site):
            return {
                "resourceType": "Organization",
                "id": org.id,
                "identifier": [{"system": SYSTEMS["npi"], "value": org.npi}],
                "active": True,
                "type": PROV,
                "name": org.name,
                "telecom": [
                    {"system": "phone", "value": f"{org.area_code}-555-0100", "use": "work"}
                ],
                "address": [
                    {
                        "line": [org.street],
                        "city": org.city,
                        "state": org.state,
                        "postalCode": org.zips[0],
                        "country": "US",
                    }
                ],
            }
        return {
            "resourceType": "Organization",
            "id": org.id,
            "identifier": [{"system": PAYER_ID_SYSTEM, "value": org.payer_id}],
            "active": True,
            "type": PAY,
            "name": org.name,
        }

    def practitioner(self, c: Clinician) -> JSON:
        """A Practitioner with an NPI identifier."""
        return {
            "resourceType": "Practitioner",
            "id": c.id,
            "identifier": [{"system": SYSTEMS["npi"], "value": c.npi}],
            "active": True,
            "name": [
                {"use": "official", "family": c.family, "given": [c.given], "prefix": ["Dr."]}
            ],
            "gender": c.gender,
        }

    def shared(self) -> Iterator[JSON]:
        """Every Organization (sites, then payers) and Practitioner."""
        ref = self.world.ref
        for site in ref.sites:
            yield self.organization(site)
        for payer in ref.payers:
            yield self.organization(payer)
        for site in ref.sites:
            for c in site.clinicians:
                yield self.practitioner(c)

    # -- one patient -----------------------------------------------------------------------

    def patient(self, p: Person) -> JSON:
        """The Patient resource, with US Core race and ethnicity extensions."""
        zone = p.site.zone
        race_system = TERM + "v3-NullFlavor" if p.race[0] == "UNK" else OMB
        res: JSON = {
            "resourceType": "Patient",
            "id": p.id,
            "extension": [
                {
                    "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                    "extension": [
                        {
                            "url": "ombCategory",
                            "valueCoding": {
                                "system": race_system,
                                "code": p.race[0],
                                "display": p.race[1],
                            },
                        },
                        {"url": "text", "valueString": p.race[1]},
                    ],
                },
                {
                    "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
                    "extension": [
                        {
                            "url": "ombCategory",
                            "valueCoding": {
                                "system": OMB,
                                "code": p.ethnicity[0],
                                "display": p.ethnicity[1],
                            },
                        },
                        {"url": "text", "valueString": p.ethnicity[1]},
                    ],
                },
            ],
            "identifier": [
                {"use": "usual", "type": MR_TYPE, "system": MRN_SYSTEM, "value": p.mrn},
                {
                    "use": "official",
                    "type": SS_TYPE,
                    "system": "http://hl7.org/fhir/sid/us-ssn",
                    "value": p.ssn,
                },
            ],
            "active": True,
            "name": [{"use": "official", "family": p.family, "given": [p.given, p.middle]}],
            "telecom": [{"system": "phone", "value": p.phone, "use": "home"}],
            "gender": p.sex,
            "birthDate": date_str(p.birth_day),
            "address": [
                {
                    "use": "home",
                    "line": [p.line],
                    "city": p.city,
                    "state": p.state,
                    "postalCode": p.postal_code,
                    "country": "US",
                }
            ],
            "managingOrganization": self._org_ref(p.site),
        }
        if p.death is not None:
            res["deceasedDateTime"] = zone.iso(p.death)
        return res

    def records(self, p: Person, visits: list[Visit]) -> Iterator[Record]:
        """The patient's resources in writing order: Patient, then per visit its Encounter,
        Observations, Conditions, MedicationRequests, Procedures, DocumentReference, Claim."""
        yield "Patient", self.patient(p), None
        subject = {"reference": self.ref("Patient", p.id)}
        for v in visits:
            iso = v.site.zone.iso
            enc = {"reference": self.ref("Encounter", v.id)}
            yield "Encounter", self._encounter(v, subject, iso), v
            for o in v.obs:
                yield "Observation", self._observation(o, p, subject, enc, iso), v
            for d in v.dx:
                yield "Condition", self._condition(d, subject, enc, iso), v
            requester = self._clin_ref(v.clinician)
            for m in v.meds:
                yield (
                    "MedicationRequest",
                    {
                        "resourceType": "MedicationRequest",
                        "id": m.id,
                        "status": m.status,
                        "intent": "order",
                        "medicationCodeableConcept": cc(
                            SYSTEMS["rxnorm"], m.drug.rxcui, m.drug.display, True
                        ),
                        "subject": subject,
                        "encounter": enc,
                        "authoredOn": iso(m.authored),
                        "requester": requester,
                        "dosageInstruction": [{"text": m.drug.sig}],
                    },
                    v,
                )
            for pe in v.procs:
                yield (
                    "Procedure",
                    {
                        "resourceType": "Procedure",
                        "id": pe.id,
                        "status": "completed",
                        "code": cc(SCT, pe.proc.snomed, pe.proc.display, True),
                        "subject": subject,
                        "encounter": enc,
                        "performedPeriod": {"start": iso(pe.start), "end": iso(pe.end)},
                        "performer": [{"actor": requester}],
                    },
                    v,
                )
            if v.note_id is not None:
                yield "DocumentReference", self._note(p, v, subject, enc, iso), v
            if v.claim_id is not None:
                yield "Claim", claim_resource(v, subject, enc, iso, self._org_ref), v

    def _encounter(self, v: Visit, subject: JSON, iso: Any) -> JSON:
        res: JSON = {
            "resourceType": "Encounter",
            "id": v.id,
            "status": "finished",
            "class": CLASS[v.cls],
            "type": ETYPE[v.etype],
            "subject": subject,
            "participant": [{"type": ATTENDER, "individual": self._clin_ref(v.clinician)}],
            "period": {"start": iso(v.start), "end": iso(v.end)},
            "reasonCode": [cc(ICD, v.reason.code, v.reason.display)],
            "serviceProvider": self._org_ref(v.site),
        }
        if v.cls == "IMP":
            hosp: JSON = {"dischargeDisposition": DISCHARGE_CC[v.disposition or "home"]}
            if v.admit_source:
                hosp = {"admitSource": ADMIT_CC[v.admit_source], **hosp}
            res["hospitalization"] = hosp
        elif v.cls == "EMER":
            res["hospitalization"] = {"dischargeDisposition": DISCHARGE_CC[v.disposition or "home"]}
        return res

    def _code(self, lab: Lab) -> JSON:
        coded = self._lab_cc.get(lab.key)
        if coded is None:
            coded = self._lab_cc[lab.key] = cc(LOINC, lab.loinc, lab.display, True)
        return coded

    def _observation(self, o: Obs, p: Person, subject: JSON, enc: JSON, iso: Any) -> JSON:
        lab = o.lab
        res: JSON = {
            "resourceType": "Observation",
            "id": o.id,
            "status": "final",
            "category": OBS_CAT[lab.category],
            "code": self._code(lab),
            "subject": subject,
            "encounter": enc,
            "effectiveDateTime": iso(o.ts),
            "issued": iso(o.issued),
        }
        if o.value2 is not None:
            res["component"] = [
                {"code": self._code(LABS["sbp"]), "valueQuantity": qty(o.value, "mm[Hg]")},
                {"code": self._code(LABS["dbp"]), "valueQuantity": qty(o.value2, "mm[Hg]")},
            ]
            return res
        female = p.sex == "female"
        low = lab.low_f if female and lab.low_f is not None else lab.low
        high = lab.high_f if female and lab.high_f is not None else lab.high
        value: float = o.value
        unit = lab.unit
        if o.si:
            value, unit = round(o.value / GLUCOSE_MMOL, 1), "mmol/L"
            low = round(low / GLUCOSE_MMOL, 1) if low is not None else None
            high = round(high / GLUCOSE_MMOL, 1) if high is not None else None
        elif o.silent:  # mmol/L values, the mg/dL unit and reference range unchanged
            value = round(o.value / GLUCOSE_MMOL, 1)
        decimal = o.si or o.silent
        res["valueQuantity"] = qty(int(value) if lab.decimals == 0 and not decimal else value, unit)
        if lab.category == "laboratory":
            rr: JSON = {}
            if low is not None:
                rr["low"] = qty(low, unit)
            if high is not None:
                rr["high"] = qty(high, unit)
            res["referenceRange"] = [rr]
            flag = (
                "L"
                if low is not None and value < low
                else ("H" if high is not None and value > high else "N")
            )
            res["interpretation"] = INTERP[flag]
        return res

    def _condition(self, d: Dx, subject: JSON, enc: JSON, iso: Any) -> JSON:
        res: JSON = {
            "resourceType": "Condition",
            "id": d.id,
            "clinicalStatus": CLINICAL["resolved" if d.abated is not None else "active"],
            "verificationStatus": CONFIRMED,
            "category": COND_CAT[d.category],
            "code": cc(ICD, d.icd.code, d.icd.display, True),
            "subject": subject,
            "encounter": enc,
            "onsetDateTime": iso(d.onset),
        }
        if d.abated is not None:
            res["abatementDateTime"] = iso(d.abated)
        res["recordedDate"] = iso(d.recorded)
        return res

    def problems(self, p: Person, ts: int) -> list[str]:
        """Displays of the chronic conditions the patient has at ``ts``."""
        return [p.codes[k].display for k, t in p.onsets.items() if t <= ts]

    def _note(self, p: Person, v: Visit, subject: JSON, enc: JSON, iso: Any) -> JSON:
        text = note_text(p, v, self.problems(p, v.start))
        kind = "IMP" if v.cls == "IMP" else "AMB"
        title = DISCHARGE_SUMMARY[1] if kind == "IMP" else PROGRESS_NOTE[1]
        assert v.note_id is not None
        return {
            "resourceType": "DocumentReference",
            "id": v.note_id,
            "status": "current",
            "docStatus": "final",
            "type": NOTE_TYPE[kind],
            "category": NOTE_CAT,
            "subject": subject,
            "date": iso(v.note_date),
            "author": [self._clin_ref(v.clinician)],
            "custodian": self._org_ref(v.site),
            "description": title,
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain",
                        "data": base64.b64encode(text.encode()).decode(),
                        "title": title,
                        "creation": iso(v.note_date),
                    }
                }
            ],
            "context": {"encounter": [enc], "period": {"start": iso(v.start), "end": iso(v.end)}},
        }
