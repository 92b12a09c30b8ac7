"""Problem answers (RFC 9457 problem+json): the body every service and the portal's client read
for an error — title, status, detail and, where fields are at fault, `errors` naming each.

Its own module so that the HTTP edge (shared/http.py) and the request limits
(shared/limits.py) both build answers here without importing each other."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

PROBLEM = "application/problem+json"

STATUS_TITLES = {
    400: "请求有误",
    401: "未经身份验证",
    403: "无权访问",
    404: "未找到",
    405: "不支持该请求方法",
    409: "请求冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "申请内容不符合要求",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


class Problem(Exception):
    """An error the client can act on, raised by an entrypoint; rendered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or STATUS_TITLES.get(status, "错误")
        self.errors = [{"field": field, "message": detail}] if field else []
        self.headers = headers


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or STATUS_TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)
