"""Deadline benchmark: statutory due dates per second with casework's `WorkingCalendar`
(`add_working_days(d, 20)` over every start date 2004-01-01 … 2026-11-15, cycled), next to the
naive way (step day by day with `chinese_calendar.is_workday` until 20 working days are
counted) and `chinese_calendar.find_workday(20, d)`, in the same process. Also checks that the
calendar and the naive loop agree on every sampled date. Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.deadlines [--calls N] [--naive-calls N]`
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import chinese_calendar

from bench._common import machine
from services.casework.domain.calendar import WorkingCalendar, default_calendar

TARGET = 200_000
WORKING_DAYS = 20


def start_dates() -> list[date]:
    first, last = date(2004, 1, 1), date(2026, 11, 15)  # + 20 working days stays in 2026
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def naive(d: date, n: int = WORKING_DAYS) -> date:
    """The n-th working day strictly after d, one `is_workday` call per calendar day."""
    counted = 0
    while counted < n:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d):
            counted += 1
    return d


def timed_calendar(cal: WorkingCalendar, dates: list[date], calls: int) -> tuple[float, date]:
    add = cal.add_working_days
    rounds, rest = divmod(calls, len(dates))
    last = dates[0]
    started = time.perf_counter()
    for _ in range(rounds):
        for d in dates:
            last = add(d, WORKING_DAYS)
    for d in dates[:rest]:
        last = add(d, WORKING_DAYS)
    return calls / (time.perf_counter() - started), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--naive-calls", type=int, default=20_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    dates = start_dates()
    print(f"{len(dates):,} distinct start dates, {WORKING_DAYS} working days each")

    started = time.perf_counter()
    cal = default_calendar()
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    for year in range(2004, 2028):
        cal.is_working_day(date(year, 1, 1))  # builds each year's table once
    built = time.perf_counter() - started
    print(f"WorkingCalendar: seeded from chinese_calendar in {seeded * 1e3:.0f} ms, "
          f"24 year tables built in {built * 1e3:.0f} ms (once per process and notice)")

    rate, _ = timed_calendar(cal, dates, args.calls)
    shuffled = dates[:]
    random.Random(7).shuffle(shuffled)
    rate_random, _ = timed_calendar(cal, shuffled, args.calls // 2)

    sample = random.Random(11).sample(dates, min(args.naive_calls, len(dates)))
    sample = (sample * (args.naive_calls // len(sample) + 1))[:args.naive_calls]
    started = time.perf_counter()
    for d in sample:
        naive(d)
    naive_rate = len(sample) / (time.perf_counter() - started)
    started = time.perf_counter()
    for d in sample:
        chinese_calendar.find_workday(WORKING_DAYS, d)
    find_rate = len(sample) / (time.perf_counter() - started)

    disagree = sum(cal.add_working_days(d, WORKING_DAYS) != naive(d) for d in dates)
    find_off = sum(cal.add_working_days(d, WORKING_DAYS) != chinese_calendar.find_workday(
        WORKING_DAYS, d) for d in dates)

    print(f"WorkingCalendar.add_working_days(d, 20): {rate:,.0f}/s in date order, "
          f"{rate_random:,.0f}/s in random order ({args.calls:,} calls)")
    print(f"naive is_workday loop:                   {naive_rate:,.0f}/s "
          f"({len(sample):,} calls) -> calendar is {rate / naive_rate:,.0f}x faster")
    print(f"chinese_calendar.find_workday(20, d):    {find_rate:,.0f}/s "
          f"({len(sample):,} calls) -> calendar is {rate / find_rate:,.0f}x faster")
    print(f"agreement over all {len(dates):,} start dates: calendar vs naive loop differ on "
          f"{disagree}; calendar vs find_workday differ on {find_off} (find_workday rolls a "
          f"non-working start day forward first, so it ends a day late after weekends/holidays)")
    print(f"summary (target >= {TARGET:,}/s): {rate:,.0f}/s = {rate / TARGET:.1f}x the target")


if __name__ == "__main__":
    main()
