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


class Rate:
    """Calls per wall-clock second and per CPU second of this process (the machine may be
    shared: the CPU figure is what the code costs, the wall figure what this run saw)."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def __enter__(self) -> Rate:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = self.calls / (time.perf_counter() - self.wall)
        self.cpu = self.calls / (time.process_time() - self.cpu)

    def __str__(self) -> str:
        return f"{self.wall:,.0f}/s wall ({self.cpu:,.0f} per CPU-s)"


def timed_calendar(cal: WorkingCalendar, dates: list[date], calls: int) -> Rate:
    add = cal.add_working_days
    rounds, rest = divmod(calls, len(dates))
    with Rate(calls) as rate:
        for _ in range(rounds):
            for d in dates:
                add(d, WORKING_DAYS)
        for d in dates[:rest]:
            add(d, WORKING_DAYS)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--naive-calls", type=int, default=3_000,
                        help="find_workday calls (the naive loop runs over every start date)")
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

    rate = timed_calendar(cal, dates, args.calls)
    shuffled = dates[:]
    random.Random(7).shuffle(shuffled)
    rate_random = timed_calendar(cal, shuffled, args.calls // 2)

    # The naive ways are slow: time them over every start date once (and a sample), keeping
    # their answers to check the calendar against.
    with Rate(len(dates)) as naive_rate:
        by_loop = [naive(d) for d in dates]
    sample = random.Random(11).sample(dates, min(args.naive_calls, len(dates)))
    with Rate(len(sample)) as find_rate:
        by_find = [chinese_calendar.find_workday(WORKING_DAYS, d) for d in sample]
    disagree = sum(cal.add_working_days(d, WORKING_DAYS) != e for d, e in zip(dates, by_loop,
                                                                          strict=True))
    find_off = sum(cal.add_working_days(d, WORKING_DAYS) != e for d, e in zip(sample, by_find,
                                                                          strict=True))

    print(f"WorkingCalendar.add_working_days(d, 20): {rate} in date order, "
          f"{rate_random} in random order ({args.calls:,} calls)")
    print(f"naive is_workday loop:                   {naive_rate} ({len(dates):,} calls) "
          f"-> calendar {rate.cpu / naive_rate.cpu:,.0f}x faster per CPU-s")
    print(f"chinese_calendar.find_workday(20, d):    {find_rate} ({len(sample):,} calls) "
          f"-> calendar {rate.cpu / find_rate.cpu:,.0f}x faster per CPU-s")
    print(f"agreement: calendar vs naive loop differ on {disagree} of {len(dates):,} start "
          f"dates; calendar vs find_workday on {find_off} of {len(sample):,} (find_workday rolls a "
          f"non-working start day forward first, so it ends a day late after weekends/holidays)")
    print(f"summary (target >= {TARGET:,}/s): {rate.wall:,.0f}/s wall = "
          f"{rate.wall / TARGET:.1f}x the target ({rate.cpu / TARGET:.1f}x per CPU-s)")


if __name__ == "__main__":
    main()
