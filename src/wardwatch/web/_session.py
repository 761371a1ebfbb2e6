"""Dashboard sessions: an API key, typed once, exchanged for a signed session cookie.

The cookie (``ww_session``, HttpOnly, SameSite=Strict, ``Secure`` behind HTTPS, path
``/ui``) holds the key's id, the person, the role, the model scope, a CSRF token and when it
was issued, signed with a key derived from the workspace secret (itsdangerous). It never
holds the API key. Every request re-reads the identity of the key id from the store (cached
a few seconds), so revoking a key ends its sessions; a session lasts at most
:data:`SESSION_HOURS` hours.

CSRF: every form carries the session's token in ``csrf_token`` and every htmx request in the
``X-CSRF-Token`` header; a state-changing request without the matching token, or whose
``Origin`` names another site, is refused. The login form, before any session exists, uses
a double-submit cookie (``ww_login``) instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request

from wardwatch.registry import Identity

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "SESSION_HOURS",
    "Session",
    "SessionSigner",
    "same_origin",
    "tokens_match",
]

SESSION_COOKIE = "ww_session"
LOGIN_COOKIE = "ww_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_HOURS = 8
_CACHE_S = 5.0


@dataclass(frozen=True)
class Session:
    """A signed-in person: who, in which role, which models, and the session's CSRF token."""

    identity: Identity
    csrf: str
    issued: float

    @property
    def role(self) -> str:
        return self.identity.role

    @property
    def name(self) -> str:
        return self.identity.name


class SessionSigner:
    """Signs and reads session cookies; ``lookup(key_id)`` is the key's current identity
    (None when revoked or unknown), cached for a few seconds."""

    def __init__(
        self,
        secret: bytes,
        lookup: Callable[[str], Identity | None],
        *,
        max_age_s: int = SESSION_HOURS * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = hmac.new(secret, b"wardwatch-ui-session-v1", hashlib.sha256).hexdigest()
        self._signer = URLSafeTimedSerializer(key, salt="wardwatch-ui")
        self._lookup = lookup
        self.max_age_s = max_age_s
        self._clock = clock
        self._seen: dict[str, tuple[float, Identity | None]] = {}
        self._lock = threading.Lock()

    def issue(self, identity: Identity) -> tuple[str, Session]:
        """A new session for ``identity`` and its cookie value."""
        if identity.key_id is None:
            raise ValueError("a dashboard session needs an identity with an API key")
        session = Session(identity, secrets.token_urlsafe(32), self._clock())
        value = self._signer.dumps({"k": identity.key_id, "c": session.csrf, "t": session.issued})
        return value, session

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie value carries, None when absent, forged, expired or revoked."""
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age_s)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        if not isinstance(data, dict):
            return None
        key_id, csrf, issued = data.get("k"), data.get("c"), data.get("t")
        if not isinstance(key_id, str) or not isinstance(csrf, str):
            return None
        if not isinstance(issued, int | float) or self._clock() - issued > self.max_age_s:
            return None
        identity = self._identity(key_id)
        return None if identity is None else Session(identity, csrf, float(issued))

    def _identity(self, key_id: str) -> Identity | None:
        now = time.monotonic()
        hit = self._seen.get(key_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        who = self._lookup(key_id)
        with self._lock:
            if len(self._seen) > 1000:
                self._seen.clear()
            self._seen[key_id] = (now + _CACHE_S, who)
        return who


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of CSRF tokens (False when either is missing)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def same_origin(request: Request) -> bool:
    """False when the request's ``Origin`` (or, without one, ``Referer``) names another host
    than the one it was sent to; True when neither header is present (non-browser clients
    still need the token)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source != "null"
    host = request.headers.get("host", "")
    return urlsplit(source).netloc.lower() == host.lower()
