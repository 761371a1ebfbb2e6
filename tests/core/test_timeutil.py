from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardwatch.core.timeutil import normalize_date, normalize_datetime, normalize_hl7_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020", "2020-01-01T00:00:00Z"),
        ("2020-03", "2020-03-01T00:00:00Z"),
        ("2020-03-04", "2020-03-04T00:00:00Z"),
        ("2020-03-04T10:11:12Z", "2020-03-04T10:11:12Z"),
        ("2020-03-04T10:11:12+02:00", "2020-03-04T10:11:12+02:00"),
        ("2020-03-04T10:11:12.123456789-05:00", "2020-03-04T10:11:12.123456-05:00"),
        ("2020-03-04T10:11", "2020-03-04T10:11:00Z"),
    ],
)
def test_fhir_forms(value: str, expected: str) -> None:
    assert normalize_datetime(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "20",
        "2021-02-30",
        "2020-13-01",
        "2020-01-01T25:00:00Z",
        "2020-01-01T10:00:00+15:00",
        "2020-1-1",
        " 2020-01-01",
        "2020-01-01T10:00:00 Z",
        "not a date",
        "2020-01-01x",
    ],
)
def test_invalid_forms(value: str) -> None:
    assert normalize_datetime(value) is None


def test_date_only() -> None:
    assert normalize_date("2020-02-29") == "2020-02-29"
    assert normalize_date("2019-02-29") is None
    assert normalize_date("2020-02-01T00:00:00Z") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20201021195126", "2020-10-21T19:51:26Z"),
        ("19580409", "1958-04-09T00:00:00Z"),
        ("202010211951", "2020-10-21T19:51:00Z"),
        ("20201021195126.1234+0100", "2020-10-21T19:51:26.1234+01:00"),
        ("2020", "2020-01-01T00:00:00Z"),
    ],
)
def test_hl7_forms(value: str, expected: str) -> None:
    assert normalize_hl7_datetime(value) == expected


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_round_trip_against_datetime(dt: datetime, offset_min: int) -> None:
    """Oracle: Python's datetime gives the same instant as Arrow's cast of the normalized form."""
    tz = timezone(timedelta(minutes=offset_min))
    aware = dt.replace(tzinfo=tz)
    norm = normalize_datetime(aware.isoformat())
    assert norm is not None
    cast = pa.array([norm]).cast(pa.timestamp("us", tz="UTC"))[0].as_py()
    assert cast == aware.astimezone(UTC)


@given(st.text(max_size=40))
def test_never_raises(value: str) -> None:
    for fn in (normalize_datetime, normalize_date, normalize_hl7_datetime):
        out = fn(value)
        if out is not None:
            pa.array([out]).cast(
                pa.date32() if fn is normalize_date else pa.timestamp("us", tz="UTC")
            )
