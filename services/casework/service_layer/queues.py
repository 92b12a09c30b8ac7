"""The views a clerk works from: open cases by due date with working days left, paused cases
and why, cases due within N working days, overdue cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.casework.adapters import projection
from services.casework.domain.calendar import WorkingCalendar
from services.casework.service_layer.handlers import calendars
from shared.clock import Clock, local_date

PAUSE_REASONS = {"correction": "等待申请人补正", "fee": "等待缴纳信息处理费"}


def working_days_left(calendar: WorkingCalendar, today: date, due: date) -> int:
    """Working days from tomorrow to the due date; negative when overdue."""
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


def _why(key: str) -> str:
    if key.startswith("consultation:"):
        return f"征求{key.split(':', 1)[1]}意见"
    return PAUSE_REASONS.get(key, key)


async def view(engine: AsyncEngine, clock: Clock, agency: str | None, name: str, within: int,
               limit: int, *, search: str = "", offset: int = 0,
               ) -> tuple[list[dict[str, Any]], int]:
    """A page of a queue view and the number of cases in the whole view. `agency` None: every
    agency's (for city administrators)."""
    today = local_date(clock.now())
    async with engine.connect() as conn:
        calendar = await calendars.get(conn)
        horizon = calendar.add_working_days(today, within) if within else today
        cases, total = await projection.queue(conn, agency, name, today=today, horizon=horizon,
                                              search=search, limit=limit, offset=offset)
    for case in cases:
        due = date.fromisoformat(case["due_on"]) if case["due_on"] else None
        paused = bool(case["paused_by"])
        case["working_days_left"] = (working_days_left(calendar, today, due)
                                     if due and not paused else None)
        case["paused_because"] = [_why(k) for k in case["paused_by"]]
    return cases, total
