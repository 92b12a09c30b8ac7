"""Tencent Cloud SMS (API 3.0, SendSms, version 2021-01-11, service "sms").

Signature: TC3-HMAC-SHA256, as documented in Tencent Cloud API 3.0 "签名方法 v3" (Signature
v3, cloud.tencent.com/document/api/382/52072 for SMS, and the common /document/api/213/30654):
  CanonicalRequest = "POST\n/\n\n" + "content-type:<ct>\nhost:<host>\n" + "\n"
                     + "content-type;host" + "\n" + hex(SHA256(payload))
  StringToSign     = "TC3-HMAC-SHA256\n" + timestamp + "\n" + date/service/tc3_request + "\n"
                     + hex(SHA256(CanonicalRequest))            (date = UTC date of timestamp)
  key              = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")
  Signature        = hex(HMAC-SHA256(key, StringToSign))
  Authorization    = "TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, "
                     "SignedHeaders=content-type;host, Signature=<Signature>"
The documentation's worked example (cvm DescribeInstances, timestamp 1551113065) gives
2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c, which the unit tests check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

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

SERVICE = "sms"
ACTION = "SendSms"
API_VERSION = "2021-01-11"
DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com"
CONTENT_TYPE = "application/json; charset=utf-8"
ALGORITHM = "TC3-HMAC-SHA256"

RETRYABLE_CODES = frozenset({
    "RequestLimitExceeded",
    "ResourceUnavailable",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.PhoneNumberDailyLimit",
    "LimitExceeded.PhoneNumberSameContentDailyLimit",
    "LimitExceeded.AppDailyLimit",
    "LimitExceeded.DailyLimit",
})
RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded")


def hashed_canonical_request(method: str, headers: Mapping[str, str], payload: bytes) -> str:
    """hex(SHA256) of the canonical request signing the given headers (lower-case names)."""
    names = sorted(h.lower() for h in headers)
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    canonical_headers = "".join(f"{n}:{lowered[n]}\n" for n in names)
    canonical = "\n".join([
        method.upper(), "/", "", canonical_headers, ";".join(names),
        hashlib.sha256(payload).hexdigest(),
    ])
    return hashlib.sha256(canonical.encode()).hexdigest()


def tc3_signature(secret_key: str, service: str, timestamp: int,
                  hashed_request: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"{ALGORITHM}\n{timestamp}\n{scope}\n{hashed_request}"
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, service: str, timestamp: int,
                  headers: Mapping[str, str], payload: bytes) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed = ";".join(sorted(h.lower() for h in headers))
    signature = tc3_signature(secret_key, service, timestamp,
                              hashed_canonical_request("POST", headers, payload))
    return (f"{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, "
            f"SignedHeaders={signed}, Signature={signature}")


def is_retryable(code: str) -> bool:
    return code in RETRYABLE_CODES or code.startswith(RETRYABLE_PREFIXES)


def ordered_params(params: Mapping[str, str], order: list[str] | None) -> list[str]:
    """Tencent templates number their blanks {1}, {2}, …: the values go as a list in that order.
    The order is the configured names, else numeric keys by number, else the dict's own order."""
    if order is not None:
        missing = [name for name in order if name not in params]
        if missing:
            raise ProviderError("missing_template_param", f"tencent: no value for {missing}",
                                retryable=False)
        return [str(params[name]) for name in order]
    if all(k.isdigit() for k in params):
        return [str(params[k]) for k in sorted(params, key=int)]
    return [str(v) for v in params.values()]


class TencentSms:
    name = "tencent"
    deduplicates = False  # SessionContext is echoed back, not used to drop a second send

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 http: httpx.AsyncClient, clock: Callable[[], datetime],
                 template_id: str | None = None, template_param_order: list[str] | None = None,
                 endpoint: str = DEFAULT_ENDPOINT, region: str = "ap-guangzhou",
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._secret_id = secret_id
        self._secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.template_param_order = template_param_order
        self.endpoint = endpoint.rstrip("/") + "/"
        url = httpx.URL(self.endpoint)
        self.host = url.host if url.port is None else f"{url.host}:{url.port}"
        self.region = region
        self.timeout = timeout
        self._http = http
        self._clock = clock

    @classmethod
    def from_config(cls, config: dict[str, Any], value: Fields, *, timeout: float,
                    http: httpx.AsyncClient, clock: Callable[[], datetime]) -> TencentSms:
        order = config.get("template_param_order")
        if order is not None and (not isinstance(order, list)
                                  or not all(isinstance(n, str) for n in order)):
            raise ValueError("SMS provider config: field 'template_param_order' must be a list "
                             "of parameter names")
        return cls(secret_id=value("secret_id"), secret_key=value("secret_key"),
                   sdk_app_id=value("sdk_app_id"), sign_name=value("sign_name"),
                   template_id=value("template_id", required=False),
                   template_param_order=order,
                   endpoint=value("endpoint", required=False, default=DEFAULT_ENDPOINT),
                   region=value("region", required=False, default="ap-guangzhou"),
                   timeout=timeout, http=http, clock=clock)

    def __repr__(self) -> str:
        return f"TencentSms(endpoint={self.endpoint!r}, sdk_app_id={self.sdk_app_id!r})"

    def payload(self, sms: Sms) -> bytes:
        template = sms.template_code or self.template_id
        if not template:
            raise ProviderError("missing_template", "tencent: no template id for the message "
                                "nor in the agency's configuration", retryable=False)
        body = {
            "PhoneNumberSet": [f"+86{sms.phone}"],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": template,
            "TemplateParamSet": ordered_params(sms.template_params or {},
                                               self.template_param_order),
            "SessionContext": sms.message_id,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    async def send(self, sms: Sms) -> SendResult:
        check_phone(self.name, sms)
        payload = self.payload(sms)
        timestamp = int(utc_now(self._clock).timestamp())
        signed = {"Content-Type": CONTENT_TYPE, "Host": self.host}
        headers = {
            **signed,
            "Authorization": authorization(self._secret_id, self._secret_key, SERVICE,
                                           timestamp, signed, payload),
            "X-TC-Action": ACTION,
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        response = await post(self._http, self.name, self.endpoint, content=payload,
                              headers=headers, seconds=self.timeout)
        data = json_body(response)
        answer = data.get("Response") if data else None
        if not isinstance(answer, dict):
            raise http_status_error(self.name, response)
        request_id = answer.get("RequestId", "-")
        error = answer.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", "UnknownError"))
            self._refused(sms, code)
            raise ProviderError(code, f"tencent: {error.get('Message', '')} "
                                f"(RequestId {request_id})", retryable=is_retryable(code))
        statuses = answer.get("SendStatusSet")
        if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
            raise ProviderError("malformed_response", f"tencent: no SendStatusSet "
                                f"(RequestId {request_id})", retryable=False)
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code == "Ok":
            serial = status.get("SerialNo")
            log.info("tencent: sent %s to %s, SerialNo %s", sms.message_id,
                     mask_phone(sms.phone), serial)
            return SendResult(provider_message_id=str(serial) if serial else None, accepted=True)
        self._refused(sms, code)
        raise ProviderError(code or "UnknownError", f"tencent: {status.get('Message', '')} "
                            f"(RequestId {request_id})", retryable=is_retryable(code))

    def _refused(self, sms: Sms, code: str) -> None:
        log.warning("tencent: %s to %s refused: %s (retryable=%s)", sms.message_id,
                    mask_phone(sms.phone), code, is_retryable(code))
