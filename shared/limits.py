"""Protection of public endpoints: request bodies have a size limit, and each client address
gets a token bucket of requests. In-process and per instance (behind a load balancer the limit
applies per instance; a shared limiter belongs in the ingress)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.metrics import HTTP_REQUESTS
from shared.problems import problem_response

MAX_BODY = 256 * 1024  # an application is a few KB; files come only through `allow_uploads`


@dataclass(frozen=True)
class Upload:
    """A form that carries a file: multipart/form-data POSTs to exactly `path` may be up to
    `max_body` bytes, and one that is larger is refused with `detail`, naming `field`. Every
    other request keeps the service's limit, JSON to the same path included."""

    path: str
    max_body: int
    field: str
    detail: str


def allow_uploads(app: Starlette, *uploads: Upload) -> None:
    """Declare the app's upload forms to its Guard (which reads them from the app's state)."""
    app.state.uploads = {upload.path: upload for upload in uploads}


def multipart_form(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"multipart/form-data"
    return False


def _upload(scope: Scope) -> Upload | None:
    uploads = getattr(getattr(scope.get("app"), "state", None), "uploads", None)
    if not uploads or scope.get("method") != "POST" or not multipart_form(scope):
        return None
    return uploads.get(scope.get("path"))


class TokenBucket:
    def __init__(self, rate: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.max_clients = max_clients

    def take(self, client: str, now: float) -> float:
        """0 when allowed; else the seconds until the next request would be."""
        tokens, last = self.buckets.pop(client, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self.buckets[client] = (tokens - 1 if allowed else tokens, now)
        if len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        return 0.0 if allowed else (1 - tokens) / self.rate


class Guard:
    """ASGI middleware: body size for every request (larger for the app's upload forms, see
    `allow_uploads`); rate limit for the public paths."""

    def __init__(self, app: ASGIApp, service: str, public_prefixes: tuple[str, ...],
                 rate: float = 2.0, burst: int = 20, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.service = service
        self.public = public_prefixes
        self.bucket = TokenBucket(rate, burst)
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        upload = _upload(scope)
        max_body = upload.max_body if upload else self.max_body
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            await self._too_large(upload, max_body)(scope, receive, send)
            return
        if any(scope.get("path", "").startswith(p) for p in self.public):
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.bucket.take(client, time.monotonic())
            if wait:
                await problem_response(
                    429, "请求过于频繁，请稍后再试",
                    headers={"Retry-After": str(max(1, round(wait)))})(scope, receive, send)
                return
        status = 500
        body = _Body(receive, max_body)
        refused = False

        async def sending(message) -> None:
            nonlocal status, refused
            if body.exceeded:
                # The body streamed past the limit (no Content-Length announced it): whatever
                # the app made of the cut-off body (FastAPI: a 400 "error parsing the body"),
                # the answer is 413, once.
                if message["type"] == "http.response.start" and not refused:
                    refused = True
                    status = 413
                    await self._too_large(upload, max_body)(scope, _nothing, send)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, body.receive, sending)
        except BodyTooLarge:
            if not refused:
                refused, status = True, 413
                await self._too_large(upload, max_body)(scope, _nothing, send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, route, f"{status // 100}xx").inc()

    @staticmethod
    def _too_large(upload: Upload | None, max_body: int):
        if upload:
            return problem_response(
                413, upload.detail, errors=[{"field": upload.field, "message": upload.detail}])
        return problem_response(413, f"请求内容超过{max_body // 1024}KB的上限")


async def _nothing() -> dict:
    return {"type": "http.disconnect"}


class _Body:
    """The request's body messages, refused once they stream past the limit without having
    announced their length: `exceeded` is set and every further read raises."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive, self.limit = receive, limit
        self.seen = 0
        self.exceeded = False

    async def receive(self):
        if self.exceeded:
            raise BodyTooLarge()
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.exceeded = True
                raise BodyTooLarge()
        return message


class BodyTooLarge(Exception):
    pass
