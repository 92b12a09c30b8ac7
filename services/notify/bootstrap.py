"""Composition root of the notify service."""

from __future__ import annotations

from fastapi import FastAPI

from services.notify.adapters.sms import DevSink
from services.notify.entrypoints.http import router
from services.notify.service_layer import handlers
from shared import http
from shared.contracts import AGENCIES_TOPIC, CASES_TOPIC
from shared.runtime import Runtime
from shared.settings import Settings

SERVICE = "notify"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    runtime.consumes(AGENCIES_TOPIC, handlers.on_event)
    runtime.consumes(CASES_TOPIC, handlers.on_event)
    provider = DevSink()
    runtime.loop("sender", lambda: handlers.sender_loop(runtime.engine, runtime.dsn, provider))
    app = FastAPI(
        title="gongkai notify",
        description="Letters, SMS and e-mail to applicants; each sent once and kept on record.",
        version="0.1.0",
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    http.install(app, SERVICE)
    app.include_router(runtime.health_router())
    app.include_router(router)
    return app
