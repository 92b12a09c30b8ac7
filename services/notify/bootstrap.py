"""Composition root of the notify service."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import FastAPI

from services.notify.adapters.channels import DevEmail, DevSms, ProviderSms, SmtpEmail
from services.notify.config import NotifySettings, Smtp
from services.notify.domain import letters
from services.notify.entrypoints.http import router
from services.notify.service_layer import handlers, sending
from shared import cjk_font
from shared.clock import SystemClock
from shared.contracts import AGENCIES_TOPIC, CASES_TOPIC
from shared.runtime import Runtime
from shared.service_app import service_app
from shared.settings import Settings

SERVICE = "notify"
log = logging.getLogger(__name__)


def _email_channel(smtp: Smtp | None):
    if smtp is None:
        return DevEmail()
    return SmtpEmail(host=smtp.host, port=smtp.port, sender=smtp.sender, user=smtp.user,
                     password=smtp.password, starttls=smtp.starttls)


DEV_SINKS_ENV = "GONGKAI_DEV_SINKS"
# How a deployment gives staff their identities: a key of its own or the city's identity
# provider. Compose and Kubernetes require one of them; only a development stack (`gongkai up`,
# the tests) signs with the key it generated for itself in GONGKAI_HOME.
_PRODUCTION_IDENTITY = ("GONGKAI_JWT_SECRET", "GONGKAI_OIDC_ISSUER")


def dev_sinks_enabled(requested: bool, settings: Settings) -> bool:
    """Development mode: `/v1/dev/sms` and `/v1/dev/email` exist (for staff tokens only).

    It takes both an explicit GONGKAI_DEV_SINKS=1 (the embedded stack sets it) and a
    development identity setup: with GONGKAI_JWT_SECRET or an identity provider configured —
    a production configuration — the setting is ignored, loudly, so that a development
    environment file copied to production cannot open the sinks."""
    if not requested:
        return False
    configured = {"GONGKAI_JWT_SECRET": settings.jwt_secret,
                  "GONGKAI_OIDC_ISSUER": settings.oidc_issuer}
    production = [name for name in _PRODUCTION_IDENTITY if configured[name]]
    if production:
        log.warning("%s=1 ignored: %s is set, a production configuration; the development "
                    "sinks stay closed", DEV_SINKS_ENV, " and ".join(production))
        return False
    log.warning("development mode: /v1/dev/sms and /v1/dev/email are open to staff tokens")
    return True


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               notify: NotifySettings | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    notify = notify or NotifySettings.from_env()
    cjk_font.use_font(runtime.settings.letter_font)
    overrides = notify.templates_dir or runtime.settings.home / "templates"
    templates = letters.TemplateSource(overrides)
    email = _email_channel(notify.smtp)
    dev_sms = DevSms()
    http_client = httpx.AsyncClient(timeout=10)
    providers: dict[str, Any] = {}

    def sms_channel(agency_config: dict | None):
        config = (agency_config or {}).get("sms") or {}
        if not config:
            return dev_sms
        key = repr(sorted(config.items()))
        if key not in providers:
            from services.notify.adapters.sms_providers import provider_from_config

            settings = {k: v for k, v in config.items() if not k.startswith("template.")}
            codes = {k.removeprefix("template."): v for k, v in config.items()
                     if k.startswith("template.")}
            # Providers check request timestamps against real time: never a simulated clock.
            providers[key] = ProviderSms(provider_from_config(
                settings, http=http_client, clock=SystemClock().now, secrets=notify.secrets),
                codes)
        return providers[key]

    def sms_provider_of(agency_config: dict | None) -> str:
        return ((agency_config or {}).get("sms") or {}).get("provider", "dev")

    ctx = handlers.Context(templates, sms_provider_of, email.name, notify.ack_sms_per_day,
                           clock=runtime.clock)
    channels = sending.Channels(sms_channel, email)
    runtime.consumes(AGENCIES_TOPIC, lambda conn, env: handlers.on_event(conn, env, ctx),
                     reference=True)
    runtime.consumes(CASES_TOPIC, lambda conn, env: handlers.on_event(conn, env, ctx),
                     lambda conn, envs: handlers.on_events(conn, envs, ctx))
    runtime.loop("sender", lambda: sending.sender_loop(runtime.engine, runtime.dsn, channels,
                                                       runtime.clock))
    app = service_app(runtime, SERVICE,
                      "Letters, SMS and e-mail to applicants; each sent once and kept on record.")
    app.include_router(router(runtime, dev_sinks=dev_sinks_enabled(notify.dev_sinks,
                                                                   runtime.settings),
                              sms_provider_of=sms_provider_of, email_provider=email.name))
    return app
