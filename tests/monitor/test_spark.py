"""Monitoring's drift on Spark (local mode) equals the local path on the same prediction log.

The oracle is the one-machine path: each window read by DuckDB (``iter_windows``) and
measured by ``drift_report`` and ``estimate_performance`` called directly. The log is written
with the service's own ``PREDICTION_LOG_SCHEMA``; it holds rows that must not count (shadow
scores, another version, another model, rows outside the period), numeric inputs sent as
strings, missing and null inputs, a unit switch in one window and a new ward in another.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wardwatch.monitor._drift import ReferenceProfile, drift_report
from wardwatch.monitor._estimate import estimate_performance
from wardwatch.monitor._log import LogWindow, iter_windows, windows
from wardwatch.monitor._observation import Observation
from wardwatch.monitor._spark import spark_drift, window_observations
from wardwatch.monitor._window import drift_observations
from wardwatch.serve._sink import PREDICTION_LOG_SCHEMA

NUMERIC, CATEGORICAL = ["age", "creat", "n_prior"], ["ward", "sex"]
FEATURES = [*NUMERIC, *CATEGORICAL]
MODEL, VERSION, THRESHOLD, ALPHA, SEED, DRAWS = "readmit", 3, 0.3, 0.05, 7, 50
START = datetime(2026, 3, 1, 12, tzinfo=UTC)
END = datetime(2026, 3, 4, 18, tzinfo=UTC)  # three whole days, then a partial one (left out)
DAY = timedelta(days=1)
WARDS = ["ICU", "MED", "SURG", "ED"]

Row = tuple[float, float | None, float | None, bool | None, int | None]


def _reference(n: int = 800) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    age = rng.normal(65, 12, n)
    age[::40] = np.nan
    return pd.DataFrame(
        {
            "age": age,
            "creat": rng.lognormal(0.0, 0.3, n),
            "n_prior": rng.integers(0, 4, n).astype(float),  # 4 values: chi-square
            "ward": rng.choice(WARDS, n, p=[0.1, 0.5, 0.3, 0.1]),
            "sex": rng.choice(["F", "M"], n),  # 2 values: Z-test
        }
    )


def _features(rng: np.random.Generator, day: int) -> dict[str, Any]:
    """One request's model inputs; day 1 switches creatinine to umol/L and loses ages, day 2
    sends patients to a new ward."""
    f: dict[str, Any] = {
        "age": float(rng.normal(65, 12)),
        "creat": float(rng.lognormal(0.0, 0.3)) * (88.4 if day == 1 else 1.0),
        "n_prior": int(rng.integers(0, 4)),
        "ward": str(rng.choice([*WARDS, "ONC"], p=[0.1, 0.5, 0.3, 0.1, 0.0])),
        "sex": str(rng.choice(["F", "M"])),
    }
    if day == 2 and rng.random() < 0.3:
        f["ward"] = "ONC"
    u = rng.random()
    if u < (0.25 if day == 1 else 0.03):
        del f["age"]  # not sent
    elif u < 0.3:
        f["sex"] = None  # sent as null
    elif u < 0.35:
        f["age"] = str(round(f["age"]))  # a number sent as a string: DuckDB casts it
    return f


def _write_log(root: Path) -> None:
    rng = np.random.default_rng(2)
    rows: list[dict[str, Any]] = []
    first = datetime(2026, 2, 28, 20, tzinfo=UTC)
    for i in range(4800):
        # minutes only, so that several rows share a time and the request id breaks the tie
        at = first + timedelta(minutes=int(rng.integers(0, 60 * 24 * 5)))
        day = (at - START) // DAY
        model, version, shadow = MODEL, VERSION, bool(rng.random() < 0.1)
        if i % 50 == 0:
            version = VERSION + 1
        elif i % 51 == 0:
            model = "other"
        elif i % 7 == 0:
            shadow = None  # type: ignore[assignment]  # older files: null counts as served
        rows.append(
            {
                "request_id": f"r{int(rng.integers(0, 10**9)):09d}",
                "at": at,
                "model": model,
                "version": version,
                "alias": "champion",
                "shadow": shadow,
                "patient": f"p{i % 700}",
                "caller": "k1",
                "features": json.dumps(_features(rng, day)),
                "risk": float(rng.beta(2, 6)),
                "band": "low",
                "decision": False,
                "latency_ms": 3.0,
                "input_hash": "h",
            }
        )
    table = pa.Table.from_pylist(rows, schema=PREDICTION_LOG_SCHEMA)
    dates = np.array([r["at"].date().isoformat() for r in rows])
    for d in sorted(set(dates)):
        part = table.filter(pa.array(dates == d))
        folder = root / "predictions" / f"date={d}"
        folder.mkdir(parents=True)
        half = part.num_rows // 2
        pq.write_table(part.slice(0, half), folder / "part-a.parquet")
        pq.write_table(part.slice(half), folder / "part-b.parquet")


def _none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _expected(profile: ReferenceProfile, lw: LogWindow) -> dict[tuple[str, str], Row]:
    """The window measured on one machine: the feature drift as the one-machine monitor
    computes it (:func:`drift_observations`, itself tested against SciPy and Evidently) and
    the label-free estimate straight from its pure function."""
    out: dict[tuple[str, str], Row] = {
        ("prediction.volume", "model"): (lw.n, None, None, None, lw.n)
    }
    if lw.n == 0:
        return out
    for o in drift_observations(profile, lw.table, lw.window, lw.model, lw.version, alpha=ALPHA):
        out[(o.metric, o.scope)] = (o.value, o.lower, o.upper, o.drifted, o.n)
    risk = lw.table.column("risk").to_numpy()
    est = estimate_performance(risk, THRESHOLD, rng=np.random.default_rng([SEED, 1]), n_draws=DRAWS)
    assert est.flag_rate.value == pytest.approx(float(np.mean(risk >= THRESHOLD)))
    for name in ("auroc", "precision", "recall", "flag_rate", "prevalence"):
        m = getattr(est, name)
        if math.isfinite(m.value):
            out[(f"estimated.{name}", "model")] = (
                m.value,
                _none(m.lower),
                _none(m.upper),
                None,
                lw.n,
            )
    return out


def _same(got: list[Observation], want: dict[tuple[str, str], Row]) -> None:
    rows = {(o.metric, o.scope): (o.value, o.lower, o.upper, o.drifted, o.n) for o in got}
    assert len(rows) == len(got)  # no (metric, scope) twice
    assert rows.keys() == want.keys()
    for key, (value, lower, upper, drifted, n) in want.items():
        g = rows[key]
        assert g[0] == pytest.approx(value, abs=1e-9, rel=0, nan_ok=True), key
        for a, b in ((g[1], lower), (g[2], upper)):
            assert (a is None) == (b is None), key
            assert b is None or a == pytest.approx(b, abs=1e-9, rel=0), key
        assert g[3] == drifted, key
        assert g[4] == n, key


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReferenceProfile, list[Any]]:
    root = tmp_path_factory.mktemp("spark_drift")
    _write_log(root)
    profile = ReferenceProfile.from_table(_reference(), numeric=NUMERIC, categorical=CATEGORICAL)
    local = list(
        iter_windows(root, MODEL, VERSION, windows(START, END, DAY),
                     numeric=NUMERIC, categorical=CATEGORICAL)
    )  # fmt: skip
    return root, profile, local


def _measure(profile: ReferenceProfile, lw: LogWindow) -> list[Observation]:
    return window_observations(
        profile, lw.table, lw.window, model=MODEL, version=VERSION,
        threshold=THRESHOLD, alpha=ALPHA, seed=SEED, n_draws=DRAWS,
    )  # fmt: skip


def test_window_observations_equal_the_pure_functions(case: Any) -> None:
    _, profile, local = case
    assert all(700 < lw.n < 1000 for lw in local), [lw.n for lw in local]
    for lw in local:
        _same(_measure(profile, lw), _expected(profile, lw))


def test_log_fixture_has_the_drifts_the_comparison_needs(case: Any) -> None:
    _, profile, local = case
    verdicts = [
        {c.column: c.drifted for c in drift_report(profile, lw.table, alpha=ALPHA).columns}
        for lw in local
    ]
    assert not verdicts[0]["creat"]
    assert verdicts[1]["creat"]
    assert verdicts[2]["ward"]
    assert any(not v for verdict in verdicts for v in verdict.values())
    methods = {c.method for c in drift_report(profile, local[0].table).columns}
    assert methods == {"ks", "chisquare", "z"}


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_drift_equals_local(spark: Any, case: Any) -> None:
    root, profile, local = case
    got = spark_drift(
        spark, root / "predictions", model=MODEL, version=VERSION, profile=profile,
        numeric=NUMERIC, categorical=CATEGORICAL, window=DAY, start=START, end=END,
        threshold=THRESHOLD, alpha=ALPHA, seed=SEED, n_draws=DRAWS,
    )  # fmt: skip
    assert len(got) == len(local) == 3
    for obs, lw in zip(got, local, strict=True):
        assert {(o.window_start, o.window_end) for o in obs} == {(lw.window.start, lw.window.end)}
        assert {(o.model, o.version) for o in obs} == {(MODEL, VERSION)}
        _same(obs, _expected(profile, lw))
        # details (p-values, medians, new categories) survive the trip through Arrow and JSON
        want = {(o.metric, o.scope): dict(o.detail) for o in _measure(profile, lw)}
        for o in obs:
            assert json.dumps(o.detail, sort_keys=True) == json.dumps(
                want[(o.metric, o.scope)], sort_keys=True
            ), (o.metric, o.scope)
    ward = next(o for o in got[2] if o.metric == "feature.new_category_rate")
    assert ward.value > 0.2
    assert ward.detail["new_categories"][0] == "ONC"
    age = next(o for o in got[1] if o.metric == "feature.missing_delta" and "age" in o.scope)
    assert age.value > 0.15


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_drift_without_log_files_gives_zero_volumes(spark: Any, tmp_path: Path) -> None:
    profile = ReferenceProfile.from_table(_reference(), numeric=NUMERIC, categorical=CATEGORICAL)
    got = spark_drift(
        spark, tmp_path / "predictions", model=MODEL, version=VERSION, profile=profile,
        numeric=NUMERIC, categorical=CATEGORICAL, window=DAY, start=START, end=END,
        threshold=THRESHOLD,
    )  # fmt: skip
    assert [[(o.metric, o.value) for o in w] for w in got] == [[("prediction.volume", 0.0)]] * 3
    with pytest.raises(ValueError, match="window"):
        spark_drift(
            spark, tmp_path, model=MODEL, version=VERSION, profile=profile, numeric=NUMERIC,
            categorical=CATEGORICAL, window=timedelta(0), start=START, end=END,
            threshold=THRESHOLD,
        )  # fmt: skip
