"""Whether an interrupted send may be tried again is each provider's own declaration (does it
drop a second send of the same message?), not a list of names kept elsewhere."""

from __future__ import annotations

import httpx
import pytest

from services.notify.adapters.channels import ProviderSms, retry_safe_names
from services.notify.adapters.sms_providers import AliyunSms, TencentSms, WebhookSms
from shared.contracts.agencies import AgencyPolicies


def test_only_providers_that_deduplicate_are_retried_after_an_interruption():
    assert WebhookSms.deduplicates and not AliyunSms.deduplicates
    assert not TencentSms.deduplicates
    assert retry_safe_names() == ["dev", "dev-email", "webhook"]
    for provider in (AliyunSms, TencentSms, WebhookSms):
        channel = ProviderSms.__new__(ProviderSms)
        ProviderSms.__init__(channel, provider.__new__(provider))
        assert channel.retry_safe is provider.deduplicates


def test_the_agency_policies_carry_no_dead_provider_field():
    # The SMS provider is the agency's `sms` configuration; a policy field of that name
    # misled readers into thinking it chose one.
    assert "sms_provider" not in AgencyPolicies.model_fields
    assert AgencyPolicies.model_validate({"sms_provider": "aliyun"}) == AgencyPolicies()


def test_a_new_provider_is_one_class_and_one_entry(monkeypatch):
    """The worked example of docs/architecture.md: a provider that deduplicates, registered
    once, is built from an agency's configuration and retried after an interruption."""
    from services.notify.adapters.sms_providers import config

    class PigeonSms:
        name, deduplicates = "pigeon", True

        def __init__(self, loft: str) -> None:
            self.loft = loft

        @classmethod
        def from_config(cls, cfg, value, *, timeout, http, clock):
            return cls(loft=value("loft"))

        async def send(self, sms):
            raise NotImplementedError

    monkeypatch.setitem(config.PROVIDERS, "pigeon", PigeonSms)
    built = config.provider_from_config({"provider": "pigeon", "loft": "env:LOFT"},
                                        http=httpx.AsyncClient(), clock=lambda: None,
                                        secrets={"LOFT": "东楼"})
    assert isinstance(built, PigeonSms) and built.loft == "东楼"
    assert "pigeon" in retry_safe_names()
    with pytest.raises(ValueError, match="missing field 'loft'"):
        config.provider_from_config({"provider": "pigeon"}, http=httpx.AsyncClient(),
                                    clock=lambda: None)
