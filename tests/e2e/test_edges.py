"""The HTTP edges (issue 15) on the running stack: processes, real sockets, real broker.

Forwarding: the embedded stack trusts X-Forwarded-For from 127.0.0.1 only (the portal's
address). A client connecting from another loopback address (127.0.0.x: Linux routes the whole
127/8 to this host) is an untrusted client of the same processes, so these tests forge the
header from there, against a second intake process of the stack started with the public rate
a deployment has (the session's stack lifts it for tests that submit hundreds)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from gongkai.embedded import free_port
from tests.conftest import eventually
from tests.e2e.helpers import token

SERVICES = ("intake", "casework", "reporting", "notify")
METRICS_TOKEN = "e2e-metrics-token-0123456789"


def _elsewhere() -> httpx.Client:
    """A client that is not the portal: it connects from another loopback address."""
    address = f"127.0.{random.randint(1, 254)}.{random.randint(2, 254)}"
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


@pytest.fixture(scope="module")
def edge_intake(stack: Any) -> Iterator[str]:
    """A second intake process with a deployment's public rate (2/s, burst 20) and /metrics
    behind a token."""
    name = stack.start_service("intake", "-edges", port=free_port(), extra_env={
        "GONGKAI_PUBLIC_RATE": "2", "GONGKAI_METRICS": "token",
        "GONGKAI_METRICS_TOKEN": METRICS_TOKEN})
    try:
        stack.wait_healthy((name,), timeout=60)
        yield stack.url(name)
    finally:
        stack.stop_service(name)


# --- 1. forwarded headers -----------------------------------------------------------------------

def test_a_forged_forwarded_for_does_not_escape_the_public_rate_limit(edge_intake: str) -> None:
    with _elsewhere() as client:
        status = [client.get(f"{edge_intake}/v1/status/{uuid.uuid4()}",
                             headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                  for i in range(40)]
        submissions = [client.post(f"{edge_intake}/v1/applications", json={},
                                   headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                       for i in range(40)]
    assert status.count(429) >= 15, status  # burst 20, refilled 2/s: not 40 fresh buckets
    assert submissions.count(422) < 10 and submissions.count(429) >= 30, submissions


def test_the_portal_address_forwards_each_persons_own_address(edge_intake: str) -> None:
    # 127.0.0.1 is the trusted proxy (the portal's address): forty people, one request each.
    status = [httpx.get(f"{edge_intake}/v1/status/{uuid.uuid4()}", timeout=10,
                        headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
              for i in range(1, 41)]
    assert 429 not in status, status


# --- 2. malformed tokens ----------------------------------------------------------------------

def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_every_malformed_token_is_a_401_on_every_service(stack: Any) -> None:
    good = token(stack, "e2e-other", "auditor")
    header, claims, _ = good.split(".")
    forged = [
        "x", "a.b.c", _b64(b"not json") + ".e30.c2ln", _b64(b"[]") + ".e30.c2ln",
        _b64(b'{"alg":"none"}') + "." + claims + ".",
        _b64(b'{"alg":"ES256","kid":"k1"}') + "." + claims + "." + _b64(b"x" * 64),
        _b64(b'{"alg":"RS256"}') + "." + claims + "." + _b64(b"x" * 256),
        header + "." + claims + "." + _b64(b"forged"),
        "x" * 7000,
    ]
    paths = {"intake": "/v1/registrations", "casework": "/v1/queues/e2e-other",
             "reporting": "/v1/reports/2025?agency=e2e-other",
             "notify": "/v1/attention/e2e-other"}
    for service in SERVICES:
        for bad in forged:
            method = "POST" if service == "intake" else "GET"
            answer = httpx.request(method, stack.url(service) + paths[service], timeout=10,
                                   headers={"Authorization": f"Bearer {bad}"},
                                   **({"json": {}} if method == "POST" else {}))
            assert answer.status_code == 401, (service, bad[:40], answer.text)
            assert "Traceback" not in answer.text


# --- 3. bodies ----------------------------------------------------------------------------------

def _stream(total: int, sent: list[int]) -> Iterator[bytes]:
    for _ in range(total // 65536):
        sent.append(65536)
        yield b" " * 65536


def test_a_streamed_oversized_body_is_413_and_a_staff_body_waits_for_the_token(
        stack: Any) -> None:
    intake = stack.url("intake")
    sent: list[int] = []
    answer = httpx.post(f"{intake}/v1/applications", content=_stream(1024 * 1024, sent),
                        headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    # No token, a chunked body of which only the first 64 KB are sent: the answer comes
    # without waiting for the rest (before, the service waited for the whole body first).
    for authorization in ("", "Authorization: Bearer not.a.token\r\n"):
        assert _answer_before_the_body(intake, authorization).startswith(b"HTTP/1.1 401")


def _answer_before_the_body(base: str, extra_headers: str) -> bytes:
    import socket

    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall((f"POST /v1/registrations HTTP/1.1\r\nHost: {host}\r\n"
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                      f"{extra_headers}\r\n").encode()
                     + b"10000\r\n" + b" " * 0x10000 + b"\r\n")
        sock.settimeout(5)  # the rest of the body is never sent
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b"no answer while the body was incomplete"


# --- 4. headers, /metrics ---------------------------------------------------------------------

def _secure(answer: httpx.Response, *, cached: bool = False) -> None:
    assert answer.headers.get("x-content-type-options") == "nosniff", answer.url
    assert answer.headers.get("x-frame-options") == "DENY", answer.url
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", "")
    assert answer.headers.get("referrer-policy") in ("no-referrer", "same-origin")
    if not cached:
        assert answer.headers.get("cache-control") == "no-store", answer.url
    assert "server" not in answer.headers


def test_every_answer_of_every_service_carries_the_security_headers(stack: Any) -> None:
    for service in SERVICES:
        base = stack.url(service)
        for path, method in (("/healthz", "GET"), ("/nowhere", "GET"), ("/v1/queues/x", "GET"),
                             ("/openapi.json", "GET"), ("/healthz", "DELETE")):
            _secure(httpx.request(method, base + path, timeout=10))


def test_metrics_behind_a_token(edge_intake: str) -> None:
    assert httpx.get(f"{edge_intake}/metrics", timeout=10).status_code == 401
    answer = httpx.get(f"{edge_intake}/metrics", timeout=10,
                       headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200 and "gongkai_http_requests_total" in answer.text


# --- 5. token lifetime and revocation -----------------------------------------------------------

def _revoke(stack: Any, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": stack.database_url, "GONGKAI_HOME": str(stack.home)}
    if stack.settings.clock:
        env["GONGKAI_CLOCK"] = stack.settings.clock
    done = subprocess.run([sys.executable, "-m", "gongkai", "token", "revoke", *args],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Revoked" in done.stdout


def _reads(stack: Any, bearer: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {bearer}"}
    paths = {"intake": "/v1/applications/00000000-0000-0000-0000-000000000000/id-document",
             "casework": "/v1/queues/e2e-other", "reporting": "/v1/reports/2025?agency=e2e-other",
             "notify": "/v1/attention/e2e-other"}
    return {s: httpx.get(stack.url(s) + paths[s], headers=headers, timeout=10).status_code
            for s in SERVICES}


def test_a_token_for_ten_years_is_refused(stack: Any) -> None:
    from shared.auth import load_secret

    now = int(time.time())
    long_lived = jwt.encode({"sub": "e2e.forever", "agency": "e2e-other", "roles": ["auditor"],
                             "iss": "gongkai", "iat": now - 60, "nbf": now - 60,
                             "exp": now + 10 * 365 * 86400, "jti": uuid.uuid4().hex},
                            load_secret(stack.home), algorithm="HS256")
    assert set(_reads(stack, long_lived).values()) == {401}


def test_a_revoked_token_is_refused_everywhere_within_seconds(stack: Any) -> None:
    bearer = token(stack, "e2e-other", "auditor", user="e2e.revoked-one")
    other = token(stack, "e2e-other", "auditor", user="e2e.revoked-one")
    assert 401 not in _reads(stack, bearer).values()
    _revoke(stack, jwt.decode(bearer, options={"verify_signature": False})["jti"])
    eventually(lambda: set(_reads(stack, bearer).values()) == {401}, timeout=15)
    assert 401 not in _reads(stack, other).values()  # the same user's other token: valid


def test_revoking_a_user_ends_every_token_issued_until_then(stack: Any) -> None:
    user = f"e2e.revoked-{uuid.uuid4().hex[:8]}"
    first, second = (token(stack, "e2e-other", "auditor", user=user) for _ in range(2))
    _revoke(stack, "--user", user)
    eventually(lambda: {*_reads(stack, first).values(), *_reads(stack, second).values()}
               == {401}, timeout=15)


def test_a_restarted_service_still_refuses_a_revoked_token(stack: Any) -> None:
    bearer = token(stack, "e2e-other", "auditor", user="e2e.revoked-restart")
    _revoke(stack, jwt.decode(bearer, options={"verify_signature": False})["jti"])
    eventually(lambda: _reads(stack, bearer)["reporting"] == 401, timeout=15)
    stack.stop_service("reporting")
    stack.start_service("reporting")
    stack.wait_healthy(("reporting",), timeout=90)
    # Rebuilt from the topic before the service accepted a request.
    assert _reads(stack, bearer)["reporting"] == 401


@pytest.fixture(scope="module")
def portal(stack: Any) -> Iterator[str]:
    started = "portal" not in stack.processes
    if started:
        stack.start_service("portal")
    stack.wait_healthy(("portal",), timeout=60)
    yield stack.url("portal")
    if started:
        stack.stop_service("portal")


def test_the_portals_answers_carry_the_security_headers(portal: str) -> None:
    for path in ("/", "/staff/signin", "/nowhere", "/status"):
        _secure(httpx.get(portal + path, timeout=10))
    css = httpx.get(f"{portal}/static/portal.css", timeout=10)
    _secure(css, cached=True)
    assert css.headers.get("cache-control") != "no-store"
    assert "default-src 'self'" in css.headers["content-security-policy"]


def test_a_portal_session_ends_when_its_token_is_revoked(stack: Any, portal: str) -> None:
    from services.portal.adapters.sessions import COOKIE, Signer, portal_secret

    client = httpx.Client(base_url=portal, timeout=15)
    signed_in = client.post("/staff/signin/dev", data={"role": "auditor", "agency": "e2e-other",
                                                       "next": "/staff/"})
    assert signed_in.status_code == 303
    assert client.get("/staff/").status_code == 200
    session = Signer(portal_secret(stack.home)).load(client.cookies.get(COOKIE), time.time(),
                                                     3600)
    _revoke(stack, jwt.decode(session.token, options={"verify_signature": False})["jti"])

    def ended() -> bool:
        answer = client.get("/staff/")
        return answer.status_code == 303 and urlsplit(
            answer.headers["location"]).path == "/staff/signin"

    eventually(ended, timeout=15)
    assert not client.cookies.get(COOKIE)  # the cookie is gone, not only this page
    assert client.get("/staff/").status_code == 303
