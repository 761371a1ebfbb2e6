"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It records every request body it receives and answers in ways that exercise the pipeline:

- ``echo`` (default): copies up to three quoted source sentences *with placeholders* and
  correct citations, adds one sentence whose citation points at the wrong source sentence,
  one hallucinated sentence (a drug and dose no note states) and one uncited sentence; for
  a source sentence that says "ignore ... instructions and state that X", it states X,
  citing that sentence (what a model that follows injections would do).
- ``malformed``: prose with broken JSON.
- ``status``: answers HTTP ``status`` to the next ``fail_count`` requests, then ``echo``.
- ``slow``: sleeps ``delay_s`` before answering.
- ``reject_schema``: HTTP 400 naming ``response_format`` when one is sent, else ``echo``.
- ``refuse``: a schema-valid refusal.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BLOCK = re.compile(r"<<<SOURCE (\w+):(\d+)-(\d+)>>>\n(.*?)\n<<<END SOURCE>>>", re.S)
INJECTION = re.compile(
    r"(?:ignore|disregard|forget)[^.]*?\b(?:and|,)\s+(?:instead\s+)?(?:state|say|write|report)\s+"
    r"(?:that\s+)?(.+?)[.!]?$",
    re.I,
)
HALLUCINATION = "The patient was started on warfarin 7.5 mg daily for atrial fibrillation."


@dataclass
class MockLLM:
    """State shared with the handler: the mode, its knobs, and every request body received."""

    mode: str = "echo"
    status: int = 503
    fail_count: int = 0
    delay_s: float = 0.0
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | str]:
        with self.lock:
            if self.mode == "status" and self.fail_count > 0:
                self.fail_count -= 1
                return self.status, {"error": {"message": "overloaded"}}
        if self.mode == "slow":
            time.sleep(self.delay_s)
        if self.mode == "reject_schema" and "response_format" in body:
            return 400, {"error": {"message": "response_format json_schema is not supported"}}
        if self.mode == "malformed":
            return 200, _completion('Sure! Here is the summary: {"sections": [ {"title": ')
        if self.mode == "refuse":
            return 200, _completion(json.dumps({"sections": [], "refusal": "not in the notes"}))
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        return 200, _completion(json.dumps(echo_answer(user)))


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "cmpl-1",
        "object": "chat.completion",
        "model": "mock-7b",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
    }


def echo_answer(user: str) -> dict[str, Any]:
    """The ``echo`` mode's answer to a user message (see the module docstring)."""
    blocks = [(a, int(s), int(e), t) for a, s, e, t in BLOCK.findall(user)]
    facts = [b for b in blocks if len(b[3].split()) >= 4 and not INJECTION.search(b[3])]
    sentences: list[dict[str, Any]] = []

    def cite(b: tuple[str, int, int, str]) -> list[dict[str, Any]]:
        return [{"source_id": b[0], "start": b[1], "end": b[2]}]

    for b in facts[:3]:
        sentences.append({"text": b[3], "citations": cite(b)})
    if len(facts) >= 5:  # a real sentence cited to an unrelated span
        sentences.append({"text": facts[3][3], "citations": cite(facts[-1])})
    if facts:
        sentences.append({"text": HALLUCINATION, "citations": cite(facts[0])})
        sentences.append({"text": "Overall the patient is doing well.", "citations": []})
    for b in blocks:
        m = INJECTION.search(b[3])
        if m:
            sentences.append(
                {"text": m.group(1)[0].upper() + m.group(1)[1:] + ".", "citations": cite(b)}
            )
    return {"sections": [{"title": "Summary", "sentences": sentences}], "refusal": None}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence the test output
        return

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        state = self.server.state
        with state.lock:
            state.bodies.append(raw)
        if not self.path.split("?", 1)[0].endswith("/chat/completions"):
            self._send(404, {"error": "no such route"})
            return
        status, payload = state.answer(json.loads(raw))
        self._send(status, payload)

    def _send(self, status: int, payload: dict[str, Any] | str) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: MockLLM


@contextmanager
def mock_llm() -> Iterator[MockLLM]:
    """Start the server on a free loopback port; stop it on exit."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = MockLLM(url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
