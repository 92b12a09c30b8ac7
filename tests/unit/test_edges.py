"""The HTTP edges (issue 15): who the client is behind a proxy, oversized and streamed bodies,
the token checked before the body, security headers, /metrics and /docs exposure, token
lifetime and revocation. In-process apps through real ASGI (httpx), no mocks."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared import http
from shared.auth import (
    AuthError,
    Revocations,
    Role,
    Staff,
    issue_token,
    parse_duration,
    staff_dependency,
    verify_token,
)
from shared.clock import SettableClock
from shared.revocations import TokenRevoked, apply
from shared.serve import trusted_proxies
from shared.settings import Settings

SECRET = "edge-secret-0123456789abcdef0123456789abcdef0123456789abcdef012"
T0 = datetime(2025, 9, 22, 2, 0, tzinfo=UTC)


class Note(BaseModel):
    text: str


def _app(monkeypatch, **env: str) -> FastAPI:
    monkeypatch.setenv("GONGKAI_PUBLIC_RATE", "1")  # burst 10
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = FastAPI()
    http.install(app, "test", Settings.from_env(), public=("/public",))
    current_staff = staff_dependency(lambda: SECRET, lambda: SettableClock(T0))
    seen: list[int] = []
    app.state.body_reads = seen

    @app.get("/public/status/{ref}")
    async def status(ref: str) -> dict:
        from shared.http import Problem

        raise Problem(404, "未找到该申请")

    @app.post("/public/notes")
    async def note(body: Note) -> dict:
        return {"length": len(body.text)}

    @app.post("/staff/notes")
    async def staff_note(body: Note, staff: Staff = Depends(current_staff)) -> dict:
        return {"user": staff.user, "length": len(body.text)}

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("a bug")

    return app


def _client(app, *, peer: str = "203.0.113.7", trusted: list[str] | None = None):
    """As uvicorn serves it: its proxy-headers middleware configured as shared.serve does."""
    asgi = ProxyHeadersMiddleware(app, trusted_hosts=trusted or []) if trusted is not None \
        else app
    transport = httpx.ASGITransport(app=asgi, client=(peer, 50000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://service")


def run(coro):
    return asyncio.run(coro)


# --- 1. forwarded headers -------------------------------------------------------------------

def test_trusted_proxies_come_from_configuration_only():
    def trusted_proxies_of(environ):
        return trusted_proxies(Settings.from_env(environ).trusted_proxies)

    assert trusted_proxies_of({}) == []  # default: nobody, not uvicorn's loopback
    assert trusted_proxies_of({"GONGKAI_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}) == [
        "127.0.0.1", "10.0.0.0/8"]
    assert trusted_proxies_of({"FORWARDED_ALLOW_IPS": "172.30.80.80"}) == ["172.30.80.80"]
    assert trusted_proxies_of({"GONGKAI_TRUSTED_PROXIES": "",
                               "FORWARDED_ALLOW_IPS": "1.2.3.4"}) == []
    for bad in ("*", "0.0.0.0/0", "portal", "::/0"):
        with pytest.raises(ValueError):
            trusted_proxies_of({"GONGKAI_TRUSTED_PROXIES": bad})


def test_a_forged_forwarded_for_from_an_untrusted_client_does_not_escape_the_limit(monkeypatch):
    app = _app(monkeypatch)

    async def go():
        async with _client(app, trusted=["127.0.0.1"]) as client:
            return [(await client.get("/public/status/x", headers={
                "X-Forwarded-For": f"198.51.100.{i}"})).status_code for i in range(40)]

    codes = run(go())
    assert codes[:10] == [404] * 10
    assert codes[10:].count(429) >= 29  # one bucket: the peer's (it refills 1/s)


def test_the_trusted_proxy_forwards_each_persons_own_address(monkeypatch):
    app = _app(monkeypatch)

    async def go():
        async with _client(app, peer="127.0.0.1", trusted=["127.0.0.1"]) as client:
            return [(await client.get("/public/status/x", headers={
                "X-Forwarded-For": f"198.51.100.{i}"})).status_code for i in range(40)]

    assert run(go()) == [404] * 40  # forty people, one request each


def test_the_same_route_limits_one_person_behind_the_proxy(monkeypatch):
    app = _app(monkeypatch)

    async def go():
        async with _client(app, peer="127.0.0.1", trusted=["127.0.0.1"]) as client:
            # A person prepending a forged address: the proxy appends the real one, which wins.
            return [(await client.get("/public/status/x", headers={
                "X-Forwarded-For": f"10.9.9.{i}, 198.51.100.1"})).status_code for i in range(15)]

    codes = run(go())
    assert codes[:10] == [404] * 10 and 429 in codes[10:]


# --- 3. bodies --------------------------------------------------------------------------------

async def _chunks(total: int, size: int = 64 * 1024, sent: list[int] | None = None):
    left = total
    while left > 0:
        n = min(size, left)
        left -= n
        if sent is not None:
            sent.append(n)
        yield b" " * n


def test_a_streamed_body_over_the_limit_on_a_model_route_is_413(monkeypatch):
    app = _app(monkeypatch)

    async def go():
        async with _client(app) as client:
            return await client.post("/public/notes", content=_chunks(400 * 1024),
                                     headers={"Content-Type": "application/json"})

    answer = run(go())
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "上限" in answer.json()["detail"]


@pytest.mark.parametrize("headers", [
    {"Content-Length": str(10 * 1024 * 1024)},  # announced
    {"Content-Length": "-1"},
    {"Content-Length": "abc"},
])
def test_every_announced_oversized_or_bogus_length_is_413(monkeypatch, headers):
    app = _app(monkeypatch)

    async def go():
        async with _client(app) as client:
            return await client.post("/public/notes", content=b'{"text": "x"}',
                                     headers={**headers, "Content-Type": "application/json"})

    assert run(go()).status_code == 413


def test_a_staff_route_checks_the_token_before_reading_the_body(monkeypatch):
    app = _app(monkeypatch)
    sent: list[int] = []

    async def go(token: str | None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with _client(app) as client:
            return await client.post("/staff/notes", headers=headers,
                                     content=_chunks(200 * 1024, sent=sent))

    for token in (None, "garbage", issue_token("another-secret-0123456789abcdef0123456789ab",
                                               user="x", agency="a", roles=[Role.CASEWORKER],
                                               now=T0)):
        sent.clear()
        answer = run(go(token))
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["detail"] == "需要有效的身份凭证"
        # httpx's ASGI transport hands the app its body lazily: nothing was pulled.
        assert sum(sent) == 0, sent

    good = issue_token(SECRET, user="zhang.san", agency="a", roles=[Role.CASEWORKER], now=T0)

    async def ok():
        async with _client(app) as client:
            return await client.post("/staff/notes", json={"text": "你好"},
                                     headers={"Authorization": f"Bearer {good}"})

    answer = run(ok())
    assert answer.status_code == 200 and answer.json() == {"user": "zhang.san", "length": 2}


# --- 4. headers, /metrics, /docs ----------------------------------------------------------

@pytest.mark.parametrize("method,path,expected", [
    ("GET", "/public/status/x", 404), ("POST", "/staff/notes", 401), ("GET", "/nowhere", 404),
    ("GET", "/boom", 500), ("GET", "/openapi.json", 200), ("GET", "/docs", 200),
    ("GET", "/metrics", 401),
])
def test_every_answer_carries_the_security_headers(monkeypatch, method, path, expected):
    app = _app(monkeypatch, GONGKAI_METRICS_TOKEN="metrics-token-0123456789")

    async def go():
        async with _client(app) as client:
            return await client.request(method, path)

    answer = run(go())
    assert answer.status_code == expected
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    assert "Traceback" not in answer.text


def test_metrics_need_the_token_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("GONGKAI_METRICS", raising=False)
    monkeypatch.delenv("GONGKAI_METRICS_TOKEN", raising=False)
    app = _app(monkeypatch, GONGKAI_HOME=str(tmp_path))

    async def go(headers):
        async with _client(app) as client:
            return await client.get("/metrics", headers=headers)

    assert run(go({})).status_code == 401
    assert run(go({"Authorization": "Bearer wrong"})).status_code == 401
    token = (tmp_path / "metrics.token").read_text().strip()  # made on first use, 0600
    assert (tmp_path / "metrics.token").stat().st_mode & 0o077 == 0
    answer = run(go({"Authorization": f"Bearer {token}"}))
    assert answer.status_code == 200 and "gongkai_http_requests_total" in answer.text


def test_metrics_open_or_on_their_own_port(monkeypatch):
    async def get(app, path):
        async with _client(app) as client:
            return await client.get(path)

    assert run(get(_app(monkeypatch, GONGKAI_METRICS="open"), "/metrics")).status_code == 200
    app = _app(monkeypatch, GONGKAI_METRICS="port", GONGKAI_METRICS_PORT="9464")
    assert run(get(app, "/metrics")).status_code == 404  # not on the service's own port
    monkeypatch.setenv("GONGKAI_METRICS", "sometimes")
    with pytest.raises(ValueError):
        http.install(FastAPI(), "test", Settings.from_env())


def test_api_docs_can_be_taken_off(monkeypatch):
    app = _app(monkeypatch, GONGKAI_API_DOCS="0")

    async def go():
        async with _client(app) as client:
            return [(await client.get(p)).status_code for p in ("/openapi.json", "/docs")]

    assert run(go()) == [404, 404]


# --- 5. token lifetime and revocation --------------------------------------------------------

def _token(**claims) -> str:
    import jwt

    iat = int(T0.timestamp())
    payload = {"sub": "zhang.san", "agency": "a", "roles": ["caseworker"], "iss": "gongkai",
               "iat": iat, "nbf": iat, "exp": iat + 3600, "jti": "j-1", **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, SECRET, algorithm="HS256")


def test_a_token_valid_for_ten_years_is_refused():
    iat = int(T0.timestamp())
    with pytest.raises(AuthError, match="lifetime"):
        verify_token(_token(exp=iat + 10 * 365 * 86400), secret=SECRET, now=T0)
    with pytest.raises(AuthError, match="lifetime"):  # back-dated iat changes nothing
        verify_token(_token(iat=iat - 86400, nbf=iat - 86400), secret=SECRET, now=T0)
    for missing in ("iat", "exp"):
        with pytest.raises(AuthError):
            verify_token(_token(**{missing: None}), secret=SECRET, now=T0)
    assert verify_token(_token(exp=iat + 12 * 3600), secret=SECRET, now=T0).user == "zhang.san"


def test_the_maximum_lifetime_is_configurable(monkeypatch):
    iat = int(T0.timestamp())
    monkeypatch.setenv("GONGKAI_TOKEN_MAX_LIFETIME", "30m")
    longest = Settings.from_env().token_max_lifetime
    with pytest.raises(AuthError, match="lifetime"):
        verify_token(_token(exp=iat + 3600), secret=SECRET, now=T0, max_lifetime=longest)
    with pytest.raises(ValueError, match="at most"):
        issue_token(SECRET, user="u", agency="a", roles=[Role.CASEWORKER], now=T0,
                    ttl=timedelta(hours=1), max_lifetime=longest)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("3600") == timedelta(hours=1)
    for bad in ("", "0", "-1h", "12 hours", "1w"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def _envelope(**payload) -> bytes:
    return json.dumps({"type": "TokenRevoked", "version": 1, "payload": payload}).encode()


def test_a_revoked_token_and_a_revoked_users_tokens_are_refused():
    revoked = Revocations()
    assert apply(revoked, _envelope(jti="j-1"))
    with pytest.raises(AuthError, match="revoked token"):
        from shared.auth import staff_from_claims

        staff_from_claims(_claims(jti="j-1"), T0, revoked=revoked)
    assert staff_from_claims(_claims(jti="j-2"), T0, revoked=revoked).user == "zhang.san"
    until = T0 + timedelta(minutes=1)
    assert apply(revoked, _envelope(user="zhang.san", issued_until=until.isoformat()))
    with pytest.raises(AuthError, match="revoked user"):
        staff_from_claims(_claims(jti="j-2"), T0, revoked=revoked)
    later = T0 + timedelta(minutes=2)  # signed in again afterwards: valid
    assert staff_from_claims(_claims(jti="j-3", iat=later.timestamp(), nbf=later.timestamp(),
                                     exp=later.timestamp() + 60), later,
                             revoked=revoked).user == "zhang.san"


def test_messages_that_are_not_revocations_are_ignored():
    revoked = Revocations()
    for raw in (b"not json", b"[]", json.dumps({"type": "AgencyConfigured"}).encode(),
                _envelope(), _envelope(jti="a", user="b"), _envelope(user="no-time")):
        assert not apply(revoked, raw)
    assert len(revoked) == 0
    with pytest.raises(ValueError):
        TokenRevoked()


def _claims(**overrides) -> dict:
    iat = T0.timestamp()
    return {"sub": "zhang.san", "agency": "a", "roles": ["caseworker"], "iat": iat,
            "nbf": iat, "exp": iat + 3600, **overrides}


# --- 2. malformed tokens: always 401 --------------------------------------------------------

def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


MALFORMED = [
    "", "a", "a.b", "a.b.c", "...", "a.b.c.d",
    _b64(b"not json") + "." + _b64(b"{}") + ".sig",
    _b64(b"[]") + "." + _b64(b"{}") + ".sig",
    _b64(b'{"alg": "none"}') + "." + _b64(b'{"sub": "x"}') + ".",
    _b64(b'{"alg": "HS256"}') + "." + _b64(b"not json") + ".sig",
    _b64(b'{"alg": "HS256", "crit": ["x"]}') + "." + _b64(b"{}") + ".sig",
    _b64(b'{"alg": "ES256", "kid": "k1"}') + "." + _b64(b"{}") + "." + _b64(b"x" * 64),
    "é.ü.ß", "x" * 100_000,
]


@pytest.mark.parametrize("token", MALFORMED, ids=range(len(MALFORMED)))
def test_every_malformed_token_is_a_401(monkeypatch, token):
    app = _app(monkeypatch)

    async def go():
        async with _client(app) as client:
            # Bytes, so that a header outside ASCII reaches the service as a client sent it.
            return await client.post("/staff/notes", json={"text": "x"}, headers={
                "Authorization": f"Bearer {token}".encode("latin-1")})

    answer = run(go())
    assert answer.status_code == 401, answer.text
    assert "Traceback" not in answer.text
