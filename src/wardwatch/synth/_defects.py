"""Defect injection for the NDJSON output, with a manifest of every defect injected.

Each eligible record gets at most one defect, drawn from its own random stream (so the clean
content is the same with and without defects). Defects that make a record unloadable
(missing-required, malformed-json, wrong-type) and the ones that move times are applied only
to records nothing else refers to (Observation, Condition, MedicationRequest, Procedure,
DocumentReference, Claim), so that one defect never breaks other records. The classes:

===================  ==============================================================================
class                what is done (field in the manifest)
===================  ==============================================================================
missing-required     a required element is removed (``Observation.code``, ``Condition.subject``,
                     ``MedicationRequest.intent``, ``Procedure.status``, ``Claim.patient``...)
dangling-reference   ``subject``/``patient`` or ``encounter`` points to an id that exists nowhere
end-before-start     ``Encounter.period.end`` set 1 to 48 hours before the start
future-date          the record's times moved 400 to 1500 days after the generation's "now"
before-birth         the record's times moved before the patient's birth date
invalid-code         ``Condition.code`` set to an ICD-10-CM code that does not exist (Z99.999...)
bad-check-digit      a LOINC code or an NPI (Practitioner, Organization) with a wrong check digit
unit-switch          glucose value divided by 18.016 (mmol/L) while the unit still says mg/dL, for
                     every glucose result of one site from a date (a broken feed slice); such
                     values also lie below the plausible range of glucose in mg/dL
implausible-value    a value outside physiologic limits (heart rate 900, negative creatinine...)
duplicate-patient    the patient registered again: new id and MRN, and a typo in the family name,
                     swapped digits in the phone number or day and month of birth transposed
duplicate-event      the same observation/condition/order/procedure again under a new id
malformed-json       the line is cut short (not valid JSON)
wrong-type           a value of the wrong JSON type (``valueQuantity.value`` as a string "12.5",
                     ``recordedDate``/``authoredOn`` as a number, ``Claim.total.value`` as a string)
===================  ==============================================================================

Every manifest entry is ``{"class", "resource_type", "resource_id", "field", "file", "line"}``
(``line`` 1-based in ``file``); duplicates also give ``duplicate_of``, the original's id. HL7 v2
and claims CSV feeds are never given defects.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import orjson

from wardwatch.synth._catalog import GLUCOSE_MMOL, LABS
from wardwatch.synth._clock import DAY, HOUR
from wardwatch.synth._codes import INVALID_ICD10
from wardwatch.synth._model import Person, Visit
from wardwatch.synth._rand import STREAM_DEFECTS, Rand, cumulative, patient_rand
from wardwatch.synth._world import World

__all__ = ["DefectInjector", "Line"]

JSON = dict[str, Any]
#: (serialized line ending in a newline, manifest entry or None); the writer adds ``file``
#: and ``line``.
Line = tuple[bytes, JSON | None]

_LEAF = ("Observation", "Condition", "MedicationRequest", "Procedure", "DocumentReference", "Claim")
_ELIGIBLE: dict[str, tuple[str, ...]] = {
    "Patient": ("duplicate-patient",),
    "Organization": ("bad-check-digit",),
    "Practitioner": ("bad-check-digit",),
    "Encounter": ("end-before-start",),
    "Observation": (
        "missing-required",
        "dangling-reference",
        "future-date",
        "before-birth",
        "bad-check-digit",
        "implausible-value",
        "duplicate-event",
        "malformed-json",
        "wrong-type",
    ),
    "Condition": (
        "missing-required",
        "dangling-reference",
        "future-date",
        "before-birth",
        "invalid-code",
        "duplicate-event",
        "malformed-json",
        "wrong-type",
    ),
    "MedicationRequest": (
        "missing-required",
        "dangling-reference",
        "future-date",
        "before-birth",
        "duplicate-event",
        "malformed-json",
        "wrong-type",
    ),
    "Procedure": (
        "missing-required",
        "dangling-reference",
        "future-date",
        "before-birth",
        "duplicate-event",
        "malformed-json",
    ),
    "DocumentReference": ("missing-required", "dangling-reference", "malformed-json"),
    "Claim": ("missing-required", "dangling-reference", "malformed-json", "wrong-type"),
}
_REQUIRED = {
    "Observation": ("code", "status"),
    "Condition": ("subject",),
    "MedicationRequest": ("intent", "status", "subject", "medicationCodeableConcept"),
    "Procedure": ("status", "subject"),
    "DocumentReference": ("content", "status"),
    "Claim": ("patient", "provider", "insurance", "priority", "created"),
}
#: Time fields moved by future-date / before-birth, per type (first one is named).
_TIMES = {
    "Observation": (("effectiveDateTime",), ("issued",)),
    "Condition": (("onsetDateTime",), ("abatementDateTime",), ("recordedDate",)),
    "MedicationRequest": (("authoredOn",),),
    "Procedure": (("performedPeriod", "start"), ("performedPeriod", "end")),
}
_GLUCOSE = {LABS["glu"].loinc, LABS["glu_poc"].loinc}
_IMPLAUSIBLE_LAB = {lab.loinc: lab for lab in LABS.values()}


class DefectInjector:
    """Decides, per record, whether and how it is broken; returns the lines to write."""

    def __init__(self, rates: dict[str, float], world: World) -> None:
        self.rates = rates
        self.world = world
        self.plans: dict[str, tuple[tuple[str, ...], list[float], float]] = {}
        for rtype, classes in _ELIGIBLE.items():
            chosen = tuple(c for c in classes if self.rates.get(c, 0.0) > 0)
            weights = [self.rates[c] for c in chosen]
            self.plans[rtype] = (chosen, cumulative(weights), min(sum(weights), 1.0))
        self.rand = Rand.from_seed(world.seed, 2**31 - 1, STREAM_DEFECTS)
        self.person: Person | None = None
        # unit-switch defect: one site's glucose feed, from a date chosen so that about
        # ``rate`` of all glucose results are affected.
        self.slice_site: str | None = None
        self.slice_from = 0
        rate = self.rates.get("unit-switch", 0.0)
        if rate > 0:
            ref = world.ref
            site = ref.home_sites[int(self.rand.random() * len(ref.home_sites))]
            share = site.weight / sum(s.weight for s in ref.home_sites)
            fraction = min(1.0, rate / share)
            self.slice_site = site.key
            self.slice_from = int(world.horizon - fraction * (world.horizon - world.start_ts))

    def start_patient(self, person: Person) -> None:
        """Switch to the defect stream of ``person``."""
        self.person = person
        self.rand = patient_rand(self.world.seed, person.index, STREAM_DEFECTS)

    def lines(self, rtype: str, res: JSON, visit: Visit | None) -> list[Line]:
        """The line(s) for ``res``: itself, possibly broken, possibly followed by a duplicate."""
        if (
            self.slice_site is not None
            and rtype == "Observation"
            and visit is not None
            and visit.site.key == self.slice_site
        ):
            line = self._unit_switch(res, visit)
            if line is not None:
                return [line]
        classes, cum, total = self.plans.get(rtype, ((), [], 0.0))
        if not classes or self.rand.random() >= total:
            return [(_dumps(res), None)]
        cls = self.rand.weighted(classes, cum)
        return self._apply(cls, rtype, res, visit)

    def _entry(self, cls: str, rtype: str, rid: str, field: str | None, **extra: str) -> JSON:
        return {"class": cls, "resource_type": rtype, "resource_id": rid, "field": field, **extra}

    def _unit_switch(self, res: JSON, visit: Visit) -> Line | None:
        code = res.get("code", {}).get("coding", [{}])[0].get("code")
        vq = res.get("valueQuantity")
        if code not in _GLUCOSE or vq is None or vq.get("unit") != "mg/dL":
            return None
        moment = self._parse_time(res.get("effectiveDateTime"))
        if moment is None or moment < self.slice_from:
            return None
        out = copy.deepcopy(res)
        out["valueQuantity"]["value"] = round(vq["value"] / GLUCOSE_MMOL, 1)
        return (
            _dumps(out),
            self._entry("unit-switch", "Observation", res["id"], "Observation.valueQuantity.value"),
        )

    @staticmethod
    def _parse_time(text: str | None) -> int | None:
        if text is None:
            return None
        return int(datetime.fromisoformat(text).timestamp())

    def _apply(self, cls: str, rtype: str, res: JSON, visit: Visit | None) -> list[Line]:
        r = self.rand
        out = copy.deepcopy(res)
        rid = res["id"]
        field: str | None = None
        if cls == "duplicate-patient":
            return [(_dumps(res), None), self._duplicate_patient(res)]
        if cls == "duplicate-event":
            out["id"] = r.uuid()
            return [
                (_dumps(res), None),
                (_dumps(out), self._entry(cls, rtype, out["id"], f"{rtype}.id", duplicate_of=rid)),
            ]
        if cls == "malformed-json":
            data = orjson.dumps(res)
            # Cut after the id (so the manifest's id can be found on the line), before the end.
            keep = data.index(rid.encode()) + len(rid) + 2
            cut = int(r.uniform(max(keep, len(data) * 0.1), len(data) * 0.9))
            return [(data[:cut] + b"\n", self._entry(cls, rtype, rid, None))]
        if cls == "missing-required":
            name = r.choice(_REQUIRED[rtype])
            del out[name]
            field = f"{rtype}.{name}"
        elif cls == "dangling-reference":
            name = "subject" if rtype not in ("Claim",) else "patient"
            if rtype in ("Observation", "Condition") and r.chance(0.5):
                name = "encounter"
            target = "Encounter" if name == "encounter" else "Patient"
            out[name] = {"reference": f"{target}/{r.uuid()}"}
            field = f"{rtype}.{name}.reference"
        elif cls == "end-before-start":
            assert visit is not None
            zone = visit.site.zone
            out["period"]["end"] = zone.iso(visit.start - r.randint(HOUR, 48 * HOUR))
            field = "Encounter.period.end"
        elif cls in ("future-date", "before-birth"):
            assert visit is not None
            field = self._move_times(cls, rtype, out, visit)
        elif cls == "invalid-code":
            out["code"] = {
                "coding": [
                    {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": r.choice(INVALID_ICD10)}
                ]
            }
            field = "Condition.code.coding[0].code"
        elif cls == "bad-check-digit":
            field = self._bad_check_digit(rtype, out)
        elif cls == "implausible-value":
            field = self._implausible(out)
        elif cls == "wrong-type":
            field = self._wrong_type(rtype, out)
        if field is None:  # not applicable to this particular record: leave it clean
            return [(_dumps(res), None)]
        return [(_dumps(out), self._entry(cls, rtype, rid, field))]

    def _move_times(self, cls: str, rtype: str, out: JSON, visit: Visit) -> str | None:
        paths = _TIMES.get(rtype)
        assert self.person is not None
        if not paths:
            return None
        zone = visit.site.zone
        if cls == "future-date":
            target = self.world.now_ts + self.rand.randint(400, 1500) * DAY
        else:
            target = self.person.birth_day * DAY - self.rand.randint(30, 3000) * DAY
        first = self._parse_time(_get(out, paths[0]))
        if first is None:
            return None
        for path in paths:
            value = self._parse_time(_get(out, path))
            if value is not None:
                _set(out, path, zone.iso(target + (value - first)))
        return f"{rtype}." + ".".join(paths[0])

    def _bad_check_digit(self, rtype: str, out: JSON) -> str | None:
        if rtype == "Observation":
            coding = out["code"]["coding"][0]
            body, _, check = coding["code"].partition("-")
            coding["code"] = f"{body}-{(int(check) + self.rand.randint(1, 9)) % 10}"
            return "Observation.code.coding[0].code"
        ident = out["identifier"][0]
        if ident["system"] != "http://hl7.org/fhir/sid/us-npi":
            return None  # payers have no NPI
        npi = ident["value"]
        ident["value"] = npi[:9] + str((int(npi[9]) + self.rand.randint(1, 9)) % 10)
        return f"{rtype}.identifier[0].value"

    def _implausible(self, out: JSON) -> str | None:
        vq = out.get("valueQuantity")
        if vq is None:
            return None
        lab = _IMPLAUSIBLE_LAB[out["code"]["coding"][0]["code"]]
        value = vq["value"]
        new = {
            "hr": 900,
            "na": value * 10,
            "k": value * 10,
            "hgb": value * 10,
            "bmi": value * 10,
            "temp": value + 60,
            "spo2": value + 100,
        }.get(lab.key)
        if new is None or lab.plausible[0] <= new <= lab.plausible[1]:
            new = -abs(value) - 1 if lab.key != "trop" else -1.0
        vq["value"] = new
        return "Observation.valueQuantity.value"

    def _wrong_type(self, rtype: str, out: JSON) -> str | None:
        if rtype == "Observation":
            vq = out.get("valueQuantity")
            if vq is None:
                return None
            vq["value"] = str(vq["value"])
            return "Observation.valueQuantity.value"
        if rtype == "Condition":
            out["recordedDate"] = int(out["recordedDate"][:10].replace("-", ""))
            return "Condition.recordedDate"
        if rtype == "MedicationRequest":
            out["authoredOn"] = int(out["authoredOn"][:10].replace("-", ""))
            return "MedicationRequest.authoredOn"
        out["total"]["value"] = str(out["total"]["value"])
        return "Claim.total.value"

    def _duplicate_patient(self, res: JSON) -> Line:
        r = self.rand
        assert self.person is not None
        dup = copy.deepcopy(res)
        dup["id"] = r.uuid()
        dup["identifier"][0]["value"] = str(600_000_000 + self.person.index)
        how = r.randint(0, 2)
        birth = dup["birthDate"]
        month, day = birth[5:7], birth[8:10]
        if how == 2 and (day == month or int(day) > 12):
            how = 0
        if how == 0:
            name = dup["name"][0]["family"]
            i = r.randint(1, len(name) - 2)
            name = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
            if name == dup["name"][0]["family"]:
                name = name + "e"
            dup["name"][0]["family"] = name
            field = "Patient.name.family"
        elif how == 1:
            phone = dup["telecom"][0]["value"]
            digits = [
                i
                for i in range(len(phone) - 1)
                if phone[i].isdigit() and phone[i + 1].isdigit() and phone[i] != phone[i + 1]
            ]
            if digits:
                i = r.choice(digits)
                phone = phone[:i] + phone[i + 1] + phone[i] + phone[i + 2 :]
            else:
                phone = phone[:-1] + str((int(phone[-1]) + 1) % 10)
            dup["telecom"][0]["value"] = phone
            field = "Patient.telecom.value"
        else:
            dup["birthDate"] = f"{birth[:4]}-{day}-{month}"
            field = "Patient.birthDate"
        entry = self._entry(
            "duplicate-patient", "Patient", dup["id"], field, duplicate_of=res["id"]
        )
        return _dumps(dup), entry


def _dumps(obj: JSON) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)


def _get(obj: JSON, path: tuple[str, ...]) -> Any:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _set(obj: JSON, path: tuple[str, ...], value: Any) -> None:
    cur = obj
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = value
