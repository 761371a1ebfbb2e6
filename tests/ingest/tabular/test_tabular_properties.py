"""Properties of the CSV reader over generated input (hypothesis)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wardwatch.errors import InputError
from wardwatch.ingest import CollectingSink, Reason
from wardwatch.ingest.tabular import mapping_from_dict, parse_csv

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAPPING = mapping_from_dict(
    {
        "table": "claims",
        "record_id": "id",
        "columns": {
            "claim_id": "id",
            "patient_id": "member",
            "total_amount": "amount",
            "billable_start": {"source": "from", "format": "date"},
            "diagnosis_codes": {"source": "dx", "split": "|"},
        },
    }
)
HEADER = ["id", "member", "amount", "from", "dx"]


def _numbers_ok(sink: CollectingSink) -> None:
    """Each record number 1..records_in is reported exactly once."""
    rejected = [line for line, _, _ in sink.rejected]
    assert len(set(rejected)) == len(rejected)
    assert all(1 <= n <= sink.records_in for n in rejected)


@SETTINGS
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_after_a_header_never_raise(body: bytes) -> None:
    sink = CollectingSink()
    try:
        parse_csv(io.BytesIO(b"id,member,amount,from,dx\n" + body), sink, MAPPING)
    except InputError:
        return  # documented: a structure Arrow cannot resynchronize after
    _numbers_ok(sink)


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_files_raise_only_input_error(data: bytes) -> None:
    sink = CollectingSink()
    error: InputError | None = None
    try:
        parse_csv(io.BytesIO(data), sink, MAPPING)
    except InputError as exc:
        error = exc
    if error is None:
        _numbers_ok(sink)
    else:
        assert "\n" not in str(error)


_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
_ROW = st.lists(_CELL, min_size=1, max_size=7)


def _line(cells: list[str]) -> str:
    """One RFC 4180 line: cells with a comma, quote, CR or LF quoted (csv.writer leaves a bare CR
    unquoted when the line terminator is LF)."""
    return ",".join(
        '"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\r\n') else c for c in cells
    )


@SETTINGS
@given(st.lists(_ROW, max_size=30), st.sampled_from(["\n", "\r\n"]))
def test_records_in_equals_rows_written(rows: list[list[str]], newline: str) -> None:
    # A row of one empty cell is a blank line, which is not a record.
    rows = [r for r in rows if r != [""]]
    text = "".join(_line(r) + newline for r in [HEADER, *rows])
    sink = CollectingSink()
    parse_csv(io.BytesIO(text.encode()), sink, MAPPING)
    assert sink.records_in == len(rows)
    _numbers_ok(sink)
    ragged = [i + 1 for i, r in enumerate(rows) if len(r) != len(HEADER)]
    malformed = [line for line, r, _ in sink.rejected if r.reason == Reason.MALFORMED]
    assert malformed == ragged
    loaded_ids = [row["claim_id"] for row in sink.dicts("claims")]
    assert all(i in {r[0].strip() for r in rows} for i in loaded_ids)


@pytest.mark.parametrize("n", [0, 1, 999])
def test_many_rows_are_all_counted(n: int) -> None:
    body = "".join(f"C{i},P{i},{i}.5,2024-01-05,A|B\n" for i in range(n))
    sink = CollectingSink()
    parse_csv(io.BytesIO(("id,member,amount,from,dx\n" + body).encode()), sink, MAPPING)
    assert (sink.records_in, sink.loaded) == (n, n)
