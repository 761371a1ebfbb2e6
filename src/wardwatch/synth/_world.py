"""The fixed context of one generation run: period, reference data and drift switches."""

from __future__ import annotations

from datetime import date, timedelta

from wardwatch.synth._clock import DAY, HOUR, day_of, ts_of_date
from wardwatch.synth._codes import UNSPECIFIED, Icd
from wardwatch.synth._config import DriftEvent
from wardwatch.synth._reference import Reference, Site

__all__ = ["World"]

#: Drift whose rate changes start at a date split the schedule there, at 10:00 UTC: after the
#: local midnight of every US zone, so that the schedule before the local date is untouched.
_SPLIT_HOUR = 10


class World:
    """Everything a patient simulation needs that is not the patient."""

    def __init__(self, seed: int, start: date, end: date, drift: tuple[DriftEvent, ...]) -> None:
        self.seed = seed
        self.start = start
        self.end = end
        self.start_ts = ts_of_date(start)
        #: the generation's "now": the last second of ``end`` in UTC.
        self.now_ts = ts_of_date(end + timedelta(days=1)) - 1
        #: visits end before this, so results, codes and notes are all in before "now".
        self.horizon = self.now_ts - 5 * DAY
        self.drift = {e.kind: e for e in drift}
        new_site = self.drift.get("new-site")
        self.ref = Reference(seed, new_site_opens=self._split(new_site) if new_site else None)
        self._day = {e.kind: day_of(e.start) for e in drift}

    def _split(self, event: DriftEvent) -> int:
        return ts_of_date(event.start) + _SPLIT_HOUR * HOUR

    def schedule_cuts(self) -> list[int]:
        """UTC instants where the yearly schedule is cut: New Years and rate-drift dates."""
        cuts = {self.start_ts, self.horizon}
        for year in range(self.start.year + 1, self.end.year + 1):
            cuts.add(ts_of_date(date(year, 1, 1)))
        for kind in ("age-mix", "case-mix"):
            event = self.drift.get(kind)
            if event is not None:
                cuts.add(self._split(event))
        return sorted(c for c in cuts if self.start_ts <= c <= self.horizon)

    def rate_drift(self, kind: str, ts: int) -> float:
        """The multiplier of a rate drift (age-mix, case-mix) in force at ``ts`` (1.0 if none)."""
        event = self.drift.get(kind)
        if event is None or ts < self._split(event):
            return 1.0
        return event.number()

    def local_after(self, kind: str, site: Site, ts: int) -> bool:
        """True when drift ``kind`` applies at ``ts`` by the site's local calendar date."""
        day = self._day.get(kind)
        return day is not None and site.zone.local_day(ts) >= day

    def code(self, icd: Icd, site: Site, ts: int) -> Icd:
        """The code a site records for ``icd`` at ``ts`` (less specific under code-set-change)."""
        event = self.drift.get("code-set-change")
        if (
            event is None
            or event.param != site.key
            or not self.local_after("code-set-change", site, ts)
        ):
            return icd
        return UNSPECIFIED.get(icd.code, icd)

    def glucose_si(self, site: Site, ts: int, *, silent: bool = False) -> bool:
        """True when glucose is reported in mmol/L at this site and time: with the unit
        (``unit-switch`` drift), or under the old mg/dL unit (``silent``:
        ``silent-unit-switch`` drift)."""
        kind = "silent-unit-switch" if silent else "unit-switch"
        event = self.drift.get(kind)
        if event is None or (event.param != "all" and event.param != site.key):
            return False
        return self.local_after(kind, site, ts)

    def label_factor(self, site: Site, ts: int) -> float:
        """Readmission probability multiplier at a discharge (label-rate drift)."""
        if not self.local_after("label-rate", site, ts):
            return 1.0
        return self.drift["label-rate"].number()

    def visit_site(self, home: Site, ts: int, u: float) -> Site:
        """Where an inpatient or emergency visit happens (new-site drift takes a share)."""
        new = self.ref.new_site
        if new is None or home.key != "RGH" or new.opens is None or ts < new.opens:
            return home
        share = self.drift["new-site"].number()
        return new if u < share else home
