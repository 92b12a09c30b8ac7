"""Composition root of the portal: the public site at `/` and the staff console at `/staff/`
(GONGKAI_PORTAL_FACES=public|staff|both), server-rendered, every asset served from here."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.adapters.services import Services, ServiceUnavailable, TokenRefused
from services.portal.adapters.sessions import COOKIE, Signer, portal_secret
from services.portal.config import PortalConfig
from services.portal.entrypoints import (
    attention,
    cases,
    pages,
    public,
    registration,
    staff,
    staff_reports,
    working_calendar,
)
from services.portal.entrypoints import ledger as ledger_import
from services.portal.entrypoints import oidc as oidc_signin
from shared.clock import clock_from_setting
from shared.http import secure
from shared.settings import Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def _back(request: Request) -> str:
    if request.method != "GET" or not request.url.path.startswith("/staff/"):
        return "/staff/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")

# No script, style, image or font from anywhere but here; no framing; nothing sniffed.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
                                "base-uri 'none'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    config = PortalConfig.from_env(settings)
    services = Services(config.service_urls)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await services.close()

    app = FastAPI(title="gongkai portal", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.config = config
    app.state.services = services
    app.state.clock = clock_from_setting(settings.clock)
    app.state.signer = Signer(portal_secret(settings.home.resolve(), config.secret))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # On every answer, the 500s included; no-store on all but the static files (every page
    # of the console shows personal data, and the public pages' answers are a person's own).
    secure(app, {**SECURITY_HEADERS, "Cache-Control": "no-store"},
           cacheable=lambda path: path.startswith("/static/"))

    @app.exception_handler(TokenRefused)
    async def _token_refused(request: Request, exc: TokenRefused) -> Response:
        # The token was revoked or is no longer valid: the session ends here, not at its
        # idle timeout; the person signs in again (and comes back to this page).
        response = RedirectResponse("/staff/signin?" + urlencode({"next": _back(request)}),
                                    status_code=303)
        response.delete_cookie(COOKIE, path="/staff")
        return response

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> HTMLResponse:
        return pages.error(request, 503, "服务暂时不可用",
                           "系统正在维护或繁忙，您填写的内容尚未提交。请稍后重试。")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        if exc.status_code == 404:
            return pages.error(request, 404, "页面不存在", "您访问的页面不存在或已被移除。")
        if exc.status_code == 405:
            return pages.error(request, 405, "请求方式有误", "请从页面上的链接或按钮进入。")
        return pages.error(request, exc.status_code, "请求有误", str(exc.detail or ""))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> HTMLResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return pages.error(request, 500, "系统出错", "处理您的请求时发生错误，请稍后重试。")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    if config.public:
        app.include_router(public.router)
    if config.staff:
        for console in (staff, cases, registration, staff_reports, working_calendar):
            app.include_router(console.router)
        app.include_router(oidc_signin.router)
        app.include_router(ledger_import.router)
        app.include_router(attention.router)
    if not config.public:
        @app.get("/", include_in_schema=False)
        async def staff_only() -> Response:
            return Response(status_code=303, headers={"Location": "/staff/"})
    return app
