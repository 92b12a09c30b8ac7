"""Composition root of the reporting service."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from services.reporting.entrypoints.http import router
from services.reporting.service_layer import handlers
from services.reporting.service_layer.replay import rebuild_if_needed
from shared import cjk_font
from shared.contracts import AGENCIES_TOPIC, CASES_TOPIC
from shared.runtime import Runtime
from shared.service_app import service_app
from shared.settings import Settings

SERVICE = "reporting"
log = logging.getLogger(__name__)


async def _rebuild_if_needed(runtime: Runtime) -> None:
    replayed = await rebuild_if_needed(runtime.engine)
    if replayed:
        log.info("reporting projection rebuilt as version %d from %d events (%.0f events/s)",
                 replayed.version, replayed.events, replayed.rate)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    cjk_font.use_font(runtime.settings.letter_font)
    runtime.before_start(lambda: _rebuild_if_needed(runtime))
    runtime.consumes(AGENCIES_TOPIC, handlers.on_event, handlers.on_events, reference=True)
    runtime.consumes(CASES_TOPIC, handlers.on_event, handlers.on_events)
    app = service_app(runtime, SERVICE,
                      "Annual report figures per agency and for the city (年度报告).",
                      public=("/v1/public/",))
    app.include_router(router(runtime))
    return app
