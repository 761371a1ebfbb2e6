"""CDS Hooks 2.0 JWT verification: real keys, real signatures, a real local JWKS server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from wardwatch.errors import ConfigError
from wardwatch.serve._jwt import REASONS, JwtRejected, JwtVerifier, TrustedIssuer

NOW = 1_800_000_000.0
ISS = "https://ehr.example.org/"
BASE = "https://cds.example.org/cds-services"
URL = f"{BASE}/readmission-30d"


@dataclass(frozen=True)
class Keys:
    ec: EllipticCurvePrivateKey
    ec_other: EllipticCurvePrivateKey
    ec_p256: EllipticCurvePrivateKey
    rsa: RSAPrivateKey

    def jwks(self) -> dict[str, Any]:
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        p256 = json.loads(ECAlgorithm.to_jwk(self.ec_p256.public_key()))
        return {
            "keys": [
                ec_jwk | {"kid": "ec-1", "use": "sig", "alg": "ES384"},
                rsa_jwk | {"kid": "rsa-1", "use": "sig"},
                p256 | {"kid": "ec-256"},
            ]
        }


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        ec=ec.generate_private_key(ec.SECP384R1()),
        ec_other=ec.generate_private_key(ec.SECP384R1()),
        ec_p256=ec.generate_private_key(ec.SECP256R1()),
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def claims(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": ISS,
        "sub": "ehr-client",
        "aud": URL,
        "exp": int(NOW) + 300,
        "iat": int(NOW),
        "jti": str(uuid.uuid4()),
        "tenant": "tenant-7f3a",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def sign(
    key: Any,
    alg: str,
    kid: str | None = "ec-1",
    payload: dict[str, Any] | None = None,
    **header: Any,
) -> str:
    head: dict[str, Any] = {"typ": "JWT", **header}
    if kid is not None:
        head["kid"] = kid
    return jwt.encode(
        payload if payload is not None else claims(), key, algorithm=alg, headers=head
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], secret: bytes | None) -> str:
    """A token built without PyJWT (PyJWT refuses to HMAC-sign with a PEM key)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if secret is None:
        return signing_input + "."
    digest = hashlib.sha384 if header["alg"] == "HS384" else hashlib.sha256
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), digest).digest())}"


def verifier(keys: Keys, **kw: Any) -> JwtVerifier:
    issuers = kw.pop("issuers", [TrustedIssuer(ISS, keys=keys.jwks())])
    return JwtVerifier(issuers, audience_base=BASE, clock=lambda: NOW, **kw)


def reject(v: JwtVerifier, authorization: str | None, url: str = URL) -> JwtRejected:
    with pytest.raises(JwtRejected) as info:
        v.verify(authorization, service_url=url)
    return info.value


# --- accepted ---------------------------------------------------------------------------------


def test_es384_static_keys(keys: Keys) -> None:
    payload = claims()
    token = sign(keys.ec, "ES384", payload=payload)
    got = verifier(keys).verify(f"Bearer {token}", service_url=URL)
    assert (got.iss, got.sub, got.jti, got.tenant) == (
        ISS,
        "ehr-client",
        payload["jti"],
        "tenant-7f3a",
    )
    assert got.exp == payload["exp"]


def test_rs384_static_keys_as_kid_mapping(keys: Keys) -> None:
    by_kid = {k["kid"]: k for k in keys.jwks()["keys"]}
    v = verifier(keys, issuers=[TrustedIssuer(ISS, keys=by_kid)])
    token = sign(keys.rsa, "RS384", kid="rsa-1", payload=claims(tenant=None, sub=None))
    got = v.verify(f"bearer  {token} ", service_url=URL)
    assert got.tenant is None
    assert got.sub is None


def test_aud_single_element_list_and_relative_service_url(keys: Keys) -> None:
    v = verifier(keys)
    v.verify(f"Bearer {sign(keys.ec, 'ES384', payload=claims(aud=[URL]))}", service_url=URL)
    v.verify(f"Bearer {sign(keys.ec, 'ES384')}", service_url="readmission-30d")


def test_exp_within_leeway_accepted(keys: Keys) -> None:
    token = sign(keys.ec, "ES384", payload=claims(exp=int(NOW) - 10, iat=int(NOW) - 100))
    verifier(keys).verify(f"Bearer {token}", service_url=URL)


class JwksServer:
    """A real HTTP server on 127.0.0.1 serving a JWK Set and counting requests."""

    def __init__(self, body: Callable[[], bytes]) -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "/jwks.json")
                    self.end_headers()
                    return
                data = body()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def jwks_server(keys: Keys) -> Iterator[JwksServer]:
    server = JwksServer(lambda: json.dumps(keys.jwks()).encode())
    yield server
    server.close()


def test_jku_fetched_over_http_and_cached(keys: Keys, jwks_server: JwksServer) -> None:
    jku = f"{jwks_server.url}/jwks.json"
    now = [NOW]
    v = JwtVerifier(
        [TrustedIssuer(ISS, jku=(jku,))], audience_base=BASE, clock=lambda: now[0], jwks_ttl_s=300
    )
    v.verify(f"Bearer {sign(keys.ec, 'ES384', jku=jku)}", service_url=URL)
    v.verify(f"Bearer {sign(keys.rsa, 'RS384', kid='rsa-1', jku=jku)}", service_url=URL)
    assert jwks_server.hits == 1
    now[0] = NOW + 301  # past the TTL: fetched again
    token = sign(keys.ec, "ES384", jku=jku, payload=claims(iat=int(now[0]), exp=int(now[0]) + 60))
    v.verify(f"Bearer {token}", service_url=URL)
    assert jwks_server.hits == 2


def test_issuer_jku_used_without_jku_header(keys: Keys, jwks_server: JwksServer) -> None:
    v = JwtVerifier(
        [TrustedIssuer(ISS, jku=(f"{jwks_server.url}/jwks.json",))],
        audience_base=BASE,
        clock=lambda: NOW,
    )
    v.verify(f"Bearer {sign(keys.ec, 'ES384')}", service_url=URL)
    assert jwks_server.hits == 1


def test_jku_redirect_not_followed(keys: Keys, jwks_server: JwksServer) -> None:
    jku = f"{jwks_server.url}/redirect"
    v = JwtVerifier([TrustedIssuer(ISS, jku=(jku,))], audience_base=BASE, clock=lambda: NOW)
    assert reject(v, f"Bearer {sign(keys.ec, 'ES384', jku=jku)}").reason == "jwks"
    assert jwks_server.hits == 1


def test_jwks_over_64_kib_refused(keys: Keys) -> None:
    server = JwksServer(lambda: b'{"keys": [], "pad": "' + b"x" * 70_000 + b'"}')
    try:
        jku = f"{server.url}/jwks.json"
        v = JwtVerifier([TrustedIssuer(ISS, jku=(jku,))], audience_base=BASE, clock=lambda: NOW)
        assert reject(v, f"Bearer {sign(keys.ec, 'ES384', jku=jku)}").reason == "jwks"
    finally:
        server.close()


def test_unknown_kid_refetches_at_most_once_a_minute(keys: Keys) -> None:
    calls: list[str] = []
    now = [NOW]

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return keys.jwks()

    jku = "https://ehr.example.org/jwks"
    v = JwtVerifier(
        [TrustedIssuer(ISS, jku=(jku,))], audience_base=BASE, fetch=fetch, clock=lambda: now[0]
    )
    for _ in range(3):
        assert reject(v, f"Bearer {sign(keys.ec, 'ES384', kid='rotated', jku=jku)}").reason == "kid"
    assert len(calls) == 1
    now[0] += 61
    token = sign(keys.ec, "ES384", kid="rotated", jku=jku, payload=claims(iat=int(now[0])))
    assert reject(v, f"Bearer {token}").reason == "kid"
    assert len(calls) == 2


# --- refused, one rule at a time --------------------------------------------------------------


def _cases(keys: Keys) -> dict[str, tuple[str | None, str]]:
    """name -> (Authorization header, expected reason)."""
    pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rsa_head = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    good = sign(keys.ec, "ES384")
    head, body, sig = good.split(".")
    forged_body = b64(json.dumps(claims(tenant="someone-else")).encode())
    es256_key: Any = keys.ec_p256
    expired = claims(exp=int(NOW) - 31, iat=int(NOW) - 90)
    return {
        "missing": (None, "missing"),
        "empty": ("   ", "missing"),
        "not bearer": (f"Basic {good}", "malformed"),
        "bearer only": ("Bearer", "malformed"),
        "garbage": ("Bearer not.a.jwt!", "malformed"),
        "two segments": (f"Bearer {head}.{body}", "malformed"),
        "bad json": (f"Bearer {b64(b'{nope')}.{body}.{sig}", "malformed"),
        "alg none": (
            f"Bearer {handmade({'alg': 'none', 'typ': 'JWT', 'kid': 'ec-1'}, claims(), None)}",
            "alg",
        ),
        "hs256 public key as secret": (f"Bearer {handmade(rsa_head, claims(), pem)}", "alg"),
        "hs384": (f"Bearer {handmade(rsa_head | {'alg': 'HS384'}, claims(), b'k' * 48)}", "alg"),
        "rs256": (f"Bearer {sign(keys.rsa, 'RS256', kid='rsa-1')}", "alg"),
        "ps384": (f"Bearer {sign(keys.rsa, 'PS384', kid='rsa-1')}", "alg"),
        "es256": (f"Bearer {sign(es256_key, 'ES256', kid='ec-256')}", "alg"),
        "rs384 header, ec key": (f"Bearer {sign(keys.rsa, 'RS384', kid='ec-1')}", "alg"),
        "es384 header, rsa key": (f"Bearer {sign(keys.ec, 'ES384', kid='rsa-1')}", "alg"),
        "es384 header, p-256 key": (f"Bearer {sign(keys.ec, 'ES384', kid='ec-256')}", "alg"),
        "typ": (f"Bearer {sign(keys.ec, 'ES384', typ='at+jwt')}", "typ"),
        "wrong aud": (
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(aud=BASE + '/other'))}",
            "aud",
        ),
        "aud list with extra": (
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(aud=[URL, 'https://evil']))}",
            "aud",
        ),
        "no aud": (f"Bearer {sign(keys.ec, 'ES384', payload=claims(aud=None))}", "aud"),
        "expired": (
            f"Bearer {sign(keys.ec, 'ES384', payload=expired)}",
            "exp",
        ),
        "no exp": (f"Bearer {sign(keys.ec, 'ES384', payload=claims(exp=None))}", "exp"),
        "iat in future": (
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(iat=int(NOW) + 60))}",
            "iat",
        ),
        "no iat": (f"Bearer {sign(keys.ec, 'ES384', payload=claims(iat=None))}", "iat"),
        "nbf in future": (
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(nbf=int(NOW) + 60))}",
            "nbf",
        ),
        "lifetime too long": (
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(exp=int(NOW) + 3601))}",
            "lifetime",
        ),
        "unknown iss": (
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(iss='https://evil.example/'))}",
            "iss",
        ),
        "kid unknown": (f"Bearer {sign(keys.ec, 'ES384', kid='nope')}", "kid"),
        "no kid": (f"Bearer {sign(keys.ec, 'ES384', kid=None)}", "kid"),
        "other key": (f"Bearer {sign(keys.ec_other, 'ES384')}", "signature"),
        "tampered payload": (f"Bearer {head}.{forged_body}.{sig}", "signature"),
        "missing jti": (f"Bearer {sign(keys.ec, 'ES384', payload=claims(jti=None))}", "jti"),
        "empty jti": (f"Bearer {sign(keys.ec, 'ES384', payload=claims(jti=''))}", "jti"),
    }


CASE_NAMES = [
    "missing", "empty", "not bearer", "bearer only", "garbage", "two segments", "bad json",
    "alg none", "hs256 public key as secret", "hs384", "rs256", "ps384", "es256",
    "rs384 header, ec key", "es384 header, rsa key", "es384 header, p-256 key", "typ",
    "wrong aud", "aud list with extra", "no aud", "expired", "no exp", "iat in future", "no iat",
    "nbf in future", "lifetime too long", "unknown iss", "kid unknown", "no kid", "other key",
    "tampered payload", "missing jti", "empty jti",
]  # fmt: skip


@pytest.mark.parametrize("name", CASE_NAMES)
def test_refused_with_reason_and_no_token_in_message(keys: Keys, name: str) -> None:
    authorization, reason = _cases(keys)[name]
    exc = reject(verifier(keys), authorization)
    assert exc.reason == reason
    text = f"{exc} {exc!r}"
    assert "\n" not in str(exc)
    if authorization and " " in authorization.strip():
        token = authorization.split(" ", 1)[1]
        for part in [token, *token.split(".")]:
            if len(part) >= 6:
                assert part not in text
    for value in (ISS, URL, "ehr-client", "tenant-7f3a", "someone-else", "evil"):
        assert value not in text


def test_all_cases_listed(keys: Keys) -> None:
    assert set(_cases(keys)) == set(CASE_NAMES)


def test_jku_not_allowlisted_is_refused_before_any_fetch(keys: Keys) -> None:
    calls: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return keys.jwks()

    v = verifier(
        keys, issuers=[TrustedIssuer(ISS, jku=("https://ehr.example.org/jwks",))], fetch=fetch
    )
    for jku in (
        "http://169.254.169.254/latest/meta-data",
        "https://ehr.example.org/jwks/",
        "https://ehr.example.org/jwks?x=1",
    ):
        assert reject(v, f"Bearer {sign(keys.ec, 'ES384', jku=jku)}").reason == "jku"
    # an issuer with only static keys allowlists no jku at all
    static = verifier(keys, fetch=fetch)
    assert reject(static, f"Bearer {sign(keys.ec, 'ES384', jku='https://x/jwks')}").reason == "jku"
    assert calls == []


def test_fetch_failure_and_private_key_in_jwks(keys: Keys) -> None:
    jku = "https://ehr.example.org/jwks"

    def broken(url: str) -> dict[str, Any]:
        raise OSError("connection refused")

    v = verifier(keys, issuers=[TrustedIssuer(ISS, jku=(jku,))], fetch=broken)
    assert reject(v, f"Bearer {sign(keys.ec, 'ES384', jku=jku)}").reason == "jwks"
    by_kid = {k["kid"]: k for k in keys.jwks()["keys"]}  # fetched sets must be {"keys": [...]}
    odd = verifier(keys, issuers=[TrustedIssuer(ISS, jku=(jku,))], fetch=lambda url: by_kid)
    assert reject(odd, f"Bearer {sign(keys.ec, 'ES384', jku=jku)}").reason == "jwks"
    private = json.loads(ECAlgorithm.to_jwk(keys.ec)) | {"kid": "ec-1"}
    leaky = verifier(keys, issuers=[TrustedIssuer(ISS, keys={"keys": [private]})])
    assert reject(leaky, f"Bearer {sign(keys.ec, 'ES384')}").reason == "jwks"


def test_replayed_jti_refused_per_issuer(keys: Keys) -> None:
    v = verifier(keys)
    token = sign(keys.ec, "ES384")
    v.verify(f"Bearer {token}", service_url=URL)
    assert reject(v, f"Bearer {token}").reason == "replay"
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    again = sign(keys.ec, "ES384", payload=claims(jti=jti))  # new token, same jti
    assert reject(v, f"Bearer {again}").reason == "replay"


def test_replay_check_is_thread_safe(keys: Keys) -> None:
    v = verifier(keys)
    token = sign(keys.ec, "ES384")
    outcomes: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            v.verify(f"Bearer {token}", service_url=URL)
            result = "ok"
        except JwtRejected as exc:
            result = exc.reason
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["replay"] * 15


def test_replay_cache_is_bounded_and_forgets_expired(keys: Keys) -> None:
    now = [NOW]
    v = JwtVerifier(
        [TrustedIssuer(ISS, keys=keys.jwks())],
        audience_base=BASE,
        replay_cache_size=3,
        clock=lambda: now[0],
    )
    for i in range(10):
        v.verify(
            f"Bearer {sign(keys.ec, 'ES384', payload=claims(exp=int(NOW) + 60 + i))}",
            service_url=URL,
        )
    assert len(v._replay._expiry) <= 3
    now[0] = NOW + 200  # every recorded token has expired: the cache empties as it is used
    token = sign(keys.ec, "ES384", payload=claims(iat=int(now[0]), exp=int(now[0]) + 60))
    v.verify(f"Bearer {token}", service_url=URL)
    assert len(v._replay._expiry) == 1


def test_bad_configuration_is_a_config_error(keys: Keys) -> None:
    with pytest.raises(ConfigError, match="audience_base"):
        JwtVerifier([TrustedIssuer(ISS, keys=keys.jwks())], audience_base="/cds-services")
    with pytest.raises(ConfigError, match="no keys and no jku"):
        JwtVerifier([TrustedIssuer(ISS)], audience_base=BASE)
    with pytest.raises(ConfigError, match="no JWK with a kid"):
        JwtVerifier([TrustedIssuer(ISS, keys={"keys": [{"kty": "EC"}]})], audience_base=BASE)
    with pytest.raises(ConfigError, match="twice"):
        JwtVerifier([TrustedIssuer(ISS, keys=keys.jwks())] * 2, audience_base=BASE)


def test_every_reason_has_a_meaning() -> None:
    assert JwtRejected("not-a-reason").reason == "malformed"
    for reason in REASONS:
        assert str(JwtRejected(reason)).startswith(f"CDS Hooks JWT rejected ({reason})")


_STATIC_JWKS = {"keys": [{"kty": "EC", "crv": "P-384", "kid": "ec-1", "x": "AA", "y": "AA"}]}
_SEGMENT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(max_size=200).map(lambda s: f"Bearer {s}"),
        st.tuples(_SEGMENT, _SEGMENT, _SEGMENT).map(lambda t: "Bearer " + ".".join(t)),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers(), max_size=4).map(
            lambda d: "Bearer " + b64(json.dumps(d).encode()) + "." + b64(b"{}") + ".c2ln"
        ),
    )
)
def test_any_header_only_ever_raises_jwt_rejected(header: str) -> None:
    v = JwtVerifier(
        [TrustedIssuer(ISS, keys=_STATIC_JWKS)],
        audience_base=BASE,
        clock=lambda: NOW,
        fetch=lambda url: {},
    )
    with pytest.raises(JwtRejected) as info:
        v.verify(header, service_url=URL)
    assert info.value.reason in REASONS
