"""How the year's applications were handled (办理情况), the figures the published prose reports
give beside table 三 (聊城 2022: "信函形式申请2件、网络形式申请12件"; 聊城 2023: "按时答复3件"):
the year's new applications by channel, and of those concluded in the year how many were
answered on time, late, after an extension, and the median working days from receipt to
conclusion. A section of its own in the JSON document (`handling`, docs/decisions.md, issue 16);
the contract's tables are unchanged.

Working days are counted as casework counts a deadline (the day of receipt not counted) on the
State Council holiday notices that the `chinese-calendar` package carries (2004–2026), and on
weekdays for other years. A city's own calendar corrections (casework's calendar table) are not
seen here: the median is a summary figure, not a deadline."""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, Protocol

import chinese_calendar

from shared.contracts.applications import Channel

CHANNELS = tuple(c.value for c in Channel)


class Concluded(Protocol):
    received_on: date
    concluded_on: date
    due_on: date | None
    extended: bool
    breached: bool
    on_the_spot: bool


# Asked some 40,000 times per report (every day of every concluded case) and the package
# scans its tables on each call: one answer per date is enough.
@functools.cache
def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no notice for
        return day.weekday() < 5


def working_days(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 on the same day)."""
    return sum(is_working_day(start + timedelta(days=i))
               for i in range(1, (end - start).days + 1))


def on_time(case: Concluded) -> bool:
    """Concluded by the due date in force then (answered on the spot, or while no clock ran,
    counts as on time), and never past a deadline casework recorded as breached."""
    if case.on_the_spot:
        return True
    return not case.breached and (case.due_on is None or case.concluded_on <= case.due_on)


def section(by_channel: Mapping[str, int], concluded: Iterable[Concluded]) -> dict[str, Any]:
    done = list(concluded)
    timely = sum(on_time(c) for c in done)
    days = [working_days(c.received_on, c.concluded_on) for c in done]
    median = statistics.median(days) if days else None
    return {
        "received_by_channel": {c: int(by_channel.get(c, 0)) for c in CHANNELS},
        "concluded": len(done),
        "answered_on_time": timely,
        "answered_late": len(done) - timely,
        "extended": sum(bool(c.extended) for c in done),
        "median_working_days": (int(median) if median is not None and median == int(median)
                                else median),
    }
