"""What an operator watches at 3 a.m.: open cases per agency by deadline bucket, breached
deadlines, due dates computed on a provisional calendar. No ids in labels, agencies only."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import date

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from services.casework.adapters import projection
from services.casework.domain.calendar import WorkingCalendar
from services.casework.service_layer.handlers import BREACH_WITHDRAWN, BREACHED, calendars
from shared.clock import Clock, local_date

OPEN_CASES = Gauge("gongkai_open_cases", "Open cases by deadline bucket",
                   ["agency", "bucket"])
PROVISIONAL = Gauge("gongkai_provisional_due_dates",
                    "Open cases whose due date rests on a provisional calendar", ["agency"])
BUCKETS = ("overdue", "due_3", "due_10", "later", "paused")


def bucket(calendar: WorkingCalendar, today: date, due: date | None, paused: bool) -> str:
    if paused or due is None:
        return "paused"
    if due < today:
        return "overdue"
    left = calendar.working_days_between(today, due)
    return "due_3" if left <= 3 else "due_10" if left <= 10 else "later"


async def refresh(engine: AsyncEngine, clock: Clock) -> None:
    today = local_date(clock.now())
    async with engine.connect() as conn:
        calendar = await calendars.get(conn)
        rows = await projection.open_deadlines(conn)
    counts, provisional = Tally(), Tally()
    agencies = {agency for agency, *_ in rows}
    for agency, due, paused, is_provisional in rows:
        counts[(agency, bucket(calendar, today, due, paused))] += 1
        provisional[agency] += bool(is_provisional)
    for agency in agencies | {labels[0] for labels in _known()}:
        for name in BUCKETS:
            OPEN_CASES.labels(agency, name).set(counts[(agency, name)])
        PROVISIONAL.labels(agency).set(provisional[agency])
        BREACHED.labels(agency)  # exported at 0, so the first breach is seen by increase()
        BREACH_WITHDRAWN.labels(agency)


def _known() -> list[tuple[str, ...]]:
    """Agencies already exported, so a bucket that empties goes to zero rather than stale."""
    return [tuple(s.labels.values()) for m in OPEN_CASES.collect() for s in m.samples]
