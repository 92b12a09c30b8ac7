"""Intake's HTTP API: the public submits applications here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from services.intake.adapters import repository
from services.intake.domain.application import FieldError, SubmissionForm
from services.intake.service_layer import handlers
from shared.http import Problem

router = APIRouter(prefix="/v1", tags=["applications"])


@router.post(
    "/applications",
    status_code=201,
    summary="Submit an application for government information (online channel)",
    responses={422: {"description": "A field is missing or invalid (problem+json names it)"}},
)
async def submit(
    form: SubmissionForm,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    runtime = request.app.state.runtime
    try:
        accepted = await handlers.submit_application(
            runtime.engine, runtime.clock, form, idempotency_key=idempotency_key
        )
    except FieldError as exc:
        raise Problem(422, exc.message, field=exc.field) from None
    headers = {"Location": f"/v1/applications/{accepted.body['application_id']}"}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(accepted.body, status_code=accepted.status, headers=headers)


@router.get("/agencies", summary="Agencies that take applications")
async def agencies(request: Request) -> list[dict[str, str]]:
    async with request.app.state.runtime.engine.connect() as conn:
        found = await repository.list_agencies(conn)
    return [{"id": a.agency_id, "name": a.name, "phone": a.phone, "address": a.address}
            for a in found]
