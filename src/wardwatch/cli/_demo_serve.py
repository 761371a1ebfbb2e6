"""The demo's serving step: the scoring service on loopback, REST and CDS Hooks calls.

The service runs in this process (uvicorn in a thread) on a free port of 127.0.0.1 with the
champion of the use case. A clinician key scores three discharges over REST; an EHR, whose
ES384 key the service trusts for this run, calls the ``encounter-discharge`` hook with one
patient's FHIR resources as prefetch and gets a card. Stopping the service drains every
prediction to the audit log and the prediction log.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from wardwatch.core.workspace import Workspace

__all__ = ["serve_demo"]

EHR_ISS = "https://ehr.demo.invalid"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _running(ws: Workspace, usecase: str, issuers: tuple[Any, ...]) -> Iterator[str]:
    import uvicorn

    from wardwatch.serve import ServeSettings, Service, create_app

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = ServeSettings(models=(usecase,), public_url=url, cds_issuers=issuers,
                             dashboard_url=f"{url}/ui")  # fmt: skip
    service = Service.from_workspace(ws, settings)
    config = uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="wardwatch-demo-serve", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def _patient_prefetch(
    data: Path, encounter_ids: list[str]
) -> tuple[dict[str, Any], str, str] | None:
    """The prefetch of the last of ``encounter_ids`` found in the synthetic FHIR NDJSON:
    its patient's resources; None when none is there."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(data.glob("*.ndjson")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        by_type[path.stem.split(".")[0]] = rows
    stays = {e["id"]: e for e in by_type.get("Encounter", [])}
    found = [i for i in encounter_ids if i in stays]
    if not found:
        return None
    stay = stays[found[-1]]
    pid = stay["subject"]["reference"].split("/")[-1]

    def bundle(rtype: str) -> dict[str, Any]:
        mine = [
            {"resource": r}
            for r in by_type.get(rtype, [])
            if (r.get("subject") or r.get("patient") or {}).get("reference", "").endswith(pid)
        ]
        return {"resourceType": "Bundle", "type": "searchset", "entry": mine}

    patient = next(p for p in by_type["Patient"] if p["id"] == pid)
    prefetch = {
        "patient": patient,
        "encounters": bundle("Encounter"),
        "conditions": bundle("Condition"),
        "labs": bundle("Observation"),
        "medications": bundle("MedicationRequest"),
        "encounter": stay,
    }
    return prefetch, pid, stay["id"]


def serve_demo(
    ws: Workspace, say: Callable[[str], None], usecase: str, frame: Any, data: Path, key: str
) -> dict[str, Any]:
    """Step 9 of the demo; what happened, for ``--json``."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    from wardwatch.serve._jwt import TrustedIssuer

    ehr = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(ECAlgorithm.to_jwk(ehr.public_key())) | {"kid": "demo", "alg": "ES384"}
    issuers = (TrustedIssuer(iss=EHR_ISS, keys={"keys": [jwk]}),)
    skip = {"index_id", "patient_id", "index_time", "label"}
    features = [c for c in frame.columns if c not in skip and not c.startswith("group_")]
    sample = frame.tail(3)
    rows = [
        {k: (None if v != v else v) for k, v in r.items()}  # NaN -> null
        for r in sample[features].to_dict("records")
    ]
    out: dict[str, Any] = {}
    say("[bold]9. serve[/] the champion behind REST and CDS Hooks, on 127.0.0.1")
    with _running(ws, usecase, issuers) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
            r = c.post(f"/v1/models/{usecase}/predict", json={"rows": rows})
            r.raise_for_status()
            body = r.json()
        first = body["predictions"][0]
        out["rest"] = {"status": r.status_code, "version": body["version"],
                       "predictions": body["predictions"]}  # fmt: skip
        say(
            f"   REST: 3 discharges scored by version {body['version']}; the first: "
            f"risk {first['risk']:.1%} ({first['band']}), decision "
            f"{'flag' if first['decision'] else 'no flag'}"
        )
        for f in first["factors"][:3]:
            say(f"     {f['direction']:>6} risk: {f['label']} = {f['value']}")
        picked = _patient_prefetch(data, [str(i) for i in frame["index_id"].tail(50)])
        card, cds_status = None, None
        if picked is not None:
            prefetch, pid, encounter = picked
            sid = f"{usecase}-discharge"
            now = int(time.time())
            token = jwt.encode(
                {"iss": EHR_ISS, "aud": f"{url}/cds-services/{sid}", "iat": now,
                 "exp": now + 300, "jti": uuid.uuid4().hex},
                ehr, algorithm="ES384", headers={"kid": "demo"},
            )  # fmt: skip
            hook = {
                "hook": "encounter-discharge",
                "hookInstance": str(uuid.uuid4()),
                "context": {"patientId": pid, "encounterId": encounter, "userId": "Practitioner/1"},
                "prefetch": prefetch,
            }
            with httpx.Client(base_url=url, timeout=60) as c:
                r = c.post(f"/cds-services/{sid}", json=hook,
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                cds_status = r.status_code
                card = r.json()["cards"][0] if r.status_code == 200 else None
        with httpx.Client(base_url=url) as c:
            metrics = c.get("/metrics").text
    out["cds"] = {"status": cds_status, "card": card}
    if card:
        say(f"   CDS Hooks card ({card['indicator']}): {card['summary']}")
        say(f"     source: {card['source']['label']}")
    else:
        say(f"   CDS Hooks call answered {cds_status}")
    count = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("wardwatch_predictions_total{")
    )
    out["metrics_predictions"] = count
    say(f"   /metrics counts {count:.0f} predictions; each is in the audit log and the lake")
    return out
