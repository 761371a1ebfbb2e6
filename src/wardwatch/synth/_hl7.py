"""HL7 v2.5 messages for the same care: ADT A01 (admit), A08 (update), A03 (discharge) for
inpatient and emergency visits, and ORU R01 (lab results) for every lab draw.

Segments end with ``\\r``; each message is written on its own line (messages separated by
``\\n``). Ids tie the feed to the FHIR output:

* PID-3 repeats the MRN (``<mrn>^^^WARDWATCH^MR``) and the FHIR Patient id
  (``<uuid>^^^WARDWATCH-FHIR^PI``);
* PV1-19 (visit number) is the FHIR Encounter id (``<uuid>^^^WARDWATCH^VN``);
* OBX-21 (observation instance identifier) is the FHIR Observation id;
* MSH-10 (message control id) is ``WW<patient index, 9 digits><message number, 4 digits>``.

Other fields: PV1-2 patient class (I inpatient, E emergency, O outpatient); PV1-14 admit
source (HL7 table 0023: 7 emergency room, 1 physician referral, 2 clinic referral, 4 transfer
from a hospital); PV1-36 discharge disposition as UB-04 patient status codes (see
``HL7_DISPOSITION``); PV1-44/45 admit and discharge times; OBX-3 ``<loinc>^<name>^LN``, OBX-5
the value, OBX-6 ``<ucum>^<ucum>^UCUM``, OBX-7 the reference range as ``low-high`` (``<high``
or ``>low`` when one end is open), OBX-8 H/L/N, OBX-14 the collection time, OBR-7 the
collection time, OBR-22 the result time; DG1-3 ``<code>^<name>^I10`` (ICD-10-CM).
"""

from __future__ import annotations

from collections.abc import Iterator

from wardwatch.synth._catalog import GLUCOSE_MMOL
from wardwatch.synth._clock import date_str
from wardwatch.synth._model import Obs, Person, Visit
from wardwatch.synth._reference import Clinician

__all__ = ["HL7_DISPOSITION", "hl7_messages"]

#: FHIR discharge disposition -> UB-04 patient discharge status (HL7 v2 table 0112 usage).
HL7_DISPOSITION = {
    "home": "01",
    "alt-home": "01",
    "other-hcf": "02",
    "snf": "03",
    "aadvice": "07",
    "exp": "20",
    "hosp": "50",
    "long": "63",
    "psy": "65",
    "rehab": "62",
    "oth": "70",
}
_ADMIT_SOURCE = {"emd": "7", "mp": "1", "outp": "2", "hosp-trans": "4"}
_CLASS = {"IMP": "I", "EMER": "E", "AMB": "O"}
_ADMIT_TYPE = {"emergency_admission": "E", "admission": "U", "elective": "C", "ed": "E"}
_SERVICE = {"IMP": "MED", "EMER": "EM", "AMB": "OUT"}
_LOCATION = {"IMP": "MED", "EMER": "ED", "AMB": "CLINIC"}
_OBX3: dict[str, str] = {}
_SPECIAL = frozenset("\\|^&~")


def _esc(text: str) -> str:
    if not _SPECIAL.intersection(text):
        return text
    return (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )


def _xcn(c: Clinician) -> str:
    return f"{c.npi}^{_esc(c.family)}^{_esc(c.given)}^^^Dr^^^NPI"


def _pid(p: Person) -> str:
    f = [""] * 31
    f[0] = "PID"
    f[1] = "1"
    f[3] = f"{p.mrn}^^^WARDWATCH^MR~{p.id}^^^WARDWATCH-FHIR^PI"
    f[5] = f"{_esc(p.family)}^{_esc(p.given)}^{_esc(p.middle)}"
    f[7] = _yyyymmdd(p)
    f[8] = "F" if p.sex == "female" else "M"
    f[10] = f"{p.race[0]}^{_esc(p.race[1])}^CDCREC"
    f[11] = f"{_esc(p.line)}^^{_esc(p.city)}^{p.state}^{p.postal_code}^USA"
    f[13] = f"{p.phone}^PRN^PH"
    f[19] = p.ssn
    f[22] = f"{p.ethnicity[0]}^{_esc(p.ethnicity[1])}^CDCREC"
    if p.death is not None:
        f[29] = p.site.zone.hl7(p.death)
        f[30] = "Y"
    return "|".join(f).rstrip("|")


def _yyyymmdd(p: Person) -> str:
    return date_str(p.birth_day).replace("-", "")


def _pv1(v: Visit, discharged: bool) -> str:
    hl7 = v.site.zone.hl7
    f = [""] * 46
    f[0] = "PV1"
    f[1] = "1"
    f[2] = _CLASS[v.cls]
    f[3] = f"{_LOCATION[v.cls]}^^^{v.site.key}"
    f[4] = _ADMIT_TYPE.get(v.etype, "R")
    f[7] = _xcn(v.clinician)
    f[10] = _SERVICE[v.cls]
    if v.admit_source:
        f[14] = _ADMIT_SOURCE.get(v.admit_source, "9")
    f[19] = f"{v.id}^^^WARDWATCH^VN"
    f[39] = v.site.key
    f[44] = hl7(v.start)
    if discharged:
        if v.disposition:
            f[36] = HL7_DISPOSITION.get(v.disposition, "70")
        f[45] = hl7(v.end)
    return "|".join(f).rstrip("|")


def _obx(i: int, o: Obs, female: bool, hl7_ts: str) -> str:
    lab = o.lab
    low = lab.low_f if female and lab.low_f is not None else lab.low
    high = lab.high_f if female and lab.high_f is not None else lab.high
    value, unit = o.value, lab.unit
    if o.si:
        value, unit = round(value / GLUCOSE_MMOL, 1), "mmol/L"
        low = round(low / GLUCOSE_MMOL, 1) if low is not None else None
        high = round(high / GLUCOSE_MMOL, 1) if high is not None else None
    elif o.silent:  # mmol/L values, the mg/dL unit and reference range unchanged
        value = round(value / GLUCOSE_MMOL, 1)
    if low is not None and high is not None:
        ref = f"{low:g}-{high:g}"
    elif high is not None:
        ref = f"<{high:g}"
    else:
        ref = f">{low:g}" if low is not None else ""
    flag = (
        "L"
        if low is not None and value < low
        else ("H" if high is not None and value > high else "N")
    )
    text = str(int(value)) if lab.decimals == 0 and not (o.si or o.silent) else f"{value:g}"
    code = _OBX3.get(lab.key)
    if code is None:
        code = _OBX3[lab.key] = f"{lab.loinc}^{_esc(lab.display)}^LN"
    # OBX-1 set id, 2 type, 3 code, 5 value, 6 unit, 7 range, 8 flag, 11 status, 14 time,
    # 21 observation instance id.
    return f"OBX|{i}|NM|{code}||{text}|{unit}^{unit}^UCUM|{ref}|{flag}|||F|||{hl7_ts}|||||||{o.id}"


def hl7_messages(p: Person, visits: list[Visit]) -> Iterator[str]:
    """The patient's messages in time order within each visit, segments joined by ``\\r``."""
    n = 0
    pid = _pid(p)
    female = p.sex == "female"

    def msh(v: Visit, ts: int, kind: str) -> str:
        nonlocal n
        n += 1
        return (
            f"MSH|^~\\&|WARDWATCH|{v.site.key}|WARDWATCH-INGEST|WARDWATCH|"
            f"{v.site.zone.hl7(ts)}||{kind}|WW{p.index:09d}{n:04d}|P|2.5"
        )

    for v in visits:
        hl7 = v.site.zone.hl7
        adt = v.cls in ("IMP", "EMER")
        if adt:
            yield "\r".join(
                (msh(v, v.start, "ADT^A01^ADT_A01"), f"EVN|A01|{hl7(v.start)}", pid, _pv1(v, False))
            )
        draws: dict[int, list[Obs]] = {}
        for o in v.obs:
            if o.lab.category == "laboratory":
                draws.setdefault(o.ts, []).append(o)
        for k, (ts, group) in enumerate(draws.items(), 1):
            issued = max(o.issued for o in group)
            order = f"{v.id[:8]}-{k}"
            segs = [
                msh(v, issued, "ORU^R01^ORU_R01"),
                pid,
                _pv1(v, False),
                f"ORC|RE|{order}|{order}F||CM",
                f"OBR|1|{order}|{order}F|LAB^Laboratory results^L|||{hl7(ts)}|||||||||"
                f"{_xcn(v.clinician)}||||||{hl7(issued)}||LAB|F",
            ]
            obs_ts = hl7(ts)
            segs.extend(_obx(i, o, female, obs_ts) for i, o in enumerate(group, 1))
            yield "\r".join(segs)
        if adt:
            dg1 = [f"DG1|1||{_esc(v.reason.code)}^{_esc(v.reason.display)}^I10||{hl7(v.end)}|F"]
            dg1.extend(
                f"DG1|{i}||{d.icd.code}^{_esc(d.icd.display)}^I10||{hl7(v.end)}|F"
                for i, d in enumerate((d for d in v.dx if d.icd.code != v.reason.code), 2)
            )
            if v.cls == "IMP" and v.end - v.start > 2 * 86400:
                mid = v.start + 86400
                yield "\r".join(
                    (
                        msh(v, mid, "ADT^A08^ADT_A01"),
                        f"EVN|A08|{hl7(mid)}",
                        pid,
                        _pv1(v, False),
                        dg1[0].replace("|F", "|W"),
                    )
                )
            yield "\r".join(
                (
                    msh(v, v.end, "ADT^A03^ADT_A03"),
                    f"EVN|A03|{hl7(v.end)}",
                    pid,
                    _pv1(v, True),
                    *dg1,
                )
            )
