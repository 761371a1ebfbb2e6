"""LLM backends: one small interface, three implementations, and resilience around them.

- :class:`ExtractiveBackend`: the embedded default; deterministic, offline, cites by
  construction (its sentences are source sentences).
- :class:`OpenAIBackend`: any OpenAI-compatible chat-completions endpoint by URL (vLLM,
  Ollama, llama.cpp server, Azure OpenAI). Not local: what it is sent is redacted.
- :class:`LlamaCppBackend`: a local GGUF model through llama-cpp-python (optional extra).
- :class:`ResilientBackend`: retries with backoff, a circuit breaker and fallback to the
  extractive backend, each audited.
"""

from wardwatch.llm.backends._base import (
    Backend,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    ContextItem,
    SectionSpec,
    make_label,
    parse_label,
)
from wardwatch.llm.backends._extractive import ExtractiveBackend
from wardwatch.llm.backends._llamacpp import LlamaCppBackend
from wardwatch.llm.backends._openai import OpenAIBackend, safe_url
from wardwatch.llm.backends._resilience import (
    BreakerState,
    CircuitBreaker,
    ResilientBackend,
    RetryPolicy,
)

__all__ = [
    "Backend",
    "BreakerState",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "CircuitBreaker",
    "ContextItem",
    "ExtractiveBackend",
    "LlamaCppBackend",
    "OpenAIBackend",
    "ResilientBackend",
    "RetryPolicy",
    "SectionSpec",
    "make_label",
    "parse_label",
    "safe_url",
]
