"""Build an agency's SMS provider from its configuration (a dict, from the city file)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from .aliyun import DEFAULT_ENDPOINT as ALIYUN_ENDPOINT
from .aliyun import AliyunSms
from .base import DEFAULT_TIMEOUT, SmsProvider
from .tencent import DEFAULT_ENDPOINT as TENCENT_ENDPOINT
from .tencent import TencentSms
from .webhook import WebhookSms

PROVIDERS = ("aliyun", "tencent", "webhook")


def _field(config: dict[str, Any], field: str, *, required: bool = True,
           default: str | None = None, secrets: Mapping[str, str] | None = None) -> str | None:
    """A string field; "env:NAME" reads it from the environment variable NAME."""
    value = config.get(field)
    if value is None or value == "":
        if required:
            raise ValueError(f"SMS provider config: missing field {field!r}")
        return default
    if not isinstance(value, str):
        raise ValueError(f"SMS provider config: field {field!r} must be a string")
    if value.startswith("env:"):
        name = value[4:]
        resolved = (secrets or {}).get(name)
        if not resolved:
            raise ValueError(f"SMS provider config: field {field!r} names environment variable "
                             f"{name!r}, which is not set")
        return resolved
    return value


def _timeout(config: dict[str, Any]) -> float:
    value = config.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 60:
        raise ValueError("SMS provider config: field 'timeout' must be seconds in (0, 60]")
    return float(value)


def provider_from_config(config: dict[str, Any], *, http: httpx.AsyncClient,
                         clock: Callable[[], datetime],
                         secrets: Mapping[str, str] | None = None) -> SmsProvider:
    """The provider an agency configured, e.g. {"provider": "aliyun", "access_key_id": …}.

    Unknown provider or missing field → ValueError naming it. `clock` must tell real (wall)
    time: providers reject signatures whose timestamp is minutes off. `secrets`: where an
    "env:NAME" field is looked up (NotifySettings.secrets, the environment copied at start)."""
    def _value(config: dict[str, Any], field: str, *, required: bool = True,
               default: str | None = None) -> str | None:
        return _field(config, field, required=required, default=default, secrets=secrets)

    kind = _value(config, "provider")
    if kind == "aliyun":
        return AliyunSms(
            access_key_id=_value(config, "access_key_id"),
            access_key_secret=_value(config, "access_key_secret"),
            sign_name=_value(config, "sign_name"),
            template_code=_value(config, "template_code", required=False),
            endpoint=_value(config, "endpoint", required=False, default=ALIYUN_ENDPOINT),
            region_id=_value(config, "region_id", required=False, default="cn-hangzhou"),
            timeout=_timeout(config), http=http, clock=clock,
        )
    if kind == "tencent":
        order = config.get("template_param_order")
        if order is not None and (not isinstance(order, list)
                                  or not all(isinstance(n, str) for n in order)):
            raise ValueError("SMS provider config: field 'template_param_order' must be a list "
                             "of parameter names")
        return TencentSms(
            secret_id=_value(config, "secret_id"),
            secret_key=_value(config, "secret_key"),
            sdk_app_id=_value(config, "sdk_app_id"),
            sign_name=_value(config, "sign_name"),
            template_id=_value(config, "template_id", required=False),
            template_param_order=order,
            endpoint=_value(config, "endpoint", required=False, default=TENCENT_ENDPOINT),
            region=_value(config, "region", required=False, default="ap-guangzhou"),
            timeout=_timeout(config), http=http, clock=clock,
        )
    if kind == "webhook":
        return WebhookSms(url=_value(config, "url"), secret=_value(config, "secret"),
                          timeout=_timeout(config), http=http)
    raise ValueError(f"SMS provider config: field 'provider' is {kind!r}, "
                     f"expected one of {', '.join(PROVIDERS)}")
