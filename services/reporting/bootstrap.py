"""Composition root of the reporting service."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting.entrypoints.http import router
from services.reporting.service_layer import handlers
from shared import http
from shared.contracts import AGENCIES_TOPIC, CASES_TOPIC
from shared.runtime import Runtime
from shared.settings import Settings

SERVICE = "reporting"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    runtime.consumes(AGENCIES_TOPIC, handlers.on_event)
    runtime.consumes(CASES_TOPIC, handlers.on_event)
    app = FastAPI(
        title="gongkai reporting",
        description="Annual report figures per agency and for the city (年度报告).",
        version="0.1.0",
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    http.install(app, SERVICE)
    app.include_router(runtime.health_router())
    app.include_router(router)
    return app
