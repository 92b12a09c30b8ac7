"""The HTTP edge answers a refusal of the domain or a service layer: each reason its status
code, the message as the problem's detail, the field in `errors` (what the portal and the
console read), a refusal for now with Retry-After. Through a real app (httpx over ASGI)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from shared import http
from shared.refusals import Reason, Refused
from shared.settings import Settings

EXPECTED = {
    Reason.FORBIDDEN: (403, "无权访问"),
    Reason.INVALID: (422, "申请内容不符合要求"),
    Reason.NOT_FOUND: (404, "未找到"),
    Reason.CONFLICT: (409, "请求冲突"),
    Reason.UNAVAILABLE: (503, "服务暂不可用"),
}


def _app(monkeypatch) -> FastAPI:
    monkeypatch.setenv("GONGKAI_METRICS", "open")
    app = FastAPI()
    http.install(app, "test", Settings.from_env())

    @app.get("/refuse/{reason}")
    async def refuse(reason: Reason, field: str | None = None) -> dict:
        raise Refused("不能这样做", reason=reason, field=field)

    return app


def _get(app: FastAPI, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            return await client.get(path)

    return asyncio.run(go())


def test_every_reason_has_its_status_code():
    assert set(http.STATUS_OF) == set(Reason)


def test_each_reason_is_answered_with_its_status_and_a_problem_body(monkeypatch):
    app = _app(monkeypatch)
    for reason, (status, title) in EXPECTED.items():
        answer = _get(app, f"/refuse/{reason.value}?field=on")
        assert answer.status_code == status, reason
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json() == {
            "type": "about:blank", "title": title, "status": status, "detail": "不能这样做",
            "instance": f"/refuse/{reason.value}",
            "errors": [{"field": "on", "message": "不能这样做"}]}
        assert ("retry-after" in answer.headers) == (reason is Reason.UNAVAILABLE)


def test_a_refusal_naming_no_field_has_no_errors(monkeypatch):
    answer = _get(_app(monkeypatch), "/refuse/conflict")
    assert answer.status_code == 409 and "errors" not in answer.json()
    assert answer.json()["detail"] == "不能这样做"


def test_a_refusal_for_now_says_when_to_retry(monkeypatch):
    answer = _get(_app(monkeypatch), "/refuse/unavailable")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
