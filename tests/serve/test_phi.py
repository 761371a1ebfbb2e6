"""No PHI leaves through the service's side channels: requests full of canary names, MRNs,
birth dates, addresses and phone numbers go in (as patient ids, as feature values, as keys,
as headers, inside a CDS prefetch); afterwards every log line, the metrics, the prediction
log, the CDS feedback table and every audit payload are scanned and hold none of them."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import pyarrow.dataset as ds
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from tests.serve.conftest import USECASE, ServedWs, start_server, stop_server
from tests.serve.test_api import PATH, rows

from wardwatch.audit import AuditLog

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CANARIES = {
    "name": "Zebulon Quixotefish",
    "mrn": "MRN-4417-99201",
    "birth_date": "1931-07-14",
    "address": "742 Evergreen Terrace",
    "phone": "(555) 867-5309",
    "ssn": "078-05-1120",
    "email": "zebulon.q@example.org",
}
TEXT = " ".join(CANARIES.values())


def _scan(text: str) -> list[str]:
    low = text.lower()
    return [k for k, v in CANARIES.items() if v.lower() in low]


def test_canaries_never_reach_logs_metrics_or_stores(served_ws: ServedWs, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key())) | {"kid": "k", "alg": "ES384"}
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps([{"iss": "https://ehr.test", "keys": {"keys": [jwk]}}]))
    log_file = tmp_path / "server.log"
    server = start_server(served_ws.ws, log_file, "--cds-issuers", str(issuers))
    headers = {
        "Authorization": f"Bearer {served_ws.keys['cleo']}",
        "X-Request-ID": TEXT[:60].strip(),
        "User-Agent": TEXT,
        "X-Patient": TEXT,
    }
    bodies: list[Any] = [
        {"rows": rows(3), "patient_ids": [CANARIES["mrn"], CANARIES["name"], TEXT]},
        {"rows": [{**rows(1)[0], "disposition": TEXT, "sex": CANARIES["name"]}]},
        {"rows": [{TEXT: 1}]},
        {"rows": [{"age": TEXT}]},
        {"rows": rows(1), "patient_ids": [CANARIES["ssn"]], "format": "fhir"},
        {"rows": rows(1), "note": TEXT},
        TEXT,
    ]
    answers = []
    with server.client() as c:
        for body in bodies:
            r = c.post(PATH, json=body, headers=headers)
            answers.append(r)
            if r.status_code != 200:
                assert _scan(r.text) == [], r.text  # error messages repeat nothing
        c.post(PATH, content=TEXT.encode(), headers={**headers, "Content-Type": "text/plain"})
        c.get(f"/v1/models/{TEXT}/predict", headers=headers)
        # a CDS call whose prefetch Patient is all canaries
        aud = f"{server.url}/cds-services/{USECASE}-patient-view"
        now = int(time.time())
        token = jwt.encode({"iss": "https://ehr.test", "aud": aud, "iat": now, "exp": now + 60,
                            "jti": uuid.uuid4().hex}, key, algorithm="ES384",
                           headers={"kid": "k"})  # fmt: skip
        patient = {"resourceType": "Patient", "id": "pq1",
                   "identifier": [{"system": "urn:mrn", "value": CANARIES["mrn"]}],
                   "name": [{"text": CANARIES["name"], "family": "Quixotefish"}],
                   "birthDate": CANARIES["birth_date"], "gender": "male",
                   "address": [{"line": [CANARIES["address"]]}],
                   "telecom": [{"system": "phone", "value": CANARIES["phone"]},
                               {"system": "email", "value": CANARIES["email"]}]}  # fmt: skip
        empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        hook = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
                "context": {"patientId": "pq1", "userId": "Practitioner/1"},
                "prefetch": {"patient": patient, "encounters": empty, "conditions": empty,
                             "labs": empty}}  # fmt: skip
        r = c.post(f"/cds-services/{USECASE}-patient-view", json=hook,
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert r.status_code == 200, r.text
        metrics = c.get("/metrics").text
    assert answers[0].status_code == 200
    assert answers[1].status_code == 200
    stop_server(server)
    found = {"metrics": _scan(metrics), "server log": _scan(log_file.read_text())}
    lake = served_ws.ws.lake_dir
    for table in ("predictions", "cds_feedback"):
        if (lake / table).exists():
            data = ds.dataset(lake / table, partitioning="hive").to_table().to_pylist()
            found[table] = _scan(json.dumps(data, default=str))
    for path in lake.joinpath("predictions").rglob("*.parquet"):
        found[str(path.name)] = _scan(path.read_bytes().decode("latin-1"))
    events = AuditLog.from_workspace(served_ws.ws).events()
    found["audit"] = _scan(json.dumps([e.to_dict() for e in events], default=str))
    assert {k: v for k, v in found.items() if v} == {}
    # and the prediction log did record these requests, under pseudonyms
    data = ds.dataset(lake / "predictions", partitioning="hive").to_table().to_pylist()
    assert len(data) >= 6
    assert all(r["patient"] is None or r["patient"].startswith("pt_") for r in data)
    assert any(json.loads(r["features"]).get("disposition") == "(unseen)" for r in data)
