"""Staff sign-in with the city's identity provider (GONGKAI_OIDC_ISSUER and
GONGKAI_PORTAL_OIDC_CLIENT_ID): /staff/oidc/start sends the person there, /staff/oidc/callback
brings them back signed in, with the provider's access token as their session's token."""

from __future__ import annotations

import logging
import re
import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.oidc import (
    STATE_COOKIE,
    STATE_PATH,
    STATE_SECONDS,
    Provider,
    SignInFailed,
    check_state,
    seal,
    unseal,
)
from services.portal.adapters.sessions import new_session
from services.portal.entrypoints.pages import error
from services.portal.entrypoints.staff import keep_session, safe_next

log = logging.getLogger(__name__)
router = APIRouter(prefix=STATE_PATH)

AGAIN = "请返回登录页重新登录。"
PAGES = {  # kind → status, title, message
    "state": (400, "登录请求已失效",
              "本次登录已超时，或不是从本系统的登录页发起的。" + AGAIN),
    "denied": (403, "未能完成统一身份认证", "统一身份认证未完成或已取消。" + AGAIN),
    "unavailable": (503, "统一身份认证暂时不可用",
                    "暂时无法连接统一身份认证服务，请稍后重试。"),
    "refused": (400, "登录未能完成",
                "统一身份认证未接受本次登录（授权码无效、已使用或已过期）。" + AGAIN),
    "token": (401, "身份凭证未通过验证",
              "统一身份认证返回的身份凭证未通过本系统的验证。" + AGAIN
              + "如仍无法登录，请联系系统管理员。"),
    "account": (403, "账号尚未开通本系统权限",
                "您的账号已通过统一身份认证，但尚未分配本系统的机关或角色。"
                "请联系本机关的系统管理员开通。"),
}


def _provider(request: Request) -> Provider | None:
    """The provider, made on first use and kept on the app (its discovery and keys cached)."""
    config = request.app.state.config
    if not config.oidc_signin:
        return None
    provider = getattr(request.app.state, "oidc_provider", None)
    if provider is None:
        verifier = config.oidc  # the services' settings: the services' check
        assert verifier is not None
        provider = Provider(config.oidc_issuer, config.oidc_client_id,
                            config.oidc_client_secret, verifier)
        request.app.state.oidc_provider = provider
    return provider


def _redirect_uri(request: Request) -> str:
    base = request.app.state.config.public_url or str(request.base_url).rstrip("/")
    return base + STATE_PATH + "/callback"


def _forget(request: Request, response: Response) -> Response:
    response.delete_cookie(STATE_COOKIE, path=STATE_PATH, httponly=True, samesite="lax",
                           secure=request.app.state.config.secure_cookies)
    return response


def _failed(request: Request, exc: SignInFailed) -> Response:
    log.warning("oidc sign-in failed (%s): %s", exc.kind, exc.reason)
    status, title, message = PAGES[exc.kind]
    return _forget(request, error(request, status, title, message))


@router.get("/start")
async def start(request: Request, next: str | None = None) -> Response:
    provider = _provider(request)
    if provider is None:
        return error(request, 404, "页面不存在", "统一身份认证登录未启用。")
    try:
        url, pending = await provider.start(safe_next(next), _redirect_uri(request))
    except SignInFailed as exc:
        return _failed(request, exc)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(STATE_COOKIE, seal(request.app.state.signer.secret, pending),
                        max_age=STATE_SECONDS, httponly=True, samesite="lax",
                        secure=request.app.state.config.secure_cookies, path=STATE_PATH)
    return response


@router.get("/callback", response_class=HTMLResponse)
async def callback(request: Request) -> Response:
    provider = _provider(request)
    if provider is None:
        return error(request, 404, "页面不存在", "统一身份认证登录未启用。")
    q = request.query_params
    try:
        pending = check_state(unseal(request.app.state.signer.secret,
                                     request.cookies.get(STATE_COOKIE), time.time()),
                              q.get("state"))
        if q.get("iss") and q["iss"] != provider.issuer:  # RFC 9207: not a mixed-up provider
            raise SignInFailed("state", "iss of the response is not the issuer")
        if q.get("error") or not q.get("code"):
            code = q.get("error") or "no code"  # RFC 6749's codes only: the log is ours
            raise SignInFailed("denied", code if re.fullmatch(r"[a-z_ ]{1,40}", code)
                               else "error")
        token, staff = await provider.sign_in(q["code"], pending, request.app.state.clock.now())
    except SignInFailed as exc:
        return _failed(request, exc)
    session = new_session(token, staff.user, staff.agency, sorted(str(r) for r in staff.roles),
                          time.time())
    response = RedirectResponse(safe_next(pending.next), status_code=303)
    return _forget(request, keep_session(request, response, session))
