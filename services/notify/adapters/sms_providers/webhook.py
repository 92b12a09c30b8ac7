"""A generic HTTP webhook, for an agency's own SMS gateway (政务短信平台 and the like).

POST {"message_id", "phone", "text"} as JSON to the configured URL with
  X-Gongkai-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, key = shared secret>
  Idempotency-Key: <message_id>
2xx → accepted (an "id" string in a JSON answer is kept as the provider's message id);
408, 429, 5xx and network failures → retryable; any other status → not retryable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import httpx

from .base import (
    DEFAULT_TIMEOUT,
    Fields,
    SendResult,
    Sms,
    check_phone,
    http_status_error,
    json_body,
    mask_phone,
    post,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Gongkai-Signature"


def webhook_signature(secret: str, body: bytes) -> str:
    """The X-Gongkai-Signature header value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSms:
    name = "webhook"
    deduplicates = True  # it sends our Idempotency-Key; the receiver drops a second send

    def __init__(self, *, url: str, secret: str, http: httpx.AsyncClient,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self._http = http

    @classmethod
    def from_config(cls, config: dict[str, Any], value: Fields, *, timeout: float,
                    http: httpx.AsyncClient, clock: Any = None) -> WebhookSms:
        return cls(url=value("url"), secret=value("secret"), timeout=timeout, http=http)

    def __repr__(self) -> str:
        return f"WebhookSms(url={self.url!r})"

    async def send(self, sms: Sms) -> SendResult:
        check_phone(self.name, sms)
        body = json.dumps({"message_id": sms.message_id, "phone": sms.phone, "text": sms.text},
                          ensure_ascii=False, separators=(",", ":")).encode()
        response = await post(self._http, self.name, self.url, content=body, seconds=self.timeout,
                              headers={"Content-Type": "application/json; charset=utf-8",
                                       SIGNATURE_HEADER: webhook_signature(self._secret, body),
                                       "Idempotency-Key": sms.message_id})
        if not response.is_success:
            error = http_status_error(self.name, response)
            log.warning("webhook: %s to %s refused: HTTP %s (retryable=%s)", sms.message_id,
                        mask_phone(sms.phone), response.status_code, error.retryable)
            raise error
        data = json_body(response) or {}
        provider_id = data.get("id")
        log.info("webhook: sent %s to %s", sms.message_id, mask_phone(sms.phone))
        return SendResult(provider_message_id=provider_id if isinstance(provider_id, str) else None,
                          accepted=True)
