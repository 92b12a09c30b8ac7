"""HTTP conventions shared by the services: RFC 9457 problem+json errors, /healthz, /metrics,
API docs that need no internet."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import TokenFirst, file_secret
from shared.limits import BodyTooLarge, Guard
from shared.problems import STATUS_TITLES, problem_response
from shared.problems import Problem as Problem  # raised by the entrypoints and shared/runtime.py
from shared.refusals import Reason, Refused
from shared.settings import Settings
from shared.validation import messages as validation_messages

log = logging.getLogger(__name__)

# How the edge answers a refusal of the domain or a service layer (shared/refusals.py): the
# one place a reason becomes a status code.
STATUS_OF: dict[Reason, int] = {
    Reason.FORBIDDEN: 403,
    Reason.INVALID: 422,
    Reason.TOO_LARGE: 413,
    Reason.NOT_FOUND: 404,
    Reason.GONE: 410,
    Reason.CONFLICT: 409,
    Reason.UNAVAILABLE: 503,
}
# A refusal for now (reference data being updated) clears within a second or so.
RETRY_REFUSED_AFTER = "1"


def refused_problem(exc: Refused) -> Problem:
    headers = ({"Retry-After": RETRY_REFUSED_AFTER} if exc.reason is Reason.UNAVAILABLE
               else None)
    return Problem(STATUS_OF[exc.reason], exc.message, field=exc.field, headers=headers)


# Kept for callers that word one error at a time.
_field = validation_messages.field
_message = validation_messages.message


# The database is down or restarting (or the connection was lost, or it is shutting down).
UNAVAILABLE: tuple[type[Exception], ...] = (
    DBAPIError, OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.InsufficientResourcesError)


def problem_answer(method: str, path: str, exc: Problem) -> JSONResponse:
    log.info("%s %s -> %d %s %s", method, path, exc.status, exc.detail,
             [e["field"] for e in exc.errors])
    return problem_response(exc.status, exc.detail, title=exc.title, errors=exc.errors,
                            instance=path, headers=exc.headers)


def refused_answer(method: str, path: str, exc: Refused) -> JSONResponse:
    return problem_answer(method, path, refused_problem(exc))


def unavailable_answer(method: str, path: str, exc: Exception) -> JSONResponse:
    # Nothing was stored, and the client should retry (with the same Idempotency-Key) rather
    # than think it failed for good.
    log.warning("%s %s: database unavailable: %s", method, path, type(exc).__name__)
    return problem_response(503, "服务暂时不可用，申请未被保存，请稍后重试。",
                            instance=path, headers={"Retry-After": "5"})


def too_large_answer(path: str) -> JSONResponse:
    return problem_response(413, "请求内容过大", instance=path)


# Every answer of a service: nothing sniffed, never framed, no referrer, never stored (answers
# carry personal data; none is worth caching for its client).
API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """ASGI middleware adding `headers` to every answer that does not set them itself, the
    500s of Starlette's outermost error handler included (see `secure`). `cacheable(path)`:
    answers that keep their cache headers (the portal's static files)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str],
                 cacheable: Callable[[str], bool] | None = None) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.cacheable = cacheable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        keep_cache = self.cacheable is not None and self.cacheable(scope.get("path", ""))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.headers
                            if name not in present
                            and not (keep_cache and name == b"cache-control")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def secure(app: FastAPI, headers: dict[str, str],
           cacheable: Callable[[str], bool] | None = None) -> None:
    """Wrap the app's whole middleware stack, Starlette's ServerErrorMiddleware (which answers
    the 500s) included, in `SecurityHeaders`: middleware added the usual way sits inside it."""
    build = app.build_middleware_stack

    def build_secured() -> ASGIApp:
        return SecurityHeaders(build(), headers, cacheable)

    app.build_middleware_stack = build_secured  # type: ignore[method-assign]


@dataclass(frozen=True)
class MetricsExposure:
    """Where /metrics is served (GONGKAI_METRICS):
    token (default): on the service's port, to `Authorization: Bearer <GONGKAI_METRICS_TOKEN>`
      only (unset: a token made once in GONGKAI_HOME/metrics.token, read on first use);
    port: on its own port GONGKAI_METRICS_PORT (for a network only Prometheus reaches), not
      on the service's;
    open: on the service's port to anyone (the embedded stack, which listens on loopback)."""

    mode: str
    port: int = 0
    configured_token: str | None = None  # GONGKAI_METRICS_TOKEN
    home: Path = Path(".gongkai")

    def token(self) -> str:
        token = self.configured_token or file_secret(self.home.resolve() / "metrics.token")
        if len(token) < 16:
            raise ValueError("GONGKAI_METRICS_TOKEN must be at least 16 characters")
        return token


def metrics_exposure(settings: Settings) -> MetricsExposure:
    mode = settings.metrics
    if mode == "port":
        raw = settings.metrics_port
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise ValueError("GONGKAI_METRICS=port needs GONGKAI_METRICS_PORT")
        return MetricsExposure("port", port=int(raw))
    if mode not in ("token", "open"):
        raise ValueError(f"GONGKAI_METRICS must be token, port or open, not {mode!r}")
    return MetricsExposure(mode, configured_token=settings.metrics_token, home=settings.home)


def install(app: FastAPI, service: str, settings: Settings,
            public: tuple[str, ...] = ()) -> None:
    """Error handlers, limits, request metrics, /metrics and offline /docs for one service's
    app. `public`: path prefixes anyone may call, rate-limited per client address
    (GONGKAI_PUBLIC_RATE requests/s, burst 10×). GONGKAI_API_DOCS=0 takes /docs and
    /openapi.json off a service (default: served)."""
    rate = settings.public_rate
    # Outermost first: security headers on every answer; then limits and request metrics;
    # then the token of a staff route, checked before its body is read.
    app.add_middleware(TokenFirst)
    app.add_middleware(Guard, service=service, public_prefixes=public, rate=rate,
                       burst=max(10, int(rate * 10)))
    secure(app, API_HEADERS)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return too_large_answer(request.url.path)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_answer(request.method, request.url.path, exc)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        return refused_answer(request.method, request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Every invalid field at once, each worded in Chinese (shared/validation/messages.py).
        errors = validation_messages.problems(list(exc.errors()))
        log.info("%s %s -> 422 invalid fields %s", request.method, request.url.path,
                 [e["field"] for e in errors])
        detail = "；".join(f"{e['field']}：{e['message']}" for e in errors)
        return problem_response(422, detail, errors=errors, instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else STATUS_TITLES.get(exc.status_code)
        return problem_response(exc.status_code, detail or "错误", instance=request.url.path)

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return unavailable_answer(request.method, request.url.path, exc)

    for kind in UNAVAILABLE:
        app.add_exception_handler(kind, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return problem_response(500, "处理请求时发生内部错误，请稍后重试。",
                                instance=request.url.path)

    exposure = metrics_exposure(settings)
    if exposure.mode != "port":
        expected: list[bytes] = []

        @app.get("/metrics", include_in_schema=False)
        async def metrics(request: Request) -> Response:
            if exposure.mode == "token" and not expected:
                expected.append(f"Bearer {exposure.token()}".encode())
            if exposure.mode == "token" and not hmac.compare_digest(
                    request.headers.get("authorization", "").encode(), expected[0]):
                return problem_response(401, "需要有效的指标访问令牌", instance="/metrics",
                                        headers={"WWW-Authenticate": "Bearer"})
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if not settings.api_docs:
        pages = {app.openapi_url, app.docs_url, app.redoc_url,
                 app.swagger_ui_oauth2_redirect_url}
        app.router.routes[:] = [r for r in app.router.routes
                                if getattr(r, "path", None) not in pages]
        app.openapi_url = app.docs_url = app.redoc_url = None
    offline_docs(app)


DOCS_ASSETS = "/docs-assets"


def offline_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) with its JS, CSS and favicon served by the service itself from the
    fastapi-offline package, under DOCS_ASSETS: FastAPI's own /docs and /redoc load them from a
    CDN, and on an intranet with no internet they are blank. No /redoc: its bundle still fetches
    a logo from its vendor's CDN. The services create their apps with docs_url=None,
    redoc_url=None; an app that did not has its CDN pages taken out here."""
    if app.openapi_url is None:
        return
    openapi = app.openapi_url
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"
    cdn_pages = {app.docs_url, app.redoc_url, oauth2_redirect}
    app.router.routes[:] = [r for r in app.router.routes
                            if getattr(r, "path", None) not in cdn_pages]
    # swagger-ui-bundle.js and swagger-ui.css (Swagger UI 5: 4.x cannot show OpenAPI 3.1),
    # favicon.png (and redoc.standalone.js, unused).
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")),
              name="docs-assets")

    def root(request: Request) -> str:  # behind a proxy that serves the app under a prefix
        return request.scope.get("root_path", "").rstrip("/")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        prefix = root(request)
        assets = prefix + DOCS_ASSETS
        return get_swagger_ui_html(
            openapi_url=prefix + openapi,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=prefix + oauth2_redirect,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
