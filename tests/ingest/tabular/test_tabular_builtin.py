"""Built-in mappings: the generator's claims CSV, the EHR lab example, picking by header."""

from __future__ import annotations

import io

import pytest

from wardwatch.errors import ConfigError
from wardwatch.ingest import CollectingSink, Reason
from wardwatch.ingest.tabular import builtin_mapping, builtin_names, match_builtin, parse_csv

CLAIMS_HEADER = [
    "claim_id", "member_id", "encounter_id", "claim_type", "status", "payer_name",
    "billing_npi", "service_from", "service_to", "submitted_at", "total_charge", "currency",
    "icd10_codes", "cpt_codes",
]  # fmt: skip
LAB_HEADER = (
    "result_id,patient_id,encounter_csn,loinc_code,component_name,result_num,result_text,"
    "reference_unit,reference_low,reference_high,result_flag,result_status,"
    "specimen_taken_time,result_time"
)


def test_names() -> None:
    assert builtin_names() == ["ehr_lab_results", "synth_claims"]
    assert builtin_mapping("synth_claims").origin == "builtin:synth_claims"


def test_unknown_name() -> None:
    with pytest.raises(ConfigError, match=r"ehr_lab_results \| synth_claims"):
        builtin_mapping("claims")


def test_match_by_exact_header_in_any_order() -> None:
    assert match_builtin(CLAIMS_HEADER) is builtin_mapping("synth_claims")
    assert match_builtin(list(reversed(CLAIMS_HEADER))) is builtin_mapping("synth_claims")
    assert match_builtin([f" {h} " for h in CLAIMS_HEADER]) is builtin_mapping("synth_claims")
    assert match_builtin(LAB_HEADER.split(",")) is builtin_mapping("ehr_lab_results")


@pytest.mark.parametrize(
    "header",
    [CLAIMS_HEADER[:-1], [*CLAIMS_HEADER, "extra"], [*CLAIMS_HEADER, "claim_id"], []],
    ids=["missing", "extra", "repeated", "empty"],
)
def test_no_match(header: list[str]) -> None:
    assert match_builtin(header) is None


def test_lab_results_example() -> None:
    text = "\n".join(
        [
            LAB_HEADER,
            "R1,PAT-1,CSN-9,2345-7,Glucose,105,,mg/dL,70,99,High,Final,"
            "01/05/2024 08:40,01/05/2024 10:02",
            "R2,PAT-1,CSN-9,5778-6,Color of Urine,9999999,Yellow,,,,,Final,"
            "07/01/2024 08:40,07/01/2024 09:00",
            "R3,PAT-2,NULL,2345-7,Glucose,88,,mg/dL,70,99,,Pending,01/05/2024 08:40,",
        ]
    )
    sink = CollectingSink()
    parse_csv(io.BytesIO(text.encode()), sink, builtin_mapping("ehr_lab_results"))
    assert (sink.loaded, sink.quarantined) == (2, 1)
    glucose, urine = sink.dicts("observations")
    assert glucose == {
        "observation_id": "R1",
        "patient_id": "PAT-1",
        "encounter_id": "CSN-9",
        "code": "2345-7",
        "code_system": "http://loinc.org",
        "display": "Glucose",
        "category": "laboratory",
        "status": "final",
        "value_num": 105.0,
        "value_unit": "mg/dL",
        "value_code": None,
        "value_text": None,
        "reference_low": 70.0,
        "reference_high": 99.0,
        "interpretation": "H",
        "effective_time": "2024-01-05T13:40:00Z",  # New York, EST
        "recorded_time": "2024-01-05T15:02:00Z",
    }
    assert (urine["value_num"], urine["value_text"]) == (None, "Yellow")  # 9999999 is "no number"
    assert urine["effective_time"] == "2024-07-01T12:40:00Z"  # EDT
    line, rejection, _ = sink.rejected[0]
    assert (line, rejection.reason, rejection.field, rejection.found) == (
        3,
        Reason.MAPPING_ERROR,
        "result_status",
        "Pending",
    )
    assert rejection.record_id == "R3"
