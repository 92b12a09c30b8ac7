"""A State Council holiday notice (国务院办公厅关于XXXX年部分节假日安排的通知) as data. Pure.

A city administrator loads each year's notice, or corrects a year, from a YAML file (UTF-8):

    year: 2027                  # the year the notice is for, 2004-2100
    notice: 国办发明电〔2026〕X号 国务院办公厅关于2027年部分节假日安排的通知
    holidays:                   # rest days (放假), required, at least one
      - name: 元旦
        from: 2027-01-01        # inclusive range; may include weekend days
        to: 2027-01-03          # a one-day holiday has to == from
      - name: 春节
        from: 2027-02-05
        to: 2027-02-12
    working_days:               # adjusted working days (调休上班), optional
      - date: 2027-02-14
        name: 春节调休上班

Rules; every violation is reported, naming its field (NoticeError.problems):
- dates are YYYY-MM-DD, from 1 December of the previous year to 31 December of `year`: a notice
  may reach back (the 2019 notice made Monday 2018-12-31 a holiday and Saturday 2018-12-29 a
  working day), never into the next year, which is the next notice's business;
- a holiday's `to` is not before its `from`, and holidays do not overlap;
- an adjusted working day is a Saturday or Sunday, listed once, and not inside a holiday;
- unknown keys are errors, so that a misspelt `working_day:` cannot silently drop days.
The file is the whole notice for its year, not a difference: loading it replaces the year
(WorkingCalendar.with_year). Mid-year amendments are loaded as a corrected complete file.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
import yaml

from .calendar import DayEntry, WorkingCalendar
from .holidays import _PACKAGE_NAMES, NEW_YEAR, package_source, seed_from_package

__all__ = ["Notice", "NoticeError", "days_in_year_changed", "notice_from_package", "parse_notice"]

MIN_YEAR, MAX_YEAR = 2004, 2100  # 2004: first packaged notice; 2100: end of the provisional rule
PACKAGE_YEARS = range(2004, 2027)  # what chinese_calendar covers (it raises outside)
_KEYS = ("year", "notice", "holidays", "working_days")


class _Loader(yaml.SafeLoader):
    """Keeps dates as text: PyYAML's own date parsing raises a bare ValueError on 2027-02-30,
    which could not name the field; and a time of day then fails like any other non-date."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


class NoticeError(ValueError):
    """A notice file that cannot be loaded; `problems` lists every fault found, by field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid holiday notice: " + "; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Notice:
    """`days`: every date the notice sets, sorted: its holidays (weekend days included, so the
    notice is recorded fully) as not working, its adjusted working days as working."""

    year: int
    title: str
    days: dict[date, DayEntry]


def _date(item: dict, key: str, where: str, window: tuple[date, date] | None,
          problems: list[str]) -> date | None:
    value = item.get(key)
    if isinstance(value, str) and len(value) == 10:  # YYYY-MM-DD only, not ISO's other forms
        with contextlib.suppress(ValueError):
            value = date.fromisoformat(value)
    if not isinstance(value, date):
        problems.append(f"{where}.{key}: expected a date YYYY-MM-DD, got {value!r}")
    elif window and not window[0] <= value <= window[1]:
        problems.append(f"{where}.{key}: {value} is outside {window[0]}..{window[1]} (a notice "
                        f"may reach back to 1 December of the previous year, not further)")
    else:
        return value
    return None  # also when the year is bad (window None): reported under `year`


def _entries(doc: dict, key: str, fields: tuple[str, ...], problems: list[str]) -> list:
    items = doc.get(key) or []  # `working_days:` with nothing under it is an empty list
    if not isinstance(items, list):
        problems.append(f"{key}: expected a list")
        return []
    found = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with {', '.join(fields)}")
            continue
        if extra := sorted(str(k) for k in item if k not in fields):
            problems.append(f"{where}: unknown keys {extra}")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}.name: required, a non-empty text")
        found.append((where, item, str(name).strip()))
    return found


def parse_notice(text: str) -> Notice:
    """Read one notice file (format above); raises NoticeError listing every problem."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        raise NoticeError([f"not valid YAML: {exc}"]) from exc
    if not isinstance(doc, dict):
        raise NoticeError([f"expected a mapping with keys {', '.join(_KEYS)}"])
    problems: list[str] = []
    if extra := sorted(str(k) for k in doc if k not in _KEYS):
        problems.append(f"unknown keys {extra}; expected {', '.join(_KEYS)}")
    year, title, window = doc.get("year"), doc.get("notice"), None
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"year: must be between {MIN_YEAR} and {MAX_YEAR}, got {year!r}")
    else:
        window = (date(year - 1, 12, 1), date(year, 12, 31))
    if not isinstance(title, str) or not title.strip():
        problems.append("notice: required, the notice's number and title")
    title = str(title).strip()
    if not doc.get("holidays"):
        problems.append("holidays: required, at least one holiday range")

    days: dict[date, DayEntry] = {}
    listed: dict[date, str] = {}  # date -> the entry that set it, for error messages
    ranges: list[tuple[str, date, date]] = []
    for where, item, name in _entries(doc, "holidays", ("name", "from", "to"), problems):
        start = _date(item, "from", where, window, problems)
        end = _date(item, "to", where, window, problems)
        if start is None or end is None:
            continue
        if end < start:
            problems.append(f"{where}.to: {end} is before from ({start})")
            continue
        problems += [f"{where}: overlaps {w}" for w, s, e in ranges if start <= e and s <= end]
        ranges.append((where, start, end))
        for d in (start + timedelta(k) for k in range((end - start).days + 1)):
            listed.setdefault(d, where)
            days.setdefault(d, DayEntry(False, name, title))
    for where, item, name in _entries(doc, "working_days", ("date", "name"), problems):
        d = _date(item, "date", where, window, problems)
        if d is None:
            continue
        if d.weekday() < 5:
            problems.append(f"{where}.date: {d} is a weekday, an adjusted working day is a "
                            f"weekend day")
        elif d in listed:  # inside a holiday, or a second time
            problems.append(f"{where}.date: {d} is already listed in {listed[d]}")
        else:
            listed[d] = where
            days[d] = DayEntry(True, name, title)
    if problems:
        raise NoticeError(problems)
    return Notice(year, title, dict(sorted(days.items())))


def notice_from_package(year: int) -> Notice:
    """The notice for `year` as chinese_calendar has it (2004-2026), titled by package version.

    The package files a notice's reach into December under the earlier year, so this takes the
    previous December's 元旦 days (the only arrangement that ever reached back) and, likewise,
    keeps `year`'s own December 元旦 days that belong to the next notice: loading the result
    with `with_year` then reproduces the seeded calendar exactly.
    """
    if year not in PACKAGE_YEARS:
        raise ValueError(f"chinese_calendar covers {PACKAGE_YEARS[0]}-{PACKAGE_YEARS[-1]}, "
                         f"not {year}")
    title = package_source()
    first = date(year - 1, 12, 1) if year > PACKAGE_YEARS[0] else date(year, 1, 1)

    def wanted(d: date, name: str) -> bool:  # names: 元旦, or 元旦调休上班 for a working day
        return d >= first and (d.year == year or name.startswith(NEW_YEAR))

    days = {d: e for d, e in seed_from_package(first.year, year).items() if wanted(d, e.name)}
    # The seed holds only days that differ from the weekday rule; add each holiday's weekend
    # days as parse_notice does, so a notice has the same shape whichever way it was loaded.
    d = first
    while d.year <= year:
        is_rest, raw = chinese_calendar.get_holiday_detail(d) if d.weekday() >= 5 else (0, 0)
        if is_rest and raw:  # a weekend day inside a named holiday, not a plain weekend
            name = _PACKAGE_NAMES.get(raw) or chinese_calendar.Holiday(raw).chinese
            if wanted(d, name):
                days[d] = DayEntry(False, name, title)
        d += timedelta(days=1)
    return Notice(year, title, dict(sorted(days.items())))


def days_in_year_changed(
    old: WorkingCalendar, new: WorkingCalendar, start: date, end: date
) -> list[date]:
    """The dates in [start, end] that are working in one calendar and not in the other: what a
    reload changes, so that only open cases whose counting crosses one of them are recomputed."""
    days = (start + timedelta(k) for k in range((end - start).days + 1))
    return [d for d in days if old.is_working_day(d) != new.is_working_day(d)]
