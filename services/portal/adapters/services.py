"""The four services, reached only through their HTTP APIs. Staff calls carry the signed-in
person's own token, so every authorisation decision stays where it is made today."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def field_errors(self) -> dict[str, str]:
        """A problem+json answer's errors by field (the last path part), for the form."""
        errors: dict[str, str] = {}
        if isinstance(self.body, dict):
            for e in self.body.get("errors") or []:
                name = str(e.get("field") or "").split(".")[-1] or "_form"
                errors.setdefault(name, str(e.get("message") or ""))
        return errors

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("detail") or self.body.get("title") or "")
        return ""


class ServiceUnavailable(Exception):
    """A service did not answer (down, restarting, or too slow)."""


class TokenRefused(Exception):
    """A service refused the signed-in person's token (expired, revoked): the session ends."""


class Services:
    def __init__(self, urls: dict[str, str], timeout: float = 15.0,
                 agencies_ttl: float = 30.0) -> None:
        self.urls = urls
        self.client = httpx.AsyncClient(timeout=timeout)
        self.agencies_ttl = agencies_ttl
        self._agencies: tuple[float, list[dict[str, Any]]] | None = None

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, service: str, method: str, path: str, *, token: str | None = None,
                   client_address: str | None = None, raw: bool = False,
                   **kwargs: Any) -> Answer:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_address:
            # The services' per-client limits apply to the person, not to the portal.
            headers["X-Forwarded-For"] = client_address
        try:
            response = await self.client.request(method, self.urls[service] + path,
                                                 headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("%s %s %s: %s", service, method, path, type(exc).__name__)
            raise ServiceUnavailable(service) from None
        if response.status_code >= 500:
            log.warning("%s %s %s -> %d", service, method, path, response.status_code)
            raise ServiceUnavailable(service)
        if token and response.status_code == 401:
            log.info("%s %s %s -> 401: the session's token was refused", service, method, path)
            raise TokenRefused(service)
        body: Any = None
        kind = response.headers.get("content-type", "")
        if not raw and "json" in kind:
            body = response.json()
        return Answer(response.status_code, body, dict(response.headers),
                      response.content if raw else b"")

    async def agencies(self) -> list[dict[str, Any]]:
        """The city's agencies (intake's public list), which almost every page names: kept for
        `agencies_ttl` seconds, since a city file changes a few times a year."""
        now = time.monotonic()
        if self._agencies is None or now - self._agencies[0] > self.agencies_ttl:
            answer = await self.get("intake", "/v1/agencies")
            if not answer.ok:
                return []
            self._agencies = (now, answer.body)
        return self._agencies[1]

    async def get(self, service: str, path: str, **kwargs: Any) -> Answer:
        return await self.call(service, "GET", path, **kwargs)

    async def post(self, service: str, path: str, **kwargs: Any) -> Answer:
        return await self.call(service, "POST", path, **kwargs)
