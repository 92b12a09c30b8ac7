"""Public endpoints are rate-limited per client address; bodies have a size limit."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from shared import http
from shared.limits import TokenBucket
from shared.settings import Settings


@pytest.fixture
def client(monkeypatch) -> TestClient:
    monkeypatch.setenv("GONGKAI_PUBLIC_RATE", "1")
    app = FastAPI()
    http.install(app, "test", Settings.from_env(), public=("/public",))

    @app.post("/public/echo")
    async def echo(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    @app.post("/staff/echo")
    async def staff(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    return TestClient(app)


def test_a_client_beyond_its_rate_gets_429_with_retry_after(client):
    codes = [client.post("/public/echo", content=b"x").status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[-1] == 429
    refused = client.post("/public/echo", content=b"x")
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.post("/staff/echo", content=b"x").status_code == 200  # not public: no limit


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    big = b"x" * (256 * 1024 + 1)
    assert client.post("/staff/echo", content=big).status_code == 413

    def chunks():
        for _ in range(300):
            yield b"x" * 1024

    streamed = client.post("/staff/echo", content=chunks())  # no Content-Length
    assert streamed.status_code == 413
    assert "Traceback" not in streamed.text


def test_the_bucket_refills_with_time():
    bucket = TokenBucket(rate=2, burst=2)
    assert bucket.take("a", 0.0) == 0 and bucket.take("a", 0.0) == 0
    assert bucket.take("a", 0.0) == pytest.approx(0.5)
    assert bucket.take("b", 0.0) == 0  # another address has its own bucket
    assert bucket.take("a", 0.5) == 0
