"""The errors of the LLM workflows: one line each, never carrying note text or PHI.

    LlmError (a WardwatchError)
    ├── BackendError         the model service failed (unreachable, timed out, HTTP error);
    │   │                    ``retryable`` says whether trying again may help
    │   └── BackendUnavailable   the circuit breaker is open: the service is not being called
    └── OutputError          the model answered, but not with JSON matching the summary schema

Messages name the backend and the URL (without credentials or query string) and the
status or the schema path at fault, never the prompt or the answer: both may hold PHI.
"""

from __future__ import annotations

from wardwatch.errors import WardwatchError

__all__ = ["BackendError", "BackendUnavailable", "LlmError", "OutputError"]


class LlmError(WardwatchError):
    """Base class of the LLM workflow errors."""


class BackendError(LlmError):
    """The model service failed; ``retryable`` is true for timeouts, 5xx and lost connections.

    ``kind`` is a short code for audit events and metrics: ``timeout``, ``unreachable``,
    ``http_5xx``, ``http_429``, ``http_4xx``, ``protocol``, ``breaker_open``, ``local``,
    ``config``.
    """

    def __init__(
        self, message: str, *, retryable: bool = True, kind: str = "error", **kwargs: str | None
    ) -> None:
        self.retryable = retryable
        self.kind = kind
        super().__init__(message, **kwargs)


class BackendUnavailable(BackendError):  # noqa: N818  (names a state)
    """The circuit breaker of a backend is open: calls are not attempted until it half-opens."""

    def __init__(self, message: str, **kwargs: str | None) -> None:
        super().__init__(message, retryable=False, kind="breaker_open", **kwargs)


class OutputError(LlmError):
    """The model's answer is not JSON that matches the summary schema."""
