"""The console's queue and case pages: the agency's open cases by due date, one case with how
its due date was computed, its history, letters and messages, and the actions the law allows
now (casework lists them; each is a small form, a refusal shown next to its field)."""

from __future__ import annotations

import math
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.sessions import Session
from services.portal.domain.words import ACTIONS, QUEUE_VIEWS
from services.portal.entrypoints.pages import error, render, today
from services.portal.entrypoints.staff import SignInNeeded, client_address, page

router = APIRouter(prefix="/staff")
PAGE_SIZE = 50


@router.get("/", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    return await page(request, _queue)


async def _queue(request: Request, session: Session) -> Response:
    q = request.query_params
    view = q.get("view", "open") if q.get("view") in QUEUE_VIEWS else "open"
    search = (q.get("q") or "").strip()[:100]
    number = max(1, int(q["page"])) if (q.get("page") or "").isdigit() else 1
    agencies = await request.app.state.services.agencies()
    agency = (q.get("agency") or "city") if session.city_admin else session.agency
    answer = await request.app.state.services.get(
        "casework", f"/v1/queues/{agency}", token=session.token,
        params={"view": view, "q": search, "limit": PAGE_SIZE,
                "offset": (number - 1) * PAGE_SIZE})
    if answer.status == 401:
        raise SignInNeeded()
    if not answer.ok:
        return error(request, answer.status, "无法查看该队列", answer.detail)
    total = int(answer.headers.get("x-total-count", "0"))
    names = {a["id"]: a["name"] for a in agencies}
    return render(request, "staff/queue.html", cases=answer.body, view=view, search=search,
                  page=number, pages=max(1, math.ceil(total / PAGE_SIZE)), total=total,
                  agency=agency, agencies=agencies, names=names)



@router.get("/cases/{application_id}", response_class=HTMLResponse)
async def case_page(request: Request, application_id: str) -> Response:
    return await page(request, _case, application_id)


async def _case(request: Request, session: Session, application_id: str,
                action_errors: dict[str, dict[str, str]] | None = None,
                values: dict[str, Any] | None = None, status: int = 200) -> Response:
    try:
        uuid.UUID(application_id)
    except ValueError:
        return error(request, 404, "未找到该案件", "案件编号格式不正确。")
    services = request.app.state.services
    found = await services.get("casework", f"/v1/cases/{application_id}", token=session.token)
    if found.status == 401:
        raise SignInNeeded()
    if not found.ok:
        return error(request, 404, "未找到该案件",
                     "该案件不存在，或不属于您所在的机关，您无权查看。")
    letters = await services.get("notify", f"/v1/cases/{application_id}/letters",
                                 token=session.token)
    messages = await services.get("notify", f"/v1/cases/{application_id}/messages",
                                  token=session.token)
    # Under intake's public prefix: its per-address limit must count this person, not the portal.
    document = await services.get("intake", f"/v1/applications/{application_id}/id-document/views",
                                  token=session.token, client_address=client_address(request))
    case = found.body
    return render(request, "staff/case.html", http_status=status, case=case,
                  letters=letters.body if letters.ok else [],
                  messages=messages.body if messages.ok else [],
                  document=document.body if document.ok else None,
                  actions=case.get("actions", []), action_errors=action_errors or {},
                  values=values or {}, today=today(request).isoformat(),
                  done=request.query_params.get("done"))


_NUMBERS = ("period_working_days", "working_days", "pages")
_LISTS = ("items",)
_FLAGS = ("on_the_spot",)


def _command_body(form: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in form.multi_items():
        if name in ("csrf", "action") or not isinstance(value, str):
            continue
        value = value.strip()
        if name in _LISTS:
            body[name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif name in _FLAGS:
            body[name] = value == "on"
        elif value == "":
            continue
        elif name in _NUMBERS:
            body[name] = int(value) if value.isdigit() else value
        else:
            body[name] = value
    return body


@router.post("/cases/{application_id}/act/{action}", response_class=HTMLResponse)
async def act(request: Request, application_id: str, action: str) -> Response:
    return await page(request, _act, application_id, action)


async def _act(request: Request, session: Session, form: Any, application_id: str,
               action: str) -> Response:
    if action not in ACTIONS:
        return error(request, 404, "未知的操作", "该操作不存在。")
    try:
        uuid.UUID(application_id)
    except ValueError:
        return error(request, 404, "未找到该案件", "案件编号格式不正确。")
    body = _command_body(form)
    answer = await request.app.state.services.post(
        "casework", f"/v1/cases/{application_id}/{action}", token=session.token, json=body)
    if answer.status == 401:
        raise SignInNeeded()
    if answer.status == 404:
        return error(request, 404, "未找到该案件",
                     "该案件不存在，或不属于您所在的机关，您无权办理。")
    if not answer.ok:
        errors = answer.field_errors() or {"_form": answer.detail or "操作未能完成"}
        return await _case(request, session, application_id, action_errors={action: errors},
                           values={action: {k: form.get(k) for k in form}}, status=422)
    return RedirectResponse(f"/staff/cases/{application_id}?done={action}", status_code=303)


@router.get("/letters/{letter_id}.pdf")
async def letter_pdf(request: Request, letter_id: int) -> Response:
    return await page(request, _letter_pdf, letter_id)


async def _letter_pdf(request: Request, session: Session, letter_id: int) -> Response:
    answer = await request.app.state.services.get("notify", f"/v1/letters/{letter_id}.pdf",
                                                  token=session.token, raw=True)
    if not answer.ok:
        return error(request, 404, "未找到该文书", "该文书不存在，或您无权查看。")
    return Response(answer.content, media_type="application/pdf",
                    headers={"Content-Disposition": answer.headers.get(
                        "content-disposition", "inline")})


@router.post("/letters/{letter_id}/resend", response_class=HTMLResponse)
async def resend(request: Request, letter_id: int) -> Response:
    return await page(request, _resend, letter_id)


async def _resend(request: Request, session: Session, form: Any, letter_id: int) -> Response:
    case_id = str(form.get("case") or "")
    answer = await request.app.state.services.post(
        "notify", f"/v1/letters/{letter_id}/resend", token=session.token,
        json={"channel": "sms" if form.get("channel") == "sms" else "email"})
    if not answer.ok:
        return error(request, answer.status, "未能重新发送", answer.detail or "请稍后重试。")
    return RedirectResponse(f"/staff/cases/{case_id}?done=resend", status_code=303)


@router.get("/cases/{application_id}/id-document")
async def id_document(request: Request, application_id: str) -> Response:
    return await page(request, _id_document, application_id)


async def _id_document(request: Request, session: Session, application_id: str) -> Response:
    answer = await request.app.state.services.get(
        "intake", f"/v1/applications/{application_id}/id-document", token=session.token,
        raw=True, client_address=client_address(request))
    if not answer.ok:
        return error(request, 404, "未找到证件材料", "该申请没有证件材料，或您无权查看。")
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={"Content-Disposition": "inline",
                             "Content-Security-Policy": "default-src 'none'; img-src 'self'; "
                                                        "style-src 'unsafe-inline'"})


