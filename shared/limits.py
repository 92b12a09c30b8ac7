"""Protection of public endpoints: request bodies have a size limit, and each client address
gets a token bucket of requests. In-process and per instance (behind a load balancer the limit
applies per instance; a shared limiter belongs in the ingress)."""

from __future__ import annotations

import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http import problem_response
from shared.metrics import HTTP_REQUESTS

MAX_BODY = 256 * 1024  # an application is a few KB; a ledger import does not come through HTTP


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
    """ASGI middleware: body size for every request; rate limit for the public paths."""

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
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await problem_response(413, f"请求内容超过{self.max_body // 1024}KB的上限")(
                scope, receive, send)
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

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, _limited(receive, self.max_body), sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, route, f"{status // 100}xx").inc()


def _limited(receive: Receive, limit: int) -> Receive:
    """Refuse a body that streams past the limit without announcing its length."""
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return wrapped


class BodyTooLarge(Exception):
    pass
