"""Composition root of the intake service."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.adapters.repository import Store
from services.intake.entrypoints.http import router, staff_router
from services.intake.entrypoints.submit_lane import SubmitLane
from shared import http
from shared.runtime import Runtime
from shared.settings import Settings

SERVICE = "intake"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    runtime.publishes()
    runtime.pooled()
    app = FastAPI(
        title="gongkai intake",
        description="Receives applications for government information (依申请公开).",
        version="0.1.0",
        lifespan=runtime.lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime

    async def open_directory() -> None:
        app.state.store = Store(runtime.pool)

    runtime.before_start(open_directory)
    app.add_middleware(SubmitLane)  # inside the limits and metrics that install() adds
    http.install(app, SERVICE, public=("/v1/applications", "/v1/status"))
    app.include_router(runtime.health_router())
    app.include_router(router)
    app.include_router(staff_router(runtime))
    return app
