"""Reporting's HTTP API: the annual report (the JSON document of docs/report-format.md, or an
export), and the table 二 figures staff enter."""

# No `from __future__ import annotations`: FastAPI must see the real types in the closures.
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from services.reporting.service_layer import handlers
from shared.auth import Role, Staff, require_agency, require_role
from shared.clock import SHANGHAI
from shared.contracts.reports import ProactiveFiguresEntered
from shared.http import Problem
from shared.runtime import Runtime

Format = Literal["json", "csv", "xlsx", "html", "docx", "pdf"]
PublishedOn = Annotated[date | None, Query(
    description="Publication date printed under the title and in the signature of the "
                "XLSX/HTML/DOCX/PDF exports (ISO date); default: today in Asia/Shanghai")]


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["reports"])

    @api.get("/reports/{year}", summary="Annual report of an agency, or `city` for all of them")
    async def get_report(
        year: Annotated[int, Path(ge=2008, le=2100)],
        agency: Annotated[str, Query(min_length=2, max_length=40)],
        staff: Annotated[Staff, Depends(runtime.staff)],
        format: Format = "json",
        published_on: PublishedOn = None,
    ) -> Any:
        # An agency's staff see its figures; only city administrators see the city.
        if agency == handlers.CITY:
            require_role(staff, Role.CITY_ADMIN)
        else:
            require_agency(staff, agency)
        return await _report(year, agency, format, published_on)

    async def _report(year: int, agency: str, format: str, published_on: date | None) -> Any:
        generated_at = runtime.clock.now().astimezone(SHANGHAI)
        doc = await handlers.annual_report(runtime.engine, year, agency, generated_at)
        if format == "json":
            return doc
        from services.reporting.adapters.exports import EXPORTERS

        export, media_type, extension = EXPORTERS[format]
        name = await handlers.agency_name(runtime.engine, agency)
        body = export(doc, name, published_on or generated_at.date())
        filename = f"{agency}-{year}{extension}"
        return Response(body, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @api.get("/public/reports", tags=["public"],
             summary="The years and agencies whose annual reports the public may read")
    async def public_years() -> dict[str, Any]:
        return await handlers.published_years(
            runtime.engine, runtime.clock.now().astimezone(SHANGHAI).date())

    @api.get("/public/reports/{year}", tags=["public"],
             summary="A published annual report (a year that has ended), without a token")
    async def public_report(
        year: Annotated[int, Path(ge=2008, le=2100)],
        agency: Annotated[str, Query(min_length=2, max_length=40)],
        format: Format = "json",
        published_on: PublishedOn = None,
    ) -> Any:
        if year >= runtime.clock.now().astimezone(SHANGHAI).year:
            raise Problem(404, f"{year}年度报告尚未公布（年度结束后公布）", field="year")
        return await _report(year, agency, format, published_on)

    @api.put("/reports/{year}/table2", status_code=204,
             summary="Enter table 二 (proactive disclosure) figures of an agency-year")
    async def put_table2(
        year: Annotated[int, Path(ge=2008, le=2100)],
        agency: Annotated[str, Query(min_length=2, max_length=40)],
        figures: ProactiveFiguresEntered,
        staff: Annotated[Staff, Depends(runtime.staff)],
    ) -> Response:
        require_role(staff, Role.CASEWORKER, Role.APPROVER)
        require_agency(staff, agency)
        if figures.year != year:
            raise Problem(422, "请求体中的年份与路径中的年份不一致", field="year")
        await handlers.enter_table2(runtime.engine, runtime.clock, agency, figures, staff.user)
        return Response(status_code=204)

    return api
