"""Synthetic clinical notes with gold PHI spans, facts and prompt injections.

``generate_notes(n, seed=...)`` writes ``n`` notes of different patients;
``notes_for_patient(pid, k, seed=...)`` writes ``k`` dated notes of one patient that tell one
story (same diagnoses, labs trending, each medication change following the last), for
summarization tests. Both are deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from wardwatch.llm.notes._builder import Doc, P, SyntheticNote
from wardwatch.llm.notes._people import (
    Clinician,
    Person,
    clinician_name,
    date_form,
    make_clinician,
    make_person,
    patient_name,
    phone_form,
)
from wardwatch.llm.notes._sections import SLOTS, distractor
from wardwatch.llm.notes._vocab import (
    DIAGNOSES,
    DISPOSITIONS,
    FOLLOW_UPS,
    INJECTIONS,
    LABS,
    MEDS,
    SYMPTOMS,
)

__all__ = ["KINDS", "generate_notes", "notes_for_patient"]

KINDS = ("discharge_summary", "progress_note", "consult", "clinic_note")
_SLOT_RATE = 0.3
_TODAY = dt.date(2024, 6, 30)


@dataclass
class _Story:
    patient: Person
    attending: Clinician
    pcp: Clinician
    consultant: Clinician
    primary: tuple[str, str]
    chronic: list[tuple[str, str]]
    labs: list[tuple[tuple[str, str, str, str, float, float, int], float, float]]
    meds: list[tuple[str, tuple[int, ...], str, int]]
    symptom: str
    dispo: tuple[str, str]
    follow_up: tuple[str, str]
    start: dt.date
    history_year: int
    stopped: set[str] = field(default_factory=set)


def _story(rng: random.Random) -> _Story:
    start = _TODAY - dt.timedelta(days=rng.randint(30, 1500))
    dx = rng.sample(DIAGNOSES, 4)
    labs = []
    for lab in rng.sample(LABS, 3):
        low, high, _ = lab[4], lab[5], lab[6]
        first = rng.uniform(low, high)
        target = rng.uniform(low + (high - low) * 0.2, low + (high - low) * 0.5)
        labs.append((lab, first, target))
    meds = [
        (name, doses, route, rng.randrange(len(doses)))
        for name, doses, route in rng.sample(MEDS, 4)
    ]
    return _Story(
        patient=make_person(rng, start),
        attending=make_clinician(rng),
        pcp=make_clinician(rng),
        consultant=make_clinician(rng),
        primary=dx[0],
        chronic=dx[1:],
        labs=labs,
        meds=meds,
        symptom=rng.choice(SYMPTOMS),
        dispo=rng.choice(DISPOSITIONS),
        follow_up=rng.choice(FOLLOW_UPS),
        start=start,
        history_year=start.year - rng.randint(2, 15),
    )


def _fmt(value: float, decimals: int, unit: str) -> str:
    return f"{value:.{decimals}f} {unit}".rstrip()


def _header(rng: random.Random, d: Doc, s: _Story, kind: str, date: dt.date) -> None:
    p = s.patient
    title = {
        "discharge_summary": "DISCHARGE SUMMARY",
        "progress_note": "PROGRESS NOTE",
        "consult": "CONSULTATION NOTE",
        "clinic_note": "CLINIC NOTE",
    }[kind]
    d.line(title)
    d.line("Patient: ", *patient_name(rng, p, formal=True), "    MRN: ", P("mrn", p.mrn))
    d.line(
        rng.choice(("DOB: ", "Date of birth: ")),
        P("date", date_form(rng, p.dob, year=True)),
        "    Sex: ",
        "F" if p.female else "M",
    )
    if kind == "discharge_summary":
        d.line(
            "Admission date: ",
            P("date", date_form(rng, s.start)),
            "    Discharge date: ",
            P("date", date_form(rng, date)),
        )
    else:
        d.line("Date of service: ", P("date", date_form(rng, date, with_time=rng.random() < 0.4)))
    d.line("Attending: ", *clinician_name(rng, s.attending))
    address: list[str | P] = [P("geographic", p.street)]
    if p.unit:
        address += [", ", P("geographic", p.unit)]
    if rng.random() < 0.5:
        d.line(
            "Address: ",
            *address,
            ", ",
            P("geographic", p.city),
            ", ",
            p.state,
            " ",
            P("geographic", p.zip),
        )
    if rng.random() < 0.6:
        d.line("Phone: ", P("phone", phone_form(rng, p.phone)))
    d.line("")


def _hpi(rng: random.Random, d: Doc, s: _Story, injection: str | None) -> None:
    p = s.patient
    who = "woman" if p.female else "man"
    chronic = ", ".join(f"{desc} ({code})" for desc, code in s.chronic[:2])
    d.line("HISTORY OF PRESENT ILLNESS:")
    name = patient_name(rng, p)
    age = P("age_over_89", str(p.age)) if p.age > 89 else str(p.age)
    rng.choice(
        (
            lambda: d.add(
                *name,
                " is a ",
                age,
                f"-year-old {who} with {chronic} who presented ",
                f"with {s.symptom}. ",
            ),
            lambda: d.add(*name, ", ", age, f" y/o {who}, with {chronic}, reports {s.symptom}. "),
            lambda: d.add(*name, ", aged ", age, f", has {chronic} and came in with {s.symptom}. "),
            lambda: d.add("Pt is a ", age, f"yo {who} with {chronic}; seen for {s.symptom}. "),
        )
    )()
    d.add(f"{s.chronic[2][0].capitalize()} was diagnosed in {s.history_year}. ")
    if rng.random() < 0.5:
        d.add("Symptoms began on ", P("date", _md(rng, s.start - dt.timedelta(days=3))), ". ")
    d.add(
        f"{p.pronoun} lives with {'her' if p.female else 'his'} {p.relation}, ",
        P("name", p.relative if rng.random() < 0.8 else p.relative.lower()),
        ", in ",
        P("geographic", p.city),
        ". ",
    )
    if injection is not None:
        d.inject(injection)
    d.line("")


def _md(rng: random.Random, day: dt.date) -> str:
    return rng.choice((f"{day.month}/{day.day}", date_form(rng, day)))


def _course(rng: random.Random, d: Doc, s: _Story, j: int, k: int, date: dt.date) -> None:
    p = s.patient
    d.line("HOSPITAL COURSE:" if j == k - 1 else "ASSESSMENT AND PLAN:")
    desc, code = s.primary
    with d.fact(f"dx:{code}"):
        rng.choice(
            (
                lambda: d.add(f"Principal diagnosis: {desc} ({code}). "),
                lambda: d.add(f"{p.pronoun} was treated for {desc} (ICD-10 {code}). "),
                lambda: d.add(f"Assessment: {desc}, {code}. "),
            )
        )()
    for lab, first, target in s.labs[: rng.randint(1, 3)]:
        name, abbr, loinc, unit, _, _, dec = lab
        now = first + (target - first) * (j + 1) / k
        prev = first + (target - first) * j / k
        was, is_ = _fmt(prev, dec, unit), _fmt(now, dec, unit)
        with d.fact(f"lab:{loinc}"):
            d.add(
                rng.choice(
                    (
                        f"{name[0].upper()}{name[1:]} was {was} (LOINC {loinc}) and is now {is_}. ",
                        f"{abbr} {is_}, from {was}. ",
                        f"Latest {name} {is_} (LOINC {loinc}). ",
                    )
                )
            )
    _med_change(rng, d, s)
    if rng.random() < 0.7:
        distractor(rng, d, p, s.consultant)
    d.line("")


def _med_change(rng: random.Random, d: Doc, s: _Story) -> None:
    live = [i for i, m in enumerate(s.meds) if m[0] not in s.stopped]
    if not live:
        return
    i = rng.choice(live)
    name, doses, route, idx = s.meds[i]
    unit, rest = _unit(route)
    with d.fact(f"med:{name}"):
        if idx + 1 < len(doses) and rng.random() < 0.6:
            d.add(
                f"{name.capitalize()} was increased from {doses[idx]} {unit} to "
                f"{doses[idx + 1]} {unit} {rest}. "
            )
            s.meds[i] = (name, doses, route, idx + 1)
        elif idx > 0 and rng.random() < 0.7:
            why = rng.choice(("hypotension", "dizziness", "low potassium"))
            d.add(
                f"{name.capitalize()} was decreased from {doses[idx]} to {doses[idx - 1]} "
                f"{unit} {rest} because of {why}. "
            )
            s.meds[i] = (name, doses, route, idx - 1)
        else:
            d.add(f"{name.capitalize()} {doses[idx]} {unit} was stopped. ")
            s.stopped.add(name)


def _unit(route: str) -> tuple[str, str]:
    """The dose unit and the rest of a route: "mcg PO daily" -> ("mcg", "PO daily")."""
    head, _, rest = route.partition(" ")
    return (head, rest) if head in ("mcg", "units") else ("mg", route)


def _meds(rng: random.Random, d: Doc, s: _Story) -> None:
    d.line("MEDICATIONS:")
    for name, doses, route, idx in s.meds:
        if name not in s.stopped:
            unit, rest = _unit(route)
            d.line(f"- {name} {doses[idx]} {unit} {rest}")
    d.line("")


def _social(rng: random.Random, d: Doc, s: _Story, slots: list[str]) -> None:
    p = s.patient
    d.line("SOCIAL / ADMINISTRATIVE:")
    forms: list[list[str | P]] = [
        [p.relation, " ", P("name", p.relative)],
        [P("name", f"{p.relative} {p.last}"), f" ({p.relation})"],
    ]
    rel = rng.choice(forms)
    d.add("Emergency contact: ", *rel, ", ", P("phone", phone_form(rng, p.phone)), ". ")
    for cls in slots:
        SLOTS[cls](rng, d, p, s.attending)
    d.line("")


def _ending(rng: random.Random, d: Doc, s: _Story, kind: str, date: dt.date) -> None:
    if kind == "discharge_summary":
        kind_id, text = s.dispo
        d.line("DISPOSITION:")
        with d.fact(f"dispo:{kind_id}"):
            d.add(
                f"{s.patient.pronoun} was discharged {text} on ",
                P("date", date_form(rng, date)),
                ".",
            )
        d.line("")
    service_id, service = s.follow_up
    fu = date + dt.timedelta(days=rng.choice((7, 10, 14, 21, 28)))
    d.line("FOLLOW-UP:")
    with d.fact(f"fu:{service_id}"):
        rng.choice(
            (
                lambda: d.add(
                    f"Follow up with {service}, ",
                    *clinician_name(rng, s.pcp),
                    ", on ",
                    P("date", date_form(rng, fu)),
                    ".",
                ),
                lambda: d.add(
                    f"Return to {service} clinic in {(fu - date).days} days (call ",
                    P("phone", phone_form(rng, s.patient.phone)),
                    ").",
                ),
                lambda: d.add(
                    f"See {service} ({rng.choice(('', 'dictated: '))}",
                    *clinician_name(rng, s.pcp, lower=rng.random() < 0.3),
                    ") by ",
                    P("date", date_form(rng, fu)),
                    ".",
                ),
            )
        )()
    d.line("")
    signed = rng.choice(("Electronically signed by ", "Dictated by ", "Signed: "))
    d.add(
        signed,
        *clinician_name(rng, s.attending, lower=signed == "Dictated by " and rng.random() < 0.5),
        " on ",
        P("date", date_form(rng, date, with_time=True)),
        "\n",
    )


def _note(
    rng: random.Random,
    s: _Story,
    note_id: str,
    pid: str,
    kind: str,
    j: int,
    k: int,
    date: dt.date,
    injection_rate: float,
) -> SyntheticNote:
    d = Doc()
    _header(rng, d, s, kind, date)
    _hpi(rng, d, s, rng.choice(INJECTIONS) if rng.random() < injection_rate else None)
    _course(rng, d, s, j, k, date)
    _meds(rng, d, s)
    slots = [cls for cls in SLOTS if rng.random() < _SLOT_RATE]
    rng.shuffle(slots)
    _social(rng, d, s, slots)
    _ending(rng, d, s, kind, date)
    return SyntheticNote(
        note_id,
        pid,
        kind,
        d.text(),
        tuple(d.phi),
        tuple(d.facts),
        tuple(d.injection),
        date.isoformat(),
    )


def generate_notes(n: int, *, seed: int, injection_rate: float = 0.0) -> list[SyntheticNote]:
    """``n`` notes of ``n`` different patients; ``injection_rate`` of them carry an injection.

    Every identifier class appears in a share of the notes (about a third each for the rarer
    ones); the same ``seed`` gives the same notes.
    """
    if n < 0 or not 0.0 <= injection_rate <= 1.0:
        raise ValueError("n must be >= 0 and injection_rate in [0, 1]")
    out = []
    for i in range(n):
        rng = random.Random(f"wardwatch-notes:{seed}:{i}")  # noqa: S311  # synthetic data
        s = _story(rng)
        kind = rng.choice(KINDS)
        date = s.start + dt.timedelta(days=rng.randint(2, 12))
        out.append(
            _note(rng, s, f"N{seed}-{i:05d}", f"P{seed}-{i:05d}", kind, 0, 1, date, injection_rate)
        )
    return out


def notes_for_patient(
    patient_id: str, k: int, *, seed: int, injection_rate: float = 0.0
) -> list[SyntheticNote]:
    """``k`` notes of one patient in date order, telling one consistent story: the same
    diagnoses and identifiers, labs moving toward their targets, each medication change
    starting from the dose the previous note left; the last note is the discharge summary."""
    if k < 1:
        raise ValueError("k must be >= 1")
    rng = random.Random(f"wardwatch-story:{seed}:{patient_id}")  # noqa: S311  # synthetic data
    s = _story(rng)
    out = []
    date = s.start
    for j in range(k):
        kind = "discharge_summary" if j == k - 1 else ("consult" if j == 0 else "progress_note")
        out.append(
            _note(rng, s, f"{patient_id}-{j + 1:02d}", patient_id, kind, j, k, date, injection_rate)
        )
        date += dt.timedelta(days=rng.randint(1, 3))
    return out
