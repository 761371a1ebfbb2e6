"""The OpenAI-compatible backend and its resilience, against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.llm._mock_llm import MockLLM
from wardwatch.llm._audit import MemoryAudit
from wardwatch.llm._errors import BackendError
from wardwatch.llm.backends import (
    ChatMessage,
    ChatRequest,
    CircuitBreaker,
    ExtractiveBackend,
    OpenAIBackend,
    ResilientBackend,
    RetryPolicy,
    safe_url,
)
from wardwatch.llm.schema import SUMMARY_JSON_SCHEMA

REQ = ChatRequest(
    messages=(
        ChatMessage("system", "sys"),
        ChatMessage(
            "user", "<<<SOURCE S1:0-40>>>\nCreatinine was 1.4 mg/dL on admission.\n<<<END SOURCE>>>"
        ),
    ),
    json_schema=SUMMARY_JSON_SCHEMA,
)


def test_success_sends_the_chat_completions_protocol(llm_server: MockLLM) -> None:
    backend = OpenAIBackend(llm_server.url, "mock-7b", api_key="sk-test")
    resp = backend.complete(REQ)
    assert resp.backend == "openai"
    assert resp.model == "mock-7b"
    assert (
        json.loads(resp.content)["sections"][0]["sentences"][0]["citations"][0]["source_id"] == "S1"
    )
    (body,) = [json.loads(b) for b in llm_server.bodies]
    assert body["model"] == "mock-7b"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == SUMMARY_JSON_SCHEMA
    assert body["temperature"] == 0


def test_server_without_structured_output_is_asked_again_without_it(llm_server: MockLLM) -> None:
    llm_server.mode = "reject_schema"
    backend = OpenAIBackend(llm_server.url, "m")
    backend.complete(REQ)
    backend.complete(REQ)
    bodies = [json.loads(b) for b in llm_server.bodies]
    assert ["response_format" in b for b in bodies] == [True, False, False]


def test_timeout_is_one_line_naming_the_url_only(llm_server: MockLLM) -> None:
    llm_server.mode = "slow"
    llm_server.delay_s = 1.0
    backend = OpenAIBackend(llm_server.url + "?key=secret", "m", timeout_s=0.2)
    with pytest.raises(BackendError) as exc:
        backend.complete(REQ)
    assert exc.value.kind == "timeout"
    assert exc.value.retryable
    text = str(exc.value)
    assert llm_server.url + "/chat/completions" in text
    assert "secret" not in text
    assert "Creatinine" not in text
    assert "\n" not in text


def test_unreachable_url() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = OpenAIBackend(f"http://user:pw@127.0.0.1:{port}/v1", "m", timeout_s=1)
    with pytest.raises(BackendError) as exc:
        backend.complete(REQ)
    assert exc.value.kind == "unreachable"
    assert f"http://127.0.0.1:{port}/v1/chat/completions" in str(exc.value)
    assert "pw" not in str(exc.value)
    assert safe_url("https://u:p@h.example:8443/x?api-key=1#f") == "https://h.example:8443/x"


@pytest.mark.parametrize(
    ("status", "retryable"), [(503, True), (429, True), (401, False), (404, False)]
)
def test_http_errors(llm_server: MockLLM, status: int, retryable: bool) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", status, 1
    with pytest.raises(BackendError) as exc:
        OpenAIBackend(llm_server.url, "m").complete(REQ)
    assert exc.value.retryable is retryable
    assert f"HTTP {status}" in str(exc.value)


def test_5xx_is_retried_with_seeded_backoff_and_audited(llm_server: MockLLM) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", 503, 2
    audit, slept = MemoryAudit(), []
    policy = RetryPolicy(attempts=3, base_delay_s=0.1, jitter=0.5, seed=7)
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"),
        fallback=None,
        retry=policy,
        audit=audit,
        sleep=slept.append,
    )
    resp = backend.complete(REQ)
    assert resp.fallback_from is None
    assert len(llm_server.bodies) == 3
    assert slept == policy.delays()
    assert 0.1 <= slept[0] <= 0.15
    assert 0.2 <= slept[1] <= 0.3
    assert policy.delays() == RetryPolicy(attempts=3, base_delay_s=0.1, jitter=0.5, seed=7).delays()
    retries = [p for a, _, p in audit.events if a == "llm.retry"]
    assert [(r["attempt"], r["error"]) for r in retries] == [(2, "http_5xx"), (3, "http_5xx")]


def test_4xx_is_not_retried(llm_server: MockLLM) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", 400, 5
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"), fallback=None, sleep=lambda s: None
    )
    with pytest.raises(BackendError, match="HTTP 400"):
        backend.complete(REQ)
    assert len(llm_server.bodies) == 1


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_n_failures_and_recovers_half_open(llm_server: MockLLM) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", 500, 3
    clock, audit = Clock(), MemoryAudit()
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"),
        fallback=ExtractiveBackend(),
        retry=RetryPolicy(attempts=1),
        breaker=CircuitBreaker(failure_threshold=3, reset_after_s=30, clock=clock),
        audit=audit,
    )
    for _ in range(3):
        assert backend.complete(REQ).fallback_from == "openai"
    assert backend.breaker.state == "open"
    assert len(llm_server.bodies) == 3
    backend.complete(REQ)  # open: the service is not called
    assert len(llm_server.bodies) == 3
    clock.now = 31.0
    assert backend.breaker.state == "half_open"
    resp = backend.complete(REQ)  # the probe succeeds (the server recovered)
    assert resp.fallback_from is None
    assert backend.breaker.state == "closed"
    transitions = [(p["from"], p["to"]) for a, _, p in audit.events if a == "llm.breaker"]
    assert transitions == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    reasons = [p["reason"] for a, _, p in audit.events if a == "llm.fallback"]
    assert reasons == ["http_5xx", "http_5xx", "http_5xx", "breaker_open"]


def test_failed_probe_opens_the_circuit_again(llm_server: MockLLM) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", 500, 10
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after_s=5, clock=clock)
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"),
        fallback=ExtractiveBackend(),
        retry=RetryPolicy(attempts=1),
        breaker=breaker,
    )
    backend.complete(REQ)
    backend.complete(REQ)
    clock.now = 6
    backend.complete(REQ)
    assert breaker.state == "open"
    clock.now = 10
    assert breaker.state == "open"
    clock.now = 11.5
    assert breaker.state == "half_open"


def test_no_fallback_raises_the_last_error(llm_server: MockLLM) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", 502, 5
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"),
        fallback=None,
        retry=RetryPolicy(attempts=2),
        sleep=lambda s: None,
    )
    with pytest.raises(BackendError, match="HTTP 502"):
        backend.complete(REQ)


def test_bad_url_and_non_completion_answers() -> None:
    with pytest.raises(BackendError, match="bad model service URL"):
        OpenAIBackend("ftp://x", "m")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"not": "a completion"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(BackendError, match="no chat completion"):
        OpenAIBackend("http://127.0.0.1:9/v1", "m", client=client).complete(REQ)
