"""A service's FastAPI app, composed the same way for every service: started and stopped with
its runtime (`Runtime.lifespan`), the common HTTP edge (`shared.http.install`: limits, metrics,
problem answers, offline /docs), `/healthz` and the dead-letter routes. The service adds its
own routers to what this returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from shared import dead_letters, http
from shared.runtime import Runtime


def service_app(runtime: Runtime, service: str, description: str, *,
                public: Sequence[str] = (), inner_middleware: Sequence[Any] = ()) -> FastAPI:
    """`public`: path prefixes anyone may call (rate-limited). `inner_middleware`: middleware
    that must run inside the limits and metrics the HTTP edge adds (added before it)."""
    app = FastAPI(title=f"gongkai {service}", description=description, version="0.1.0",
                  lifespan=runtime.lifespan, docs_url=None, redoc_url=None)
    app.state.runtime = runtime
    for middleware in inner_middleware:
        app.add_middleware(middleware)
    http.install(app, service, runtime.settings, public=tuple(public))
    app.include_router(runtime.health_router())
    app.include_router(dead_letters.router(runtime))
    return app
