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


async def _attention(request: Request, session: Session) -> Response:
    services = request.app.state.services
    q = request.query_params
    agency = (q.get("agency") or "city") if session.city_admin else session.agency
    messages, overdue, agencies = await asyncio.gather(
        _read(services.get("notify", f"/v1/attention/{agency}", token=session.token,
                           params={"limit": SHOWN})),
        _read(services.get("casework", f"/v1/queues/{agency}", token=session.token,
                           params={"view": "overdue", "limit": SHOWN})),
        _read(services.get("intake", "/v1/agencies")))
    if any(a is not None and a.status == 401 for a in (messages, overdue)):
        raise SignInNeeded()
    body = messages.body if messages is not None and messages.ok else {}
    cases = overdue.body if overdue is not None and overdue.ok else []
    listed = agencies.body if agencies is not None and agencies.ok else []
    return render(
        request, "staff/attention.html", agency=agency, agencies=listed,
        names={a["id"]: a["name"] for a in listed}, shown=SHOWN,
        messages=_section(messages, body.get("messages", []), int(body.get("total", 0))),
        counts=body.get("counts", {}),
        overdue=_section(overdue, cases,
                         int((overdue.headers if overdue else {}).get("x-total-count", 0))))
