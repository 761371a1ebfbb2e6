"""CDS Hooks 2.0 client authentication: verify the JWT an EHR sends with every call.

The EHR (the CDS Client) signs a short-lived JWT with its private key and sends it as
``Authorization: Bearer <JWT>``. :class:`JwtVerifier` accepts it only when every rule of the
CDS Hooks 2.0 security section holds, read strictly:

* the signature algorithm is ``ES384`` or ``RS384`` (never ``none``, HMAC, or any other), and
  the key found for the header's ``kid`` is of that algorithm's type (no algorithm confusion);
* a ``typ`` header, if sent, is ``JWT``; ``iss`` is a trusted issuer; a ``jku`` header, if
  any, is in that issuer's allowlist, checked *before* anything is fetched (no SSRF);
* ``aud`` is exactly the called service's URL (a string, or a list holding only that string);
* ``exp`` is in the future, ``iat`` not in the future, and ``exp - iat`` at most
  ``max_lifetime_s`` (all with ``leeway_s``); ``jti`` is present and never seen before for
  this issuer while the token lives (replay protection).

A refusal is a :class:`JwtRejected` whose :attr:`~JwtRejected.reason` is one short word from
:data:`REASONS`; its message never carries the token or any claim value, so it is safe to log.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import orjson

from wardwatch.errors import ConfigError

__all__ = [
    "ALGORITHMS",
    "REASONS",
    "JwtRejected",
    "JwtVerifier",
    "TrustedIssuer",
    "VerifiedToken",
    "fetch_jwks",
]

#: The only signature algorithms accepted, with the JWK key type each needs.
ALGORITHMS: Mapping[str, tuple[str, str | None]] = {
    "ES384": ("EC", "P-384"),
    "RS384": ("RSA", None),
}

#: Every reason a token can be refused for, with what it means.
REASONS: Mapping[str, str] = {
    "missing": "no Authorization header",
    "malformed": "not a Bearer JWT that can be parsed",
    "typ": "the JWT header's typ is not JWT",
    "alg": "the signature algorithm is not ES384/RS384 or does not match the key",
    "iss": "the issuer is not trusted",
    "jku": "the JWK Set URL is not allowlisted for this issuer",
    "jwks": "the issuer's JWK Set could not be fetched or read",
    "kid": "no key with this kid in the issuer's JWK Set",
    "signature": "the signature does not verify",
    "aud": "the audience is not this CDS service's URL",
    "exp": "the token has expired or has no valid exp",
    "iat": "the token has no valid iat or was issued in the future",
    "nbf": "the token is not valid yet (nbf)",
    "lifetime": "exp - iat exceeds the allowed token lifetime",
    "jti": "the token has no jti",
    "replay": "this jti was already used",
}

_MAX_HEADER_CHARS = 16_384
_MAX_JWKS_BYTES = 64 * 1024
_FETCH_TIMEOUT_S = 3.0
#: A kid missing from a cached JWK Set refetches it (key rotation), at most this often.
_KID_MISS_REFETCH_S = 60.0
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class JwtRejected(Exception):  # noqa: N818 - the name the serve layer uses
    """The request's JWT is refused; :attr:`reason` is one key of :data:`REASONS`.

    The message names only the reason and its meaning (never the token or a claim value).
    """

    def __init__(self, reason: str) -> None:
        if reason not in REASONS:
            reason = "malformed"
        self.reason = reason
        super().__init__(
            f"CDS Hooks JWT rejected ({reason}): {REASONS[reason]}; "
            "the EHR must send a fresh token signed with a trusted key"
        )


@dataclass(frozen=True)
class TrustedIssuer:
    """An EHR allowed to call the CDS service.

    Args:
        iss: the exact ``iss`` claim the EHR uses.
        jku: JWK Set URLs the EHR may name in its ``jku`` header (exact match); with no
            ``jku`` header these are searched for the ``kid`` (after ``keys``).
        keys: a static JWK Set ``{"keys": [...]}``, or a mapping ``kid -> JWK``.
    """

    iss: str
    jku: tuple[str, ...] = ()
    keys: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class VerifiedToken:
    """What an accepted token says: who called (``iss``, ``sub``, ``tenant``), its unique
    ``jti`` and its expiry (``exp``, seconds since the epoch)."""

    iss: str
    sub: str | None
    jti: str
    tenant: str | None
    exp: float


def fetch_jwks(url: str) -> dict[str, Any]:
    """GET a JWK Set: 3 s timeout, no redirects, at most 64 KiB, a JSON object or an error."""
    with (
        httpx.Client(timeout=_FETCH_TIMEOUT_S, follow_redirects=False) as client,
        client.stream("GET", url, headers={"Accept": "application/json"}) as response,
    ):
        if response.status_code != 200:
            raise ValueError(f"JWK Set URL answered HTTP {response.status_code}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > _MAX_JWKS_BYTES:
                raise ValueError("JWK Set larger than 64 KiB")
    data = orjson.loads(bytes(body))
    if not isinstance(data, dict):
        raise ValueError("JWK Set is not a JSON object")
    return data


def _index_jwks(jwks: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``kid -> JWK`` from a JWK Set (``{"keys": [...]}``) or an existing kid mapping."""
    keys = jwks.get("keys")
    if isinstance(keys, list):
        out: dict[str, dict[str, Any]] = {}
        for key in keys:
            if isinstance(key, dict) and isinstance(key.get("kid"), str):
                out.setdefault(key["kid"], key)
        return out
    return {k: dict(v) for k, v in jwks.items() if isinstance(k, str) and isinstance(v, Mapping)}


@dataclass
class _ReplayCache:
    """``(iss, jti)`` pairs seen, each kept until its token can no longer be accepted.

    Bounded: when full, the entry closest to expiry is dropped first (it is the one whose
    replay window is shortest). Thread-safe.
    """

    size: int
    _expiry: dict[tuple[str, str], float] = field(default_factory=dict)
    _heap: list[tuple[float, tuple[str, str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: tuple[str, str], until: float, now: float) -> bool:
        """Record ``key`` until ``until``; False when it is already recorded (a replay)."""
        with self._lock:
            while self._heap and (self._heap[0][0] < now or len(self._expiry) >= self.size):
                old_until, old = heapq.heappop(self._heap)
                if self._expiry.get(old) == old_until:
                    del self._expiry[old]
            seen = self._expiry.get(key)
            if seen is not None and seen >= now:
                return False
            self._expiry[key] = until
            heapq.heappush(self._heap, (until, key))
            return True


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


class JwtVerifier:
    """Verifies CDS Hooks 2.0 JWTs against a fixed list of trusted EHRs.

    Args:
        issuers: the trusted EHRs.
        audience_base: the service's public base URL including ``/cds-services`` (e.g.
            ``https://cds.example.org/cds-services``); a relative ``service_url`` passed to
            :meth:`verify` is resolved against it.
        leeway_s: clock skew tolerated on ``exp``, ``iat`` and ``nbf``.
        max_lifetime_s: the longest ``exp - iat`` accepted.
        replay_cache_size: how many ``(iss, jti)`` pairs are remembered at most.
        fetch: reads a JWK Set URL (default :func:`fetch_jwks`); called only for allowlisted URLs.
        clock: seconds since the epoch (tests pass a fake).
        jwks_ttl_s: how long a fetched JWK Set is reused.
    """

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        *,
        audience_base: str,
        leeway_s: float = 30,
        max_lifetime_s: float = 3600,
        replay_cache_size: int = 100_000,
        fetch: Callable[[str], dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
        jwks_ttl_s: float = 300,
    ) -> None:
        if not re.match(r"https?://[^/\s]+", audience_base):
            raise ConfigError(
                "CDS Hooks audience base is not an absolute URL",
                field="audience_base",
                expected="https://host/cds-services",
            )
        if replay_cache_size < 1 or leeway_s < 0 or max_lifetime_s <= 0 or jwks_ttl_s < 0:
            raise ConfigError(
                "CDS Hooks JWT verifier limits out of range",
                expected="replay_cache_size >= 1, leeway_s >= 0, max_lifetime_s > 0",
            )
        self._issuers: dict[str, TrustedIssuer] = {}
        self._static: dict[str, dict[str, dict[str, Any]]] = {}
        for issuer in issuers:
            if not issuer.iss or issuer.iss in self._issuers:
                raise ConfigError(
                    "trusted issuer listed twice or empty", field="iss", hint="list each once"
                )
            if issuer.keys is None and not issuer.jku:
                raise ConfigError(
                    "trusted issuer has no keys and no jku",
                    record=issuer.iss,
                    hint="give a static JWK Set or an allowlisted JWK Set URL",
                )
            self._issuers[issuer.iss] = issuer
            self._static[issuer.iss] = _index_jwks(issuer.keys) if issuer.keys else {}
            if issuer.keys is not None and not self._static[issuer.iss]:
                raise ConfigError(
                    "trusted issuer's static keys hold no JWK with a kid", record=issuer.iss
                )
        self._base = audience_base.rstrip("/")
        self._leeway = float(leeway_s)
        self._max_lifetime = float(max_lifetime_s)
        self._fetch = fetch if fetch is not None else fetch_jwks
        self._clock = clock
        self._ttl = float(jwks_ttl_s)
        self._replay = _ReplayCache(replay_cache_size)
        self._jwks: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._jwks_lock = threading.Lock()

    def verify(self, authorization: str | None, *, service_url: str) -> VerifiedToken:
        """Check the ``Authorization`` header of a call to ``service_url``.

        Returns the verified claims; raises :class:`JwtRejected` for anything else (a
        well-formed refusal for every input, never another exception).
        """
        try:
            return self._verify(authorization, service_url)
        except JwtRejected:
            raise
        except Exception:
            raise JwtRejected("malformed") from None

    def _audience(self, service_url: str) -> str:
        if "://" in service_url:
            return service_url
        return f"{self._base}/{service_url.lstrip('/')}"

    def _verify(self, authorization: str | None, service_url: str) -> VerifiedToken:
        if authorization is None or not authorization.strip():
            raise JwtRejected("missing")
        if len(authorization) > _MAX_HEADER_CHARS:
            raise JwtRejected("malformed")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not _COMPACT.fullmatch(token):
            raise JwtRejected("malformed")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise JwtRejected("malformed") from None
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise JwtRejected("typ")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise JwtRejected("alg")
        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise JwtRejected("iss")
        key = self._key(issuer, header)
        try:
            claims = jwt.decode(
                token,
                key=key(alg),
                algorithms=[alg],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise JwtRejected("signature") from None
        except jwt.InvalidAlgorithmError:
            raise JwtRejected("alg") from None
        except jwt.PyJWTError:
            raise JwtRejected("malformed") from None
        return self._check_claims(claims, issuer.iss, self._audience(service_url))

    def _key(self, issuer: TrustedIssuer, header: Mapping[str, Any]) -> Callable[[str], jwt.PyJWK]:
        """The JWK for the header's ``kid``, as a factory binding it to the token's ``alg``."""
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise JwtRejected("kid")
        jku = header.get("jku")
        if jku is not None:
            if not isinstance(jku, str) or jku not in issuer.jku:
                raise JwtRejected("jku")
            jwk = self._from_url(jku, kid)
        else:
            jwk = self._static[issuer.iss].get(kid)
            for url in issuer.jku:
                if jwk is not None:
                    break
                jwk = self._from_url(url, kid)
        if jwk is None:
            raise JwtRejected("kid")
        found = jwk

        def bind(alg: str) -> jwt.PyJWK:
            kty, crv = ALGORITHMS[alg]
            if found.get("kty") != kty or (crv is not None and found.get("crv") != crv):
                raise JwtRejected("alg")
            if found.get("alg") not in (None, alg) or found.get("use") not in (None, "sig"):
                raise JwtRejected("alg")
            if "d" in found or "p" in found:
                raise JwtRejected("jwks")  # a private key published as a JWK: refuse to use it
            try:
                return jwt.PyJWK(found, algorithm=alg)
            except jwt.PyJWTError:
                raise JwtRejected("jwks") from None

        return bind

    def _from_url(self, url: str, kid: str) -> dict[str, Any] | None:
        """The JWK ``kid`` from the JWK Set at ``url`` (cached ``jwks_ttl_s``), or None."""
        now = self._clock()
        with self._jwks_lock:
            cached = self._jwks.get(url)
        if cached is not None:
            fetched_at, keys = cached
            age = now - fetched_at
            if age < self._ttl and (kid in keys or age < min(self._ttl, _KID_MISS_REFETCH_S)):
                return keys.get(kid)
        try:
            data = self._fetch(url)
            if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
                raise JwtRejected("jwks")
            keys = _index_jwks(data)
        except Exception:
            raise JwtRejected("jwks") from None
        with self._jwks_lock:
            self._jwks[url] = (now, keys)
        return keys.get(kid)

    def _check_claims(self, claims: Mapping[str, Any], iss: str, audience: str) -> VerifiedToken:
        aud = claims.get("aud")
        if not (aud == audience or (isinstance(aud, list) and aud == [audience])):
            raise JwtRejected("aud")
        now = self._clock()
        exp = _number(claims.get("exp"))
        if exp is None or exp + self._leeway <= now:
            raise JwtRejected("exp")
        iat = _number(claims.get("iat"))
        if iat is None or iat > now + self._leeway:
            raise JwtRejected("iat")
        if "nbf" in claims:
            nbf = _number(claims["nbf"])
            if nbf is None or nbf > now + self._leeway:
                raise JwtRejected("nbf")
        if exp - iat > self._max_lifetime or exp < iat:
            raise JwtRejected("lifetime")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise JwtRejected("jti")
        sub = claims.get("sub")
        tenant = claims.get("tenant")
        if not isinstance(sub, str | None) or not isinstance(tenant, str | None):
            raise JwtRejected("malformed")
        if not self._replay.add((iss, jti), exp + self._leeway, now):
            raise JwtRejected("replay")
        return VerifiedToken(iss=iss, sub=sub, jti=jti, tenant=tenant, exp=exp)
