"""The HL7 v2 and claims CSV feeds describe the same care as the FHIR output, with its ids."""

from __future__ import annotations

import csv
from collections import Counter

from tests.synth._helpers import read_ndjson
from wardwatch.core.timeutil import normalize_datetime, normalize_hl7_datetime
from wardwatch.synth import CLAIMS_HEADER, SynthResult

HEADER = (
    "claim_id,member_id,encounter_id,claim_type,status,payer_name,billing_npi,service_from,"
    "service_to,submitted_at,total_charge,currency,icd10_codes,cpt_codes"
)


def test_claims_csv_matches_fhir_claims(clean_run: SynthResult) -> None:
    text = (clean_run.out / "claims.csv").read_text()
    assert text.splitlines()[0] == HEADER == ",".join(CLAIMS_HEADER)
    rows = list(csv.DictReader(text.splitlines()))
    claims = {c["id"]: c for c in read_ndjson(clean_run.out / "Claim.ndjson")}
    patients = {p["id"] for p in read_ndjson(clean_run.out / "Patient.ndjson")}
    encounters = {e["id"]: e for e in read_ndjson(clean_run.out / "Encounter.ndjson")}
    assert len(rows) == len(claims) == clean_run.claims_rows
    for row in rows:
        claim = claims[row["claim_id"]]
        assert row["member_id"] in patients
        assert claim["patient"]["reference"] == f"Patient/{row['member_id']}"
        enc = encounters[row["encounter_id"]]
        assert row["service_from"] == enc["period"]["start"][:10]
        assert row["service_to"] == enc["period"]["end"][:10]
        assert row["submitted_at"] == claim["created"]
        assert normalize_datetime(row["submitted_at"]) is not None
        assert float(row["total_charge"]) == claim["total"]["value"]
        assert row["currency"] == "USD"
        codes = row["icd10_codes"].split("|")
        assert codes[0] == enc["reasonCode"][0]["coding"][0]["code"]  # principal first
        assert codes == [
            d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]
        ]
        assert row["cpt_codes"].split("|") == [
            i["productOrService"]["coding"][0]["code"] for i in claim["item"]
        ]


def _messages(run: SynthResult) -> list[list[list[str]]]:
    raw = (run.out / "hl7" / "messages.hl7").read_bytes().decode()
    assert raw.endswith("\n")
    return [[seg.split("|") for seg in msg.split("\r")] for msg in raw[:-1].split("\n")]


def test_hl7_messages(clean_run: SynthResult) -> None:
    messages = _messages(clean_run)
    assert len(messages) == clean_run.hl7_messages
    patients = {p["id"]: p for p in read_ndjson(clean_run.out / "Patient.ndjson")}
    encounters = {e["id"]: e for e in read_ndjson(clean_run.out / "Encounter.ndjson")}
    observations = {o["id"]: o for o in read_ndjson(clean_run.out / "Observation.ndjson")}
    kinds: Counter[str] = Counter()
    control_ids = set()
    seen_obs = 0
    for msg in messages:
        msh = msg[0]
        assert msh[0] == "MSH"
        assert msh[1] == "^~\\&"
        assert msh[11] == "2.5"
        assert normalize_hl7_datetime(msh[6]) is not None
        kinds[msh[8]] += 1
        control_ids.add(msh[9])
        segs = {s[0]: s for s in msg}
        mrn, fhir_id = segs["PID"][3].split("~")
        assert mrn.endswith("^^^WARDWATCH^MR")
        pid = fhir_id.split("^")[0]
        assert fhir_id == f"{pid}^^^WARDWATCH-FHIR^PI"
        assert patients[pid]["identifier"][0]["value"] == mrn.split("^")[0]
        pv1 = segs["PV1"]
        enc = encounters[pv1[19].split("^")[0]]
        assert pv1[2] == {"IMP": "I", "EMER": "E", "AMB": "O"}[enc["class"]["code"]]
        assert enc["subject"]["reference"] == f"Patient/{pid}"
        if msh[8] == "ADT^A03^ADT_A03":
            assert pv1[36]
            assert normalize_hl7_datetime(pv1[45]) is not None
        for seg in msg:
            if seg[0] != "OBX":
                continue
            obs = observations[seg[21]]
            assert seg[3] == f"{obs['code']['coding'][0]['code']}^{obs['code']['text']}^LN"
            assert float(seg[5]) == obs["valueQuantity"]["value"]
            assert seg[6].split("^")[0] == obs["valueQuantity"]["unit"]
            assert seg[2] == "NM"
            assert seg[11] == "F"
            assert normalize_hl7_datetime(seg[14]) is not None
            seen_obs += 1
    assert len(control_ids) == len(messages)
    assert {"ADT^A01^ADT_A01", "ADT^A03^ADT_A03", "ADT^A08^ADT_A01", "ORU^R01^ORU_R01"} <= set(
        kinds
    )
    labs = sum(o["category"][0]["coding"][0]["code"] == "laboratory" for o in observations.values())
    assert seen_obs == labs  # every lab result is in the HL7 feed too
