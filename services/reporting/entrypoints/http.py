"""Reporting's HTTP API: the annual report tables as the JSON contract of REPORT_FORMAT.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from services.reporting.service_layer import handlers
from shared.clock import SHANGHAI

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get("/reports/{year}", summary="Annual report figures of an agency, or `city` for all")
async def get_report(
    request: Request,
    year: Annotated[int, Path(ge=2008, le=2100)],
    agency: Annotated[str, Query(min_length=2, max_length=40)],
) -> dict[str, Any]:
    runtime = request.app.state.runtime
    generated_at = runtime.clock.now().astimezone(SHANGHAI)
    return await handlers.annual_report(runtime.engine, year, agency, generated_at)
