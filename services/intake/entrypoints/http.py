"""Intake's HTTP API: the public submits applications here."""

# No `from __future__ import annotations`: FastAPI must see the real types in the closures.
import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from services.intake.adapters import repository
from services.intake.domain.application import FieldError, RegistrationForm, SubmissionForm
from services.intake.entrypoints.forms import FORM_DOC
from services.intake.service_layer import handlers
from shared.auth import Staff
from shared.contracts.agencies import AgencyConfigured
from shared.http import Problem
from shared.runtime import Runtime

router = APIRouter(prefix="/v1", tags=["applications"])
# GONGKAI_FAULT (IntakeSettings.fault), set by the composition root; empty in production.
FAULT = ""
# Either body may also come as a form with the identity document (entrypoints/id_document.py).
SUBMISSION_RESPONSES = {
    413: {"description": "The body, the identity document or the application is too large"},
    422: {"description": "A field is missing or invalid (problem+json names each one)"},
}


@router.post(
    "/applications",
    status_code=201,
    summary="Submit an application for government information (online channel)",
    responses=SUBMISSION_RESPONSES, openapi_extra=FORM_DOC,
)
async def submit(
    form: SubmissionForm,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    try:
        accepted = await handlers.submit_application(
            request.app.state.store, request.app.state.runtime.clock, form,
            idempotency_key=idempotency_key)
    except FieldError as exc:
        raise invalid(exc) from None
    return accepted_response(accepted)


def invalid(exc: FieldError) -> Problem:
    """Every problem the use case found with the form, in one 422 (as the validation handler
    of shared/http.py answers the model's own)."""
    problem = Problem(422, "；".join(f"{field}：{message}" for field, message in exc.problems)
                      if len(exc.problems) > 1 else exc.message, field=exc.field)
    problem.errors = [{"field": field, "message": message} for field, message in exc.problems]
    return problem


def accepted_response(accepted: handlers.Accepted) -> JSONResponse:
    if FAULT == "exit_after_commit" and not accepted.replayed:
        # Fault injection for the tests of invariant 1 (docs/architecture.md#invariants): die
        # after the commit, before the answer and (very likely) before the relay published.
        # Never set in production.
        os._exit(70)
    headers = {"Location": f"/v1/applications/{accepted.receipt['application_id']}"}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    # A replay is answered as the first request was: created.
    return JSONResponse(accepted.receipt, status_code=201, headers=headers)


def staff_router(runtime: Runtime) -> APIRouter:
    staff_api = APIRouter(prefix="/v1", tags=["registration"])

    @staff_api.post(
        "/registrations", status_code=201,
        summary="Register an application received in person, by post, fax or e-mail (staff)",
        responses=SUBMISSION_RESPONSES, openapi_extra=FORM_DOC,
    )
    async def register(
        form: RegistrationForm,
        request: Request,
        staff: Annotated[Staff, Depends(runtime.staff)],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> JSONResponse:
        try:
            accepted = await handlers.register_application(
                request.app.state.store, runtime.clock, form, staff,
                idempotency_key=idempotency_key)
        except FieldError as exc:
            raise invalid(exc) from None
        return accepted_response(accepted)

    return staff_api


@router.get("/agencies", summary="Agencies that take applications")
async def agencies(request: Request) -> list[dict[str, Any]]:
    async with request.app.state.runtime.engine.connect() as conn:
        found = await repository.list_agencies(conn)
    return [public_agency(a) for a in found]


def public_agency(a: AgencyConfigured) -> dict[str, Any]:
    """What an agency's disclosure guide tells the public (the city file's data): who takes
    applications, where, when, and where to seek a remedy."""
    return {"id": a.agency_id, "name": a.name, "phone": a.phone, "address": a.address,
            "disclosure_body": a.disclosure_body, "postal_code": a.postal_code,
            "office_hours": a.office_hours,
            "reconsideration_organ": a.reconsideration_organ.model_dump(),
            "court": a.court.model_dump()}
