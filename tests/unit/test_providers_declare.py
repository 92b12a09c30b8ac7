"""Whether an interrupted send may be tried again is each provider's own declaration (does it
drop a second send of the same message?), not a list of names kept elsewhere."""

from __future__ import annotations

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
