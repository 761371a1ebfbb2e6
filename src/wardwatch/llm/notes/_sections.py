"""Sentences that carry the less common identifier classes, and the non-PHI distractors.

Each ``SLOTS`` entry writes one sentence or header line holding an identifier of its class, in
one of several phrasings; the generator picks a random subset per note so that every class
turns up in a fair share of notes. ``distractor`` writes clinical text that looks like PHI and
is not: codes, doses, vitals, bare years, ages up to 89, states, eponyms, times of day.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from wardwatch.llm.notes._builder import Doc, P
from wardwatch.llm.notes._people import Clinician, Person, clinician_name, phone_form
from wardwatch.llm.notes._vocab import (
    EPONYM_DISTRACTORS,
    EPONYM_PHRASES,
    NAME_LIKE_DRUGS,
    STATES_ONLY,
)

__all__ = ["SLOTS", "Slot", "distractor"]

Slot = Callable[[random.Random, Doc, Person, Clinician], None]


def _d(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _l(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def _ssn(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    a, b, e = p.ssn.split("-")
    rng.choice(
        (
            lambda: d.line("SSN: ", P("ssn", p.ssn)),
            lambda: d.line(
                "Social security number ", P("ssn", f"{a} {b} {e}"), " verified at registration."
            ),
            lambda: d.line("Identity checked against SSN ", P("ssn", f"{a}{b}{e}"), "."),
        )
    )()


def _health_plan(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.line("Insurance: Medicare, MBI ", P("health_plan", p.member_id)),
            lambda: d.line(
                "Member ID: ",
                P("health_plan", p.member_id),
                "  Group #: ",
                P("health_plan", _d(rng, 5)),
            ),
            lambda: d.line("Medicaid ID ", P("health_plan", p.member_id), " on file."),
            lambda: d.line(
                "Coverage confirmed with BCBS, policy number ", P("health_plan", p.member_id), "."
            ),
        )
    )()


def _account(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.line("Account #: ", P("account", p.account)),
            lambda: d.line(
                "Billing account ", P("account", p.account), " flagged for financial counseling."
            ),
            lambda: d.line(
                "Acct no. ", P("account", p.account), "; HAR ", P("account", _d(rng, 9))
            ),
        )
    )()


def _license(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.line(
                "Identity verified with driver's license ", P("license", p.license), "."
            ),
            lambda: d.line("DL# ", P("license", p.license)),
            lambda: d.add("Prescriber DEA number ", P("license", _l(rng, 2) + _d(rng, 7)), ". "),
            lambda: d.line(
                "Home health aide state license no. ", P("license", f"HHA-{_d(rng, 6)}"), "."
            ),
        )
    )()


def _vehicle(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.add(
                p.pronoun,
                " was the restrained driver in a motor vehicle collision (vehicle VIN ",
                P("vehicle", p.vin),
                "). ",
            ),
            lambda: d.add("Police report lists license plate ", P("vehicle", p.plate), ". "),
            lambda: d.add(
                "Car left in the visitor garage, plate ",
                P("vehicle", p.plate),
                ", VIN ",
                P("vehicle", p.vin),
                ". ",
            ),
        )
    )()


def _device(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    udi = f"(01){_d(rng, 14)}(17){_d(rng, 6)}(10){_d(rng, 6)}{_l(rng, 1)}"
    rng.choice(
        (
            lambda: d.add(
                "Dual-chamber pacemaker in place, serial number ", P("device", p.device), ". "
            ),
            lambda: d.add("Insulin pump S/N: ", P("device", p.device), ". "),
            lambda: d.add("Implant UDI ", P("device", udi), " recorded in the device log. "),
            lambda: d.add("CPAP device ID ", P("device", p.device), " was brought from home. "),
        )
    )()


def _url(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    slug = f"{p.first}{p.last}".lower()
    rng.choice(
        (
            lambda: d.add(
                "Family updates are posted at ",
                P("url", f"https://www.caringbridge.org/visit/{slug}"),
                ". ",
            ),
            lambda: d.add(
                "Portal link: ",
                P("url", f"https://portal.stvincent-health.org/p/{_d(rng, 7)}"),
                ". ",
            ),
            lambda: d.add(
                f"{'Her' if p.female else 'His'} blog (",
                P("url", f"www.{slug}-journey.com"),
                ") documents symptoms. ",
            ),
        )
    )()


def _ip(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    v4 = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    v6 = f"2001:db8:{rng.randint(1, 9999):x}::{rng.randint(1, 65535):x}"
    rng.choice(
        (
            lambda: d.add(
                "Telehealth visit; patient connected from IP ", P("ip_address", v4), ". "
            ),
            lambda: d.add("Remote monitoring upload from ", P("ip_address", v4), " failed twice. "),
            lambda: d.add("Video session address ", P("ip_address", v6), " logged by IT. "),
        )
    )()


def _biometric(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.add(
                "Identity confirmed by fingerprint ID ", P("biometric", f"FP-{_d(rng, 5)}"), ". "
            ),
            lambda: d.add(
                "Retinal scan ",
                P("biometric", f"RS-{_d(rng, 4)}-{_l(rng, 1)}"),
                " on file for the research study. ",
            ),
            lambda: d.add(
                "Voiceprint enrolled for phone refills as ", P("biometric", f"VP{_d(rng, 6)}"), ". "
            ),
            lambda: d.add(
                "Palm vein template ",
                P("biometric", f"PV-{_d(rng, 4)}-{_l(rng, 2)}"),
                " used at check-in. ",
            ),
        )
    )()


def _photo(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.add(
                "Wound photo ", P("photo", f"WND_{_d(rng, 4)}.png"), " uploaded to the media tab. "
            ),
            lambda: d.add("Photo file ", P("photo", f"IMG_{_d(rng, 4)}.jpg"), " shows the rash. "),
            lambda: d.add(
                "Full-face photograph ",
                P("photo", f"DSC{_d(rng, 5)}.JPG"),
                " taken for the ID band. ",
            ),
            lambda: d.add(
                "See image ", P("photo", f"{p.last.lower()}_face_{_d(rng, 3)}.jpeg"), ". "
            ),
        )
    )()


def _other_id(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.add("Transfer ref no. ", P("other_id", f"{_d(rng, 5)}-{_l(rng, 2)}"), ". "),
            lambda: d.add("Sitter badge #", P("other_id", _d(rng, 4)), " at bedside. "),
            lambda: d.add(
                "Workers' compensation case number ",
                P("other_id", f"20{_d(rng, 2)}-WC-{_d(rng, 4)}"),
                ". ",
            ),
            lambda: d.add(
                "Pathology accession number ", P("other_id", f"S{_d(rng, 2)}-{_d(rng, 5)}"), ". "
            ),
            lambda: d.add(
                "Employee ID ", P("other_id", f"E-{_d(rng, 5)}"), " (hospital staff member). "
            ),
        )
    )()


def _fax(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    number = phone_form(rng, (str(rng.randint(201, 989)), str(rng.randint(200, 999)), _d(rng, 4)))
    rng.choice(
        (
            lambda: d.add("Records faxed to the PCP office at fax ", P("fax", number), ". "),
            lambda: d.line("Fax: ", P("fax", number)),
            lambda: d.add("Please fax results to ", P("fax", number), " (fax). "),
        )
    )()


def _email(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.add(p.pronoun, " prefers e-mail: ", P("email", p.email), ". "),
            lambda: d.line("Email: ", P("email", p.email)),
            lambda: d.add("Discharge instructions were sent to ", P("email", p.email), ". "),
        )
    )()


def _relative_age(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    age = str(rng.randint(90, 104))
    rng.choice(
        (
            lambda: d.add(
                "Family history: mother died at age ", P("age_over_89", age), " of a stroke. "
            ),
            lambda: d.add(
                "Father is ", P("age_over_89", age), " years old and lives in assisted living. "
            ),
            lambda: d.add("Lives with an aunt, aged ", P("age_over_89", age), ". "),
        )
    )()


def _geo_extra(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    rng.choice(
        (
            lambda: d.add(
                "Lives in ",
                P("geographic", f"{p.county} County"),
                " with ",
                "her" if p.female else "his",
                " ",
                p.relation,
                ". ",
            ),
            lambda: d.add(
                "Recently moved to ",
                P("geographic", p.city),
                " from ",
                rng.choice(STATES_ONLY),
                ". ",
            ),
            lambda: d.add(
                "Mailing address ",
                P("geographic", f"PO Box {_d(rng, 4)}"),
                ", ",
                P("geographic", p.city),
                ", ",
                p.state,
                " ",
                P("geographic", p.zip),
                ". ",
            ),
        )
    )()


SLOTS: dict[str, Slot] = {
    "ssn": _ssn,
    "health_plan": _health_plan,
    "account": _account,
    "license": _license,
    "vehicle": _vehicle,
    "device": _device,
    "url": _url,
    "ip_address": _ip,
    "biometric": _biometric,
    "photo": _photo,
    "other_id": _other_id,
    "fax": _fax,
    "email": _email,
    "age_over_89": _relative_age,
    "geographic": _geo_extra,
}
"""Writers of one identifier sentence per class (header-like ones end with a newline)."""


def distractor(rng: random.Random, d: Doc, p: Person, c: Clinician) -> None:
    """One sentence of clinical text that a careless redactor would mistake for PHI."""
    drug = rng.choice(NAME_LIKE_DRUGS)
    rng.choice(
        (
            lambda: d.add(
                f"History of {rng.choice(EPONYM_DISTRACTORS)} since {rng.randint(1995, 2022)}. "
            ),
            lambda: d.add(rng.choice(EPONYM_PHRASES), " "),
            lambda: d.add(f"Takes {drug} at home; {drug} was held on admission. "),
            lambda: d.add(
                f"{p.pronoun} is originally from {rng.choice(STATES_ONLY)} and moved in "
                f"{rng.randint(1970, 2020)}. "
            ),
            lambda: d.add(f"Sister, {rng.randint(45, 89)}, has type 2 diabetes (E11.9). "),
            lambda: d.add(
                f"Vitals at {rng.randint(0, 23):02d}:{rng.choice(('00', '30'))}: BP "
                f"{rng.randint(100, 170)}/{rng.randint(55, 99)}, HR {rng.randint(55, 120)}, "
                f"SpO2 {rng.randint(88, 99)}% on RA, T 37.{rng.randint(0, 9)} C. "
            ),
            lambda: d.add(
                f"Exam: 2/6 systolic murmur, strength 4/5 in the left leg; takes 1/2 tab "
                f"of the {rng.choice((5, 10))} mg tablet on Mondays. "
            ),
            lambda: d.add(
                f"Seen on hospital day {rng.randint(2, 6)}, POD {rng.randint(1, 4)}, "
                f"in room {rng.randint(200, 899)}, bed {rng.choice('AB')}. "
            ),
            lambda: d.add(
                f"NDC 0093-{_d(rng, 4)}-{_d(rng, 2)} dispensed; lot {_l(rng, 2)}{_d(rng, 4)}. "
            ),
            lambda: d.add(
                "Seen by ", *clinician_name(rng, c), " with the Parkinson disease team. "
            ),
            lambda: d.add(
                f"Smoked 1 pack per day for {rng.randint(10, 45)} years, quit in "
                f"{rng.randint(1990, 2020)}. "
            ),
            lambda: d.add(rng.choice(SCALE_PHRASES), " "),
            lambda: d.add(
                f"Billed CPT {rng.choice(('99223', '99232', '99239'))}, HCPCS J1100; "
                f"RxCUI {rng.choice(('860975', '197361', '1049621'))}, SNOMED 44054006. "
            ),
            lambda: d.add(
                f"EF {rng.randint(20, 40)}-{rng.randint(41, 55)}% on echo; oxycodone "
                f"5-10 mg q4-6h prn x{rng.randint(3, 7)} days. "
            ),
            lambda: d.add(
                f"Transferred from the Emergency Department to Internal Medicine on "
                f"{rng.choice(('Monday', 'Friday', 'Sunday'))} at {rng.randint(1, 11)} pm. "
            ),
            lambda: d.add(
                f"Washington Manual dosing used; Georgia and {rng.choice(STATES_ONLY)} "
                "Medicaid rules differ. "
            ),
        )
    )()


SCALE_PHRASES = (
    "Braden score 14; Mallampati class II; Apgar not applicable.",
    "Gleason 3+4=7 on the 2019 biopsy; Breslow depth 0.8 mm, Clark level III.",
    "Child-Pugh class B; Killip class I; Kussmaul respirations absent.",
    "Cheyne-Stokes breathing at night; Trendelenburg position for the line.",
    "Valsalva maneuver terminated the SVT; Epley maneuver for vertigo.",
    "Romberg negative; Tinel sign positive at the wrist; Phalen test positive.",
)
