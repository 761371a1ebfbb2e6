"""The REST API against a real ``wardwatch serve`` on 127.0.0.1: predictions equal the
model's own ``predict_proba``, explanations, keys and roles, limits, one-line errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.serve.conftest import USECASE, Served, ServedWs
from tests.train._data import make_frame

from wardwatch.registry import Registry
from wardwatch.serve import load_version

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PATH = f"/v1/models/{USECASE}/predict"


def rows(n: int, seed: int = 11) -> list[dict[str, Any]]:
    frame, _ = make_frame(max(n, 40), seed=seed)
    names = ["age", "sex", "los_days", "disposition", "charlson", "sodium_last"]
    out = []
    for r in frame[names].head(n).to_dict("records"):
        out.append({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()})
    return out


def test_health_readiness_and_the_model_list(server: Served, served_ws: ServedWs) -> None:
    with server.client() as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz").json()
    assert ready["ready"] is True
    assert ready["models"][USECASE] == {
        "champion": served_ws.versions["logreg"],
        "challenger": None,
    }
    with server.client(served_ws.keys["cleo"]) as c:
        (m,) = c.get("/v1/models").json()["models"]
    assert m["name"] == USECASE
    assert {f["name"] for f in m["features"]} >= {"age", "sodium_last"}
    assert next(f for f in m["features"] if f["name"] == "sodium_last")["label"].startswith(
        "Sodium"
    )


def test_predictions_equal_the_models_own_and_are_explained(
    server: Served, served_ws: ServedWs
) -> None:
    batch = rows(20)
    batch[0]["disposition"] = "a category never seen"
    with server.client(served_ws.keys["cleo"]) as c:
        r = c.post(PATH, json={"rows": batch}, headers={"X-Request-ID": "abc12345"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["request_id"] == "abc12345" == r.headers["X-Request-ID"]
    assert (body["model"], body["version"], body["alias"]) == (
        USECASE, served_ws.versions["logreg"], "champion",
    )  # fmt: skip
    reg = Registry.from_workspace(served_ws.ws)
    try:
        model = load_version(reg, USECASE, "champion")
    finally:
        reg.close()
    oracle = model.scorer.oracle(batch)
    risks = np.array([p["risk"] for p in body["predictions"]])
    np.testing.assert_allclose(risks, oracle, atol=1e-6)
    for p, want in zip(body["predictions"], oracle, strict=True):
        assert p["band"] == model.band(float(want))
        assert p["decision"] == (want >= body["threshold"])
        assert 1 <= len(p["factors"]) <= 5
        contributions = [abs(f["contribution"]) for f in p["factors"]]
        assert contributions == sorted(contributions, reverse=True)
        for f in p["factors"]:
            assert f["direction"] == ("raises" if f["contribution"] > 0 else "lowers")
            assert f["label"]
            assert f["value"]


def test_keys_roles_and_model_scope(server: Served, served_ws: ServedWs) -> None:
    one = {"rows": rows(1)}
    with server.client() as c:
        r = c.post(PATH, json=one)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        bad = "ww_0123456789ab_" + "x" * 43
        r = c.post(PATH, json=one, headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401
        assert "x" * 43 not in r.text
        r = c.post(PATH, json=one, headers={"X-API-Key": served_ws.keys["cleo"]})
        assert r.status_code == 200
    cases = {"val": 403, "scoped-other": 403, "scoped-ok": 200, "eve": 200, "ann": 200}
    for who, status in cases.items():
        with server.client(served_ws.keys[who]) as c:
            assert c.post(PATH, json=one).status_code == status, who
    with server.client(served_ws.keys["cleo"]) as c:
        assert c.post("/v1/models/unknown-model/predict", json=one).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"rows": [{"age": 70, "nmae": "Jane Roe"}]}, 422, "unknown feature 'nmae'"),
        ({"rows": []}, 422, "rows"),
        ({"rows": [{"age": "seventy-two"}]}, 422, "wrong type"),
        ({"rows": [{"age": 1}] * 101}, 413, "at most 100"),
        ({"rows": [{"age": {"nested": "Jane Roe"}}]}, 422, "rows.0.age"),
        ({"rows": [{"age": 1}], "extra": "Jane Roe"}, 422, "extra"),
    ],
)
def test_bad_requests_get_one_line_without_their_content(
    server: Served, served_ws: ServedWs, body: dict[str, Any], status: int, needle: str
) -> None:
    with server.client(served_ws.keys["cleo"]) as c:
        r = c.post(PATH, json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert needle in error
    assert "\n" not in error
    assert "Jane Roe" not in r.text
    assert "seventy-two" not in r.text


def test_body_size_limit(server: Served, served_ws: ServedWs) -> None:
    with server.client(served_ws.keys["cleo"]) as c:
        r = c.post(PATH, content=b"{" + b" " * 1_100_000 + b"}",
                   headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    assert "over 1048576 bytes" in r.json()["error"]


def test_fhir_risk_assessments_validate(server: Served, served_ws: ServedWs) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.riskassessment import RiskAssessment

    with server.client(served_ws.keys["cleo"]) as c:
        r = c.post(PATH, json={"rows": rows(2), "format": "fhir"})
    assert r.status_code == 200, r.text
    bundle = r.json()
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        ra = RiskAssessment.model_validate(entry["resource"])
        assert 0 <= float(ra.prediction[0].probabilityDecimal) <= 1


def test_metrics_count_requests_and_bands(server: Served, served_ws: ServedWs) -> None:
    with server.client(served_ws.keys["cleo"]) as c:
        c.post(PATH, json={"rows": rows(3)})
        text = c.get("/metrics").text
    assert (
        f'wardwatch_requests_total{{route="{PATH.replace(USECASE, "{name}")}",status="200"}}'
        in text
    )
    assert "wardwatch_request_seconds_bucket" in text
    assert 'wardwatch_predictions_total{alias="champion",band=' in text
    assert f'wardwatch_model_version{{alias="champion",model="{USECASE}"}}' in text


def test_every_answered_request_is_logged_by_route_template_without_its_content(
    server: Served, served_ws: ServedWs
) -> None:
    import time
    from datetime import UTC, datetime

    import pyarrow.dataset as ds

    from wardwatch.serve._sink import REQUEST_LOG_SCHEMA

    start = datetime.now(UTC)
    with server.client(served_ws.keys["cleo"]) as c:
        ok = c.post(PATH, json={"rows": rows(1)}, headers={"X-Request-ID": "feed0001"})
        bad = c.post("/v1/models/Jane-Roe-4471/predict?mrn=99812", json={"rows": rows(1)})
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert c.get(probe).status_code == 200
    assert (ok.status_code, bad.status_code) == (200, 404)
    folder = served_ws.ws.lake_dir / "requests"
    deadline = time.monotonic() + 20
    logged: list[dict[str, Any]] = []
    while time.monotonic() < deadline:  # written off the request path, every 0.25 s
        if folder.exists():
            table = ds.dataset(folder, partitioning="hive").to_table()
            assert table.select(REQUEST_LOG_SCHEMA.names).schema == REQUEST_LOG_SCHEMA
            logged = [r for r in table.to_pylist() if r["at"] >= start]
            if len(logged) >= 2:
                break
        time.sleep(0.2)
    time.sleep(0.6)  # anything more (a probe, wrongly logged) would have arrived by now
    logged = [
        r for r in ds.dataset(folder, partitioning="hive").to_table().to_pylist()
        if r["at"] >= start
    ]  # fmt: skip
    assert len(logged) == 2, logged  # probes and scrapes are not logged
    good, refused = sorted(logged, key=lambda r: r["status"])
    route = "/v1/models/{name}/predict"
    assert (good["route"], good["method"], good["status"]) == (route, "POST", 200)
    assert (good["model"], good["request_id"]) == (USECASE, "feed0001")
    assert 0 < good["latency_ms"] < 30_000
    assert (refused["route"], refused["status"]) == (route, 404)
    # a model name typed into the URL that is not served is not kept, nor the path or query
    assert (refused["model"], refused["request_id"]) == (None, None)
    text = repr(logged)
    assert "Jane" not in text
    assert "99812" not in text
