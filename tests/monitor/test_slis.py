"""Service SLIs from the lake's request, prediction and feedback logs: numbers against NumPy
and a hand count, partition pruning, empty lakes; and the request log of a real service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from statsmodels.stats.proportion import proportion_confint
from tests.serve.conftest import USECASE, ServedWs, start_server, stop_server
from tests.serve.conftest import served_ws as served_ws
from tests.serve.conftest import trained as trained

from wardwatch.monitor._log import window_files
from wardwatch.monitor._slis import SCORING_ROUTES, service_slis, wilson_interval
from wardwatch.serve._cds_routes import FEEDBACK_SCHEMA
from wardwatch.serve._sink import PREDICTION_LOG_SCHEMA, REQUEST_LOG_SCHEMA

MODEL = "readmission-30d"
START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 3, 12, tzinfo=UTC)
ROUTES = [*SCORING_ROUTES, "/cds-services/{service_id}/feedback", "/v1/models", "unmatched"]
STATUSES = [200, 200, 200, 200, 401, 413, 422, 429, 500, 503]


def write(lake: Path, table: str, day: str, rows: list[dict[str, Any]], schema: pa.Schema) -> None:
    folder = lake / table / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist(rows, schema=schema), folder / f"part-{uuid.uuid4().hex}.parquet"
    )


def request_rows(rng: np.random.Generator, day: datetime, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        route = ROUTES[rng.integers(len(ROUTES))]
        out.append(
            {
                "at": day + timedelta(seconds=float(rng.uniform(0, 86400))),
                "route": route,
                "method": "GET" if route == "/v1/models" else "POST",
                "status": STATUSES[rng.integers(len(STATUSES))],
                "latency_ms": float(rng.lognormal(1.5, 0.6)),
                "model": None if route in ("/v1/models", "unmatched") else MODEL,
                "request_id": uuid.uuid4().hex,
            }
        )
    return out


@pytest.fixture
def lake(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Four days of request rows (one day's rows split over two files, one written late
    into the next day's folder) and a corrupt file outside the window."""
    rng = np.random.default_rng(7)
    lake = tmp_path / "lake"
    every: list[dict[str, Any]] = []
    for d in range(4):
        day = datetime(2026, 11, 1 + d, tzinfo=UTC)
        rows = request_rows(rng, day, 400)
        every.extend(rows)
        write(lake, "requests", f"{day:%Y-%m-%d}", rows[:300], REQUEST_LOG_SCHEMA)
        late = f"{day + timedelta(days=1):%Y-%m-%d}"
        write(lake, "requests", late, rows[300:], REQUEST_LOG_SCHEMA)
    # read it and the query fails: the window's pruning must never open it
    bad = lake / "requests" / "date=2026-10-01"
    bad.mkdir(parents=True)
    (bad / "part-corrupt.parquet").write_bytes(b"not parquet")
    return lake, every


def in_window(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if START <= r["at"] < END]


def test_volume_error_rates_and_latency_match_a_hand_count_and_numpy(
    lake: tuple[Path, list[dict[str, Any]]],
) -> None:
    root, rows = lake
    slis = service_slis(root, START, END)
    mine = in_window(rows)
    assert slis.requests == len(mine) > 0
    assert slis.server_errors == sum(r["status"] >= 500 for r in mine)
    assert slis.client_errors == sum(400 <= r["status"] < 500 for r in mine)
    assert slis.error_rate == pytest.approx(slis.server_errors / len(mine))
    assert slis.client_error_rate == pytest.approx(slis.client_errors / len(mine))
    ok = [
        r["latency_ms"]
        for r in mine
        if r["route"] in SCORING_ROUTES and r["method"] == "POST" and 200 <= r["status"] < 300
    ]
    assert slis.scored_ok == len(ok)
    want = np.percentile(ok, [50, 95, 99], method="linear")
    got = [slis.latency_p50_ms, slis.latency_p95_ms, slis.latency_p99_ms]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # a model restriction keeps only the rows that addressed it
    only = service_slis(root, START, END, model=MODEL)
    assert only.requests == sum(r["model"] == MODEL for r in mine)
    assert service_slis(root, START, END, model="other").requests == 0


def test_windows_read_only_their_date_folders(tmp_path: Path) -> None:
    start = datetime(2026, 11, 2, 6, tzinfo=UTC)
    files = window_files(tmp_path, start, start + timedelta(hours=1))
    assert files == []
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        (tmp_path / f"date={day}").mkdir()
        (tmp_path / f"date={day}" / "part-a.parquet").write_bytes(b"")
        (tmp_path / f"date={day}" / ".part-b.parquet.tmp").write_bytes(b"")
    got = window_files(tmp_path, start, datetime(2026, 11, 3, tzinfo=UTC))
    # the window's day, and the next (a row is written after its time); never a tmp file
    assert [Path(f).parent.name for f in got] == ["date=2026-11-02", "date=2026-11-03"]


def test_an_empty_or_missing_lake_is_zero_volume(tmp_path: Path) -> None:
    slis = service_slis(tmp_path / "nothing", START, END)
    assert (slis.requests, slis.predictions, slis.feedback) == (0, 0, 0)
    assert slis.error_rate is None
    assert slis.latency_p99_ms is None
    assert slis.override_rate is None
    (tmp_path / "lake" / "requests" / f"date={START:%Y-%m-%d}").mkdir(parents=True)
    assert service_slis(tmp_path / "lake", START, END).requests == 0
    obs = slis.observations(MODEL, 3)
    assert [(o.metric, o.value, o.n) for o in obs] == [
        ("service.volume", 0.0, 0),
        ("prediction.per_day", 0.0, 0),
    ]
    assert slis.to_dict()["error_rate"]["value"] is None
    with pytest.raises(ValueError, match="empty window"):
        service_slis(tmp_path, END, START)


def prediction_row(at: datetime, model: str = MODEL, shadow: bool = False) -> dict[str, Any]:
    return {"request_id": uuid.uuid4().hex, "at": at, "model": model, "version": 2,
            "alias": "champion", "shadow": shadow, "patient": None, "caller": "k1",
            "features": "{}", "risk": 0.2, "band": "low", "decision": False,
            "latency_ms": 1.0, "input_hash": "0" * 64}  # fmt: skip


def test_predictions_per_day_skip_shadow_scores_and_other_windows(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    d1, d2 = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    write(lake, "predictions", "2026-11-01",
          [prediction_row(d1 - timedelta(hours=1))] * 5, PREDICTION_LOG_SCHEMA)  # fmt: skip
    rows = [prediction_row(d1 + timedelta(hours=h)) for h in range(10)]
    rows += [prediction_row(d1 + timedelta(hours=1), shadow=True)] * 4
    rows += [prediction_row(d1 + timedelta(hours=2), model="other")] * 3
    write(lake, "predictions", "2026-11-02", rows, PREDICTION_LOG_SCHEMA)
    # written just after midnight: in the next day's folder, still the first day's rows
    write(lake, "predictions", "2026-11-03",
          [prediction_row(d2 - timedelta(seconds=1))] * 2
          + [prediction_row(d2 + timedelta(hours=3))] * 6, PREDICTION_LOG_SCHEMA)  # fmt: skip
    slis = service_slis(lake, d1, d2 + timedelta(hours=12), model=MODEL)
    assert slis.predictions_by_day == {"2026-11-02": 12, "2026-11-03": 6}
    assert slis.predictions == 18
    assert slis.predictions_per_day == pytest.approx(18 / 1.5)
    assert service_slis(lake, d1, d2 + timedelta(hours=12)).predictions == 21


def test_override_rate_counts_accepted_and_overridden_cards_with_a_wilson_interval(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    outcomes = ["accepted"] * 31 + ["overridden"] * 9
    rows = [{"at": at, "service": f"{MODEL}-patient-view", "card": str(uuid.uuid4()),
             "outcome": o, "reason": None, "outcome_time": at.isoformat()}
            for o in outcomes]  # fmt: skip
    rows += [{**rows[0], "service": "other-discharge", "outcome": "overridden"}] * 5
    rows += [{**rows[0], "at": at - timedelta(days=1)}] * 7  # before the window
    write(lake, "cds_feedback", "2026-11-02", rows, FEEDBACK_SCHEMA)
    slis = service_slis(lake, START, END, model=MODEL)
    assert (slis.accepted, slis.overridden, slis.feedback) == (31, 9, 40)
    assert slis.override_rate == pytest.approx(9 / 40)
    assert service_slis(lake, START, END).overridden == 14
    (rate,) = [o for o in slis.observations(MODEL, 4) if o.metric == "override_rate"]
    assert (rate.scope, rate.n, rate.version) == ("model", 40, 4)
    lo, hi = proportion_confint(9, 40, alpha=0.05, method="wilson")
    assert (rate.lower, rate.upper) == (pytest.approx(lo), pytest.approx(hi))
    assert rate.detail == {"accepted": 31, "overridden": 9}


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (3, 7), (1, 1000)])
def test_wilson_interval_matches_statsmodels(k: int, n: int) -> None:
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_interval(k, n) == (pytest.approx(lo), pytest.approx(hi))
    assert wilson_interval(0, 0) == (None, None)


def test_observations_name_the_metrics_the_alert_rules_judge(
    lake: tuple[Path, list[dict[str, Any]]],
) -> None:
    root, _ = lake
    slis = service_slis(root, START, END)
    obs = {o.metric: o for o in slis.observations(MODEL, 3)}
    assert set(obs) == {
        "service.volume", "error_rate", "client_error_rate", "latency.p50_ms",
        "latency.p95_ms", "latency.p99_ms", "prediction.per_day",
    }  # fmt: skip
    for name in ("service.volume", "error_rate", "client_error_rate", "latency.p99_ms"):
        o = obs[name]
        assert (o.scope, o.model, o.version) == ("service", MODEL, 3)
        assert (o.window_start, o.window_end) == (START, END)
    assert obs["error_rate"].n == slis.requests
    assert obs["error_rate"].lower is not None
    assert obs["error_rate"].lower <= obs["error_rate"].value <= (obs["error_rate"].upper or 0)
    assert obs["latency.p95_ms"].value == slis.latency_p95_ms
    assert obs["latency.p95_ms"].n == slis.scored_ok
    later = START + timedelta(days=7)
    assert slis.observations(MODEL, 3, later, later)[0].window_start == later
    d = slis.to_dict()
    assert d["requests"] == slis.requests
    assert d["latency_ms"]["method"] == "linear"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_request_log_of_a_real_service_gives_its_slis(
    served_ws: ServedWs, tmp_path: Path
) -> None:
    """A real ``wardwatch serve`` answers good and bad requests and is stopped; the request
    log it drained on shutdown gives the counts the client saw."""
    from tests.serve.test_api import PATH, rows

    start = datetime.now(UTC)
    server = start_server(served_ws.ws, tmp_path / "server.log")
    try:
        with server.client(served_ws.keys["cleo"]) as c:
            good = [c.post(PATH, json={"rows": rows(2)}).status_code for _ in range(6)]
            bad = [
                c.post(PATH, json={"rows": [{"age": "seventy-two"}]}).status_code,
                c.post(PATH, json={"rows": []}).status_code,
                c.post("/v1/models/no-such-model/predict", json={"rows": rows(1)}).status_code,
                c.get("/v1/models", headers={"Authorization": "Bearer nope"}).status_code,
            ]
            c.get("/healthz")
            c.get("/metrics")
    finally:
        stop_server(server)
    assert good == [200] * 6
    assert bad == [422, 422, 404, 401]
    slis = service_slis(served_ws.ws.lake_dir, start, datetime.now(UTC))
    assert slis.requests == 10  # probes and scrapes are not logged
    assert (slis.client_errors, slis.server_errors, slis.scored_ok) == (4, 0, 6)
    assert slis.predictions == 12
    table = pq.ParquetDataset(served_ws.ws.lake_dir / "requests").read()
    assert table.schema.field("status").type == pa.int16()
    latencies = [
        r["latency_ms"]
        for r in table.to_pylist()
        if r["route"] == "/v1/models/{name}/predict" and r["status"] == 200
    ]
    want = np.percentile(latencies, [50, 95, 99], method="linear")
    got = [slis.latency_p50_ms, slis.latency_p95_ms, slis.latency_p99_ms]
    np.testing.assert_allclose(got, want)
    obs = {o.metric: o.value for o in slis.observations(USECASE, 1)}
    assert obs["client_error_rate"] == pytest.approx(0.4)
    assert obs["error_rate"] == 0.0
