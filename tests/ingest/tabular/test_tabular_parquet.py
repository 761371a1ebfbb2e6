"""Parquet through a mapping: native types, per-row quarantine, schema checks, batches."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wardwatch.errors import InputError
from wardwatch.ingest import CollectingSink, Reason
from wardwatch.ingest.tabular import (
    TableMapping,
    builtin_mapping,
    mapping_from_dict,
    parse_parquet,
)

CLAIMS = builtin_mapping("synth_claims")
UTC = dt.UTC


def _claims(n: int = 3, **overrides: pa.Array) -> pa.Table:
    cols: dict[str, pa.Array] = {
        "claim_id": pa.array([f"C{i}" for i in range(n)]),
        "member_id": pa.array([f"P{i}" for i in range(n)]),
        "encounter_id": pa.array([None] * n, pa.string()),
        "claim_type": pa.array(["professional"] * n),
        "status": pa.array(["active"] * n),
        "payer_name": pa.array(["Acme"] * n).dictionary_encode(),
        "billing_npi": pa.array(["1234567893"] * n),
        "service_from": pa.array([dt.date(2024, 1, 5)] * n),
        "service_to": pa.array(["2024-01-07"] * n),
        "submitted_at": pa.array(
            [dt.datetime(2024, 1, 9, 15, 0, tzinfo=UTC)] * n, pa.timestamp("us", "UTC")
        ),
        "total_charge": pa.array([100.25 + i for i in range(n)]),
        "currency": pa.array(["USD"] * n),
        "icd10_codes": pa.array([["J18.9", "E11.22"]] * n, pa.list_(pa.string())),
        "cpt_codes": pa.array(["99213|80048"] * n),
    }
    cols.update(overrides)
    return pa.table(cols)


def _parse(
    table: pa.Table, tmp_path: Path, mapping: TableMapping = CLAIMS, **kwargs: int
) -> CollectingSink:
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    sink = CollectingSink()
    parse_parquet(path, sink, mapping, **kwargs)
    return sink


def test_native_types(tmp_path: Path) -> None:
    sink = _parse(_claims(), tmp_path)
    assert (sink.loaded, sink.quarantined) == (3, 0)
    row = sink.dicts("claims")[1]
    assert row["claim_id"] == "C1"
    assert row["payer"] == "Acme"
    assert row["billable_start"] == "2024-01-05T00:00:00Z"
    assert row["billable_end"] == "2024-01-07T00:00:00Z"
    assert row["recorded_time"].startswith("2024-01-09T15:00:00")
    assert row["recorded_time"].endswith("Z")
    assert row["total_amount"] == 101.25
    assert row["diagnosis_codes"] == ["J18.9", "E11.22"]
    assert row["procedure_codes"] == ["99213", "80048"]
    assert row["encounter_id"] is None


def test_naive_timestamps_take_the_mapping_zone(tmp_path: Path) -> None:
    mapping = mapping_from_dict(
        {
            "table": "patients",
            "timezone": "Europe/Paris",
            "columns": {"patient_id": "id", "recorded_time": "t"},
        }
    )
    table = pa.table({"id": ["a"], "t": pa.array([dt.datetime(2024, 7, 1, 12, 0)])})
    assert _parse(table, tmp_path, mapping).dicts("patients")[0]["recorded_time"] == (
        "2024-07-01T10:00:00Z"
    )


def test_bad_text_values_reject_rows_with_their_index(tmp_path: Path) -> None:
    charges = pa.array(["10.5", "ten", None, "7", "x"])
    sink = _parse(_claims(5, total_charge=charges), tmp_path, batch_size=2)
    assert (sink.records_in, sink.loaded, sink.quarantined) == (5, 3, 2)
    assert [(line, r.reason, r.field, r.found) for line, r, _ in sink.rejected] == [
        (2, Reason.MAPPING_ERROR, "total_charge", "ten"),
        (5, Reason.MAPPING_ERROR, "total_charge", "x"),
    ]
    _, rejection, raw = sink.rejected[0]
    assert rejection.record_id == "C1"
    assert isinstance(raw, str)
    assert '"total_charge":"ten"' in raw


def test_required_null(tmp_path: Path) -> None:
    sink = _parse(_claims(2, member_id=pa.array(["P0", None])), tmp_path)
    assert sink.rejected[0][0] == 2
    assert sink.rejected[0][1].reason == Reason.MISSING_REQUIRED


def test_wrong_column_type_is_one_input_error(tmp_path: Path) -> None:
    struct = pa.array([{"amount": 1.0}] * 3)
    with pytest.raises(InputError) as info:
        _parse(_claims(total_charge=struct), tmp_path)
    message = str(info.value)
    assert "total_charge cannot fill claims.total_amount" in message
    assert "struct<amount: double>" in message
    assert "number or text" in message


def test_boolean_where_a_time_is_expected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="service_from"):
        _parse(_claims(service_from=pa.array([True] * 3)), tmp_path)


def test_missing_column(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="lacks columns the mapping reads: cpt_codes"):
        _parse(_claims().drop_columns(["cpt_codes"]), tmp_path)


def test_binary_column_with_bad_utf8(tmp_path: Path) -> None:
    payers = pa.array([b"Acme", b"Ac\xffme", b"Zurich"], pa.binary())
    sink = _parse(_claims(payer_name=payers), tmp_path)
    assert (sink.loaded, sink.quarantined) == (2, 1)
    line, rejection, _ = sink.rejected[0]
    assert (line, rejection.reason, rejection.field) == (2, Reason.ENCODING, "payer_name")


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="cannot read Parquet file"):
        parse_parquet(path, CollectingSink(), CLAIMS)


def test_file_object(tmp_path: Path) -> None:
    buf = io.BytesIO()
    pq.write_table(_claims(), buf)
    buf.seek(0)
    sink = CollectingSink()
    parse_parquet(buf, sink, CLAIMS)
    assert sink.loaded == 3
