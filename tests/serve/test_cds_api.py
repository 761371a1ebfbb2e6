"""CDS Hooks against a real ``wardwatch serve``: discovery, a card built from the prefetch,
the EHR's JWT (each refusal a bare 401), 412 without prefetch, no fhirServer outside the
allowlist, feedback kept for alert-burden monitoring."""

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
from tests.serve.conftest import USECASE, Served, ServedWs, start_server, stop_server

from wardwatch.audit import AuditLog, pseudonym
from wardwatch.synth import SynthConfig, generate

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ISS = "https://ehr.example.org"
SERVICE = f"{USECASE}-discharge"


@pytest.fixture(scope="module")
def ehr_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def cds(
    served_ws: ServedWs,
    ehr_key: ec.EllipticCurvePrivateKey,
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    folder = tmp_path_factory.mktemp("cds")
    jwk = json.loads(ECAlgorithm.to_jwk(ehr_key.public_key())) | {"kid": "ehr-1", "alg": "ES384"}
    issuers = folder / "issuers.json"
    issuers.write_text(json.dumps([{"iss": ISS, "keys": {"keys": [jwk]}}]))
    served = start_server(
        served_ws.ws, folder / "server.log", "--cds-issuers", str(issuers),
        "--fhir-server", "https://fhir.example.org/r4", "--dashboard-url", "https://ww.example.org",
    )  # fmt: skip
    yield served
    stop_server(served)


def token(key: ec.EllipticCurvePrivateKey, aud: str, **over: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISS, "aud": aud, "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex}
    alg = over.pop("alg", "ES384")
    signing: Any = over.pop("signing", key)
    return jwt.encode(claims | over, signing, algorithm=alg, headers={"kid": "ehr-1"})


def prefetch(tmp_path: Path) -> tuple[dict[str, Any], str, str]:
    """A synthetic patient's resources as CDS prefetch, with one inpatient encounter."""
    out = generate(SynthConfig(patients=30, seed=3, out=tmp_path / "synth", format="ndjson"))
    by_type: dict[str, list[dict[str, Any]]] = {}
    for path in Path(out.out).glob("*.ndjson"):
        rtype = path.stem.split(".")[0]
        by_type[rtype] = [json.loads(line) for line in path.read_text().splitlines() if line]
    stay = next(e for e in by_type["Encounter"] if e.get("class", {}).get("code") == "IMP")
    pid = stay["subject"]["reference"].split("/")[-1]

    def mine(r: dict[str, Any]) -> bool:
        ref = (r.get("subject") or r.get("patient") or {}).get("reference", "")
        return ref.endswith(pid)

    def bundle(rtype: str) -> dict[str, Any]:
        entries = [{"resource": r} for r in by_type.get(rtype, []) if mine(r)]
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}

    patient = next(p for p in by_type["Patient"] if p["id"] == pid)
    pf = {
        "patient": patient,
        "encounters": bundle("Encounter"),
        "conditions": bundle("Condition"),
        "labs": bundle("Observation"),
        "medications": bundle("MedicationRequest"),
        "encounter": stay,
    }
    return pf, pid, stay["id"]


def hook(pid: str, encounter: str, pf: dict[str, Any] | None, **over: Any) -> dict[str, Any]:
    body = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {"patientId": pid, "encounterId": encounter, "userId": "Practitioner/1"},
        "prefetch": pf,
    }
    return body | over


def test_discovery_asks_only_for_what_the_model_uses(cds: Served) -> None:
    with cds.client() as c:
        services = {s["id"]: s for s in c.get("/cds-services").json()["services"]}
    assert set(services) == {SERVICE, f"{USECASE}-patient-view"}
    discharge = services[SERVICE]
    assert discharge["hook"] == "encounter-discharge"
    # the test model reads demographics, the stay, comorbidities and a lab: no medications
    assert set(discharge["prefetch"]) == {
        "patient",
        "encounters",
        "conditions",
        "labs",
        "encounter",
    }


def test_a_card_from_the_prefetch(
    cds: Served, served_ws: ServedWs, ehr_key: Any, tmp_path: Path
) -> None:
    pf, pid, enc = prefetch(tmp_path)
    aud = f"{cds.url}/cds-services/{SERVICE}"
    with cds.client() as c:
        r = c.post(f"/cds-services/{SERVICE}", json=hook(pid, enc, pf),
                   headers={"Authorization": f"Bearer {token(ehr_key, aud)}"})  # fmt: skip
    assert r.status_code == 200, r.text
    (card,) = r.json()["cards"]
    assert len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"].startswith(f"wardwatch {USECASE} v")
    assert "%" in card["detail"]
    # the card links to the dashboard's triage view of this prediction
    assert card["links"][0]["url"] == (
        f"https://ww.example.org/triage?request_id={uuid.UUID(card['uuid']).hex}"
    )
    # the prediction log knows the patient only by pseudonym
    stop_server(cds)  # drain
    rows = ds.dataset(served_ws.ws.lake_dir / "predictions", partitioning="hive").to_table()
    patients = set(rows.column("patient").to_pylist())
    assert pseudonym(pid, served_ws.ws.secret()) in patients
    assert pid not in patients


@pytest.fixture
def live(cds: Served, served_ws: ServedWs, tmp_path: Path) -> Served:
    """The CDS server, restarted if an earlier test stopped it to drain its log."""
    if cds.proc.poll() is None:
        return cds
    issuers = next(cds.log.parent.glob("issuers.json"))
    return start_server(served_ws.ws, tmp_path / "server.log", "--cds-issuers", str(issuers),
                        "--fhir-server", "https://fhir.example.org/r4")  # fmt: skip


def test_jwt_refusals_are_bare_401s(live: Served, ehr_key: Any, tmp_path: Path) -> None:
    pf, pid, enc = prefetch(tmp_path)
    aud = f"{live.url}/cds-services/{SERVICE}"
    other = ec.generate_private_key(ec.SECP384R1())
    reused = token(ehr_key, aud)
    bad = {
        "none": None,
        "wrong aud": token(ehr_key, f"{live.url}/cds-services/other"),
        "expired": token(ehr_key, aud, exp=int(time.time()) - 120),
        "other key": token(ehr_key, aud, signing=other),
        "hmac": token(ehr_key, aud, alg="HS384", signing=b"k" * 48),
        "unknown iss": token(ehr_key, aud, iss="https://evil.example"),
    }
    with live.client() as c:
        ok = c.post(f"/cds-services/{SERVICE}", json=hook(pid, enc, pf),
                    headers={"Authorization": f"Bearer {reused}"})  # fmt: skip
        assert ok.status_code == 200
        bad["replayed jti"] = reused
        for why, tok in bad.items():
            headers = {"Authorization": f"Bearer {tok}"} if tok else {}
            r = c.post(f"/cds-services/{SERVICE}", json=hook(pid, enc, pf), headers=headers)
            assert r.status_code == 401, why
            assert r.content == b"", why


def test_prefetch_and_fhir_server_rules(live: Served, ehr_key: Any, tmp_path: Path) -> None:
    pf, pid, enc = prefetch(tmp_path)
    aud = f"{live.url}/cds-services/{SERVICE}"

    def post(body: dict[str, Any]) -> Any:
        with live.client() as c:
            return c.post(f"/cds-services/{SERVICE}", json=body,
                          headers={"Authorization": f"Bearer {token(ehr_key, aud)}"})  # fmt: skip

    assert post(hook(pid, enc, None)).status_code == 412
    partial = {k: v for k, v in pf.items() if k != "labs"}
    assert post(hook(pid, enc, partial)).status_code == 412
    evil = hook(pid, enc, pf, fhirServer="http://169.254.169.254/latest")
    assert post(evil).status_code == 400
    allowed = hook(pid, enc, pf, fhirServer="https://fhir.example.org/r4")
    assert post(allowed).status_code == 200


def test_feedback_is_kept(live: Served, served_ws: ServedWs, ehr_key: Any) -> None:
    url = f"/cds-services/{SERVICE}/feedback"
    aud = f"{live.url}{url}"
    card = str(uuid.uuid4())
    body = {"feedback": [
        {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-23T10:00:00Z",
         "overrideReason": {"reason": {"code": "not-relevant",
                                       "system": "https://wardwatch.dev/fhir/CodeSystem/cds-override-reason"}}},
    ]}  # fmt: skip
    with live.client() as c:
        r = c.post(url, json=body, headers={"Authorization": f"Bearer {token(ehr_key, aud)}"})
        assert r.status_code == 200, r.text
        assert c.post(url, json=body).status_code == 401
    rows = ds.dataset(served_ws.ws.lake_dir / "cds_feedback", partitioning="hive").to_table()
    assert {"card": card, "outcome": "overridden"}.items() <= next(
        r for r in rows.to_pylist() if r["card"] == card
    ).items()
    events = AuditLog.from_workspace(served_ws.ws).events(action="serve.cds_feedback")
    assert events[-1].payload["outcome"] == "overridden"


def test_rest_predict_from_a_fhir_bundle(live: Served, served_ws: ServedWs, tmp_path: Path) -> None:
    """A Bundle of the patient's resources scores like the feature row built from it (the
    row builder is held to the batch pipeline in tests/features/test_serving.py)."""
    from datetime import UTC, datetime

    from wardwatch.features import features_from_fhir, flatten_resources
    from wardwatch.registry import Registry
    from wardwatch.serve import load_version

    pf, _, enc = prefetch(tmp_path)
    resources = flatten_resources(pf)
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    reg = Registry.from_workspace(served_ws.ws)
    try:
        model = load_version(reg, USECASE, "champion")
    finally:
        reg.close()
    row = features_from_fhir(resources, model.usecase, encounter_id=enc, now=datetime.now(UTC)).row
    with live.client(served_ws.keys["cleo"]) as c:
        by_bundle = c.post(
            f"/v1/models/{USECASE}/predict", json={"bundle": bundle, "encounter_id": enc}
        )
        by_row = c.post(f"/v1/models/{USECASE}/predict", json={"rows": [row]})
        both = c.post(f"/v1/models/{USECASE}/predict", json={"rows": [row], "bundle": bundle})
        junk = c.post(
            f"/v1/models/{USECASE}/predict", json={"bundle": {"resourceType": "Bundle", "entry": 3}}
        )
    assert by_bundle.status_code == 200, by_bundle.text
    assert by_bundle.json()["predictions"][0]["risk"] == by_row.json()["predictions"][0]["risk"]
    assert both.status_code == 422
    assert junk.status_code == 422
    assert "\n" not in junk.json()["error"]
