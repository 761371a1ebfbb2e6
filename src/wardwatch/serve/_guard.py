"""Who may call, how much: API keys with a short cache, per-key rate limits.

:class:`KeyCache` authenticates ``Authorization: Bearer <key>`` (or ``X-API-Key``) against
the registry's identities and keeps a verified key for ``ttl_s`` seconds, so that a request
costs no query while a revoked key stops working within that time. :class:`RateLimiter` is a
token bucket per key id: ``rate`` requests a second on average, bursts up to ``burst``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from wardwatch.registry import AuthError, Identity

__all__ = ["KeyCache", "RateLimiter", "bearer"]


def bearer(authorization: str | None, x_api_key: str | None) -> str | None:
    """The API key of a request: ``X-API-Key``, or the token of ``Authorization: Bearer``."""
    if x_api_key:
        return x_api_key.strip()
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


class KeyCache:
    """Verified keys for ``ttl_s`` seconds (see the module docstring)."""

    def __init__(
        self,
        authenticate: Callable[[str | None], Identity],
        *,
        ttl_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._authenticate = authenticate
        self.ttl_s = ttl_s
        self._clock = clock
        self._seen: dict[str, tuple[float, Identity]] = {}
        self._lock = threading.Lock()

    def identity(self, key: str | None) -> Identity:
        """The identity of ``key``; raises :class:`AuthError` for a bad, unknown or revoked
        key (the message never holds the key)."""
        if not key:
            raise AuthError("no API key", expected="Authorization: Bearer <key> or X-API-Key")
        now = self._clock()
        hit = self._seen.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        who = self._authenticate(key)
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v[0] > now}
            self._seen[key] = (now + self.ttl_s, who)
        return who


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per key id; :meth:`allow` returns 0 when allowed, else the seconds to
    wait before the next request would be."""

    def __init__(
        self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, cost: float = 1.0) -> float:
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                b = self._buckets[key] = _Bucket(self.burst, now)
            b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
            b.at = now
            if b.tokens >= cost:
                b.tokens -= cost
                return 0.0
            return (cost - b.tokens) / self.rate
