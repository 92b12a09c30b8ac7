"""Composition root of the notify service."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.notify.adapters.channels import DevEmail, DevSms, ProviderSms, SmtpEmail
from services.notify.domain import letters
from services.notify.entrypoints.http import router
from services.notify.service_layer import handlers, sending
from shared import dead_letters, http
from shared.clock import SystemClock
from shared.contracts import AGENCIES_TOPIC, CASES_TOPIC
from shared.runtime import Runtime
from shared.settings import Settings

SERVICE = "notify"
log = logging.getLogger(__name__)


def _email_channel():
    host = os.environ.get("GONGKAI_SMTP_HOST")
    if not host:
        return DevEmail()
    return SmtpEmail(host=host, port=int(os.environ.get("GONGKAI_SMTP_PORT", "25")),
                     sender=os.environ.get("GONGKAI_SMTP_FROM", "gongkai@localhost"),
                     user=os.environ.get("GONGKAI_SMTP_USER") or None,
                     password=os.environ.get("GONGKAI_SMTP_PASSWORD") or None,
                     starttls=os.environ.get("GONGKAI_SMTP_STARTTLS") == "1")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    overrides = Path(os.environ.get("GONGKAI_TEMPLATES_DIR", runtime.settings.home / "templates"))
    templates = letters.TemplateSource(overrides)
    email = _email_channel()
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
                settings, http=http_client, clock=SystemClock().now), codes)
        return providers[key]

    def sms_provider_of(agency_config: dict | None) -> str:
        return ((agency_config or {}).get("sms") or {}).get("provider", "dev")

    ctx = handlers.Context(templates, sms_provider_of, email.name)
    channels = sending.Channels(sms_channel, email)
    runtime.consumes(AGENCIES_TOPIC, lambda conn, env: handlers.on_event(conn, env, ctx),
                     reference=True)
    runtime.consumes(CASES_TOPIC, lambda conn, env: handlers.on_event(conn, env, ctx),
                     lambda conn, envs: handlers.on_events(conn, envs, ctx))
    runtime.loop("sender", lambda: sending.sender_loop(runtime.engine, runtime.dsn, channels,
                                                       runtime.clock))
    app = FastAPI(
        title="gongkai notify",
        description="Letters, SMS and e-mail to applicants; each sent once and kept on record.",
        version="0.1.0",
        lifespan=runtime.lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    http.install(app, SERVICE)
    app.include_router(runtime.health_router())
    app.include_router(dead_letters.router(runtime))
    app.include_router(router(runtime, dev_sinks=os.environ.get("GONGKAI_DEV_SINKS") == "1",
                              sms_provider_of=sms_provider_of, email_provider=email.name))
    return app
