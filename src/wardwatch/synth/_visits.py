"""Office and emergency visits, and what every visit shares: vitals, lab draws, problem-list
entries, medication orders and the claim.

The builder keeps what the patient's record already knows (conditions on the problem list,
the current order of each chronic drug, the years with a check-up) so that a condition is
listed once, at the first visit after its onset, and chronic drugs are renewed yearly.
Inpatient stays are built by :class:`wardwatch.synth._inpatient.StayBuilder`.
"""

from __future__ import annotations

from wardwatch.synth._catalog import CHRONIC_MEDS, EM_CODES, LABS, MEDS, PROCEDURES
from wardwatch.synth._clock import DAY, HOUR
from wardwatch.synth._codes import (
    ED_REASONS,
    WELLNESS_ADULT,
    WELLNESS_CHILD,
    Icd,
)
from wardwatch.synth._labs import baselines, draw_value, egfr_mdrd
from wardwatch.synth._model import Dx, Med, Obs, Person, ProcEvent, Visit
from wardwatch.synth._rand import Rand
from wardwatch.synth._reference import Site
from wardwatch.synth._world import World

__all__ = ["VisitBuilder"]

_BMP = ("glu", "na", "k", "cr", "bun")
#: Complete blood count, and the core panel drawn every morning of a stay.
CBC = ("hgb", "wbc", "plt")
CORE = ("na", "k", "cr", "glu", "hgb", "wbc")
_MINOR = (
    Icd("J06.9", "Acute upper respiratory infection, unspecified"),
    Icd("M54.50", "Low back pain, unspecified"),
    Icd("R51.9", "Headache, unspecified"),
)


class VisitBuilder:
    """Builds the visits of one patient, keeping what the record already knows."""

    def __init__(self, world: World, person: Person, healthy: dict[str, float], rand: Rand) -> None:
        self.world = world
        self.person = person
        self.healthy = healthy
        self.rand = rand
        self.recorded: set[str] = set()
        self.current: dict[str, Med] = {}
        self.checkup_years: set[int] = set()
        self.black = person.race[0] == "2054-5"

    # -- helpers ---------------------------------------------------------------------------

    def _visit(
        self,
        cls: str,
        etype: str,
        start: int,
        end: int,
        site: Site,
        reason: Icd,
        planned: bool = False,
        admit_source: str | None = None,
    ) -> Visit:
        r = self.rand
        return Visit(
            r.uuid(),
            cls,
            etype,
            start,
            end,
            site,
            r.choice(site.clinicians),
            self.world.code(reason, site, start),
            self.person.payer_at(start),
            planned=planned,
            admit_source=admit_source,
        )

    def _obs(
        self, v: Visit, key: str, value: float, ts: int, issued: int, value2: float | None = None
    ) -> None:
        glucose = key in ("glu", "glu_poc")
        si = glucose and self.world.glucose_si(v.site, ts)
        silent = glucose and not si and self.world.glucose_si(v.site, ts, silent=True)
        v.obs.append(Obs(self.rand.uuid(), LABS[key], value, ts, issued, value2, si, silent))

    def _vitals(
        self,
        v: Visit,
        ts: int,
        keys: tuple[str, ...],
        base: dict[str, float],
        shifts: dict[str, float],
    ) -> None:
        r = self.rand
        issued = ts + r.randint(60, 600)
        for key in keys:
            if key == "bp":
                sbp = draw_value(r, "sbp", base["sbp"], shifts.get("sbp", 0.0))
                dbp = min(draw_value(r, "dbp", base["dbp"], shifts.get("sbp", 0.0)), sbp - 15)
                self._obs(v, "bp", sbp, ts, issued, dbp)
            else:
                self._obs(v, key, draw_value(r, key, base[key], shifts.get(key, 0.0)), ts, issued)

    def _labs(
        self,
        v: Visit,
        ts: int,
        keys: tuple[str, ...],
        base: dict[str, float],
        shifts: dict[str, float],
        delay: tuple[int, int],
    ) -> None:
        r = self.rand
        issued = ts + r.randint(*delay)
        age = self.person.age_at(ts)
        billed: list[str] = []
        for key in keys:
            value = draw_value(r, key, base[key], shifts.get(key, 0.0))
            self._obs(v, key, value, ts, issued)
            if key == "cr" and age >= 18:
                egfr = egfr_mdrd(value, age, female=self.person.sex == "female", black=self.black)
                self._obs(v, "egfr", egfr, ts, issued)
            code = LABS[key].cpt
            if code and code not in billed:
                billed.append(code)
        v.billing.extend((code, "cpt", 1) for code in billed)

    def _active(self, ts: int) -> list[str]:
        return [k for k, onset in self.person.onsets.items() if onset <= ts]

    def _record_chronic(self, v: Visit) -> None:
        """Problem-list items for chronic conditions not yet on the record; start their meds."""
        r = self.rand
        for key in self._active(v.start):
            if key in self.recorded:
                continue
            self.recorded.add(key)
            icd = self.world.code(self.person.codes[key], v.site, v.start)
            v.dx.append(
                Dx(
                    r.uuid(),
                    icd,
                    "problem-list-item",
                    self.person.onsets[key],
                    v.end + r.randint(600, 3600),
                )
            )
            drugs = CHRONIC_MEDS.get(key)
            if drugs:
                n = 2 if key == "hf" else 1
                for drug in (drugs[0], r.choice(drugs[1:]))[:n] if len(drugs) > 1 else drugs:
                    self._order(v, drug, v.end - r.randint(60, 600))

    def _order(self, v: Visit, drug: str, at: int, status: str = "active") -> None:
        med = Med(self.rand.uuid(), MEDS[drug], at, status)
        v.meds.append(med)
        if status == "active":
            old = self.current.get(drug)
            if old is not None:
                old.status = "completed"
            self.current[drug] = med

    def _claim(self, v: Visit, days: tuple[int, int]) -> None:
        r = self.rand
        claim_id = r.uuid()
        created = v.end + r.randint(days[0] * DAY, days[1] * DAY)
        if created <= self.world.now_ts:  # a claim submitted after "now" does not exist yet
            v.claim_id = claim_id
            v.claim_created = created

    # -- visits ----------------------------------------------------------------------------

    def ambulatory(self, ts: int, follow_up: Icd | None = None) -> Visit:
        """An office visit: a yearly check-up, a chronic follow-up or a symptom visit."""
        r, p = self.rand, self.person
        zone = p.site.zone
        day = zone.local_day(ts)
        start = zone.local(day, 8 * HOUR + r.randint(0, 102) * 300)
        end = start + r.randint(15, 40) * 60
        age = p.age_at(start)
        year = int(1970 + day / 365.2425)
        active = [k for k in self._active(start) if k in self.recorded]
        checkup = follow_up is None and year not in self.checkup_years
        if checkup:
            self.checkup_years.add(year)
            v = self._visit(
                "AMB", "checkup", start, end, p.site, WELLNESS_CHILD if age < 18 else WELLNESS_ADULT
            )
        elif follow_up is not None:
            v = self._visit("AMB", "followup", start, end, p.site, follow_up)
        elif active and r.chance(0.75):
            v = self._visit("AMB", "followup", start, end, p.site, p.codes[r.choice(active)])
        else:
            v = self._visit("AMB", "symptom", start, end, p.site, r.choice(_MINOR))
        base = baselines(p, self.healthy, start)
        self._vitals(v, start + 300, ("hr", "bp", "bmi") if checkup else ("hr", "bp"), base, {})
        self._record_chronic(v)
        has = set(self._active(start))
        labs: tuple[str, ...] = ()
        if checkup and age >= 18:
            if r.chance(0.6):
                labs = (
                    _BMP
                    + CBC
                    + (("chol",) if "hld" in has else ())
                    + (("a1c",) if "dm2" in has else ())
                )
            new = {m.drug.key for m in v.meds}
            for drug, med in list(self.current.items()):
                if med.status == "active" and drug not in new:  # yearly renewal
                    self._order(v, drug, end - r.randint(60, 600))
        elif not checkup:
            if "dm2" in has and r.chance(0.5):
                labs += ("a1c", "glu")
            if ("ckd" in has or "hf" in has) and r.chance(0.5):
                labs += ("na", "k", "cr")
            if "hf" in has and r.chance(0.3):
                labs += ("bnp",)
            if not labs and r.chance(0.1):
                labs = _BMP
        if labs:
            self._labs(v, start + 1200, labs, base, {}, (3 * HOUR, 30 * HOUR))
        if checkup and age > 50 and r.chance(0.25):
            v.procs.append(ProcEvent(r.uuid(), PROCEDURES["ecg"], start + 900, start + 1500))
            v.billing.append(("93000", "cpt", 1))
        if checkup:
            em = (
                "awv"
                if age >= 65 and v.payer.kind == "medicare"
                else "preventive_65"
                if age >= 65
                else "preventive_40_64"
                if age >= 40
                else "preventive_18_39"
            )
        else:
            em = "amb_mod" if len(active) >= 2 else "amb_low"
        v.billing.insert(0, (EM_CODES[em][0], EM_CODES[em][1], 1))
        if r.chance(0.5):
            v.note_id, v.note_date = r.uuid(), end + r.randint(600, 8 * HOUR)
        self._claim(v, (3, 21))
        return v

    def emergency(self, ts: int) -> Visit:
        """An emergency department visit that ends with the patient going home."""
        r, p = self.rand, self.person
        site = self.world.visit_site(p.site, ts, r.random())
        start = ts
        end = start + r.randint(24, 84) * 300
        reason = r.choice(ED_REASONS)
        v = self._visit("EMER", "ed", start, end, site, reason)
        base = baselines(p, self.healthy, start)
        self._vitals(v, start + 600, ("hr", "bp", "temp", "spo2"), base, {})
        chest = reason.code == "R07.9"
        if chest or r.chance(0.5):
            labs = _BMP + CBC + (("trop",) if chest else ())
            self._labs(v, start + 1800, labs, base, {}, (1800, 2 * HOUR))
        if chest:
            v.procs.append(ProcEvent(r.uuid(), PROCEDURES["ecg"], start + 900, start + 1300))
            v.billing.append(("93000", "cpt", 1))
        v.dx.append(
            Dx(
                r.uuid(),
                v.reason,
                "encounter-diagnosis",
                start - r.randint(1, 12) * HOUR,
                end + r.randint(HOUR, 48 * HOUR),
                end,
            )
        )
        self._record_chronic(v)
        v.disposition = "aadvice" if r.chance(0.04) else "home"
        em = "ed_high" if chest else r.choice(("ed_low", "ed_mod"))
        v.billing.insert(0, (EM_CODES[em][0], "cpt", 1))
        self._claim(v, (3, 25))
        return v

    def finish(self) -> None:
        """Final medication statuses: the latest order of a drug stays active unless the patient
        died (then stopped); earlier orders are completed."""
        if self.person.death is not None:
            for med in self.current.values():
                if med.status == "active":
                    med.status = "stopped"
