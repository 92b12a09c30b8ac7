"""`GET /healthz`: the database answers and every background loop runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.runtime.loops import Loops


def health_router(service: str, engine: AsyncEngine, loops: Loops) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", tags=["operations"], summary="Liveness and readiness")
    async def healthz() -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # health reports, it never raises
            checks["database"] = f"unavailable: {type(exc).__name__}"
        checks.update(loops.states())
        ok = all(v in ("ok", "running") for v in checks.values())
        if not ok:
            from shared.http import Problem

            raise Problem(503, "服务暂不可用", headers={"Retry-After": "5"})
        return {"service": service, "status": "ok", "checks": checks}

    return router
