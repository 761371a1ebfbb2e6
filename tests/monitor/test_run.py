"""Monitoring end to end on a real registered version: replay into the prediction log,
windows, drift alerts routed to their owner, stored history, dedup on re-runs, audit."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import sqlalchemy as sa
from tests.monitor.conftest import START, USECASE, Deployed, deployment_frame

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store
from wardwatch.monitor import AlertBook, replay_predictions, run_monitor
from wardwatch.monitor._history import OBSERVATIONS

DRIFT_WEEK = 4


def _older_after(week: int):  # type: ignore[no-untyped-def]
    def change(frame: pd.DataFrame) -> None:
        later = frame["index_time"] >= START + pd.Timedelta(weeks=week)
        frame.loc[later, "age"] = (frame.loc[later, "age"] + 15).clip(upper=100)

    return change


def test_age_shift_pages_the_data_feed_owner_in_its_first_window(deployed: Deployed) -> None:
    frame = deployment_frame(6, seed=21, change=_older_after(DRIFT_WEEK))
    summary = replay_predictions(deployed.ws, deployed.served, frame)
    assert summary.rows == len(frame)

    run = run_monitor(deployed.ws, USECASE, window=timedelta(days=7), start=START.to_pydatetime())
    assert [w.window.start for w in run.windows] == [
        (START + pd.Timedelta(weeks=i)).to_pydatetime() for i in range(6)
    ]
    assert sum(w.n for w in run.windows) == len(frame)
    before, after = run.windows[:DRIFT_WEEK], run.windows[DRIFT_WEEK:]
    drift_alerts = [a for w in before for a in w.alerts if a["rule"] == "feature-drift"]
    assert drift_alerts == []
    first = after[0]
    fired = {(a["rule"], a["scope"]): a for a in first.alerts}
    assert ("feature-drift", "feature:age") in fired
    age = fired[("feature-drift", "feature:age")]
    assert age["owner"] == "data-feed"
    assert "data-feed owner" in age["why"]
    drifted_age = [
        o
        for o in first.observations
        if o.metric == "feature.drift_score" and o.scope == "feature:age"
    ]
    assert drifted_age
    assert drifted_age[0].drifted

    # the second drifted window repeats the open alert: no new page
    repeat = {(a["rule"], a["scope"]): a["outcome"] for a in after[1].alerts}
    assert repeat.get(("feature-drift", "feature:age")) == "repeat"

    store = Store(deployed.ws.store_url)
    try:
        with store.begin() as conn:
            stored = conn.execute(sa.select(sa.func.count()).select_from(OBSERVATIONS)).scalar()
        assert stored == sum(len(w.observations) for w in run.windows)
        # monitoring the same period again replaces the windows' observations
        again = run_monitor(
            deployed.ws, USECASE, window=timedelta(days=7), start=START.to_pydatetime()
        )
        with store.begin() as conn:
            restored = conn.execute(sa.select(sa.func.count()).select_from(OBSERVATIONS)).scalar()
        assert restored == sum(len(w.observations) for w in again.windows)
    finally:
        store.dispose()

    book = AlertBook.from_workspace(deployed.ws)
    try:
        open_age = [a for a in book.list(status="active") if a.scope == "feature:age"]
        assert len(open_age) == 1
        assert open_age[0].count >= 2
    finally:
        book.store.dispose()
        book.audit.store.dispose()
    log = AuditLog.from_workspace(deployed.ws)
    try:
        actions = [e.action for e in log.events()]
        assert "monitor.replay" in actions
        assert "monitor.alert" in actions
        assert log.verify().ok
    finally:
        log.store.dispose()


def test_observations_cover_every_kind(deployed: Deployed) -> None:
    frame = deployment_frame(2, seed=22)
    replay_predictions(deployed.ws, deployed.served, frame)
    run = run_monitor(deployed.ws, USECASE, window=timedelta(days=7), start=START.to_pydatetime())
    metrics = {o.metric for o in run.windows[0].observations}
    assert {
        "prediction.volume",
        "feature.drift_score",
        "feature.psi",
        "feature.missing_delta",
        "feature.new_category_rate",
        "prediction.psi",
        "prediction.drift_score",
        "flag_rate.ratio",
        "estimated.auroc",
        "estimated.flag_rate",
    } <= metrics
    volume = next(o for o in run.windows[0].observations if o.metric == "prediction.volume")
    assert volume.value == run.windows[0].n
    flag = next(o for o in run.windows[0].observations if o.metric == "flag_rate.ratio")
    risk_share = flag.detail["flag_rate"]
    assert flag.value == risk_share / flag.detail["expected_flag_rate"]


def test_empty_log_gives_no_windows(deployed: Deployed) -> None:
    run = run_monitor(deployed.ws, USECASE, window=timedelta(days=7))
    assert run.windows == []
