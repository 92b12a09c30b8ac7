"""The annual report in the console: an agency's (or, for city administrators, the city's)
tables 二/三/四 in the official layout with the balance checks in words, the downloads, and
the table 二 entry form."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.sessions import Session
from services.portal.domain.report_layout import (
    TABLE2_FIELDS,
    check_table2,
    table2_rows,
    table3_rows,
    table4_cells,
)
from services.portal.entrypoints.pages import error, render, today
from services.portal.entrypoints.staff import SignInNeeded, page

router = APIRouter(prefix="/staff")
EXPORT_FORMATS = ("xlsx", "docx", "csv", "html", "pdf")


def _iso_date(value: str | None) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


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
    agencies = await request.app.state.services.agencies()
    doc = answer.body
    entered = doc.get("table2") or {}
    values = table2_values or {f"{k}.{f}": str(v) for k, figures in entered.items()
                               for f, v in figures.items()}
    return render(request, "staff/reports.html", http_status=http_status, doc=doc, year=year,
                  agency=agency, agencies=agencies, rows=table3_rows(doc["table3"]),
                  table4=table4_cells(doc["table4"]), table2=table2_rows(entered),
                  years=list(range(today(request).year, 2018, -1)),
                  table2_fields=TABLE2_FIELDS, table2_values=values,
                  table2_errors=table2_errors or {}, done=q.get("done"),
                  today_iso=today(request).isoformat())


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
    fmt = q.get("format") if q.get("format") in EXPORT_FORMATS else "xlsx"
    year = q.get("year") or ""
    agency = (q.get("agency") or "city") if session.city_admin else session.agency
    params = {"agency": agency, "format": fmt}
    # The publication date printed under the title and in the signature; reporting takes
    # today (Asia/Shanghai) when none is given.
    published_on = _iso_date(q.get("published_on"))
    if published_on:
        params["published_on"] = published_on
    answer = await request.app.state.services.get(
        "reporting", f"/v1/reports/{year}", token=session.token, params=params, raw=True)
    if not answer.ok:
        return error(request, answer.status, "无法下载该报告", "该报告不存在或您无权下载。")
    return Response(answer.content, media_type=answer.headers.get("content-type"),
                    headers={"Content-Disposition": answer.headers.get("content-disposition",
                                                                       "attachment")})


