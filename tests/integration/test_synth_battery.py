"""Detection power of the default alert rules on feeds made by ``wardwatch synth --drift``.

Issue 7 asks that each change of the battery be detected with the right owner within the
first full window after it starts, and that a hundred windows without an injected change
raise at most five false alerts. ``tests/monitor/test_battery.py`` checks this on frames
edited in pandas; this module checks it end to end on synthetic EHR output, through the
library calls the demo makes (``wardwatch demo`` steps 1-10):

- a champion: 1,000 synthetic patients (seed 42, 2019-2025), ingested, gated, features and
  leakage audit, logistic regression and LightGBM trained and evaluated, registered, approved
  by a second person and promoted (one workspace for the module);
- per drift kind of ``wardwatch.synth.DRIFT_KINDS``, a production feed as the demo makes it:
  the same seed with twice the patients to mid-February 2026 (the training patients' rows
  left out), with ``drift=<kind>@2025-01-01``, ingested into a workspace of its own, gated
  with the default contract, features built, the stays of 2024 and 2025 replayed through the
  champion into the prediction log of a copy of the champion's workspace (whose newest
  quality report is the feed's), outcomes from the feature rows, and ``run_monitor`` over
  two yearly windows (366 days: calendar 2024, then 2025-01-01 to 2026-01-02), so that the
  drift starts on a window boundary and the second window is its first full one;
- the same pipeline on the feed without drift: its 2025 window is the counterfactual of
  every drift (the same patients and, before the date, the same records), and its six
  yearly windows from 2019-12-29 are the quiet windows.

Sizes, within a budget of about five minutes on two cores: the new-patient half of 2,000
gives 100 to 130 index stays a year (up to 180 when a drift adds admissions), so the windows
are a year long and the rules judge windows from 100 rows (``min_n`` lowered from the
packaged 100-200, as the demo's ``_demo_rules`` lowers it to 30); the champion's reference
(its validation and test periods) holds 236 stays. The pseudonym key is fixed, so the
patient-level bootstrap intervals are the same from run to run.

A change counts as detected when its expected rule fires for its owner in the first full
window on one of the scopes the change moves, and that rule does not fire on that scope in
the same window of the feed without drift (a chance alert cannot pass for a detection).
What each kind raises:

- ``age-mix`` (75+ admitted 2.5 times as often): ``feature-drift`` on ``age``, data feed;
- ``case-mix`` (heart failure and CKD admitted 2.5 times as often, for heart failure or
  acute kidney injury): ``feature-drift``, data feed, on an input that describes the case
  mix (diagnosis group, comorbidity indices, BNP, creatinine): ``creatinine_delta``;
- ``new-site``: ``new-subgroup-level`` on ``subgroup:site`` (16% of the stays), data feed;
- ``label-rate``: ``calibration-oe``, model owner, with the multiplier raised from synth's
  default 1.5 to 2.5: a year of about 130 stays holds about 20 expected readmissions, and at
  1.5 or 2 the O/E interval still reaches into [0.8, 1.25] (at 2: O/E 1.50, 95% CI
  1.13-1.85; at 2.5: 1.85, CI 1.48-2.22);
- ``silent-unit-switch`` (glucose / 18.016 under the unchanged mg/dL unit, the issue's
  example): ``feature-drift`` on ``glucose_last``, data feed, whose reason names the ÷18
  shift "with unchanged unit: a unit switch in the lab feed";
- ``unit-switch`` is a *labelled* switch (glucose / 18.016 with unit mmol/L): the features
  convert it back (``glucose_last`` moves by under 1 mg/dL), so it must page no one on
  glucose, and it does not;
- ``code-set-change`` is not detected (a strict expected failure): a site's less specific,
  still valid ICD-10-CM codes change no model input at all (same diagnosis groups, same
  comorbidity indices), and no default rule watches the specificity of a feed's codes;
  ``test_invisible_changes_reach_the_feed_but_not_the_model`` shows both facts.

A latency regression is a property of the scoring service, not of the EHR data synth
writes: it stays covered by ``tests/monitor/test_battery.py``.

The quiet windows are six: a hundred windows of 100 stays would need about 13,000 more
synthetic patients and some ten minutes more on this machine. They are judged at the
issue's rate, at most 5 new alerts per 100 windows, so none in six; the default rules raise
six (a strict expected failure, see :data:`QUIET_FAILS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pandas as pd
import pytest
from tests.integration._synth_battery import (
    Battery,
    Champion,
    alerts_in,
    battery_rules,
    train_champion,
)

from wardwatch.monitor import MonitorRun
from wardwatch.synth import DRIFT_KINDS
from wardwatch.synth._codes import UNSPECIFIED

TRAIN_PATIENTS = 1_000
SEED = 42
DRIFT_AT = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=366)  # 2024 is a leap year: its window ends where the drift starts
FEED_END = date(2026, 2, 15)  # every 2025 stay's 30-day outcome is in the feed
AS_OF = datetime(2026, 2, 15, tzinfo=UTC)
MIN_N = 100
QUIET_WINDOWS = 6
GLUCOSE = {"2345-7", "2339-0"}
QUIET_FAILS = (
    "6 new alerts in 6 quiet windows, all feature-drift to the data feed (admit_source, age, "
    "diagnosis_group in 2020; creatinine_last, potassium_last, sex in 2025): the drift tests "
    "take stays as independent (readmissions are index stays too) and the chi-square takes "
    "the shares of a 236-stay reference as exact"
)
"""Why the quiet windows fail the issue's bound (measured; see the module docstring)."""

GLUCOSE_SCOPES = frozenset({"feature:glucose_last", "feed:observations.glucose_last"})
CASE_MIX = frozenset(
    f"feature:{f}"
    for f in (
        "diagnosis_group", "charlson", "elixhauser", "bnp_last", "creatinine_last",
        "creatinine_delta",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Expected:
    """What a drift kind must raise in its first full window: ``rule`` (None: any rule)
    with ``owner`` on one of ``scopes`` (None: any scope); ``param`` is the drift parameter
    (None: synth's default); ``undetected`` says why the default rules miss it."""

    rule: str | None
    owner: str
    scopes: frozenset[str] | None
    param: str | None = None
    undetected: str | None = None
    pages: bool = True
    """False: the change is handled upstream of the model and must page no one on
    ``scopes`` (a labelled unit switch, which the features convert)."""


EXPECTED: dict[str, Expected] = {
    "age-mix": Expected("feature-drift", "data-feed", frozenset({"feature:age"})),
    "case-mix": Expected("feature-drift", "data-feed", CASE_MIX),
    "new-site": Expected("new-subgroup-level", "data-feed", frozenset({"subgroup:site"})),
    "label-rate": Expected("calibration-oe", "model", frozenset({"model"}), param="2.5"),
    "unit-switch": Expected(None, "data-feed", GLUCOSE_SCOPES, pages=False),
    "silent-unit-switch": Expected("feature-drift", "data-feed", GLUCOSE_SCOPES),
    "code-set-change": Expected(
        None,
        "data-feed",
        None,
        undetected="less specific valid codes change no model input; no rule watches the "
        "specificity of a feed's codes",
    ),
}


@pytest.fixture(scope="module")
def champion(tmp_path_factory: pytest.TempPathFactory) -> Champion:
    return train_champion(
        tmp_path_factory.mktemp("synth-battery") / "champion", patients=TRAIN_PATIENTS,
        seed=SEED,
    )  # fmt: skip


@pytest.fixture(scope="module")
def battery(champion: Champion, tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return Battery(
        champion, tmp_path_factory.mktemp("synth-feeds"), patients=2 * TRAIN_PATIENTS,
        seed=SEED, end=FEED_END, drift_at=DRIFT_AT, window=WINDOW, rules=battery_rules(MIN_N),
        as_of=AS_OF,
    )  # fmt: skip


def _quiet(battery: Battery) -> MonitorRun:
    return battery.run(None, before=QUIET_WINDOWS - 1)


def test_the_battery_covers_every_synth_drift_kind() -> None:
    assert set(EXPECTED) == set(DRIFT_KINDS)


def _params() -> list[object]:
    out: list[object] = []
    for kind, e in EXPECTED.items():
        marks = []
        if e.undetected:
            marks.append(pytest.mark.xfail(reason=e.undetected, raises=AssertionError, strict=True))
        out.append(pytest.param(kind, marks=marks, id=kind))
    return out


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", _params())
def test_each_drift_pages_its_owner_in_its_first_full_window(battery: Battery, kind: str) -> None:
    e = EXPECTED[kind]
    run = battery.run(kind, param=e.param)
    assert [w.window.start for w in run.windows] == [DRIFT_AT - WINDOW, DRIFT_AT]
    first = run.windows[1]
    assert first.n >= MIN_N, f"{kind}: {first.n} rows in the first window, rules need {MIN_N}"
    quiet = {(a["rule"], a["scope"]) for a in alerts_in(_quiet(battery), DRIFT_AT)}
    caused = [
        a
        for a in first.alerts
        if (e.rule is None or a["rule"] == e.rule)
        and (e.scopes is None or a["scope"] in e.scopes)
        and (a["rule"], a["scope"]) not in quiet
    ]
    raised = [(a["rule"], a["owner"], a["scope"]) for a in first.alerts]
    if not e.pages:
        assert not caused, f"{kind} is handled before the model, yet paged: {caused}"
        return
    assert caused, (
        f"{kind}: no {e.rule or 'alert'} on {sorted(e.scopes or ['any scope'])} in the first "
        f"full window {first.window.label()} ({first.n} rows) that the feed without drift "
        f"does not raise too ({sorted(quiet)}); raised: {raised}"
    )
    assert {a["owner"] for a in caused} == {e.owner}, caused
    if kind == "silent-unit-switch":
        (why,) = [a["why"] for a in caused if a["scope"] == "feature:glucose_last"]
        assert "with unchanged unit: a unit switch in the lab feed" in why


def _glucose_units(feed: Path, since: str) -> dict[str, int]:
    """Glucose results dated from ``since`` in a feed's FHIR files, by stated unit."""
    units: dict[str, int] = {}
    for line in (feed / "Observation.ndjson").read_bytes().splitlines():
        if b"2345-7" not in line and b"2339-0" not in line:
            continue
        res = orjson.loads(line)
        codes = {c.get("code") for c in res["code"]["coding"]}
        if codes & GLUCOSE and str(res.get("effectiveDateTime", "")) >= since:
            unit = str(res["valueQuantity"]["unit"])
            units[unit] = units.get(unit, 0) + 1
    return units


def _diagnoses(feed: Path, since: str, codes: set[str]) -> int:
    """Conditions recorded from ``since`` in a feed's FHIR files with one of ``codes``."""
    n = 0
    for line in (feed / "Condition.ndjson").read_bytes().splitlines():
        res = orjson.loads(line)
        if str(res.get("recordedDate", "")) >= since:
            n += any(c.get("code") in codes for c in res["code"]["coding"])
    return n


def _first_window_rows(frame: pd.DataFrame) -> pd.DataFrame:
    times = pd.to_datetime(frame["index_time"], utc=True)
    rows = frame[(times >= DRIFT_AT) & (times < DRIFT_AT + WINDOW)]
    return rows.sort_values(["patient_id", "index_time"]).reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_invisible_changes_reach_the_feed_but_not_the_model(battery: Battery) -> None:
    """Why a labelled ``unit-switch`` and ``code-set-change`` page no one: both are in the feed from
    the date on, and neither moves what the model reads (the stays of the first full window
    against the same stays without drift)."""
    since = f"{DRIFT_AT:%Y-%m-%d}"
    quiet = battery.feed(None)
    before = _first_window_rows(quiet.frame)
    assert len(before) >= MIN_N

    switched = battery.feed("unit-switch")
    assert set(_glucose_units(quiet.folder, since)) == {"mg/dL"}
    units = _glucose_units(switched.folder, since)
    assert set(units) == {"mmol/L"}
    assert units["mmol/L"] > 1_000
    after = _first_window_rows(switched.frame)
    pd.testing.assert_frame_equal(
        after.drop(columns="glucose_last"), before.drop(columns="glucose_last")
    )
    moved = (after["glucose_last"] - before["glucose_last"]).abs()
    assert moved.max() <= 1.0  # mmol/L with one decimal, converted back to mg/dL
    assert (moved > 0).any()  # the values did go through mmol/L

    coded = battery.feed("code-set-change")
    specific, vague = set(UNSPECIFIED), {c.code for c in UNSPECIFIED.values()}
    assert _diagnoses(coded.folder, since, specific) < _diagnoses(quiet.folder, since, specific)
    assert _diagnoses(coded.folder, since, vague) > _diagnoses(quiet.folder, since, vague)
    pd.testing.assert_frame_equal(_first_window_rows(coded.frame), before)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_quiet_window_is_judged(battery: Battery) -> None:
    run = _quiet(battery)
    assert len(run.windows) == QUIET_WINDOWS
    assert run.windows[-1].window.start == DRIFT_AT  # the counterfactual of every drift
    assert min(w.n for w in run.windows) >= MIN_N  # every rule is judged in every window


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.xfail(reason=QUIET_FAILS, raises=AssertionError, strict=True)
def test_quiet_windows_raise_at_most_five_alerts_per_hundred(battery: Battery) -> None:
    run = _quiet(battery)
    # a false alert is a new one (a page); an open alert firing again is the same alert
    raised = [
        (w.window.label(), a["rule"], a["scope"])
        for w in run.windows
        for a in w.alerts
        if a["outcome"] == "new"
    ]
    assert len(raised) <= 5 * len(run.windows) // 100, raised
