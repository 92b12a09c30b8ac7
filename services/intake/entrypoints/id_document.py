"""The applicant's identity document over HTTP: submitted with the application as a form (the
public's online application, and staff registration of a paper one with its copy), and shown to
the staff of the application's agency, each view recorded."""

# No `from __future__ import annotations`: FastAPI must see the real types in the closures.
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from services.intake.domain.application import FieldError, RegistrationForm, SubmissionForm
from services.intake.domain.id_document import EXTENSIONS
from services.intake.entrypoints.forms import FormRoute, read_form
from services.intake.entrypoints.http import accepted_response, invalid
from services.intake.service_layer import handlers, id_documents
from shared.auth import Staff
from shared.runtime import Runtime

IdempotencyKey = Annotated[str | None, Header(max_length=200)]


def form_router(runtime: Runtime, max_bytes: int) -> APIRouter:
    """The multipart/form-data twins of POST /v1/applications and /v1/registrations (the JSON
    routes document them; these stay out of the OpenAPI so each path has one operation)."""
    api = APIRouter(prefix="/v1", route_class=FormRoute, include_in_schema=False)

    @api.post("/applications", status_code=201)
    async def submit_form(request: Request,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
        form, document = await read_form(request, SubmissionForm, max_bytes)
        try:
            accepted = await handlers.submit_application(
                request.app.state.store, runtime.clock, form, idempotency_key=idempotency_key,
                id_document=document)
        except FieldError as exc:
            raise invalid(exc) from None
        return accepted_response(accepted)

    @api.post("/registrations", status_code=201)
    async def register_form(request: Request, staff: Annotated[Staff, Depends(runtime.staff)],
                            idempotency_key: IdempotencyKey = None) -> JSONResponse:
        form, document = await read_form(request, RegistrationForm, max_bytes)
        try:
            accepted = await handlers.register_application(
                request.app.state.store, runtime.clock, form, staff,
                idempotency_key=idempotency_key, id_document=document)
        except FieldError as exc:
            raise invalid(exc) from None
        return accepted_response(accepted)

    return api


class DocumentInfo(BaseModel):
    media_type: str
    size: int
    received_at: datetime


class DocumentView(BaseModel):
    user: str
    at: datetime


class DocumentViews(BaseModel):
    document: DocumentInfo | None
    views: list[DocumentView]


def document_router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["identity documents"])
    staff_dep = Annotated[Staff, Depends(runtime.staff)]
    not_found = {404: {"description": "No such application or document, or another agency's "
                                      "(the same answer for each)"}}

    @api.get(
        "/applications/{application_id}/id-document", response_class=Response,
        summary="The applicant's identity document (staff of the application's agency); "
                "each view is recorded",
        responses={200: {"content": {t: {} for t in EXTENSIONS},
                         "description": "The file as received"}, **not_found})
    async def id_document(application_id: uuid.UUID, staff: staff_dep) -> Response:
        document = await id_documents.view(runtime.pool, runtime.clock, staff, application_id)
        name = f"id-document-{application_id}{EXTENSIONS[document.media_type]}"
        return Response(document.content, media_type=document.media_type, headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        })

    @api.get(
        "/applications/{application_id}/id-document/views", response_model=DocumentViews,
        summary="Whether the application has an identity document, and who viewed it when "
                "(staff of the application's agency); records nothing",
        responses=not_found)
    async def id_document_views(application_id: uuid.UUID, staff: staff_dep) -> DocumentViews:
        return DocumentViews.model_validate(
            await id_documents.views(runtime.pool, staff, application_id))

    return api
