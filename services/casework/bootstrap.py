"""Composition root of the casework service."""

from __future__ import annotations

from fastapi import FastAPI

from services.casework.domain.calendar import default_calendar
from services.casework.entrypoints.http import router
from services.casework.service_layer import handlers
from shared import http
from shared.contracts import AGENCIES_TOPIC, APPLICATIONS_TOPIC
from shared.runtime import Runtime
from shared.settings import Settings

SERVICE = "casework"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    calendar = default_calendar()
    runtime.publishes()
    runtime.consumes(AGENCIES_TOPIC, handlers.on_agency_event)
    runtime.consumes(
        APPLICATIONS_TOPIC, lambda conn, env: handlers.on_application_event(conn, env, calendar)
    )
    app = FastAPI(
        title="gongkai casework",
        description="Cases, statutory deadlines and the staff's actions.",
        version="0.1.0",
        lifespan=runtime.lifespan,
    )
    app.state.runtime = runtime
    http.install(app, SERVICE)
    app.include_router(runtime.health_router())
    app.include_router(router)
    return app
