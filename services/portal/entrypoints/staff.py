"""The staff console's common ground: the signed-in session (cookie, CSRF, idle timeout, the
token's expiry), `page()` which every console page runs through, and the development sign-in.
Every call to a service carries the staff member's own token: the services decide what they
may see and do, the console only shows it. The pages: cases.py, registration.py,
staff_reports.py, working_calendar.py, ledger.py, attention.py; OIDC sign-in: oidc.py."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.oidc import token_expired
from services.portal.adapters.sessions import COOKIE, Session, new_session
from services.portal.domain.words import ROLES
from services.portal.entrypoints.pages import error, render

router = APIRouter(prefix="/staff")
DEMO_ROLES = ("registrar", "caseworker", "approver", "auditor")


def client_address(request: Request) -> str:
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


def keep_session(request: Request, response: Response, session: Session) -> Response:
    """Refresh the session's idle clock on every page."""
    refreshed = Session(**{**session.__dict__, "seen": time.time()})
    response.set_cookie(COOKIE, request.app.state.signer.dump(refreshed), httponly=True,
                        samesite="lax", secure=request.app.state.config.secure_cookies,
                        path="/staff")
    return response


FORM_PART_MAX = 6 * 1024 * 1024  # an identity document (5 MiB) and the form around it


async def _posted(request: Request, session: Session, max_part_size: int) -> Any:
    form = await request.form(max_part_size=max_part_size)
    if str(form.get("csrf") or "") != session.csrf:
        raise PermissionError("csrf")
    return form


def _signin_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/staff/signin?" + urlencode({"next": target}), status_code=303)


async def page(request: Request, handler, *args, max_part_size: int = FORM_PART_MAX,
               ) -> Response:
    """Run a console page: signed in, CSRF-checked for posts, the idle clock refreshed.
    `max_part_size`: the largest part a posted form may hold (a ledger needs more)."""
    try:
        session = _session(request)
        if request.method == "POST":
            form = await _posted(request, session, max_part_size)
            response = await handler(request, session, form, *args)
        else:
            response = await handler(request, session, *args)
    except SignInNeeded:
        return _signin_redirect(request)
    except PermissionError:
        return error(request, 403, "页面已过期", "表单已失效（可能已退出登录或打开时间过长），"
                                              "请返回刷新页面后重新提交。")
    return keep_session(request, response, session)


# --- sign-in ------------------------------------------------------------------------------

def safe_next(target: str | None) -> str:
    return target if target and re.fullmatch(r"/staff/[\w\-/?=&%.]*", target) else "/staff/"


@router.get("/signin", response_class=HTMLResponse)
async def signin(request: Request, next: str | None = None) -> HTMLResponse:
    config = request.app.state.config
    staff: list[dict[str, str]] = []
    if config.dev_signin:
        agencies = await request.app.state.services.agencies()
        staff = [{"agency": a["id"], "agency_name": a["name"], "role": r,
                  "label": f"{a['name']} · {ROLES[r]}"} for a in agencies for r in DEMO_ROLES]
        staff.append({"agency": "", "agency_name": "全市", "role": "city_admin",
                      "label": "全市 · 市级管理员"})
    return render(request, "staff/signin.html", staff=staff, next=safe_next(next),
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
    config = request.app.state.config
    token = issue_token(load_secret(config.home.resolve(), config.jwt_secret), user=user,
                        agency=agency if role != "city_admin" else None, roles=[role],
                        now=request.app.state.clock.now(), ttl=timedelta(hours=10),
                        max_lifetime=config.token_max_lifetime)
    session = new_session(token, user, agency if role != "city_admin" else None, [role],
                          time.time())
    response = RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
    return keep_session(request, response, session)


@router.post("/signout")
async def signout(request: Request) -> Response:
    # Another site must not sign a person out: the form carries the session's CSRF token.
    session = request.app.state.signer.load(request.cookies.get(COOKIE), time.time(),
                                            request.app.state.config.idle_minutes * 60)
    if session is not None and str((await request.form()).get("csrf") or "") != session.csrf:
        return error(request, 403, "页面已过期", "请刷新页面后再退出。")
    response = RedirectResponse("/staff/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/staff")
    return response
