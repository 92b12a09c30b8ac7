"""The clock is passed in. Domain code never reads the wall clock (invariant 8,
docs/architecture.md#invariants)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


def local_date(instant: datetime) -> date:
    """The business date (Asia/Shanghai) of a UTC instant."""
    return instant.astimezone(SHANGHAI).date()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """For tests and simulations: starts where it is told and moves only when told."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class OffsetClock:
    """Wall time shifted so that it showed `start` at the real instant `anchor` (default: now,
    when the process starts). Processes given one anchor share one simulated time, also across
    restarts (demos, end-to-end runs)."""

    def __init__(self, start: datetime, base: Clock | None = None,
                 anchor: datetime | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = start.astimezone(UTC) - (anchor or self._base.now())

    def now(self) -> datetime:
        return self._base.now() + self._offset


def clock_from_setting(value: str | None) -> Clock:
    """GONGKAI_CLOCK: unset for the wall clock, or an ISO instant to start from, optionally
    `@` the Unix time at which it was that instant (`2025-09-22T10:00:00+08:00@1764750000`):
    without it each process starts its own clock at the instant, so a restarted process's
    clock runs behind the others'."""
    if not value:
        return SystemClock()
    instant, _, anchor = value.partition("@")
    start = datetime.fromisoformat(instant)
    if start.tzinfo is None:
        start = start.replace(tzinfo=SHANGHAI)
    return OffsetClock(start, anchor=datetime.fromtimestamp(float(anchor), UTC) if anchor
                       else None)
