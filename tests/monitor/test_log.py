"""Reading the prediction log one window at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wardwatch.monitor._log import Window, log_span, read_window, versions_in_log, windows
from wardwatch.serve import PREDICTION_LOG_SCHEMA

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def _row(at: datetime, **kw: Any) -> dict[str, Any]:
    row = {
        "request_id": kw.pop("request_id", f"r{at.timestamp():.0f}"),
        "at": at,
        "model": "m",
        "version": 1,
        "alias": "champion",
        "shadow": False,
        "patient": "pt_0000000000000001",
        "caller": "k1",
        "features": orjson.dumps(kw.pop("features", {"age": 70, "sex": "female"})).decode(),
        "risk": 0.2,
        "band": "low",
        "decision": False,
        "latency_ms": 3.0,
        "input_hash": "0" * 64,
    }
    row.update(kw)
    return row


def _write(lake: Path, rows: list[dict[str, Any]], name: str = "part-a.parquet") -> None:
    by_day: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_day.setdefault(f"{r['at']:%Y-%m-%d}", []).append(r)
    for day, part in by_day.items():
        folder = lake / "predictions" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(part, schema=PREDICTION_LOG_SCHEMA), folder / name)


def test_windows_are_consecutive_and_complete() -> None:
    got = windows(T0, T0 + timedelta(days=15), timedelta(days=7))
    assert got == [
        Window(T0, T0 + timedelta(days=7)),
        Window(T0 + timedelta(days=7), T0 + timedelta(days=14)),
    ]
    assert got[0].label() == "2026-03-02..2026-03-08"
    assert Window(T0, T0 + timedelta(days=1)).label() == "2026-03-02"


def test_read_window_parses_inputs_and_keeps_only_the_versions_live_rows(tmp_path: Path) -> None:
    rows = [
        _row(T0 + timedelta(hours=1), features={"age": 70, "sex": "female"}),
        _row(T0 + timedelta(hours=2), features={"age": None}),  # sex absent
        _row(T0 + timedelta(hours=3), shadow=True),
        _row(T0 + timedelta(hours=4), model="other"),
        _row(T0 + timedelta(hours=5), version=2),
        _row(T0 + timedelta(days=7, hours=1)),  # next window
        _row(T0 + timedelta(hours=6), features={"age": "n/a", "sex": "(unseen)"}),
    ]
    _write(tmp_path, rows)
    lw = read_window(
        tmp_path, "m", 1, Window(T0, T0 + timedelta(days=7)), numeric=["age"], categorical=["sex"]
    )
    assert lw.n == 3
    assert lw.table.column("age").to_pylist() == [70.0, None, None]
    assert lw.table.column("sex").to_pylist() == ["female", None, "(unseen)"]
    assert lw.table.schema.field("age").type == pa.float64()


def test_only_the_windows_days_are_read(tmp_path: Path) -> None:
    _write(tmp_path, [_row(T0 + timedelta(hours=1))])
    bad = tmp_path / "predictions" / "date=2026-04-01"
    bad.mkdir(parents=True)
    (bad / "part-broken.parquet").write_bytes(b"not parquet")  # never opened
    lw = read_window(
        tmp_path, "m", 1, Window(T0, T0 + timedelta(days=1)), numeric=["age"], categorical=[]
    )
    assert lw.n == 1


def test_empty_window_has_the_columns(tmp_path: Path) -> None:
    lw = read_window(
        tmp_path, "m", 1, Window(T0, T0 + timedelta(days=1)), numeric=["age"], categorical=["sex"]
    )
    assert lw.n == 0
    assert {"risk", "age", "sex", "patient"} <= set(lw.table.column_names)


def test_span_and_versions(tmp_path: Path) -> None:
    assert log_span(tmp_path, "m") is None
    assert versions_in_log(tmp_path, "m") == []
    _write(
        tmp_path,
        [
            _row(T0),
            _row(T0 + timedelta(days=3), version=2),
            _row(T0 + timedelta(days=9), shadow=True),
        ],
    )
    assert log_span(tmp_path, "m") == (T0, T0 + timedelta(days=3))
    assert versions_in_log(tmp_path, "m") == [1, 2]


@pytest.mark.parametrize("name", ["we'ird", 'qu"ote'])
def test_feature_names_are_quoted(tmp_path: Path, name: str) -> None:
    _write(tmp_path, [_row(T0, features={name: 5})])
    lw = read_window(
        tmp_path, "m", 1, Window(T0, T0 + timedelta(days=1)), numeric=[name], categorical=[]
    )
    assert lw.table.column(name).to_pylist() == [5.0]
