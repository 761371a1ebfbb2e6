"""Reference data shared by all patients: sites (hospitals), clinicians, payers and name lists.

Sites and clinicians get NPIs with valid Luhn check digits; ids and NPIs are drawn from the
seed, so the same seed always gives the same organizations. Payers are assigned by age
(Medicare from 65, Medicaid and CHIP for a share of the young, commercial plans, self-pay).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wardwatch.synth._clock import ARIZONA, CENTRAL, EASTERN, PACIFIC, Zone
from wardwatch.synth._rand import Rand, cumulative
from wardwatch.terminology import npi_check_digit

__all__ = ["FEMALE_NAMES", "LAST_NAMES", "MALE_NAMES", "Clinician", "Payer", "Reference", "Site"]


@dataclass
class Clinician:
    """A practitioner (attending physician) working at one site."""

    id: str
    npi: str
    family: str
    given: str
    gender: str


@dataclass
class Site:
    """A hospital with its clinics: one Organization with an NPI, in one time zone."""

    key: str
    name: str
    city: str
    state: str
    zips: tuple[str, ...]
    zone: Zone
    area_code: str
    weight: float
    street: str
    id: str = ""
    npi: str = ""
    clinicians: list[Clinician] = field(default_factory=list)
    opens: int | None = None  # UTC seconds from which a drift-added site admits patients


@dataclass(frozen=True)
class Payer:
    """A payer organization (or self-pay, which has no organization)."""

    key: str
    name: str
    kind: str  # medicare | medicaid | commercial | self-pay
    id: str
    payer_id: str


_SITES = (
    (
        "RGH",
        "Riverside General Hospital",
        "Columbus",
        "OH",
        ("43201", "43205", "43214", "43220"),
        EASTERN,
        "614",
        0.3,
        "1200 River Road",
    ),
    (
        "LMC",
        "Lakeview Medical Center",
        "Chicago",
        "IL",
        ("60614", "60625", "60640", "60657"),
        CENTRAL,
        "312",
        0.25,
        "880 Lake Shore Drive",
    ),
    (
        "MRH",
        "Mesa Regional Hospital",
        "Phoenix",
        "AZ",
        ("85004", "85016", "85021", "85032"),
        ARIZONA,
        "602",
        0.2,
        "455 Camelback Avenue",
    ),
    (
        "BCH",
        "Bayside Community Hospital",
        "San Diego",
        "CA",
        ("92101", "92103", "92110", "92117"),
        PACIFIC,
        "619",
        0.15,
        "300 Harbor Drive",
    ),
    (
        "HUH",
        "Hillcrest University Hospital",
        "Pittsburgh",
        "PA",
        ("15213", "15217", "15232"),
        EASTERN,
        "412",
        0.1,
        "3550 Terrace Street",
    ),
)
#: The site that ``new-site`` drift opens (near Riverside, sharing its catchment).
_NEW_SITE = (
    "NHP",
    "Northgate Health Pavilion",
    "Columbus",
    "OH",
    ("43229", "43231"),
    EASTERN,
    "614",
    0.0,
    "6100 Northgate Parkway",
)

_PAYERS = (
    ("medicare", "Medicare", "medicare", "CMS-MCR"),
    ("medicaid", "Medicaid", "medicaid", "MCD-STATE"),
    ("bcbs", "Blue Cross Blue Shield", "commercial", "BCBS-00310"),
    ("uhc", "UnitedHealthcare", "commercial", "UHC-87726"),
    ("aetna", "Aetna", "commercial", "AET-60054"),
    ("cigna", "Cigna", "commercial", "CIG-62308"),
    ("humana_ma", "Humana Medicare Advantage", "commercial", "HUM-61101"),
)
SELF_PAY = Payer("self", "Self-pay", "self-pay", "", "")

# fmt: off
MALE_NAMES = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Jason", "Edward", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Luis", "Carlos", "Jose", "Miguel", "Wei",
    "Minh", "Darnell", "Andre", "Malik", "Ahmed",
)
FEMALE_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah",
    "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela",
    "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Maria", "Rosa",
    "Guadalupe", "Mei", "Linh", "Keisha", "Tanya", "Aaliyah", "Fatima", "Priya",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Kim", "Chen", "Patel", "Washington", "Okafor",
)
STREETS = (
    "Main Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Park Avenue", "Elm Street",
    "Washington Boulevard", "Lincoln Road", "Highland Avenue", "Sunset Drive", "Church Street",
    "Walnut Street", "Hillside Court", "Meadow Lane", "Forest Avenue", "Jefferson Street",
    "Spring Street", "Lakeview Terrace", "Willow Way", "Franklin Avenue",
)
# fmt: on

_CLINICIANS_PER_SITE = 12


def _npi(rand: Rand, taken: set[str]) -> str:
    while True:
        first9 = "1" + rand.digits(8)
        npi = first9 + npi_check_digit(first9)
        if npi not in taken:
            taken.add(npi)
            return npi


class Reference:
    """Sites, clinicians and payers for one seed (plus the drift site when asked for)."""

    def __init__(
        self, seed: int, *, new_site_opens: int | None = None, new_site_name: str | None = None
    ) -> None:
        rand = Rand.from_seed(seed, 2**31 - 1, 7)  # entropy disjoint from patient streams
        taken: set[str] = set()
        self.sites: list[Site] = []
        # The drift site is drawn last, so that every other id is the same without it.
        for spec in (*_SITES, None, _NEW_SITE):
            if spec is None:
                self.payers = [Payer(k, n, kind, rand.uuid(), pid) for k, n, kind, pid in _PAYERS]
                continue
            if spec is _NEW_SITE and new_site_opens is None:
                break
            key, name, city, state, zips, zone, area, weight, street = spec
            site = Site(key, name, city, state, zips, zone, area, weight, street)
            site.id = rand.uuid()
            site.npi = _npi(rand, taken)
            for _ in range(_CLINICIANS_PER_SITE):
                female = rand.chance(0.45)
                site.clinicians.append(
                    Clinician(
                        id=rand.uuid(),
                        npi=_npi(rand, taken),
                        family=rand.choice(LAST_NAMES),
                        given=rand.choice(FEMALE_NAMES if female else MALE_NAMES),
                        gender="female" if female else "male",
                    )
                )
            if key == _NEW_SITE[0]:
                site.opens = new_site_opens
                if new_site_name:
                    site.name = new_site_name
            self.sites.append(site)
        self.home_sites = [s for s in self.sites if s.opens is None]
        self.home_cum = cumulative([s.weight for s in self.home_sites])
        self.site_by_key = {s.key: s for s in self.sites}
        self.payer_by_key = {p.key: p for p in self.payers}
        self.new_site = next((s for s in self.sites if s.opens is not None), None)

    def pick_plan(self, rand: Rand, young: bool) -> Payer:
        """A patient's plan before 65 (``young``: under 18)."""
        u = rand.random()
        if young:
            if u < 0.40:
                return self.payer_by_key["medicaid"]
            if u < 0.95:
                return self.payer_by_key[rand.choice(("bcbs", "uhc", "aetna", "cigna"))]
            return SELF_PAY
        if u < 0.20:
            return self.payer_by_key["medicaid"]
        if u < 0.24:
            return self.payer_by_key["medicare"]  # under 65 on disability
        if u < 0.89:
            return self.payer_by_key[rand.choice(("bcbs", "uhc", "aetna", "cigna"))]
        return SELF_PAY

    def pick_senior_plan(self, rand: Rand) -> Payer:
        """A patient's plan from 65: traditional Medicare, Medicare Advantage or (rarely) none."""
        u = rand.random()
        if u < 0.70:
            return self.payer_by_key["medicare"]
        if u < 0.95:
            return self.payer_by_key["humana_ma"]
        if u < 0.99:
            return self.payer_by_key["medicaid"]
        return SELF_PAY
