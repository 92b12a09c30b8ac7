"""The working-day calendar (city administrators): the years loaded and the provisional ones,
loading a year's State Council notice, and the open cases whose due dates it moved."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.adapters.sessions import Session
from services.portal.entrypoints.pages import render, today
from services.portal.entrypoints.staff import SignInNeeded, page

router = APIRouter(prefix="/staff")
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


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
    # Casework lists the loaded years and the provisional ones (this year and next, when no
    # notice is loaded for them) with the rule and the rest days it gives.
    listed = {y["year"]: y for y in (answer.body if answer.ok else [])}
    this_year = today(request).year
    years = []
    for y in sorted(set(listed) | {this_year, this_year + 1}):
        entry = listed.get(y) or {"year": y, "provisional": True, "days": []}
        provisional = entry.get("provisional", False)
        years.append({**entry, "loaded": None if provisional else entry,
                      "days": [{**d, "weekday": WEEKDAYS[date.fromisoformat(d["date"])
                                                         .weekday()]}
                               for d in entry.get("days") or []]})
    return render(request, "staff/calendar.html", http_status=status, years=years, result=result,
                  errors=errors or {}, notice=notice,
                  rule=next((y["rule"] for y in years if y.get("rule")), ""))


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
