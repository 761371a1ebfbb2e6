"""Any OpenAI-compatible chat-completions endpoint: vLLM, Ollama, llama.cpp server, Azure OpenAI.

``url`` is the API base (``http://127.0.0.1:8000/v1``; ``/chat/completions`` is appended) or
the full endpoint (an Azure deployment URL with its ``api-version`` query). The request asks
for structured output (``response_format`` of type ``json_schema``, strict); a server that
rejects that (HTTP 400 naming ``response_format``) is asked again without it, once, and is
then remembered as one that does not support it: the JSON is read from the message text.

Errors are one line and name the endpoint without credentials or query string, and never the
prompt: a timeout or a lost connection or an HTTP 429/5xx is retryable; other 4xx are not.
The backend is *not local*: the pipeline redacts what it sends.
"""

from __future__ import annotations

import time
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from wardwatch.llm._errors import BackendError
from wardwatch.llm.backends._base import ChatRequest, ChatResponse

__all__ = ["OpenAIBackend", "safe_url"]


def safe_url(url: str) -> str:
    """``url`` without user, password, query or fragment: safe to print and to audit."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "(unparsable URL)"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class OpenAIBackend:
    """A chat-completions client; see the module docstring.

    Args:
        url: API base or full endpoint.
        model: the model name the server expects.
        api_key: sent as ``Authorization: Bearer`` (``api-key`` header for Azure hosts).
        timeout_s: per request (connect, read and write each).
        json_mode: ``auto`` (structured output, dropped if the server rejects it), ``schema``
            (always), ``none`` (never; parse JSON from the text).
        client: an ``httpx.Client`` to use (tests, proxies); one is made otherwise.
    """

    name = "openai"
    local = False

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        json_mode: Literal["auto", "schema", "none"] = "auto",
        client: httpx.Client | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise BackendError(
                "bad model service URL",
                retryable=False,
                record=safe_url(url),
                expected="http(s)://host[:port]/v1",
                kind="config",
            )
        path = parts.path.rstrip("/")
        if not path.endswith("/chat/completions"):
            path += "/chat/completions"
        self.endpoint = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
        self.model = model
        self.timeout_s = timeout_s
        self.json_mode = json_mode
        self._schema_ok = json_mode != "none"
        headers = {"Content-Type": "application/json"}
        if api_key:
            azure = (parts.hostname or "").endswith(".openai.azure.com")
            headers.update(
                {"api-key": api_key} if azure else {"Authorization": f"Bearer {api_key}"}
            )
        self._client = client or httpx.Client(timeout=httpx.Timeout(timeout_s), headers=headers)
        if client is not None:
            self._client.headers.update(headers)

    @property
    def where(self) -> str:
        """The endpoint, safe to print."""
        return safe_url(self.endpoint)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def _body(self, request: ChatRequest, with_schema: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if with_schema and request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "summary", "strict": True, "schema": request.json_schema},
            }
        return body

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            return self._client.post(
                self.endpoint, content=orjson.dumps(body), timeout=self.timeout_s
            )
        except httpx.TimeoutException:
            raise BackendError(
                "model service timed out",
                record=self.where,
                found=f"no answer in {self.timeout_s:g} s",
                kind="timeout",
                hint="raise --timeout or check the server's load",
            ) from None
        except httpx.TransportError as exc:
            raise BackendError(
                "model service unreachable",
                record=self.where,
                found=type(exc).__name__,
                kind="unreachable",
                hint="check --url and that the server runs",
            ) from None

    def complete(self, request: ChatRequest) -> ChatResponse:
        """POST the request; the answer's first choice as a :class:`ChatResponse`."""
        t0 = time.perf_counter()
        with_schema = self._schema_ok and request.json_schema is not None
        resp = self._post(self._body(request, with_schema))
        if (
            resp.status_code == 400
            and with_schema
            and self.json_mode == "auto"
            and b"response_format" in resp.content
        ):
            self._schema_ok = False
            resp = self._post(self._body(request, False))
        status = resp.status_code
        if status == 429 or status >= 500:
            raise BackendError(
                "model service error",
                record=self.where,
                found=f"HTTP {status}",
                kind="http_5xx" if status >= 500 else "http_429",
            )
        if status >= 400:
            hint = "check the API key" if status in (401, 403) else "check --url and --model"
            raise BackendError(
                "model service refused the request",
                retryable=False,
                record=self.where,
                found=f"HTTP {status}",
                kind="http_4xx",
                hint=hint,
            )
        try:
            data = orjson.loads(resp.content)
            content = data["choices"][0]["message"]["content"]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
            raise BackendError(
                "model service answered with no chat completion",
                retryable=False,
                record=self.where,
                expected="choices[0].message.content",
                kind="protocol",
            ) from None
        if not isinstance(content, str):
            raise BackendError(
                "model service answered with no text",
                retryable=False,
                record=self.where,
                field="choices[0].message.content",
                kind="protocol",
            )
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return ChatResponse(
            content=content,
            backend=self.name,
            model=str(data.get("model") or self.model),
            latency_s=time.perf_counter() - t0,
            usage={k: v for k, v in usage.items() if isinstance(v, int)},
        )
