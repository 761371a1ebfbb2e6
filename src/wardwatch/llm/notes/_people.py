"""Made-up patients and clinicians with every kind of identifier, and the surface forms in
which notes write them (names, dates, phone numbers ...)."""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass

from wardwatch.llm.notes._builder import P
from wardwatch.llm.notes._vocab import CITIES, COUNTIES, DOMAINS, FEMALE, LAST, MALE, STREETS

__all__ = ["Clinician", "Person", "date_form", "make_clinician", "make_person", "phone_form"]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Person:
    """A patient: names, demographics and one value of every identifier class."""

    first: str
    last: str
    female: bool
    age: int
    dob: dt.date
    mrn: str
    ssn: str
    street: str
    unit: str
    city: str
    state: str
    state_name: str
    zip: str
    county: str
    phone: tuple[str, str, str]
    email: str
    member_id: str
    account: str
    license: str
    plate: str
    vin: str
    device: str
    relative: str
    relation: str

    @property
    def pronoun(self) -> str:
        """'She' or 'He'."""
        return "She" if self.female else "He"


@dataclass(frozen=True)
class Clinician:
    """A clinician: given name, surname, credential."""

    first: str
    last: str
    credential: str


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def _phone(rng: random.Random) -> tuple[str, str, str]:
    return (str(rng.randint(201, 989)), str(rng.randint(200, 999)), _digits(rng, 4))


def make_person(rng: random.Random, today: dt.date) -> Person:
    """A patient whose age is 40-101 (about one in six over 89)."""
    female = rng.random() < 0.5
    first = rng.choice(FEMALE if female else MALE)
    last = rng.choice(LAST)
    age = rng.randint(90, 101) if rng.random() < 0.17 else rng.randint(40, 89)
    dob = today - dt.timedelta(days=age * 365 + rng.randint(10, 350))
    city, state, state_name, zip3 = rng.choice(CITIES)
    relation = rng.choice(
        ("wife", "daughter", "son", "sister")
        if not female
        else ("husband", "daughter", "son", "niece")
    )
    relative = rng.choice(FEMALE if relation in ("wife", "daughter", "sister", "niece") else MALE)
    email_user = rng.choice(
        (f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{last}{first[0]}")
    ).lower()
    return Person(
        first=first,
        last=last,
        female=female,
        age=age,
        dob=dob,
        mrn=rng.choice((_digits(rng, 8), _digits(rng, 7), "00" + _digits(rng, 6))),
        ssn=f"{rng.randint(101, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        street=f"{rng.randint(2, 9899)} {rng.choice(('', '', 'N ', 'S ', 'E ', 'W '))}"
        f"{rng.choice(STREETS)}",
        unit=rng.choice(
            (
                "",
                "",
                f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}",
                f"Unit {rng.randint(100, 999)}",
            )
        ),
        city=city,
        state=state,
        state_name=state_name,
        zip=zip3 + _digits(rng, 2),
        county=rng.choice(COUNTIES),
        phone=_phone(rng),
        email=f"{email_user}@{rng.choice(DOMAINS)}",
        member_id=rng.choice(
            (
                _letters(rng, 3) + _digits(rng, 9),
                f"{rng.randint(1, 9)}{_letters(rng, 2)}{rng.randint(1, 9)}-{_letters(rng, 1)}"
                f"{_letters(rng, 1)}{rng.randint(1, 9)}-{_letters(rng, 2)}{_digits(rng, 2)}",
                "W" + _digits(rng, 9),
            )
        ),
        account=rng.choice(
            (
                _digits(rng, 8),
                f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 3)}",
                "A" + _digits(rng, 9),
            )
        ),
        license=rng.choice(
            (
                _letters(rng, 1) + _digits(rng, 7),
                f"{_letters(rng, 1)}{_digits(rng, 3)}-{_digits(rng, 4)}-{_digits(rng, 4)}",
            )
        ),
        plate=rng.choice(
            (
                f"{rng.randint(1, 9)}{_letters(rng, 3)}{_digits(rng, 3)}",
                f"{_letters(rng, 3)}-{_digits(rng, 4)}",
            )
        ),
        vin="".join(rng.choice(_VIN_CHARS) for _ in range(8))
        + rng.choice("0123456789X")
        + "".join(rng.choice(_VIN_CHARS) for _ in range(2))
        + _digits(rng, 6),
        device=rng.choice(
            (
                f"{_letters(rng, 3)}{_digits(rng, 6)}{_letters(rng, 1)}",
                f"{_digits(rng, 4)}-{_letters(rng, 2)}-{_digits(rng, 4)}",
                f"SN{_digits(rng, 8)}",
            )
        ),
        relative=relative,
        relation=relation,
    )


def make_clinician(rng: random.Random) -> Clinician:
    """A physician, nurse practitioner or physician assistant."""
    female = rng.random() < 0.5
    return Clinician(
        first=rng.choice(FEMALE if female else MALE),
        last=rng.choice(LAST),
        credential=rng.choice(("MD", "MD", "MD", "DO", "NP", "PA-C")),
    )


def patient_name(rng: random.Random, p: Person, *, formal: bool = False) -> list[str | P]:
    """The patient's name in one of the forms notes use (with its title if any, unannotated)."""
    title = "Ms." if p.female else "Mr."
    forms: list[list[str | P]] = [
        [P("name", f"{p.first} {p.last}")],
        [f"{title} ", P("name", p.last)],
        [P("name", f"{p.last.upper()}, {p.first}")],
        [P("name", f"{p.last}, {p.first}")],
        [P("name", f"{p.first.upper()} {p.last.upper()}")],
    ]
    if not formal:
        forms += [[f"{title} ", P("name", f"{p.first} {p.last}")], [P("name", p.first)]]
    return rng.choice(forms)


def clinician_name(rng: random.Random, c: Clinician, *, lower: bool = False) -> list[str | P]:
    """A clinician's name: "Dr. Last", "Dr. First Last", "First Last, MD", "dr last"."""
    if lower:
        return ["dr ", P("name", c.last.lower())]
    dr = c.credential in ("MD", "DO")
    forms: list[list[str | P]] = [
        [P("name", f"{c.first} {c.last}"), f", {c.credential}"],
        [P("name", f"{c.first[0]}. {c.last}"), f", {c.credential}"],
    ]
    if dr:
        forms += [
            ["Dr. ", P("name", c.last)],
            ["Dr. ", P("name", f"{c.first} {c.last}")],
            ["Dr ", P("name", c.last)],
        ]
    return rng.choice(forms)


def date_form(
    rng: random.Random, d: dt.date, *, with_time: bool = False, year: bool = False
) -> str:
    """A date in one of the forms notes use (every one carries at least month and day; with
    ``year`` only the forms that also carry the year)."""
    month = _MONTHS[d.month - 1]
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(d.day, "th")
    forms = [
        f"{d.month:02d}/{d.day:02d}/{d.year}",
        f"{d.month}/{d.day}/{d.year % 100:02d}",
        d.isoformat(),
        f"{month} {d.day}, {d.year}",
        f"{month[:3]} {d.day}, {d.year}",
        f"{d.day} {month} {d.year}",
        f"{d.day:02d}-{month[:3]}-{d.year}",
        f"{month} {d.day}{suffix}",
        f"{month[:3]} {d.day}",
        f"{d.month}-{d.day}-{d.year}",
    ]
    text = rng.choice([f for f in forms if str(d.year % 100) in f] if year else forms)
    if with_time:
        hh, mm = rng.randint(0, 23), rng.choice((0, 5, 15, 20, 30, 42, 45))
        text = rng.choice(
            (
                f"{text} {hh:02d}:{mm:02d}",
                f"{d.isoformat()}T{hh:02d}:{mm:02d}:00",
                f"{text} at {hh % 12 or 12}:{mm:02d} {'pm' if hh >= 12 else 'am'}",
            )
        )
    return text


def phone_form(rng: random.Random, parts: tuple[str, str, str]) -> str:
    """A 10-digit number in one of the usual punctuations."""
    a, b, c = parts
    return rng.choice(
        (
            f"({a}) {b}-{c}",
            f"{a}-{b}-{c}",
            f"{a}.{b}.{c}",
            f"+1 {a} {b} {c}",
            f"1-{a}-{b}-{c}",
            f"({a}) {b}-{c} x{rng.randint(100, 9999)}",
        )
    )


def age_form(rng: random.Random, age: int) -> tuple[str, str, str]:
    """``(before, number, after)`` of an age phrase: "a ", "92", "-year-old"."""
    return rng.choice(
        (
            ("a ", str(age), "-year-old"),
            ("a ", str(age), " year old"),
            ("a ", str(age), " y/o"),
            ("a ", str(age), "yo"),
            ("aged ", str(age), ","),
            ("age ", str(age), ","),
        )
    )
