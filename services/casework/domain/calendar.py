"""The working-day calendar used for statutory deadlines. Pure: no I/O, never reads the clock.

A day is a working day per the loaded notice of its year (official years), else per the
provisional rule: Monday-Friday minus `statutory_holidays(year)`. An explicit override always
wins, whatever its year. Years before 2004 have no seeded notice, so they are provisional too
(computed with the 2024 law, which is anachronistic there).

"Within N working days from day D": the deadline is the N-th working day strictly after D;
D itself is never counted, working day or not (so no chinese_calendar.find_workday, which
rolls a non-working D forward first and ends one day late).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

from .holidays import DayEntry, seed_from_package, statutory_holidays

__all__ = ["DayEntry", "WorkingCalendar", "default_calendar"]


class _YearTable:
    """One year, precomputed so that counting is index arithmetic instead of a day loop."""

    __slots__ = ("jan1", "upto", "work")

    def __init__(self, jan1: int, upto: list[int], work: list[int]) -> None:
        self.jan1 = jan1  # ordinal of 1 January
        self.upto = upto  # upto[i]: number of working days in the year with ordinal <= jan1 + i
        self.work = work  # sorted ordinals of the year's working days


class WorkingCalendar:
    """Immutable; the per-year tables are an internal cache filled on first use."""

    def __init__(self, overrides: Mapping[date, DayEntry], official_years: Iterable[int]) -> None:
        self._overrides = MappingProxyType(dict(overrides))
        self._official = frozenset(official_years)
        self._tables: dict[int, _YearTable] = {}

    @property
    def overrides(self) -> Mapping[date, DayEntry]:
        return self._overrides

    @property
    def official_years(self) -> frozenset[int]:
        return self._official

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is None:
            # A race between threads only computes the same table twice; both are equal.
            table = self._tables[year] = self._build(year)
        return table

    def _build(self, year: int) -> _YearTable:
        holidays = {} if year in self._official else statutory_holidays(year)
        jan1 = date(year, 1, 1).toordinal()
        upto: list[int] = []
        work: list[int] = []
        for ordinal in range(jan1, date(year, 12, 31).toordinal() + 1):
            day = date.fromordinal(ordinal)
            entry = self._overrides.get(day)
            if entry is not None:
                working = entry.working
            else:
                working = day.weekday() < 5 and day not in holidays
            if working:
                work.append(ordinal)
            upto.append(len(work))
        return _YearTable(jan1, upto, work)

    def is_working_day(self, d: date) -> bool:
        t = self._table(d.year)
        i = d.toordinal() - t.jan1
        return t.upto[i] != (t.upto[i - 1] if i else 0)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after `start` (n == 0: `start` itself)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return start
        year = start.year
        t = self._table(year)
        # upto[...] working days of the year are <= start, so the first one after start sits at
        # that index of `work`, and the n-th at n - 1 further on, possibly in a later year.
        idx = t.upto[start.toordinal() - t.jan1] + n - 1
        while idx >= len(t.work):
            idx -= len(t.work)
            year += 1
            t = self._table(year)
        return date.fromordinal(t.work[idx])

    def working_days_between(self, after: date, until: date) -> int:
        """Number of working days d with after < d <= until (0 if until <= after)."""
        if until <= after:
            return 0
        ta = self._table(after.year)
        count = -ta.upto[after.toordinal() - ta.jan1]
        for year in range(after.year, until.year):
            count += len(self._table(year).work)
        tb = self._table(until.year)
        return count + tb.upto[until.toordinal() - tb.jan1]

    def is_provisional(self, d: date) -> bool:
        """True when no notice is loaded for d's year, so its status may still change."""
        return d.year not in self._official

    def provisional_years_touched(self, start: date, end: date) -> list[int]:
        """Non-official years containing any day of (start, end]; empty if end <= start.

        A due date counted from `start` is provisional iff this is non-empty for (start, due]:
        any day counted through could still move when that year's notice is loaded.
        """
        if end <= start:
            return []
        first = start.year + (start.month == 12 and start.day == 31)
        return [y for y in range(first, end.year + 1) if y not in self._official]

    def is_due_provisional(self, start: date, due: date) -> bool:
        return bool(self.provisional_years_touched(start, due))

    def with_year(self, year: int, overrides: Mapping[date, DayEntry]) -> WorkingCalendar:
        """A new calendar where `year`'s notice replaces what was there; `year` becomes official.

        Existing overrides dated in `year` are dropped and `overrides` added. A notice may also
        set days of a neighbouring year (the 2019 notice made 2018-12-29 working and 2018-12-31
        a holiday): such entries are applied too, on top of what that year had.
        """
        merged = {d: e for d, e in self._overrides.items() if d.year != year}
        merged.update(overrides)
        cal = WorkingCalendar(merged, self._official | {year})
        # Year tables not touched by the change stay valid: share them.
        touched = {year} | {d.year for d in overrides}
        cal._tables.update((y, t) for y, t in self._tables.items() if y not in touched)
        return cal


def default_calendar() -> WorkingCalendar:
    """Seeded from the chinese_calendar package: 2004-2026 official, other years provisional."""
    first, last = 2004, 2026
    return WorkingCalendar(seed_from_package(first, last), range(first, last + 1))


# The provisional rule as the calendar's pages and API name it (docs/decisions.md, issue 16).
PROVISIONAL_SOURCE = "暂定：法定节假日（《全国年节及纪念日放假办法》）"
PROVISIONAL_RULE = ("周一至周五为工作日，周六、周日休息；《全国年节及纪念日放假办法》（2024年修订）"
                    "规定的全体公民放假的节日放假。适逢周六、周日的节日，其补假以及调休上班的日期"
                    "由国务院办公厅通知确定，暂不计入；通知加载后按通知重新计算。")


def provisional_days(cal: WorkingCalendar, year: int) -> list[dict]:
    """The days of a year with no loaded notice that are not plain weekdays or weekends under
    the provisional rule: its statutory holidays (those on a weekend too, which give no day
    off in the meantime), and any day a neighbouring year's notice set."""
    days = {d: {"date": d, "working": False, "name": name, "rule": "statutory",
                "weekend": d.weekday() >= 5}
            for d, name in statutory_holidays(year).items()}
    for d, entry in cal.overrides.items():
        if d.year == year:
            days[d] = {"date": d, "working": entry.working, "name": entry.name,
                       "rule": "notice", "source": entry.source, "weekend": d.weekday() >= 5}
    return [days[d] for d in sorted(days)]
