"""需要处理: what needs a person's attention, on one page — the messages notify could not
deliver (failed) or cannot tell were delivered (unknown), and the cases past their reply
deadline (casework's overdue queue). Both read with the staff member's own token: the
services decide what they may see; a service that does not answer blanks only its section."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.portal.adapters.services import Answer, ServiceUnavailable
from services.portal.adapters.sessions import Session
from services.portal.entrypoints.pages import render
from services.portal.entrypoints.staff import SignInNeeded, page

router = APIRouter(prefix="/staff")
SHOWN = 50  # of each list; the counts cover everything


@router.get("/attention", response_class=HTMLResponse)
async def attention(request: Request) -> Response:
    return await page(request, _attention)


async def _read(call) -> Answer | None:
    """A service's answer, or None if it did not answer (its section says so)."""
    try:
        return await call
    except ServiceUnavailable:
        return None


def _section(answer: Answer | None, items: Any, total: int) -> dict[str, Any]:
    if answer is None:
        return {"error": "暂时无法读取，请稍后刷新本页。", "rows": [], "total": 0}
    if not answer.ok:
        return {"error": answer.detail or "您无权查看。", "rows": [], "total": 0}
    return {"error": None, "rows": items, "total": total}


SERVICES = {"intake": "受理服务", "casework": "办理服务", "reporting": "统计服务",
            "notify": "通知服务"}


async def _dead_letters(request: Request, session: Session) -> list[dict[str, Any]] | None:
    """For city administrators: each service's messages set aside as impossible to apply.
    Not tied to an agency, so nobody else sees them."""
    if not session.city_admin:
        return None
    services = request.app.state.services
    answers = await asyncio.gather(*(
        _read(services.get(s, "/v1/dead-letters", token=session.token, params={"limit": 20}))
        for s in SERVICES))
    return [{"service": label, "error": None if a is not None and a.ok else "暂时无法读取",
             "total": a.body["total"] if a is not None and a.ok else 0,
             "letters": a.body["letters"] if a is not None and a.ok else []}
            for label, a in zip(SERVICES.values(), answers, strict=True)]


async def _attention(request: Request, session: Session) -> Response:
    services = request.app.state.services
    q = request.query_params
    agency = (q.get("agency") or "city") if session.city_admin else session.agency
    messages, overdue = await asyncio.gather(
        _read(services.get("notify", f"/v1/attention/{agency}", token=session.token,
                           params={"limit": SHOWN})),
        _read(services.get("casework", f"/v1/queues/{agency}", token=session.token,
                           params={"view": "overdue", "limit": SHOWN})))
    if any(a is not None and a.status == 401 for a in (messages, overdue)):
        raise SignInNeeded()
    body = messages.body if messages is not None and messages.ok else {}
    cases = overdue.body if overdue is not None and overdue.ok else []
    try:
        listed = await services.agencies()
    except ServiceUnavailable:  # only the names are missing then
        listed = []
    return render(
        request, "staff/attention.html", agency=agency, agencies=listed,
        dead_letters=await _dead_letters(request, session),
        names={a["id"]: a["name"] for a in listed}, shown=SHOWN,
        messages=_section(messages, body.get("messages", []), int(body.get("total", 0))),
        counts=body.get("counts", {}),
        overdue=_section(overdue, cases,
                         int((overdue.headers if overdue else {}).get("x-total-count", 0))))
