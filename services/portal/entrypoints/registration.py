"""Registering an application received in person, by post, fax or e-mail: the same fields as
the online form, plus how and when it arrived and the receipt date (Art. 31)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.sessions import Session
from services.portal.domain.application_form import (
    check_application,
    form_errors,
    submission_key,
)
from services.portal.entrypoints.pages import render, today
from services.portal.entrypoints.staff import SignInNeeded, page

router = APIRouter(prefix="/staff")


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request) -> Response:
    return await page(request, _register_form)


async def _register_form(request: Request, session: Session) -> Response:
    return render(request, "staff/register.html",
                  values={"arrived_on": today(request).isoformat()}, errors={})


@router.post("/register", response_class=HTMLResponse)
async def register(request: Request) -> Response:
    return await page(request, _register)


async def _register(request: Request, session: Session, form: Any) -> Response:
    agency = session.agency or str(form.get("agency") or "")
    checked = check_application(form, agency, today=today(request), registration=True)
    if checked.errors:
        return render(request, "staff/register.html", http_status=422, values=checked.values,
                      errors=checked.errors)
    headers = {"Idempotency-Key": submission_key(request.app.state.signer.secret, checked.body,
                                                 today(request), session.user)}
    upload = form.get("id_document")
    services = request.app.state.services
    if upload is not None and getattr(upload, "filename", None):
        import json

        # The application as a file part: a text part's charset would not survive the trip.
        files = {"application": ("application.json", json.dumps(
                     checked.body, ensure_ascii=False).encode(), "application/json"),
                 "id_document": ("document", await upload.read(), "application/octet-stream")}
        answer = await services.post("intake", "/v1/registrations", token=session.token,
                                     files=files, headers=headers)
    else:
        answer = await services.post("intake", "/v1/registrations", token=session.token,
                                     json=checked.body, headers=headers)
    if answer.status == 401:
        raise SignInNeeded()
    if not answer.ok:
        errors = form_errors(answer.field_errors(), checked.values["applicant_type"])
        if not errors:
            errors = {"_form": answer.detail or "登记未能完成，请检查后重试。"}
        return render(request, "staff/register.html", http_status=422, values=checked.values,
                      errors=errors)
    application_id = answer.body["application_id"]
    # Casework opens the case a moment after intake accepts it: wait for it briefly, so that
    # the page the registrar lands on shows the case with its due date.
    for _ in range(40):
        found = await services.get("casework", f"/v1/cases/{application_id}",
                                   token=session.token)
        if found.ok:
            break
        await asyncio.sleep(0.1)
    return RedirectResponse(f"/staff/cases/{application_id}?done=registered", status_code=303)


