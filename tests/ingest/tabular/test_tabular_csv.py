"""CSV through a mapping: values, per-row quarantine, record numbers, encodings, file errors."""

from __future__ import annotations

import io
from typing import Any

import pytest

from wardwatch.errors import InputError
from wardwatch.ingest import CollectingSink, Reason
from wardwatch.ingest.tabular import (
    TableMapping,
    builtin_mapping,
    mapping_from_dict,
    parse_csv,
)

HEADER = (
    "claim_id,member_id,encounter_id,claim_type,status,payer_name,billing_npi,service_from,"
    "service_to,submitted_at,total_charge,currency,icd10_codes,cpt_codes"
)
GOOD = (
    "C1,P1,E1,institutional,active,Acme Health,1234567893,2024-01-05,2024-01-07,"
    "2024-01-09T10:00:00-05:00,1854.00,USD,J18.9|E11.22,99223|80048"
)


def _row(**changes: str) -> str:
    cells = dict(zip(HEADER.split(","), GOOD.split(","), strict=True))
    cells.update(changes)
    return ",".join(cells.values())


def parse(text: str | bytes, mapping: TableMapping | None = None, **kwargs: Any) -> CollectingSink:
    sink = CollectingSink()
    data = text.encode() if isinstance(text, str) else text
    parse_csv(io.BytesIO(data), sink, mapping or builtin_mapping("synth_claims"), **kwargs)
    return sink


def test_claims_row() -> None:
    sink = parse(f"{HEADER}\n{GOOD}\n")
    assert (sink.loaded, sink.quarantined) == (1, 0)
    assert sink.dicts("claims")[0] == {
        "claim_id": "C1",
        "patient_id": "P1",
        "encounter_id": "E1",
        "resource_type": "csv",
        "claim_type": "institutional",
        "status": "active",
        "payer": "Acme Health",
        "provider_npi": "1234567893",
        "billable_start": "2024-01-05T00:00:00Z",
        "billable_end": "2024-01-07T00:00:00Z",
        "total_amount": 1854.0,
        "currency": "USD",
        "diagnosis_codes": ["J18.9", "E11.22"],
        "procedure_codes": ["99223", "80048"],
        "recorded_time": "2024-01-09T10:00:00-05:00",
    }


def test_empty_optional_cells_are_null() -> None:
    sink = parse(f"{HEADER}\n{_row(encounter_id='', icd10_codes='', cpt_codes=' | ')}\n")
    row = sink.dicts("claims")[0]
    assert (row["encounter_id"], row["diagnosis_codes"], row["procedure_codes"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("changes", "reason", "field", "expected", "found"),
    [
        ({"member_id": ""}, Reason.MISSING_REQUIRED, "member_id", "a value", ""),
        ({"total_charge": '"12,50"'}, Reason.MAPPING_ERROR, "total_charge", "a number", "12,50"),
        ({"total_charge": "nan"}, Reason.MAPPING_ERROR, "total_charge", "a number", "nan"),
        ({"total_charge": "1e400"}, Reason.MAPPING_ERROR, "total_charge", "a number", "1e400"),
        ({"service_from": "2024-02-30"}, Reason.INVALID_DATETIME, "service_from",
         "a date YYYY-MM-DD", "2024-02-30"),
        ({"service_from": "01/05/2024"}, Reason.INVALID_DATETIME, "service_from",
         "a date YYYY-MM-DD", "01/05/2024"),
        ({"submitted_at": "yesterday"}, Reason.INVALID_DATETIME, "submitted_at", "ISO 8601",
         "yesterday"),
    ],
    ids=["required", "number", "nan", "overflow", "calendar", "date-form", "iso"],
)  # fmt: skip
def test_bad_values_reject_their_row_only(
    changes: dict[str, str], reason: Reason, field: str, expected: str, found: str
) -> None:
    sink = parse(f"{HEADER}\n{GOOD}\n{_row(claim_id='C2', **changes)}\n{GOOD}\n")
    assert (sink.loaded, sink.quarantined) == (2, 1)
    line, rejection, raw = sink.rejected[0]
    assert line == 2
    assert (rejection.reason, rejection.field, rejection.found) == (reason, field, found)
    assert expected in (rejection.expected or "")
    assert (rejection.record_id, rejection.resource_type) == ("C2", "claims")
    assert raw == _row(claim_id="C2", **changes)
    assert "\n" not in rejection.message


def test_first_problem_in_mapping_order_is_reported() -> None:
    sink = parse(f"{HEADER}\n{_row(member_id='', total_charge='x')}\n")
    assert sink.rejected[0][1].field == "member_id"


def test_ragged_rows_are_malformed_and_numbering_stays_exact() -> None:
    text = "\n".join([HEADER, GOOD, "C2,P2,E2", "", GOOD + ",extra", _row(claim_id="C4"), ""])
    sink = parse(text)
    assert (sink.records_in, sink.loaded, sink.quarantined) == (4, 2, 2)
    assert [(line, r.reason, r.found) for line, r, _ in sink.rejected] == [
        (2, Reason.MALFORMED, "3 fields"),
        (3, Reason.MALFORMED, "15 fields"),
    ]
    _, first, raw = sink.rejected[0]
    assert (first.expected, first.record_id, raw) == ("14 fields", "C2", "C2,P2,E2")


def test_record_numbers_across_blocks_with_multiline_values() -> None:
    rows = []
    for i in range(1, 401):
        if i % 7 == 0:
            rows.append(f"C{i},P{i}")  # ragged
        elif i % 5 == 0:
            rows.append(_row(claim_id=f"C{i}", payer_name=f'"Acme\nHealth {i}"'))
        else:
            rows.append(_row(claim_id=f"C{i}"))
    sink = parse(HEADER + "\n" + "\n".join(rows) + "\n", block_size=4096)
    assert sink.records_in == 400
    assert [line for line, _, _ in sink.rejected] == list(range(7, 401, 7))
    loaded_ids = [r["claim_id"] for r in sink.dicts("claims")]
    assert loaded_ids == [f"C{i}" for i in range(1, 401) if i % 7]
    assert sink.dicts("claims")[4]["payer"] == "Acme\nHealth 5"


def test_header_only_and_crlf() -> None:
    assert parse(HEADER).records_in == 0
    sink = parse(f"{HEADER}\r\n{GOOD}\r\n{GOOD}\r\n")
    assert (sink.loaded, sink.quarantined) == (2, 0)


def test_utf8_bom_and_tsv() -> None:
    sink = parse(("\ufeff" + HEADER + "\n" + GOOD).replace(",", "\t"), delimiter="\t")
    assert (sink.loaded, sink.quarantined) == (1, 0)


def test_undecodable_cell_rejects_its_row_only() -> None:
    data = f"{HEADER}\n{GOOD}\n".encode() + _row(payer_name="Ac\xffme").encode("latin-1") + b"\n"
    sink = parse(data)
    assert (sink.loaded, sink.quarantined) == (1, 1)
    line, rejection, raw = sink.rejected[0]
    assert (line, rejection.reason, rejection.field) == (2, Reason.ENCODING, "payer_name")
    assert rejection.found == "Ac\ufffdme"
    assert isinstance(raw, str)
    assert "Ac\ufffdme" in raw


def test_undecodable_ragged_row_is_malformed_not_a_crash() -> None:
    sink = parse(f"{HEADER}\n".encode() + b"C1,\xff\xfe,x\n" + GOOD.encode())
    assert (sink.loaded, sink.quarantined) == (1, 1)
    assert sink.rejected[0][1].reason == Reason.MALFORMED
    assert sink.rejected[0][2] == "C1,\ufffd\ufffd,x"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_declared_single_byte_encodings(encoding: str) -> None:
    data = f"{HEADER}\n{_row(payer_name='Société Générale')}\n".encode(encoding)
    sink = parse(data, encoding=encoding)
    assert sink.dicts("claims")[0]["payer"] == "Société Générale"


def test_utf8_text_decodes() -> None:
    sink = parse(f"{HEADER}\n{_row(payer_name='Zürich Versicherung 保险')}\n")
    assert sink.dicts("claims")[0]["payer"] == "Zürich Versicherung 保险"


def test_missing_columns_are_one_input_error_naming_them_and_the_mapping() -> None:
    header = HEADER.replace("member_id,", "").replace(",cpt_codes", "")
    with pytest.raises(InputError) as info:
        parse(header + "\n")
    message = str(info.value)
    assert "missing member_id, cpt_codes" in message
    assert "builtin:synth_claims" in message
    assert "\n" not in message


def test_repeated_mapped_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="repeated claim_id"):
        parse(HEADER + ",claim_id\n")


def test_empty_file_is_an_input_error() -> None:
    with pytest.raises(InputError, match="empty CSV file"):
        parse(b"")


def test_unterminated_quote_beyond_a_block_is_an_input_error() -> None:
    rows = [GOOD] * 5 + ['C9,"P9' + ",x" * 20] + [GOOD] * 400
    with pytest.raises(InputError, match="past data row 5"):
        parse(HEADER + "\n" + "\n".join(rows), block_size=4096)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        parse(HEADER, delimiter=";;")
    with pytest.raises(ValueError, match="ASCII-compatible"):
        parse(HEADER, encoding="utf-16")


LAB = mapping_from_dict(
    {
        "table": "patients",
        "record_id": "id",
        "timezone": "America/New_York",
        "columns": {
            "patient_id": "id",
            "sex": {"source": "sex", "map": {"M": "male", "F": "female", "?": None}},
            "birth_date": {"source": "dob", "format": "%m/%d/%Y"},
            "death_time": {"source": "died", "format": "hl7"},
            "recorded_time": {"source": "seen", "format": "%Y-%m-%d %H:%M"},
        },
    }
)


def test_value_maps_formats_and_time_zones() -> None:
    text = "id,sex,dob,died,seen\nA,F,02/14/1980,202401050830,2024-07-01 09:15\nB,?,,,\n"
    rows = parse(text, LAB).dicts("patients")
    assert rows[0]["sex"] == "female"
    assert rows[0]["birth_date"] == "1980-02-14"
    assert rows[0]["death_time"] == "2024-01-05T13:30:00Z"  # EST, UTC-5
    assert rows[0]["recorded_time"] == "2024-07-01T13:15:00Z"  # EDT, UTC-4
    assert (rows[1]["sex"], rows[1]["birth_date"]) == (None, None)


def test_value_outside_the_map_is_a_mapping_error() -> None:
    sink = parse("id,sex,dob,died,seen\nA,X,,,\n", LAB)
    rejection = sink.rejected[0][1]
    assert (rejection.reason, rejection.field, rejection.found) == (
        Reason.MAPPING_ERROR,
        "sex",
        "X",
    )
    assert rejection.expected == "one of M, F, ?"
