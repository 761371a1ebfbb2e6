"""A local GGUF model through llama-cpp-python: an optional extra, not needed by CI.

``llama-cpp-python`` compiles from source (about 16 minutes on a 2-core machine), so it is
not a dependency of wardwatch: install it yourself (``pip install llama-cpp-python``) to use
this backend. The model runs in this process, so the backend is *local* and text sent to it
is not redacted. The summary schema is passed as the JSON grammar of the answer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wardwatch.errors import ConfigError
from wardwatch.llm._errors import BackendError
from wardwatch.llm.backends._base import ChatRequest, ChatResponse

__all__ = ["LlamaCppBackend"]


class LlamaCppBackend:
    """A GGUF model file run by llama-cpp-python (see the module docstring)."""

    name = "llamacpp"
    local = True

    def __init__(self, model_path: Path, *, n_ctx: int = 8192, seed: int = 0) -> None:
        try:
            import llama_cpp  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise ConfigError(
                "the llamacpp backend needs llama-cpp-python, which is not installed",
                hint="pip install llama-cpp-python (an optional extra; it compiles from source)",
            ) from None
        if not Path(model_path).is_file():
            raise ConfigError("no such GGUF model file", record=str(model_path))
        self.model = Path(model_path).name
        self._llm: Any = llama_cpp.Llama(
            model_path=str(model_path), n_ctx=n_ctx, seed=seed, verbose=False
        )

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Run the chat completion in-process; the schema constrains the answer."""
        t0 = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if request.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": dict(request.json_schema)}
        try:
            out = self._llm.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                **kwargs,
            )
            content = str(out["choices"][0]["message"]["content"] or "")
        except (RuntimeError, ValueError, KeyError, IndexError) as exc:
            raise BackendError(
                "local model failed",
                record=self.model,
                found=type(exc).__name__,
                retryable=False,
                kind="local",
            ) from None
        return ChatResponse(content, self.name, self.model, time.perf_counter() - t0)
