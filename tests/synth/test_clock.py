"""Local times with US daylight saving rules, checked against the IANA database (zoneinfo)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from wardwatch.synth._clock import ARIZONA, CENTRAL, EASTERN, PACIFIC, Zone

ZONES = (EASTERN, CENTRAL, ARIZONA, PACIFIC)
# 2007-01-02 .. 2037-12-31: the current US rules hold over this range.
instants = st.integers(1_167_696_000, 2_145_830_400)


@given(instants, st.sampled_from(ZONES))
def test_iso_and_hl7_match_zoneinfo(ts: int, zone: Zone) -> None:
    local = datetime.fromtimestamp(ts, ZoneInfo(zone.name))
    assert zone.iso(ts) == local.isoformat()
    assert zone.hl7(ts) == local.strftime("%Y%m%d%H%M%S%z")
    assert zone.date(ts) == local.date().isoformat()


def test_transition_hours() -> None:
    # 2024-03-10 02:00 EST -> 03:00 EDT (07:00 UTC); 2024-11-03 02:00 EDT -> 01:00 EST.
    spring = int(datetime(2024, 3, 10, 7, tzinfo=UTC).timestamp())
    assert EASTERN.iso(spring - 1) == "2024-03-10T01:59:59-05:00"
    assert EASTERN.iso(spring) == "2024-03-10T03:00:00-04:00"
    fall = int(datetime(2024, 11, 3, 6, tzinfo=UTC).timestamp())
    assert EASTERN.iso(fall - 1) == "2024-11-03T01:59:59-04:00"
    assert EASTERN.iso(fall) == "2024-11-03T01:00:00-05:00"
    assert ARIZONA.iso(spring) == "2024-03-10T00:00:00-07:00"


@given(st.integers(13_600, 24_000), st.integers(0, 86_399), st.sampled_from(ZONES))
def test_local_wall_time_round_trips(day: int, seconds: int, zone: Zone) -> None:
    ts = zone.local(day, seconds)
    local = datetime.fromtimestamp(ts, ZoneInfo(zone.name))
    if not (zone.dst and local.month in (3, 11) and local.day <= 14):
        # away from the transition days, local wall time is exactly what was asked for
        assert (local.hour * 3600 + local.minute * 60 + local.second) == seconds
