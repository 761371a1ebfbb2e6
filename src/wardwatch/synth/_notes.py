"""Short templated clinical notes: discharge summaries (LOINC 18842-5) and progress notes
(LOINC 11506-3) that mention the patient's conditions, orders and results.

The text is what a redaction or summarization pipeline meets in real notes: names, dates and
the medical record number appear in it, values come with units and flags.
"""

from __future__ import annotations

from wardwatch.synth._model import Obs, Person, Visit

__all__ = ["DISCHARGE_SUMMARY", "PROGRESS_NOTE", "note_text"]

DISCHARGE_SUMMARY = ("18842-5", "Discharge summary")
PROGRESS_NOTE = ("11506-3", "Progress note")

_DISPOSITION_TEXT = {
    "home": "home",
    "alt-home": "the home of a family member",
    "snf": "a skilled nursing facility",
    "rehab": "inpatient rehabilitation",
    "aadvice": "home against medical advice",
    "other-hcf": "another acute care hospital",
    "hosp": "hospice care",
    "long": "long-term care",
    "psy": "a psychiatric facility",
    "oth": "another setting",
    "exp": "deceased",
}
_SOURCE_TEXT = {
    "emd": "through the emergency department",
    "mp": "on referral from a physician",
    "outp": "from the outpatient clinic",
    "hosp-trans": "in transfer from another hospital",
}


def _flag(o: Obs, female: bool) -> str:
    lab = o.lab
    low = lab.low_f if female and lab.low_f is not None else lab.low
    high = lab.high_f if female and lab.high_f is not None else lab.high
    if low is not None and o.value < low:
        return " (low)"
    if high is not None and o.value > high:
        return " (high)"
    return ""


def _value(o: Obs) -> str:
    if o.si:
        return f"{o.value / 18.016:.1f} mmol/L"
    if o.value2 is not None:
        return f"{o.value:g}/{o.value2:g} {o.lab.unit}"
    return f"{o.value:g} {o.lab.unit}"


def _last_labs(obs: list[Obs], female: bool) -> str:
    last: dict[str, Obs] = {}
    for o in obs:
        if o.lab.category == "laboratory":
            last[o.lab.key] = o
    parts = [f"{_short(o)} {_value(o)}{_flag(o, female)}" for o in last.values()]
    return "; ".join(parts) if parts else "none drawn"


def _short(o: Obs) -> str:
    return o.lab.display.split(" [")[0].split(" in ")[0]


def note_text(person: Person, visit: Visit, problems: list[str]) -> str:
    """The note of ``visit``: a discharge summary for a stay, a progress note otherwise."""
    zone = visit.site.zone
    female = person.sex == "female"
    age = int(person.age_at(visit.start))
    doctor = f"Dr. {visit.clinician.given} {visit.clinician.family}"
    name = f"{person.given} {person.family}"
    meds = "; ".join(m.drug.display for m in visit.meds) or "no new orders"
    problem_text = "; ".join(problems) or "none recorded"
    if visit.cls == "IMP":
        days = max(1, round((visit.end - visit.start) / 86400))
        procs = "; ".join(p.proc.display.replace(" (procedure)", "") for p in visit.procs)
        course = (
            f"{name} is a {age}-year-old {person.sex} admitted "
            f"{_SOURCE_TEXT.get(visit.admit_source or '', '')} with "
            f"{visit.reason.display.lower()}."
        )
        if procs:
            course += f" Procedures: {procs}."
        lines = [
            "DISCHARGE SUMMARY",
            f"Patient: {name}    MRN: {person.mrn}",
            f"Facility: {visit.site.name}    Attending: {doctor}",
            f"Admitted: {zone.iso(visit.start)[:16].replace('T', ' ')}    "
            f"Discharged: {zone.iso(visit.end)[:16].replace('T', ' ')}    "
            f"Length of stay: {days} day{'s' if days != 1 else ''}",
            f"Principal diagnosis: {visit.reason.display} (ICD-10-CM {visit.reason.code})",
            f"Active problems: {problem_text}",
            f"Hospital course: {course}",
            f"Labs at discharge: {_last_labs(visit.obs, female)}",
            f"Medications given: {meds}",
            f"Disposition: {_DISPOSITION_TEXT.get(visit.disposition or '', 'home')}.",
        ]
    else:
        vitals = "; ".join(
            f"{_short(o)} {_value(o)}" for o in visit.obs if o.lab.category == "vital-signs"
        )
        lines = [
            "PROGRESS NOTE",
            f"Patient: {name}    MRN: {person.mrn}    Age: {age}",
            f"Clinic: {visit.site.name}    Clinician: {doctor}",
            f"Visit: {zone.iso(visit.start)[:16].replace('T', ' ')}",
            f"Reason for visit: {visit.reason.display} (ICD-10-CM {visit.reason.code})",
            f"Active problems: {problem_text}",
            f"Vitals: {vitals or 'not taken'}",
            f"Results: {_last_labs(visit.obs, female)}",
            f"Orders: {meds}",
            "Plan: continue current treatment; return in 3 to 6 months or sooner if worse.",
        ]
    return "\n".join(lines) + "\n"
