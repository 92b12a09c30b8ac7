"""Reporting: fold case events into figures; answer report requests from one snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters import figures
from services.reporting.domain import report
from shared.events import Envelope
from shared.http import Problem

CITY = "city"


async def on_event(conn: AsyncConnection, envelope: Envelope) -> None:
    await figures.project(conn, envelope.agency, envelope.body())


async def annual_report(
    engine: AsyncEngine, year: int, agency: str, generated_at: datetime
) -> dict[str, Any]:
    # One REPEATABLE READ snapshot: the figures and `as_of_event` describe the same prefix.
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            known = await figures.agency_ids(conn)
            if agency == CITY:
                agencies = known
            elif agency in known:
                agencies = [agency]
            else:
                raise Problem(404, f"未找到行政机关“{agency}”", field="agency")
            cells = await figures.year_cells(conn, agencies, year)
            previous = await figures.year_cells(conn, agencies, year - 1)
            as_of = await figures.as_of_event(conn)
    previous_forward = report.table3(previous)["carried_forward"]
    return report.document(
        year=year,
        agency=agency,
        agencies=agencies,
        cells=cells,
        previous_carried_forward=previous_forward,
        generated_at=generated_at,
        as_of_event=as_of,
    )
