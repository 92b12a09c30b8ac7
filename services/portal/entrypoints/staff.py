"""The staff console: sign-in, the queue, the case page and its actions, registration,
reports, and the calendar. Every call to a service carries the staff member's own token: the
services decide what they may see and do, the console only shows it."""

from __future__ import annotations

import asyncio
import math
import re
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.oidc import token_expired
from services.portal.adapters.sessions import COOKIE, Session, new_session
from services.portal.domain.application_form import (
    check_application,
    form_errors,
    submission_key,
)
from services.portal.domain.report_layout import (
    TABLE2_FIELDS,
    check_table2,
    table2_rows,
    table3_rows,
    table4_cells,
)
from services.portal.domain.words import ACTIONS, QUEUE_VIEWS, ROLES
from services.portal.entrypoints.pages import error, render, today

router = APIRouter(prefix="/staff")
PAGE_SIZE = 50
DEMO_ROLES = ("registrar", "caseworker", "approver", "auditor")


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


class SignInNeeded(Exception):
    pass


def _session(request: Request) -> Session:
    session = request.app.state.signer.load(
        request.cookies.get(COOKIE), time.time(), request.app.state.config.idle_minutes * 60)
    # A session never outlives its token (the identity provider's access token, say).
    if session is None or token_expired(session.token, request.app.state.clock.now()):
        raise SignInNeeded()
    request.state.session = session
    return session


def _keep(request: Request, response: Response, session: Session) -> Response:
    """Refresh the session's idle clock on every page."""
    refreshed = Session(**{**session.__dict__, "seen": time.time()})
    response.set_cookie(COOKIE, request.app.state.signer.dump(refreshed), httponly=True,
                        samesite="lax", secure=request.app.state.config.secure_cookies,
                        path="/staff")
    return response


async def _posted(request: Request, session: Session) -> Any:
    form = await request.form(max_part_size=6 * 1024 * 1024)
    if str(form.get("csrf") or "") != session.csrf:
        raise PermissionError("csrf")
    return form


def _signin_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/staff/signin?" + urlencode({"next": target}), status_code=303)


async def page(request: Request, handler, *args) -> Response:
    """Run a console page: signed in, CSRF-checked for posts, the idle clock refreshed."""
    try:
        session = _session(request)
        if request.method == "POST":
            form = await _posted(request, session)
            response = await handler(request, session, form, *args)
        else:
            response = await handler(request, session, *args)
    except SignInNeeded:
        return _signin_redirect(request)
    except PermissionError:
        return error(request, 403, "页面已过期", "表单已失效（可能已退出登录或打开时间过长），"
                                              "请返回刷新页面后重新提交。")
    return _keep(request, response, session)


# --- sign-in ------------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    return target if target and re.fullmatch(r"/staff/[\w\-/?=&%.]*", target) else "/staff/"


@router.get("/signin", response_class=HTMLResponse)
async def signin(request: Request, next: str | None = None) -> HTMLResponse:
    config = request.app.state.config
    staff: list[dict[str, str]] = []
    if config.dev_signin:
        agencies = (await request.app.state.services.get("intake", "/v1/agencies")).body or []
        staff = [{"agency": a["id"], "agency_name": a["name"], "role": r,
                  "label": f"{a['name']} · {ROLES[r]}"} for a in agencies for r in DEMO_ROLES]
        staff.append({"agency": "", "agency_name": "全市", "role": "city_admin",
                      "label": "全市 · 市级管理员"})
    return render(request, "staff/signin.html", staff=staff, next=_safe_next(next),
                  oidc=config.oidc_signin)


@router.post("/signin/dev")
async def signin_dev(request: Request) -> Response:
    """Development sign-in (embedded stack only): a demo staff member of the chosen agency and
    role, with a token the services accept, signed with the installation's key."""
    if not request.app.state.config.dev_signin:
        return error(request, 404, "页面不存在", "开发环境登录未启用。")
    from shared.auth import issue_token, load_secret

    form = await request.form()
    role, agency = str(form.get("role") or ""), str(form.get("agency") or "") or None
    if role not in ROLES or (role != "city_admin" and not agency):
        return error(request, 422, "登录信息有误", "请从列表中选择一名工作人员。")
    user = f"{agency or 'city'}.{role}"
    token = issue_token(load_secret(request.app.state.config.home.resolve()), user=user,
                        agency=agency if role != "city_admin" else None, roles=[role],
                        now=request.app.state.clock.now(), ttl=timedelta(hours=10))
    session = new_session(token, user, agency if role != "city_admin" else None, [role],
                          time.time())
    response = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
    return _keep(request, response, session)


@router.post("/signout")
async def signout(request: Request) -> Response:
    response = RedirectResponse("/staff/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/staff")
    return response


# --- the queue ----------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
async def queue(request: Request) -> Response:
    return await page(request, _queue)


async def _queue(request: Request, session: Session) -> Response:
    q = request.query_params
    view = q.get("view", "open") if q.get("view") in QUEUE_VIEWS else "open"
    search = (q.get("q") or "").strip()[:100]
    number = max(1, int(q["page"])) if (q.get("page") or "").isdigit() else 1
    agencies = (await request.app.state.services.get("intake", "/v1/agencies")).body or []
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


# --- a case -------------------------------------------------------------------------------

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
                                  token=session.token, client_address=_client(request))
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
        raw=True, client_address=_client(request))
    if not answer.ok:
        return error(request, 404, "未找到证件材料", "该申请没有证件材料，或您无权查看。")
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={"Content-Disposition": "inline",
                             "Content-Security-Policy": "default-src 'none'; img-src 'self'; "
                                                        "style-src 'unsafe-inline'"})


# --- registration -------------------------------------------------------------------------

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


# --- reports ------------------------------------------------------------------------------

@router.get("/reports", response_class=HTMLResponse)
async def reports(request: Request) -> Response:
    return await page(request, _reports)


async def _reports(request: Request, session: Session, year: int | None = None,
                   table2_errors: dict[str, str] | None = None,
                   table2_values: dict[str, str] | None = None, http_status: int = 200,
                   ) -> Response:
    q = request.query_params
    if year is None:
        year = int(q["year"]) if (q.get("year") or "").isdigit() else today(request).year
    agency = (q.get("agency") or "city") if session.city_admin else session.agency
    answer = await request.app.state.services.get(
        "reporting", f"/v1/reports/{year}", token=session.token, params={"agency": agency})
    if answer.status == 401:
        raise SignInNeeded()
    if not answer.ok:
        return error(request, answer.status, "无法查看该报告", answer.detail)
    agencies = (await request.app.state.services.get("intake", "/v1/agencies")).body or []
    doc = answer.body
    entered = doc.get("table2") or {}
    values = table2_values or {f"{k}.{f}": str(v) for k, figures in entered.items()
                               for f, v in figures.items()}
    return render(request, "staff/reports.html", http_status=http_status, doc=doc, year=year,
                  agency=agency, agencies=agencies, rows=table3_rows(doc["table3"]),
                  table4=table4_cells(doc["table4"]), table2=table2_rows(entered),
                  years=list(range(today(request).year, 2018, -1)),
                  table2_fields=TABLE2_FIELDS, table2_values=values,
                  table2_errors=table2_errors or {}, done=q.get("done"))


@router.post("/reports/table2", response_class=HTMLResponse)
async def enter_table2(request: Request) -> Response:
    return await page(request, _enter_table2)


async def _enter_table2(request: Request, session: Session, form: Any) -> Response:
    """Table 二 (proactive disclosure) of the signed-in agency's year, entered by hand."""
    year = int(form["year"]) if str(form.get("year") or "").isdigit() else today(request).year
    body, errors, values = check_table2(form, year)
    if not errors and session.agency:
        answer = await request.app.state.services.call(
            "reporting", "PUT", f"/v1/reports/{year}/table2", token=session.token,
            params={"agency": session.agency}, json=body)
        if answer.status == 401:
            raise SignInNeeded()
        if answer.ok:
            return RedirectResponse(f"/staff/reports?year={year}&done=table2#t2-form",
                                    status_code=303)
        errors = {"_form": answer.detail or "未能保存"}
    return await _reports(request, session, year=year, table2_errors=errors,
                          table2_values=values, http_status=422)


@router.get("/reports/export")
async def report_export(request: Request) -> Response:
    return await page(request, _report_export)


async def _report_export(request: Request, session: Session) -> Response:
    q = request.query_params
    fmt = q.get("format") if q.get("format") in ("xlsx", "docx", "csv", "html") else "xlsx"
    year = q.get("year") or ""
    agency = (q.get("agency") or "city") if session.city_admin else session.agency
    answer = await request.app.state.services.get(
        "reporting", f"/v1/reports/{year}", token=session.token,
        params={"agency": agency, "format": fmt}, raw=True)
    if not answer.ok:
        return error(request, answer.status, "无法下载该报告", "该报告不存在或您无权下载。")
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={"Content-Disposition": answer.headers.get("content-disposition",
                                                                       "attachment")})


# --- calendar -----------------------------------------------------------------------------

@router.get("/calendar", response_class=HTMLResponse)
async def calendar(request: Request) -> Response:
    return await page(request, _calendar)


async def _calendar(request: Request, session: Session, result: dict | None = None,
                    errors: dict[str, str] | None = None, notice: str = "",
                    status: int = 200) -> Response:
    answer = await request.app.state.services.get("casework", "/v1/calendar",
                                                  token=session.token)
    if answer.status == 401:
        raise SignInNeeded()
    loaded = {y["year"]: y for y in (answer.body if answer.ok else [])}
    this_year = today(request).year
    years = [{"year": y, "loaded": loaded.get(y)} for y in
             sorted(set(loaded) | {this_year, this_year + 1})]
    return render(request, "staff/calendar.html", http_status=status, years=years, result=result,
                  errors=errors or {}, notice=notice)


@router.post("/calendar", response_class=HTMLResponse)
async def load_calendar(request: Request) -> Response:
    return await page(request, _load_calendar)


async def _load_calendar(request: Request, session: Session, form: Any) -> Response:
    upload = form.get("file")
    notice = str(form.get("notice") or "")
    if upload is not None and getattr(upload, "filename", None):
        notice = (await upload.read()).decode("utf-8", errors="replace")
    match = re.search(r"^year:\s*(\d{4})", notice, re.MULTILINE)
    if not notice.strip() or not match:
        return await _calendar(request, session, errors={
            "notice": "请上传或粘贴节假日安排文件（须写明 year: 年份）"}, notice=notice,
            status=422)
    answer = await request.app.state.services.call(
        "casework", "PUT", f"/v1/calendar/{match.group(1)}", token=session.token,
        content=notice.encode(), headers={"Content-Type": "application/yaml"})
    if answer.status == 401:
        raise SignInNeeded()
    if not answer.ok:
        return await _calendar(request, session, errors={"notice": answer.detail},
                               notice=notice, status=answer.status)
    return await _calendar(request, session, result=answer.body)
