"""The OpenAPI spec of a real ``wardwatch serve`` on 127.0.0.1, run by schemathesis: no
server error, and no answer the spec does not declare (status code, content type, body
schema, headers).

Every operation of ``/openapi.json`` gets seeded (derandomized) cases in three passes:

* ``valid``: schema-conforming data as the clinician ``cleo`` (both key headers fixed to her
  key, path parameters fixed to what the service serves: the model, a CDS service), so
  predictions are answered;
* ``fuzz``: schema-conforming data with only ``Authorization`` fixed (other headers, path
  parameters and bodies generated: unknown models, bad keys, odd request ids);
* ``negative``: data that breaks the schema, with ``Authorization`` fixed.

and a few ``explicit`` predictions that generated data rarely hits (every feature given, the
FHIR output format, one row over the limit). A failing check does not stop a pass: every
distinct violation (operation, status, check) is collected, and the test fails with all of
them listed, each with one example request.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.serve.conftest import USECASE, Served, ServedWs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

EXAMPLES = 40
"""Generated cases per operation and pass (fewer where the input space is smaller)."""


@dataclass(frozen=True)
class Finding:
    """One distinct violation and an example request that shows it."""

    operation: str
    status: int
    check: str
    title: str
    message: str
    example: str

    def line(self) -> str:
        detail = " ".join(self.message.split())[:300]
        return (
            f"{self.operation} -> {self.status}: {self.check} ({self.title}): {detail}\n"
            f"    e.g. {self.example[:400]}"
        )


@dataclass
class Tally:
    """What a run saw: responses by (pass, operation, status) and the distinct findings."""

    session: Any
    url: str
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    findings: dict[tuple[str, int, str], Finding] = field(default_factory=dict)

    def send(self, case: Any, pass_name: str) -> Any:
        """Send ``case``, run the checks, keep the first example of each new violation."""
        from schemathesis.core.failures import Failure, FailureGroup

        response = case.call(base_url=self.url, session=self.session, timeout=30)
        label = case.operation.label
        self.statuses[(pass_name, label, response.status_code)] += 1
        try:
            case.validate_response(response, checks=_checks())
        except (FailureGroup, Failure) as exc:
            failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            for f in failures:
                check = ",".join(type(f).checks) or type(f).__name__
                key = (label, response.status_code, check)
                if key not in self.findings:
                    body = response.content[:200].decode("utf-8", "replace")
                    self.findings[key] = Finding(
                        label,
                        response.status_code,
                        check,
                        f.title,
                        f.message,
                        f"{_request(case)} -> {body}",
                    )
        return response

    def summary(self) -> str:
        return "\n".join(
            f"  {p:8} {op:42} {status}: {n}" for (p, op, status), n in sorted(self.statuses.items())
        )


def _checks() -> list[Callable[..., Any]]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
    ]


def _request(case: Any) -> str:
    """The case as one line, without the API key."""
    secret = ("authorization", "x-api-key")
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in secret}
    parts = [case.method.upper(), case.formatted_path]
    if case.query:
        parts.append(f"query={case.query}")
    if headers:
        parts.append(f"headers={headers}")
    if case.body is not None:
        parts.append(f"body={str(case.body)[:200]}")
    return " ".join(str(p) for p in parts)


def _generated(operation: Any, mode: Any, fixed: dict[str, Any], tally: Tally, name: str) -> None:
    """Send up to ``EXAMPLES`` seeded cases of ``operation`` generated in ``mode``."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(operation.as_strategy(generation_mode=mode, **fixed))
    def run(case: Any) -> None:
        tally.send(case, name)

    with contextlib.suppress(Unsatisfiable):  # nothing to negate: the operation takes no input
        run()


def _cds_service(url: str) -> dict[str, str]:
    """``{"service_id": <the first CDS service>}`` when the service offers CDS Hooks."""
    import httpx

    r = httpx.get(f"{url}/cds-services", timeout=30)
    services = r.json().get("services") if r.status_code == 200 else None
    return {"service_id": services[0]["id"]} if services else {}


def _full_row(url: str, key: str) -> dict[str, Any]:
    """A row with every feature of the served model (numbers 1, categories 'home')."""
    import httpx

    r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    (model,) = [m for m in r.json()["models"] if m["name"] == USECASE]
    return {f["name"]: 1 if f["type"] == "number" else "home" for f in model["features"]}


def test_the_openapi_spec_holds_under_fuzzing(server: Served, served_ws: ServedWs) -> None:
    import requests
    import schemathesis
    from schemathesis import GenerationMode

    key = served_ws.keys["cleo"]
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    predict = next((op for op in operations if op.path == "/v1/models/{name}/predict"), None)
    assert predict is not None, [op.label for op in operations]

    auth = {"authorization": f"Bearer {key}"}
    known = {"name": USECASE, **_cds_service(server.url)}
    with requests.Session() as session:
        tally = Tally(session, server.url)
        for op in operations:
            headers = {p.name.lower() for p in op.iter_parameters() if p.location == "header"}
            path = {k: v for k, v in known.items() if f"{{{k}}}" in op.path}
            valid: dict[str, Any] = {
                "headers": {**auth, **({"x-api-key": key} if "x-api-key" in headers else {})}
            }
            if path:
                valid["path_parameters"] = path
            _generated(op, GenerationMode.POSITIVE, valid, tally, "valid")
            _generated(op, GenerationMode.POSITIVE, {"headers": auth}, tally, "fuzz")
            _generated(op, GenerationMode.NEGATIVE, {"headers": auth}, tally, "negative")

        row = _full_row(server.url, key)
        for body in (
            {"rows": [row]},
            {"rows": [row, {}], "patient_ids": ["pt-1", None]},
            {"rows": [row], "format": "fhir"},
            {"rows": [row] * 101},
        ):
            case = predict.Case(path_parameters={"name": USECASE}, headers=auth, body=body)
            tally.send(case, "explicit")

    summary = tally.summary()
    print(f"responses by pass, operation and status:\n{summary}")
    answered = sum(
        n for (p, op, s), n in tally.statuses.items() if op == predict.label and s == 200
    )
    assert answered > 0, f"no prediction was answered 200; responses:\n{summary}"
    findings = sorted(tally.findings.values(), key=lambda f: f.line())
    assert not findings, (
        f"{len(findings)} violation(s) of the OpenAPI spec:\n"
        + "\n".join(f.line() for f in findings)
        + f"\nresponses:\n{summary}"
    )
