"""SMS provider adapters: Alibaba Cloud, Tencent Cloud and a generic signed webhook.

Each is one signed HTTPS request made with httpx, a timeout on every request, and no vendor
SDK. Failures come back as ProviderError with `retryable` for the sender loop to act on.
Nothing here logs a secret, a signature or a full phone number.
"""

from .aliyun import AliyunSms, rpc_signature
from .base import ProviderError, SendResult, Sms, SmsProvider, mask_phone
from .config import provider_from_config
from .tencent import TencentSms, authorization, tc3_signature
from .webhook import WebhookSms, webhook_signature

__all__ = [
    "AliyunSms",
    "ProviderError",
    "SendResult",
    "Sms",
    "SmsProvider",
    "TencentSms",
    "WebhookSms",
    "authorization",
    "mask_phone",
    "provider_from_config",
    "rpc_signature",
    "tc3_signature",
    "webhook_signature",
]
