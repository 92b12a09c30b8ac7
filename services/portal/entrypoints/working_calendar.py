"""The working-day calendar (city administrators): the years loaded and the provisional ones,
loading a year's State Council notice, and the open cases whose due dates it moved."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.adapters.sessions import Session
from services.portal.entrypoints.pages import render, today
from services.portal.entrypoints.staff import SignInNeeded, page

router = APIRouter(prefix="/staff")


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
