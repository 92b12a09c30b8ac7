"""The public site: the agencies and their disclosure guides, the application form, the
status look-up, and the published annual reports."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from services.portal.domain.application_form import (
    check_application,
    form_errors,
    submission_key,
)
from services.portal.domain.report_layout import table2_rows, table3_rows, table4_cells
from services.portal.entrypoints.pages import error, render, today

router = APIRouter()
MAX_FORM = 6 * 1024 * 1024  # the identity document (5 MiB) and the form


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def _agencies(request: Request) -> list[dict[str, Any]]:
    return await request.app.state.services.agencies()


async def _agency(request: Request, agency_id: str) -> dict[str, Any] | None:
    return next((a for a in await _agencies(request) if a["id"] == agency_id), None)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return render(request, "public/home.html", agencies=await _agencies(request))


@router.get("/agencies/{agency_id}", response_class=HTMLResponse)
async def guide(request: Request, agency_id: str) -> HTMLResponse:
    agency = await _agency(request, agency_id)
    if agency is None:
        return error(request, 404, "未找到该机关", "该行政机关不存在或尚未开通网上申请。")
    return render(request, "public/guide.html", agency=agency)


@router.get("/apply/{agency_id}", response_class=HTMLResponse)
async def apply_form(request: Request, agency_id: str) -> HTMLResponse:
    agency = await _agency(request, agency_id)
    if agency is None:
        return error(request, 404, "未找到该机关", "该行政机关不存在或尚未开通网上申请。")
    return render(request, "public/apply.html", agency=agency, values={}, errors={})


def _document(form: Any) -> UploadFile | None:
    upload = form.get("id_document")
    return upload if isinstance(upload, UploadFile) and upload.filename else None


@router.post("/apply/{agency_id}", response_class=HTMLResponse)
async def apply(request: Request, agency_id: str) -> HTMLResponse:
    agency = await _agency(request, agency_id)
    if agency is None:
        return error(request, 404, "未找到该机关", "该行政机关不存在或尚未开通网上申请。")
    try:
        form = await request.form(max_part_size=MAX_FORM)
    except HTTPException:  # a part over the limit, or a body that is not a form
        return error(request, 413, "上传的文件过大",
                     "证件材料不得超过5MB。请返回上一页，重新选择文件后提交。")
    checked = check_application(form, agency_id, today=today(request))
    document = _document(form)
    if checked.errors:
        return render(request, "public/apply.html", http_status=422, agency=agency,
                      values=checked.values, errors=checked.errors)
    headers = {"Idempotency-Key": submission_key(request.app.state.signer.secret, checked.body,
                                                 today(request))}
    services = request.app.state.services
    if document is not None:
        # The application as a file part: a text part's charset would not survive the trip.
        files = {"application": ("application.json", json.dumps(
                     checked.body, ensure_ascii=False).encode(), "application/json"),
                 "id_document": ("document", await document.read(),
                                 "application/octet-stream")}
        answer = await services.post("intake", "/v1/applications", files=files,
                                     headers=headers, client_address=_client(request))
    else:
        answer = await services.post("intake", "/v1/applications", json=checked.body,
                                     headers=headers, client_address=_client(request))
    if answer.status == 429:
        return error(request, 429, "提交过于频繁", "请稍候一分钟再提交。您填写的内容未被保存。")
    if not answer.ok:
        errors = form_errors(answer.field_errors(), checked.values["applicant_type"])
        if not errors:
            errors = {"_form": answer.detail or "申请未能提交，请检查后重试。"}
        return render(request, "public/apply.html", http_status=422, agency=agency,
                      values=checked.values, errors=errors)
    accepted = answer.body
    progress = await _wait_for_due_date(request, accepted)
    return render(request, "public/accepted.html", agency=agency, accepted=accepted,
                  progress=progress)


async def _wait_for_due_date(request: Request, accepted: dict[str, Any]) -> dict[str, Any] | None:
    """Casework computes the due date a moment after intake accepts: wait for it briefly."""
    if not accepted.get("access_code"):
        return None
    for _ in range(20):
        answer = await request.app.state.services.get(
            "casework", f"/v1/status/{accepted['application_id']}",
            params={"code": accepted["access_code"]}, client_address=_client(request))
        if answer.ok and (answer.body.get("due_on") or answer.body.get("status")
                          == "awaiting_receipt"):
            return answer.body
        await asyncio.sleep(0.15)
    return None


@router.get("/status", response_class=HTMLResponse)
async def status_form(request: Request) -> HTMLResponse:
    return render(request, "public/status.html", values={}, errors={}, found=None)


@router.post("/status", response_class=HTMLResponse)
async def status(request: Request) -> HTMLResponse:
    form = await request.form()
    number = str(form.get("number") or "").strip()
    code = str(form.get("code") or "").strip()
    values, errors = {"number": number, "code": code}, {}
    if not number:
        errors["number"] = "请填写受理编号或申请编号"
    if not 6 <= len(code) <= 20:
        errors["code"] = "请填写提交申请时获得的查询码"
    if errors:
        return render(request, "public/status.html", http_status=422, values=values, errors=errors,
                      found=None)
    services = request.app.state.services
    try:
        path, params = f"/v1/status/{uuid.UUID(number)}", {"code": code}
    except ValueError:
        path, params = "/v1/status", {"case_number": number, "code": code}
    answer = await services.get("casework", path, params=params, client_address=_client(request))
    if answer.status == 429:
        return error(request, 429, "查询过于频繁", "请稍候一分钟再查询。")
    if not answer.ok:
        errors["code"] = "未找到该申请，或查询码不正确"
        return render(request, "public/status.html", http_status=404, values=values, errors=errors,
                      found=None)
    agencies = {a["id"]: a for a in await _agencies(request)}
    return render(request, "public/status.html", values=values, errors={}, found=answer.body,
                  agency=agencies.get(answer.body["agency"]))


@router.get("/reports", response_class=HTMLResponse)
async def reports(request: Request) -> HTMLResponse:
    answer = await request.app.state.services.get("reporting", "/v1/public/reports",
                                                  client_address=_client(request))
    published = answer.body if answer.ok else {"years": [], "agencies": {}}
    return render(request, "public/reports.html", published=published)


@router.get("/reports/{year}/{agency_id}", response_class=HTMLResponse)
async def report(request: Request, year: int, agency_id: str) -> HTMLResponse:
    answer = await request.app.state.services.get(
        "reporting", f"/v1/public/reports/{year}", params={"agency": agency_id},
        client_address=_client(request))
    if not answer.ok:
        return error(request, 404, "未找到该年度报告", answer.detail or "该年度报告尚未公布。")
    names = {a["id"]: a["name"] for a in await _agencies(request)}
    name = "全市" if agency_id == "city" else names.get(agency_id, agency_id)
    return render(request, "public/report.html", doc=answer.body, name=name,
                  rows=table3_rows(answer.body["table3"]),
                  table4=table4_cells(answer.body["table4"]),
                  table2=table2_rows(answer.body.get("table2") or {}),
                  download=f"/reports/{year}/{agency_id}/export")


@router.get("/reports/{year}/{agency_id}/export")
async def report_export(request: Request, year: int, agency_id: str,
                        format: str = "xlsx") -> Response:
    if format not in ("pdf", "xlsx", "docx", "csv"):
        return error(request, 404, "不支持的格式", "可下载的格式为PDF、XLSX、DOCX和CSV。")
    answer = await request.app.state.services.get(
        "reporting", f"/v1/public/reports/{year}", params={"agency": agency_id, "format": format},
        raw=True, client_address=_client(request))
    if not answer.ok:
        return error(request, 404, "未找到该年度报告", "该年度报告尚未公布。")
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={"Content-Disposition": answer.headers.get("content-disposition",
                                                                       "attachment")})
