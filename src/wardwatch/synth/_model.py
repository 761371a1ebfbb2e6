"""The simulated record of one patient, before it is written in any format.

The simulation (:mod:`wardwatch.synth._simulate`) fills these plain objects; the writers
(FHIR, HL7 v2, claims CSV) only read them, so the three feeds describe the same care with the
same ids. Times are integer UTC seconds; each visit knows its site, whose time zone the writers
use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wardwatch.synth._catalog import Drug, Lab, Proc
from wardwatch.synth._codes import Icd
from wardwatch.synth._reference import Clinician, Payer, Site

__all__ = ["Dx", "Med", "Obs", "Person", "ProcEvent", "Visit"]


@dataclass(slots=True)
class Person:
    """Demographics, identifiers and the chronic conditions of one patient."""

    index: int
    id: str
    mrn: str
    ssn: str
    family: str
    given: str
    middle: str
    sex: str  # FHIR administrative gender: male | female
    birth_day: int  # days since 1970-01-01
    race: tuple[str, str]  # OMB code, display
    ethnicity: tuple[str, str]
    line: str
    city: str
    state: str
    postal_code: str
    phone: str
    site: Site
    plan_young: Payer
    plan_senior: Payer
    onsets: dict[str, int] = field(default_factory=dict)  # chronic condition key -> onset
    codes: dict[str, Icd] = field(default_factory=dict)  # chronic key -> code used
    death: int | None = None  # UTC seconds

    def age_at(self, ts: int) -> float:
        """Age in years at the UTC instant ``ts``."""
        return (ts / 86400.0 - self.birth_day) / 365.25

    def payer_at(self, ts: int) -> Payer:
        """The payer of care at ``ts`` (the senior plan from 65)."""
        return self.plan_senior if self.age_at(ts) >= 65 else self.plan_young

    def has(self, key: str, ts: int) -> bool:
        """True when chronic condition ``key`` began before ``ts``."""
        onset = self.onsets.get(key)
        return onset is not None and onset <= ts


@dataclass(slots=True)
class Obs:
    """One measurement; ``value`` in the lab's canonical unit (glucose in mg/dL).

    ``si`` marks glucose reported in mmol/L (``unit-switch`` drift); ``silent`` marks
    glucose sent in mmol/L under the mg/dL unit (``silent-unit-switch`` drift); ``value2`` is
    the diastolic component of a blood pressure panel.
    """

    id: str
    lab: Lab
    value: float
    ts: int
    issued: int
    value2: float | None = None
    si: bool = False
    silent: bool = False


@dataclass(slots=True)
class Dx:
    """A coded condition: a problem-list item or an encounter diagnosis."""

    id: str
    icd: Icd
    category: str  # problem-list-item | encounter-diagnosis
    onset: int
    recorded: int
    abated: int | None = None


@dataclass(slots=True)
class Med:
    """A medication order."""

    id: str
    drug: Drug
    authored: int
    status: str = "active"  # active | completed | stopped


@dataclass(slots=True)
class ProcEvent:
    """A procedure performed during a visit."""

    id: str
    proc: Proc
    start: int
    end: int


@dataclass(slots=True)
class Visit:
    """One encounter: ambulatory (AMB), emergency (EMER) or inpatient (IMP)."""

    id: str
    cls: str
    etype: str  # key of ENCOUNTER_TYPES
    start: int
    end: int
    site: Site
    clinician: Clinician
    reason: Icd
    payer: Payer
    planned: bool = False
    admit_source: str | None = None
    disposition: str | None = None
    dx: list[Dx] = field(default_factory=list)
    obs: list[Obs] = field(default_factory=list)
    meds: list[Med] = field(default_factory=list)
    procs: list[ProcEvent] = field(default_factory=list)
    billing: list[tuple[str, str, int]] = field(default_factory=list)  # code, system, quantity
    claim_id: str | None = None
    claim_created: int | None = None
    note_id: str | None = None
    note_date: int = 0
    readmit_p: float | None = None  # the simulated 30-day readmission probability (IMP only)
