"""Reporting: fold case events into figures; answer report requests from one snapshot; take
the table 二 figures staff enter."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters import store
from services.reporting.domain import handling, report
from services.reporting.domain.projection import RELEVANT, apply_fact, case_of
from shared import eventstore
from shared.clock import Clock
from shared.contracts.reports import ProactiveFiguresEntered
from shared.events import Envelope, new_event
from shared.refusals import Reason, Refused

CITY = "city"
SERVICE = "reporting"
LAST_FOLDED = Gauge("gongkai_reporting_last_event_position",
                    "Source position of the last event folded into the live figures")


async def on_event(conn: AsyncConnection, envelope: Envelope) -> None:
    await on_events(conn, [envelope])


async def on_events(conn: AsyncConnection, envelopes: list[Envelope]) -> None:
    """The live path: load the rows the events touch, fold them in order, write them back
    (a consumed batch at once: a few statements for the batch, not per event)."""
    relevant = [e for e in envelopes if e.type in RELEVANT]
    if not relevant:
        return
    await store.use_live(conn)
    facts = [(e, e.body()) for e in relevant]
    ws = await store.load(conn, list({case for _, f in facts if (case := case_of(f))}))
    for envelope, fact in facts:
        apply_fact(ws, fact, envelope.agency, envelope.event_id)
    await store.save(conn, ws)
    positions = [e.position for e in relevant if e.position]
    if positions:
        LAST_FOLDED.set(max(positions))


async def annual_report(engine: AsyncEngine, year: int, agency: str, generated_at: datetime,
                        ) -> dict[str, Any]:
    # One REPEATABLE READ snapshot: the figures and `as_of_event` describe the same prefix.
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            await store.use_live(conn)
            return await _document(conn, year, agency, generated_at)


async def _document(conn: AsyncConnection, year: int, agency: str, generated_at: datetime,
                    ) -> dict[str, Any]:
    known = await store.agencies(conn)
    if agency == CITY:
        agencies = sorted(known)
    elif agency in known:
        agencies = [agency]
    else:
        raise Refused(f"未找到行政机关“{agency}”", reason=Reason.NOT_FOUND, field="agency")
    previous = await store.year_cells(conn, agencies, year - 1)
    return report.document(
        year=year, agency=agency, agencies=agencies,
        cells=await store.year_cells(conn, agencies, year),
        previous_carried_forward=report.table3(previous)["carried_forward"],
        generated_at=generated_at, as_of_event=await store.as_of_event(conn),
        review_cells=await store.review_cells(conn, agencies, year),
        table2_entries=await store.table2(conn, agencies, year),
        fees_collected_yuan=await store.fees_collected(conn, agencies, year),
        handling=handling.section(await store.channels(conn, agencies, year),
                                  await store.concluded(conn, agencies, year)),
    )


async def published_years(engine: AsyncEngine, today: date) -> dict[str, Any]:
    """The years whose reports the public may read: from the first year with an application
    to the last year that has ended (docs/decisions.md: a report is public once its year has
    ended), with the agencies (id → name)."""
    async with engine.connect() as conn:
        await store.use_live(conn)
        first = await store.first_year(conn)
        known = await store.agencies(conn)
    last = today.year - 1
    years = list(range(last, first - 1, -1)) if first is not None and first <= last else []
    return {"years": years, "agencies": dict(sorted(known.items()))}


async def agency_name(engine: AsyncEngine, agency: str) -> str:
    if agency == CITY:
        return "全市"
    async with engine.begin() as conn:
        await store.use_live(conn)
        return (await store.agencies(conn)).get(agency, agency)


async def enter_table2(engine: AsyncEngine, clock: Clock, agency: str,
                       figures: ProactiveFiguresEntered, actor: str) -> None:
    """Record the entry as a fact of reporting's own, and fold it into the live figures."""
    stream = f"table2-{agency}-{figures.year}"
    async with engine.begin() as conn:
        history = await eventstore.read_stream(conn, stream, SERVICE)
        event = new_event(figures, stream_id=stream, stream_position=len(history) + 1,
                          agency=agency, occurred_at=clock.now(), actor=actor,
                          correlation_id=uuid.uuid4(), source=SERVICE)
        await eventstore.append(conn, [event], topic=None)
        await on_event(conn, event)
