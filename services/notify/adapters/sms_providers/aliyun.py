"""Alibaba Cloud SMS (dysmsapi 2017-05-25, SendSms), called as a plain RPC-style request.

Signature: Alibaba Cloud "RPC style request signature" (SignatureVersion 1.0, HMAC-SHA1), as
documented for dysmsapi at help.aliyun.com ("HTTP协议及签名" / "RPC风格请求体&签名机制"):
  1. percent-encode names and values as UTF-8, RFC 3986: A-Z a-z 0-9 - _ . ~ kept, space as
     %20 (not +), * as %2A, ~ not encoded;
  2. canonicalized query string: encoded name=value pairs sorted by name, joined with &;
  3. StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(canonicalized);
  4. Signature = base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).
The documentation's worked example (testId/testSecret, Timestamp 2017-07-12T02:42:19Z) gives
zJDF+Lrzhj/ThnlvIToysFRq6t4=, which the unit tests check.

We POST the parameters as an application/x-www-form-urlencoded body (the RPC style accepts
GET or POST; POST keeps the phone number and the signature out of URLs and access logs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from .base import (
    DEFAULT_TIMEOUT,
    Fields,
    ProviderError,
    SendResult,
    Sms,
    check_phone,
    http_status_error,
    json_body,
    mask_phone,
    post,
    utc_now,
)

log = logging.getLogger(__name__)

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com"

# Codes worth trying again later: throttling, flow control, the provider's own faults.
RETRYABLE_CODES = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number minute/hour/day flow control
    "isv.DAY_LIMIT_CONTROL",
    "SignatureNonceUsed",  # a fresh nonce on the next try fixes it
})
RETRYABLE_PREFIXES = ("Throttling", "isp.", "ServiceUnavailable", "InternalError")


def percent_encode(value: str) -> str:
    # quote() keeps A-Z a-z 0-9 _ . - ~ and encodes everything else, space as %20, * as %2A.
    return quote(value, safe="~")


def canonicalized_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def rpc_signature(access_key_secret: str, method: str, params: Mapping[str, str]) -> str:
    """The base64 RPC signature of `params` (which must not include Signature itself)."""
    digest = hmac.new((access_key_secret + "&").encode(), string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_retryable(code: str, status: int) -> bool:
    if code in RETRYABLE_CODES or code.startswith(RETRYABLE_PREFIXES):
        return True
    return status >= 500 and not code.startswith("isv.")


class AliyunSms:
    name = "aliyun"
    deduplicates = False  # its OutId is echoed back, not used to drop a second send

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 http: httpx.AsyncClient, clock: Callable[[], datetime],
                 template_code: str | None = None, endpoint: str = DEFAULT_ENDPOINT,
                 region_id: str = "cn-hangzhou", timeout: float = DEFAULT_TIMEOUT,
                 nonce: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self._key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.endpoint = endpoint.rstrip("/") + "/"
        self.region_id = region_id
        self.timeout = timeout
        self._http = http
        self._clock = clock
        self._nonce = nonce

    @classmethod
    def from_config(cls, config: dict[str, Any], value: Fields, *, timeout: float,
                    http: httpx.AsyncClient, clock: Callable[[], datetime]) -> AliyunSms:
        return cls(access_key_id=value("access_key_id"),
                   access_key_secret=value("access_key_secret"),
                   sign_name=value("sign_name"),
                   template_code=value("template_code", required=False),
                   endpoint=value("endpoint", required=False, default=DEFAULT_ENDPOINT),
                   region_id=value("region_id", required=False, default="cn-hangzhou"),
                   timeout=timeout, http=http, clock=clock)

    def __repr__(self) -> str:
        return f"AliyunSms(endpoint={self.endpoint!r}, sign_name={self.sign_name!r})"

    def request_params(self, sms: Sms) -> dict[str, str]:
        """Every parameter of the request but Signature, for one send."""
        template = sms.template_code or self.template_code
        if not template:
            raise ProviderError("missing_template", "aliyun: no template_code for the message "
                                "nor in the agency's configuration", retryable=False)
        params = {
            "AccessKeyId": self._key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": utc_now(self._clock).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": sms.phone,
            "SignName": self.sign_name,
            "TemplateCode": template,
            "OutId": sms.message_id,
        }
        if sms.template_params is not None:
            params["TemplateParam"] = json.dumps(sms.template_params, ensure_ascii=False,
                                                 separators=(",", ":"))
        return params

    async def send(self, sms: Sms) -> SendResult:
        check_phone(self.name, sms)
        params = self.request_params(sms)
        signature = rpc_signature(self._secret, "POST", params)
        body = f"{canonicalized_query(params)}&Signature={percent_encode(signature)}"
        response = await post(
            self._http, self.name, self.endpoint, content=body.encode(), seconds=self.timeout,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                     "Accept": "application/json"},
        )
        data = json_body(response)
        if data is None or not isinstance(data.get("Code"), str):
            raise http_status_error(self.name, response)
        code = data["Code"]
        if code == "OK" and response.is_success:
            biz_id = data.get("BizId")
            log.info("aliyun: sent %s to %s, BizId %s", sms.message_id, mask_phone(sms.phone),
                     biz_id)
            return SendResult(provider_message_id=str(biz_id) if biz_id else None, accepted=True)
        retryable = is_retryable(code, response.status_code)
        log.warning("aliyun: %s to %s refused: %s (retryable=%s)", sms.message_id,
                    mask_phone(sms.phone), code, retryable)
        raise ProviderError(code, f"aliyun: {data.get('Message', '')} "
                            f"(RequestId {data.get('RequestId', '-')})", retryable=retryable)
