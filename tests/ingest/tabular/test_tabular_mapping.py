"""The mapping YAML: what it accepts, and the one-line errors for what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from wardwatch.errors import ConfigError
from wardwatch.ingest.tabular import ColumnMapping, TableMapping, load_mapping

MINIMAL = """\
table: claims
columns:
  claim_id: id
  patient_id: member
"""


def _load(tmp_path: Path, text: str) -> TableMapping:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return load_mapping(path)


def _error(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "m.yaml") in message
    return info.value


def test_minimal_mapping(tmp_path: Path) -> None:
    m = _load(tmp_path, MINIMAL)
    assert m.table == "claims"
    assert m.columns["claim_id"] == ColumnMapping(source="id")
    assert m.sources == ["id", "member"]
    assert m.origin == str(tmp_path / "m.yaml")
    assert (m.timezone, m.null_values) == ("UTC", ("",))


def test_full_column_spec(tmp_path: Path) -> None:
    m = _load(
        tmp_path,
        MINIMAL
        + """\
  billable_start: {source: from, format: "%d/%m/%Y", timezone: Europe/London}
  diagnosis_codes: {source: dx, split: ";"}
  status: {source: st, map: {A: active, X: null}, unmapped: keep, null_values: ["-"]}
record_id: id
timezone: "+05:30"
constants:
  resource_type: csv
""",
    )
    assert m.columns["billable_start"].format == "%d/%m/%Y"
    assert m.columns["status"].map == {"A": "active", "X": None}
    assert m.sources == ["id", "member", "from", "dx", "st"]
    assert m.constants == {"resource_type": "csv"}


def test_yaml_scalars_stay_text(tmp_path: Path) -> None:
    m = _load(tmp_path, MINIMAL + "  status: {source: s, map: {Y: yes, N: no, 007: on}}\n")
    assert m.columns["status"].map == {"Y": "yes", "N": "no", "007": "on"}


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (MINIMAL + "  total_amount: {sourc: x}\n", "columns.total_amount.sourc",
         ["unknown key 'sourc'", "source, format"]),
        (MINIMAL + "colums: {}\n", "colums", ["unknown key", "table, description"]),
        ("table: claimz\ncolumns: {claim_id: a, patient_id: b}\n", "table",
         ["unknown table 'claimz'", "patients"]),
        (MINIMAL + "  amount: x\n", "columns.amount", ["claims has no column 'amount'",
                                                       "total_amount"]),
        ("table: claims\ncolumns: {claim_id: a}\n", "columns",
         ["required claims columns are not mapped: patient_id"]),
        (MINIMAL + "  total_amount: {source: x, format: date}\n",
         "columns.total_amount.format", ["total_amount is float, not a time"]),
        (MINIMAL + "  status: {source: x, split: '|'}\n", "columns.status.split",
         ["status is str, not a list"]),
        (MINIMAL + "  billable_start: {source: x, format: dd/mm}\n",
         "columns.billable_start.format", ["strftime"]),
        (MINIMAL + "timezone: Mars/Olympus\n", "timezone", ["unknown time zone"]),
        (MINIMAL + "  total_amount: {source: x, unmapped: drop}\n",
         "columns.total_amount.unmapped", ["'reject', 'keep' or 'null'"]),
        (MINIMAL + "constants: {total_amount: lots}\n", "constants.total_amount",
         ["'lots' is not a valid total_amount", "a number"]),
        (MINIMAL + "constants: {claim_id: x}\n", "constants.claim_id",
         ["both mapped and constant"]),
        ("columns: {claim_id: a}\n", "table", ["required key is missing"]),
    ],
    ids=["typo", "top-typo", "table", "column", "required", "format-kind", "split-kind",
         "format", "timezone", "unmapped", "constant-type", "both", "no-table"],
)  # fmt: skip
def test_errors_name_key_and_what_is_allowed(
    tmp_path: Path, text: str, field: str, words: list[str]
) -> None:
    err = _error(tmp_path, text)
    assert err.field == field
    for w in words:
        assert w in str(err)


def test_not_yaml(tmp_path: Path) -> None:
    err = _error(tmp_path, "table: [claims\n")
    assert "not valid YAML" in str(err)


def test_not_a_mapping_document(tmp_path: Path) -> None:
    err = _error(tmp_path, "- table\n")
    assert "not a YAML mapping" in str(err)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read mapping file"):
        load_mapping(tmp_path / "absent.yaml")
