"""Inpatient stays: the reason, length and severity of a stay, its labs as the illness
resolves, diagnoses coded at discharge, orders, procedures, disposition and billing.

A stay's severity (a standard normal draw) lengthens it, raises the acute shift of its labs at
admission and slows their return to baseline, so the labs at discharge still show a severe
illness; those labs, the length of stay and the disposition feed the readmission model
(:mod:`wardwatch.synth._readmission`).
"""

from __future__ import annotations

import math
from datetime import date

from wardwatch.synth._catalog import PROCEDURES
from wardwatch.synth._clock import DAY, HOUR, ts_of_date
from wardwatch.synth._codes import ACUTE, CHEMO_ENCOUNTER, CHRONIC, Acute, Icd
from wardwatch.synth._labs import baselines
from wardwatch.synth._model import Dx, ProcEvent, Visit
from wardwatch.synth._readmission import charlson
from wardwatch.synth._visits import CBC, CORE, VisitBuilder

__all__ = ["StayBuilder"]

_INFECTION = {"pneumonia", "sepsis", "uti", "cellulitis", "covid", "diverticulitis"}
_RESPIRATORY = {"pneumonia", "covid", "copd_exac", "hf_exac", "sepsis"}
_CHRONIC_EXACERBATION = {"hf_exac": "hf", "copd_exac": "copd", "afib_rvr": "afib", "dka": "dm2"}
_CHARLSON = {c.key: c.charlson for c in CHRONIC}
_DISPOSITIONS = (
    "home",
    "alt-home",
    "snf",
    "rehab",
    "aadvice",
    "other-hcf",
    "hosp",
    "long",
    "psy",
    "oth",
)


class StayBuilder(VisitBuilder):
    """A :class:`VisitBuilder` that also builds inpatient stays."""

    def choose_acute(self, ts: int, same_as: Acute | None = None) -> Acute:
        """An admission reason, weighted by the patient's conditions (and case-mix drift)."""
        r, p = self.rand, self.person
        if same_as is not None and r.chance(0.4):
            return same_as
        case_mix = self.world.rate_drift("case-mix", ts)
        items: list[Acute] = []
        weights: list[float] = []
        total = 0.0
        for a in ACUTE:
            if a.needs is not None and not p.has(a.needs, ts):
                continue
            if a.since is not None and ts < ts_of_date(date.fromisoformat(a.since)):
                continue
            w = a.weight
            for key, factor in a.raised_by:
                if p.has(key, ts):
                    w *= factor
            if a.key in ("hf_exac", "aki"):
                w *= case_mix
            items.append(a)
            total += w
            weights.append(total)
        u = r.random() * total
        for a, cum in zip(items, weights, strict=True):
            if u < cum:
                return a
        return items[-1]

    def admission(self, ts: int, kind: str, acute: Acute | None) -> Visit | None:
        """An inpatient stay; ``kind`` is unplanned, readmit, elective or chemo.

        Returns None when the stay would end after the period (it is left out whole).
        """
        r, p, w = self.rand, self.person, self.world
        planned = kind in ("elective", "chemo")
        sev = r.normal()
        age = p.age_at(ts)
        if planned:
            site = p.site
            start = site.zone.local(site.zone.local_day(ts), 7 * HOUR + r.randint(0, 24) * 300)
            los = r.randint(1, 2) if kind == "chemo" else r.randint(2, 3)
            etype, source = "elective", ("outp" if kind == "chemo" else "mp")
        else:
            assert acute is not None
            site = w.visit_site(p.site, ts, r.random())
            start = ts
            los = max(
                1,
                round(
                    r.lognormal(acute.los, 0.4)
                    * math.exp(0.2 * sev)
                    * (1.0 + max(0.0, age - 70.0) * 0.01)
                ),
            )
            u = r.random()
            if kind == "readmit" or u < 0.82:
                etype, source = "emergency_admission", "emd"
            else:
                etype, source = "admission", ("hosp-trans" if u < 0.87 else "mp")
        zone = site.zone
        end = zone.local(zone.local_day(start) + los, 10 * HOUR + r.randint(0, 84) * 300)
        if end >= w.horizon:
            return None
        if kind == "chemo":
            cancer = next(k for k in p.onsets if k.startswith("cancer_"))
            reason = CHEMO_ENCOUNTER
        elif kind == "elective":
            reason = p.codes["knee_oa"]
        else:
            assert acute is not None
            reason = acute.icd
            if acute.key == "hf_exac" and p.codes["hf"].code == "I50.32":
                reason = Icd("I50.33", "Acute on chronic diastolic (congestive) heart failure")
        v = self._visit(
            "IMP", etype, start, end, site, reason, planned=planned, admit_source=source
        )
        died = p.death is not None and start < p.death <= end
        if not planned and not died:
            z = -5.2 + 0.045 * (age - 65) + 0.2 * charlson(self._active(start)) + 0.7 * sev
            if r.chance(1.0 / (1.0 + math.exp(-z))):
                died = True
                p.death = start + int((end - start) * r.uniform(0.3, 1.0))
        if died:
            assert p.death is not None
            v.end = end = p.death
        self._inpatient_care(v, kind, acute, sev)
        if kind == "chemo":
            v.dx.append(
                Dx(
                    r.uuid(),
                    w.code(p.codes[cancer], site, start),
                    "encounter-diagnosis",
                    p.onsets[cancer],
                    end + r.randint(2 * HOUR, 72 * HOUR),
                )
            )
        v.disposition = "exp" if died else self._disposition(age, acute, kind)
        v.note_id, v.note_date = r.uuid(), end + r.randint(HOUR, 20 * HOUR)
        self._claim(v, (3, 25))
        return v

    def _inpatient_care(self, v: Visit, kind: str, acute: Acute | None, sev: float) -> None:
        r, p = self.rand, self.person
        start, end = v.start, v.end
        zone = v.site.zone
        los = max((end - start) / DAY, 0.1)
        akey = acute.key if acute is not None else kind
        sevf = max(0.3, 1.0 + 0.45 * sev)
        shifts0 = {k: s * sevf for k, s in (acute.labs if acute is not None else ())}
        if akey in _INFECTION:
            shifts0.update(temp=1.8 * sevf, hr=1.2 * sevf)
        if akey in _RESPIRATORY:
            shifts0["spo2"] = -1.5 * sevf
        if akey == "afib_rvr":
            shifts0["hr"] = 3.5 * sevf
        if akey == "gi_bleed":
            shifts0.update(hr=1.5 * sevf, sbp=-1.5 * sevf)
        tau = los * min(max(0.45 + 0.25 * sev, 0.15), 1.2)
        base = baselines(p, self.healthy, start)
        extra = {
            "hf_exac": ("bnp",),
            "nstemi": ("trop",),
            "chest_pain": ("trop",),
            "sepsis": ("lact",),
            "pancreatitis": ("alt",),
        }.get(akey, ())
        self._vitals(v, start + 600, ("hr", "bp", "temp", "spo2"), base, shifts0)
        self._labs(
            v,
            start + r.randint(1800, 5400),
            ("bun", *CORE, *CBC[2:], *extra),
            base,
            shifts0,
            (2400, 2 * HOUR),
        )
        first_day = zone.local_day(start)
        days = list(range(first_day + 1, zone.local_day(end) + 1))
        if len(days) > 2:
            days = [days[0], days[-1]]  # the morning after admission and the day of discharge
        diabetic = p.has("dm2", start)
        for day in days:
            draw = zone.local(day, 5 * HOUR + r.randint(0, 18) * 300)
            if draw >= end - HOUR:
                continue
            decay = math.exp(-((draw - start) / DAY) / tau)
            shifts = {k: s * decay for k, s in shifts0.items()}
            keys = CORE + (extra[:1] if extra and extra[0] in ("bnp", "lact") else ())
            self._labs(v, draw, keys, base, shifts, (HOUR, 4 * HOUR))
            self._vitals(v, draw + 2 * HOUR, ("hr", "bp"), base, shifts)
            if diabetic:
                self._labs(v, draw + 6 * HOUR, ("glu_poc",), base, shifts, (300, 900))
        # Diagnoses: principal first, then the chronic conditions coded on the claim.
        active = self._active(start)
        onset = max(start - r.randint(1, 48) * HOUR, p.birth_day * DAY + DAY)
        coded = end + r.randint(2 * HOUR, 72 * HOUR)
        if kind != "chemo":
            own = _CHRONIC_EXACERBATION.get(akey)
            resolved = own is None and kind != "elective"
            v.dx.append(
                Dx(
                    r.uuid(),
                    v.reason,
                    "encounter-diagnosis",
                    p.onsets["knee_oa"] if kind == "elective" else onset,
                    coded,
                    end if resolved else None,
                )
            )
        else:
            own = None
        secondary = sorted(
            (k for k in active if k != own and k != "knee_oa"), key=lambda k: -_CHARLSON[k]
        )[:6]
        for key in secondary:
            v.dx.append(
                Dx(
                    r.uuid(),
                    self.world.code(p.codes[key], v.site, start),
                    "encounter-diagnosis",
                    p.onsets[key],
                    coded,
                )
            )
        self._record_chronic(v)
        # Orders, procedures and billing.
        drugs = {"chemo": ("cisplatin", "paclitaxel"), "elective": ("oxycodone_apap",)}.get(
            kind, acute.meds if acute is not None else ()
        )
        for drug in drugs:
            self._order(v, drug, start + r.randint(HOUR, 3 * HOUR), "completed")
        procs = {"chemo": ("chemo",), "elective": ("tkr",)}.get(
            kind, acute.procs if acute is not None else ()
        )
        for i, key in enumerate(procs):
            if i and not r.chance(0.6):
                continue
            proc = PROCEDURES[key]
            at = min(start + r.randint(2 * HOUR, 24 * HOUR), end - proc.minutes * 60 - 600)
            at = max(at, start + 600)
            v.procs.append(ProcEvent(r.uuid(), proc, at, at + proc.minutes * 60))
            v.billing.append((proc.cpt, "cpt", 1))
        nights = max(0, round(los) - 1)
        v.billing[:0] = [("99223", "cpt", 1)] + ([("99232", "cpt", nights)] if nights else [])
        v.billing.append(("99239", "cpt", 1))

    def _disposition(self, age: float, acute: Acute | None, kind: str) -> str:
        p, r = self.person, self.rand
        ts = self.world.horizon
        key = acute.key if acute is not None else kind
        weights = [
            0.70,
            0.02,
            0.06
            + 0.10 * (age >= 80)
            + 0.08 * p.has("dementia", ts)
            + 0.15 * (key in ("hip_fx", "stroke"))
            + 0.08 * (key == "elective"),
            0.03 + 0.15 * (key in ("hip_fx", "stroke", "elective")),
            0.02 + 0.03 * p.has("tobacco", ts) + 0.02 * (age < 50),
            0.02,
            0.01 + 0.08 * (age > 70 and any(k.startswith("cancer_") for k in p.onsets)),
            0.01 + 0.03 * p.has("dementia", ts),
            0.003,
            0.01,
        ]
        if kind == "chemo":
            return "home"
        u = r.random() * sum(weights)
        for code, wgt in zip(_DISPOSITIONS, weights, strict=True):
            u -= wgt
            if u < 0:
                return code
        return "home"
