"""One cell at a time: each canonical kind, formats, zones, maps, nulls (ColumnReader)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pyarrow as pa
import pytest

from wardwatch.core.schemas import Kind
from wardwatch.ingest import Reason
from wardwatch.ingest.tabular._mapping import parse_zone
from wardwatch.ingest.tabular._values import ColumnReader, ValueProblem


def reader(kind: Kind, **kw: Any) -> ColumnReader:
    base: dict[str, Any] = {
        "name": "col", "source": "src", "kind": kind, "required": False, "strip": True,
        "nulls": frozenset({""}), "value_map": None, "unmapped": "reject", "split": None,
        "fmt": "iso", "zone": UTC,
    }  # fmt: skip
    base.update(kw)
    return ColumnReader(**base)


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [("float", " 1.5 ", 1.5), ("float", "-2e3", -2000.0), ("float", ".5", 0.5),
     ("int", "+42", 42), ("int", "-7", -7), ("bool", "Yes", True), ("bool", "0", False),
     ("str", "  keep inner  space ", "keep inner  space"), ("list_str", "a", ["a"]),
     ("ts", "2024-01-05", "2024-01-05T00:00:00Z"),
     ("ts", "2024-01-05T10:00:00.123+01:00", "2024-01-05T10:00:00.123+01:00"),
     ("date", "2024-01-05T23:30:00-05:00", "2024-01-05"), ("float", "", None)],
)  # fmt: skip
def test_kinds(kind: Kind, text: str, value: object) -> None:
    assert reader(kind).convert(text) == value


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [("float", "1,5", Reason.MAPPING_ERROR), ("float", "inf", Reason.MAPPING_ERROR),
     ("int", "1.0", Reason.MAPPING_ERROR), ("int", str(2**63), Reason.MAPPING_ERROR),
     ("bool", "maybe", Reason.MAPPING_ERROR), ("ts", "2024-02-30", Reason.INVALID_DATETIME),
     ("ts", "05/01/2024", Reason.INVALID_DATETIME)],
)  # fmt: skip
def test_bad_cells(kind: Kind, text: str, reason: Reason) -> None:
    with pytest.raises(ValueProblem) as info:
        reader(kind).convert(text)
    assert info.value.reason == reason


def test_time_zones_and_formats() -> None:
    ny = parse_zone("America/New_York")
    assert reader("ts", zone=ny).convert("2024-01-05T08:00:00") == "2024-01-05T13:00:00Z"
    assert reader("ts", zone=ny).convert("2024-01-05T08:00:00Z") == "2024-01-05T08:00:00Z"
    assert reader("ts", zone=parse_zone("+05:30")).convert("2024-01-05") == "2024-01-04T18:30:00Z"
    assert reader("ts", fmt="hl7", zone=ny).convert("202401050800") == "2024-01-05T13:00:00Z"
    assert reader("ts", fmt="hl7").convert("202401050800-0500") == "2024-01-05T08:00:00-05:00"
    assert reader("ts", fmt="%d.%m.%Y %H:%M %z").convert("05.01.2024 08:00 +0100") == (
        "2024-01-05T07:00:00Z"
    )
    assert reader("date", fmt="%d/%m/%Y").convert("05/01/2024") == "2024-01-05"
    assert reader("ts", fmt="date").convert("2024-01-05") == "2024-01-05T00:00:00Z"


def test_maps_nulls_and_required() -> None:
    sex = reader("str", value_map={"M": "male", "F": "female", "?": None})
    assert [sex.convert(v) for v in ("M", "?", "")] == ["male", None, None]
    with pytest.raises(ValueProblem, match=r"one of M, F, \?"):
        sex.convert("X")
    assert reader("str", value_map={"M": "male"}, unmapped="keep").convert("X") == "X"
    assert reader("str", value_map={"M": "male"}, unmapped="null").convert("X") is None
    assert reader("float", nulls=frozenset({"", "NA"})).convert(" NA ") is None
    assert reader("str", strip=False).convert(" a ") == " a "
    with pytest.raises(ValueProblem) as info:
        reader("str", required=True).convert("  ")
    assert info.value.reason == Reason.MISSING_REQUIRED
    assert reader("list_str", split="|").convert(" a | |b ") == ["a", "b"]


def test_batch_paths_agree_with_the_cell_path() -> None:
    cells = ["1.5", " 2 ", "", None, "x", "1e400", "-3"]
    bulk, problems = reader("float").read(pa.array(cells, pa.string()))
    one_by_one = []
    for c in cells:
        try:
            one_by_one.append(reader("float").convert(c))
        except ValueProblem:
            one_by_one.append(None)
    assert bulk == one_by_one
    assert sorted(problems) == [4, 5]
