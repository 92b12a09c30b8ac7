"""Development mode of notify (issue 15): the development sinks open only on an explicit setting
and a development identity setup, never in a production configuration by accident."""

from __future__ import annotations

import logging

import pytest

from services.notify import bootstrap
from services.notify.config import NotifySettings
from shared.settings import Settings

SECRET = "a-production-key-of-at-least-32-bytes!"


def dev_sinks_enabled(environ: dict[str, str]) -> bool:
    """What notify decides from an environment, read as its process reads it."""
    return bootstrap.dev_sinks_enabled(NotifySettings.from_env(environ).dev_sinks,
                                       Settings.from_env(environ))


def test_closed_unless_asked_for():
    assert not dev_sinks_enabled({})
    assert not dev_sinks_enabled({"GONGKAI_DEV_SINKS": "0"})
    assert not dev_sinks_enabled({"GONGKAI_DEV_SINKS": "true"})  # only "1" opens them


def test_open_on_a_development_stack():
    # What `gongkai up` and the tests' stack have: the setting, and tokens signed with the key
    # the stack generated in its home (no GONGKAI_JWT_SECRET, no identity provider).
    assert dev_sinks_enabled({"GONGKAI_DEV_SINKS": "1"})
    assert dev_sinks_enabled({"GONGKAI_DEV_SINKS": "1", "GONGKAI_JWT_SECRET": "",
                              "GONGKAI_OIDC_ISSUER": ""})  # compose's empty defaults


@pytest.mark.parametrize("production", [
    {"GONGKAI_JWT_SECRET": SECRET},  # compose and Kubernetes require it ...
    {"GONGKAI_OIDC_ISSUER": "https://sso.example.gov.cn/realms/gongkai"},  # ... or the city's IdP
])
def test_ignored_loudly_in_a_production_configuration(production, caplog):
    with caplog.at_level(logging.WARNING):
        assert not dev_sinks_enabled({"GONGKAI_DEV_SINKS": "1", **production})
    [record] = [r for r in caplog.records if "GONGKAI_DEV_SINKS=1 ignored" in r.getMessage()]
    assert SECRET not in record.getMessage()  # names the variable, never its value
