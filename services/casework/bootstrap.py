"""Composition root of the casework service."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from services.casework.adapters import calendar_store
from services.casework.entrypoints.http import router
from services.casework.service_layer import gauges, handlers
from shared.contracts import AGENCIES_TOPIC, APPLICATIONS_TOPIC
from shared.runtime import Runtime
from shared.service_app import service_app
from shared.settings import Settings

SERVICE = "casework"
log = logging.getLogger(__name__)


async def _sweep_forever(runtime: Runtime, every: float) -> None:
    """Lapses are found by the system, so nothing depends on a person remembering."""
    while True:
        try:
            changed = await handlers.sweep(runtime.engine, runtime.clock)
            if changed:
                log.info("sweep: %d cases changed", changed)
            await gauges.refresh(runtime.engine, runtime.clock)
        except Exception:  # the sweep must survive a bad moment (database restart …)
            log.exception("sweep failed; retrying")
        await asyncio.sleep(every)


async def _seed_calendar(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        await calendar_store.seed(conn)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    sweep_every = runtime.settings.sweep_seconds
    runtime.before_start(lambda: _seed_calendar(runtime))
    runtime.publishes()
    runtime.consumes(AGENCIES_TOPIC, handlers.on_agency_event, reference=True)
    runtime.consumes(
        APPLICATIONS_TOPIC,
        lambda conn, env: handlers.on_application_event(conn, env, runtime.clock),
        lambda conn, envs: handlers.on_application_events(conn, envs, runtime.clock))
    runtime.loop("sweep", lambda: _sweep_forever(runtime, sweep_every))
    app = service_app(runtime, SERVICE, "Cases, statutory deadlines and the staff's actions.",
                      public=("/v1/status",))
    app.include_router(router(runtime))
    return app
