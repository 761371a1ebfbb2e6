"""Timeouts, retries with backoff, a circuit breaker and fallback, each audited.

:class:`ResilientBackend` wraps a backend (a model service) and keeps summaries coming when
it degrades:

- **Retries**: a retryable failure (timeout, lost connection, HTTP 429/5xx) is tried again
  after an exponential backoff with jitter, ``min(max_delay, base * 2**i) * (1 + jitter*u)``,
  ``u`` drawn from a generator seeded by :class:`RetryPolicy` (the same delays every run).
  Each retry appends ``llm.retry``.
- **Circuit breaker** (:class:`CircuitBreaker`): after ``failure_threshold`` consecutive
  failed calls the circuit *opens* and the service is not called; ``reset_after_s`` later it
  is *half-open*: one probe call goes through; success *closes* it, failure opens it again.
  Each change of state appends ``llm.breaker`` (``from``, ``to``).
- **Fallback**: when the call still fails, or the circuit is open, or the pipeline finds the
  answer malformed, the request goes to the fallback backend (the extractive one by
  default), and ``llm.fallback`` records from which backend, to which, and why.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from wardwatch.llm._audit import AuditSink, null_sink
from wardwatch.llm._errors import BackendError, BackendUnavailable
from wardwatch.llm.backends._base import Backend, ChatRequest, ChatResponse

__all__ = ["BreakerState", "CircuitBreaker", "ResilientBackend", "RetryPolicy"]

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry (``attempts`` counts the first call)."""

    attempts: int = 3
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0
    jitter: float = 0.5
    seed: int = 0

    def delays(self) -> list[float]:
        """The waits before attempts 2, 3, ...: exponential, capped, with seeded jitter."""
        rng = random.Random(self.seed)  # noqa: S311  (jitter, not a secret: seeded for replay)
        return [
            min(self.max_delay_s, self.base_delay_s * 2**i) * (1 + self.jitter * rng.random())
            for i in range(max(0, self.attempts - 1))
        ]


class CircuitBreaker:
    """Closed -> open after ``failure_threshold`` consecutive failures -> half-open after
    ``reset_after_s`` -> closed on a successful probe (or open again on a failed one).

    ``on_change(old, new)`` is called on every transition; ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        failure_threshold: int = 3,
        reset_after_s: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState, BreakerState], None] | None = None,
    ) -> None:
        self.failure_threshold = max(1, failure_threshold)
        self.reset_after_s = reset_after_s
        self._clock = clock
        self.on_change = on_change
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        """The state now (an open circuit whose wait is over reports half-open)."""
        if self._state == "open" and self._clock() - self._opened_at >= self.reset_after_s:
            self._move("half_open")
        return self._state

    def _move(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        if new == "open":
            self._opened_at = self._clock()
        if old != new and self.on_change is not None:
            self.on_change(old, new)

    def allow(self) -> bool:
        """Whether a call may go through now."""
        return self.state != "open"

    def record_success(self) -> None:
        self._failures = 0
        if self._state != "closed":
            self._move("closed")

    def record_failure(self) -> None:
        self._failures += 1
        if self._state == "half_open" or self._failures >= self.failure_threshold:
            self._move("open")


class ResilientBackend:
    """A backend with retries, a circuit breaker and a fallback (see the module docstring)."""

    def __init__(
        self,
        primary: Backend,
        *,
        fallback: Backend | None,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        audit: AuditSink = null_sink,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry = retry or RetryPolicy()
        self.audit = audit
        self._sleep = sleep
        self.breaker = breaker or CircuitBreaker()
        self.breaker.on_change = self._breaker_changed

    @property
    def name(self) -> str:
        return self.primary.name

    @property
    def model(self) -> str:
        return self.primary.model

    @property
    def local(self) -> bool:
        return self.primary.local

    def _breaker_changed(self, old: BreakerState, new: BreakerState) -> None:
        self.audit(
            "llm.breaker",
            f"backend:{self.primary.name}",
            {"backend": self.primary.name, "from": old, "to": new},
        )

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Call the primary with retries; fall back when it fails or its circuit is open."""
        if not self.breaker.allow():
            err: BackendError = BackendUnavailable(
                "model service circuit is open",
                record=self.primary.name,
                hint=f"calls resume after {self.breaker.reset_after_s:g} s",
            )
            return self.fall_back(request, err)
        delays = self.retry.delays()
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = self.primary.complete(request)
            except BackendError as exc:
                err = exc
                self.breaker.record_failure()
                if not exc.retryable or attempt == self.retry.attempts or not self.breaker.allow():
                    break
                delay = delays[attempt - 1]
                self.audit(
                    "llm.retry",
                    f"backend:{self.primary.name}",
                    {
                        "backend": self.primary.name,
                        "attempt": attempt + 1,
                        "error": exc.kind,
                        "delay_s": round(delay, 3),
                    },
                )
                self._sleep(delay)
                continue
            self.breaker.record_success()
            return response
        return self.fall_back(request, err)

    def fall_back(self, request: ChatRequest, error: BackendError | str) -> ChatResponse:
        """Answer with the fallback backend, recording ``llm.fallback``; re-raise without one."""
        reason = error if isinstance(error, str) else error.kind
        if self.fallback is None:
            if isinstance(error, BackendError):
                raise error
            raise BackendError(
                "model answer unusable and no fallback",
                retryable=False,
                record=self.primary.name,
                found=reason,
                kind=reason,
            )
        self.audit(
            "llm.fallback",
            f"backend:{self.primary.name}",
            {"from": self.primary.name, "to": self.fallback.name, "reason": reason},
        )
        response = self.fallback.complete(request)
        return dataclasses.replace(response, fallback_from=self.primary.name)
