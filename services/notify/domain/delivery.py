"""When a message may go out, and how long to wait after a failure. Pure; the clock is given."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shared.clock import SHANGHAI

QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)  # no SMS at night (local time)
MAX_ATTEMPTS = 6


def sms_allowed_at(now: datetime) -> datetime:
    """`now` if an SMS may be sent now, else the next 08:00 in Asia/Shanghai (as UTC)."""
    local = now.astimezone(SHANGHAI)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return now
    morning = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(morning, QUIET_UNTIL, tzinfo=SHANGHAI).astimezone(now.tzinfo)


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at one hour."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))
