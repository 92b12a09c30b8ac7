"""Build an agency's SMS provider from its configuration (a dict, from the city file)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from .aliyun import AliyunSms
from .base import DEFAULT_TIMEOUT, SmsProvider
from .tencent import TencentSms
from .webhook import WebhookSms

# Every provider an agency may name, by the name it is configured and recorded under. A new
# provider is a module with a class like these (name, deduplicates, from_config, send) and one
# entry here; whether an interrupted send is retried follows from its own `deduplicates`.
PROVIDERS: dict[str, type[SmsProvider]] = {
    p.name: p for p in (AliyunSms, TencentSms, WebhookSms)}


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
    def value(field: str, *, required: bool = True, default: str | None = None) -> str | None:
        return _field(config, field, required=required, default=default, secrets=secrets)

    kind = value("provider")
    provider = PROVIDERS.get(kind or "")
    if provider is None:
        raise ValueError(f"SMS provider config: field 'provider' is {kind!r}, "
                         f"expected one of {', '.join(PROVIDERS)}")
    return provider.from_config(config, value, timeout=_timeout(config), http=http, clock=clock)
