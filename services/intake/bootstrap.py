"""Composition root of the intake service."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from services.intake.adapters.key_ring import load_ring
from services.intake.adapters.repository import Store, forget_old_idempotency_records
from services.intake.config import IntakeSettings
from services.intake.domain.id_document import FIELD, too_large
from services.intake.entrypoints import http as intake_http
from services.intake.entrypoints.forms import max_form_bytes
from services.intake.entrypoints.http import router, staff_router
from services.intake.entrypoints.id_document import document_router, form_router
from services.intake.entrypoints.ledger import UPLOADS as LEDGER_UPLOADS
from services.intake.entrypoints.ledger import ledger_router
from services.intake.entrypoints.submit_lane import SubmitLane
from shared import limits
from shared.runtime import Runtime
from shared.service_app import service_app
from shared.settings import Settings

SERVICE = "intake"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None,
               intake: IntakeSettings | None = None) -> FastAPI:
    runtime = runtime or Runtime(SERVICE, settings or Settings.from_env())
    intake = intake or IntakeSettings.from_env()
    intake_http.FAULT = intake.fault
    runtime.publishes()
    runtime.pooled()
    app = service_app(runtime, SERVICE,
                      "Receives applications for government information (依申请公开).",
                      public=("/v1/applications", "/v1/status"),
                      # inside the limits and metrics of the HTTP edge
                      inner_middleware=(SubmitLane,))

    key_ring = load_ring(runtime.settings.home, intake.applicant_key_secrets)

    async def open_directory() -> None:
        app.state.store = Store(runtime.pool, key_ring)

    runtime.before_start(open_directory)
    runtime.loop("forget", lambda: _forget_forever(runtime))
    # A form with the identity document may be as large as the document's limit plus the
    # rest of the form, a ledger import as its own limit; every other body keeps the limit
    # install() sets.
    max_bytes = intake.id_document_max_bytes
    limits.allow_uploads(app, *(
        limits.Upload(path, max_form_bytes(max_bytes), FIELD, too_large(max_bytes))
        for path in ("/v1/applications", "/v1/registrations")), *LEDGER_UPLOADS)
    app.include_router(form_router(runtime, max_bytes))  # before the JSON routes of its paths
    app.include_router(router)
    app.include_router(staff_router(runtime))
    app.include_router(document_router(runtime))
    app.include_router(ledger_router(runtime))
    return app


async def _forget_forever(runtime: Runtime) -> None:
    """Idempotency records older than a day are deleted, hourly (docs/privacy.md)."""
    while True:
        if forgotten := await forget_old_idempotency_records(runtime.pool):
            log.info("intake: forgot %d idempotency records older than a day", forgotten)
        await asyncio.sleep(3600)
