"""What every SMS provider adapter shares: the message, the result, the error, and the one
HTTP call with its timeout and its mapping of network failures."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "gongkai-notify"

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(\+?86)?(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phone(phone: str) -> str:
    """138****8000: enough to tell messages apart in a log, not enough to call anyone."""
    if len(phone) < 8:
        return "****"
    return f"{phone[:3]}****{phone[-4:]}"


def scrub(text: object, limit: int = 300) -> str:
    """Text from a provider, safe to keep: mobile numbers masked, length bounded."""
    cleaned = _PHONE_IN_TEXT.sub(lambda m: f"{m[1] or ''}{m[2]}****{m[3]}", str(text))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


@dataclass(frozen=True)
class Sms:
    message_id: str  # our stable id for the message (idempotency / out id)
    phone: str  # 11-digit mainland mobile
    text: str  # full text as the applicant will see it
    template_code: str | None = None  # providers that require registered templates
    template_params: dict[str, str] | None = None

    def __repr__(self) -> str:  # never the full number in a log or a traceback
        return (f"Sms(message_id={self.message_id!r}, phone={mask_phone(self.phone)!r}, "
                f"text=<{len(self.text)} chars>, template_code={self.template_code!r})")


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    accepted: bool


class ProviderError(Exception):
    """A send that did not go through. `retryable` tells the sender loop whether to try again
    later; `code` is the provider's code (or ours: timeout, connect, network, http_NNN, …);
    `detail` is for people and never holds a secret or a full phone number."""

    def __init__(self, code: str, detail: str = "", *, retryable: bool) -> None:
        self.code = code
        self.detail = scrub(detail)
        self.retryable = retryable
        super().__init__(f"{code}: {self.detail}" if self.detail else code)

    def __repr__(self) -> str:
        return (f"ProviderError(code={self.code!r}, retryable={self.retryable}, "
                f"detail={self.detail!r})")


class Fields(Protocol):
    """One string field of a provider's configuration ("env:NAME" already resolved); a
    missing required field is a ValueError naming it."""

    def __call__(self, field: str, *, required: bool = True,
                 default: str | None = None) -> str | None: ...


class SmsProvider(Protocol):
    name: str  # what the agency's configuration says (`provider: aliyun`) and each message keeps
    # Whether sending the same message twice delivers it once (the provider deduplicates on our
    # message id): then a send interrupted mid-way may simply be tried again.
    deduplicates: bool

    @classmethod
    def from_config(cls, config: dict[str, Any], value: Fields, *, timeout: float,
                    http: httpx.AsyncClient, clock: Any) -> SmsProvider: ...

    async def send(self, sms: Sms) -> SendResult: ...


def check_phone(provider: str, sms: Sms) -> None:
    if not MAINLAND_MOBILE.fullmatch(sms.phone):
        raise ProviderError("invalid_phone", f"{provider}: not an 11-digit mainland mobile "
                            f"({mask_phone(sms.phone)})", retryable=False)


def utc_now(clock: Any) -> datetime:
    """The clock's instant in UTC; a naive datetime is taken to be UTC already."""
    now = clock()
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


async def post(http: httpx.AsyncClient, provider: str, url: str, *, content: bytes,
               headers: dict[str, str], seconds: float) -> httpx.Response:
    """POST with a timeout; every transport failure becomes a retryable ProviderError.

    `connect` means nothing reached the provider. `timeout` and `network` mean the outcome is
    unknown: the provider may have accepted the message, so a retry can send it twice."""
    headers = {"User-Agent": USER_AGENT, **headers}
    try:
        return await http.post(url, content=content, headers=headers,
                               timeout=httpx.Timeout(seconds))
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise ProviderError("connect", f"{provider}: cannot connect ({type(exc).__name__})",
                            retryable=True) from exc
    except httpx.TimeoutException as exc:
        raise ProviderError("timeout", f"{provider}: no answer within {seconds:g}s "
                            f"({type(exc).__name__}); outcome unknown", retryable=True) from exc
    except httpx.TransportError as exc:
        raise ProviderError("network", f"{provider}: {type(exc).__name__}; outcome unknown",
                            retryable=True) from exc


def json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def http_status_error(provider: str, response: httpx.Response) -> ProviderError:
    """An answer that is not the provider's own format: judged by its HTTP status alone."""
    status = response.status_code
    retryable = status == 429 or status == 408 or status >= 500
    return ProviderError(f"http_{status}", f"{provider}: HTTP {status}: {response.text[:200]}",
                         retryable=retryable)
