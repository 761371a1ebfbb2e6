"""Session cookies and CSRF tokens without a server: signing, expiry, forgery, revocation,
and the origin check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from wardwatch.registry import Identity
from wardwatch.web._session import SessionSigner, same_origin, tokens_match

SECRET = b"0123456789abcdef0123456789abcdef"
ANN = Identity(name="ann", role="approver", key_id="0123456789ab")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _signer(clock: Clock, known: dict[str, Identity] | None = None) -> SessionSigner:
    people = {"0123456789ab": ANN} if known is None else known
    return SessionSigner(SECRET, people.get, max_age_s=3600, clock=clock)


def test_a_session_reads_back_as_issued() -> None:
    clock = Clock()
    signer = _signer(clock)
    value, session = signer.issue(ANN)
    back = signer.read(value)
    assert back == session
    assert back is not None
    assert back.role == "approver"
    assert len(back.csrf) >= 40
    other, second = signer.issue(ANN)
    assert second.csrf != session.csrf
    assert other != value


def test_a_session_expires_after_its_age() -> None:
    clock = Clock()
    signer = _signer(clock)
    value, _ = signer.issue(ANN)
    clock.now += 3599
    assert signer.read(value) is not None
    clock.now += 2
    assert signer.read(value) is None


def test_another_workspace_secret_cannot_read_the_cookie() -> None:
    clock = Clock()
    value, _ = _signer(clock).issue(ANN)
    other = SessionSigner(b"f" * 32, {"0123456789ab": ANN}.get, clock=clock)
    assert other.read(value) is None


def test_a_revoked_key_has_no_session() -> None:
    clock = Clock()
    known: dict[str, Identity] = {"0123456789ab": ANN}
    value, _ = _signer(clock, known).issue(ANN)
    assert _signer(clock, {}).read(value) is None


def test_an_identity_without_a_key_gets_no_session() -> None:
    with pytest.raises(ValueError, match="API key"):
        _signer(Clock()).issue(Identity(name="bootstrap", role="admin"))


@given(st.text(max_size=300))
def test_any_forged_cookie_is_no_session(cookie: str) -> None:
    assert _signer(Clock()).read(cookie) is None


@given(st.text(max_size=60), st.text(max_size=60))
def test_tokens_match_only_when_equal_and_present(a: str, b: str) -> None:
    assert tokens_match(a, b) == (bool(a) and bool(b) and a == b)


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/ui/logout", "headers": raw})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"host": "127.0.0.1:8000"}, True),
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}, True),
        ({"host": "127.0.0.1:8000", "origin": "http://evil.example"}, False),
        ({"host": "127.0.0.1:8000", "origin": "null"}, False),
        ({"host": "127.0.0.1:8000", "referer": "http://127.0.0.1:8000/ui/"}, True),
        ({"host": "127.0.0.1:8000", "referer": "http://127.0.0.1:9/ui/"}, False),
    ],
)
def test_the_origin_check(headers: dict[str, str], expected: bool) -> None:
    assert same_origin(_request(headers)) is expected
