"""Statutory holidays: the provisional rule for any year, and the seed from `chinese_calendar`.

Pure: no I/O, no wall clock. Lunar dates come from `lunar_python` (astronomical computation,
not a typed-in table); the Qingming solar term from `chinese_calendar.get_solar_terms`. Both were
checked against each other and against every holiday in chinese_calendar's 2004-2026 data.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar
from lunar_python import Lunar

# Years the provisional rule can compute: get_solar_terms() refuses years outside 1900-2100,
# and the eve of 1900's Spring Festival would fall in 1899.
PROVISIONAL_MIN_YEAR = 1901
PROVISIONAL_MAX_YEAR = 2100

# Names in the order of 《全国年节及纪念日放假办法》, which is also the order used when two
# holidays fall on the same day (e.g. 中秋 on 2028-10-03 gives "中秋节、国庆节").
NEW_YEAR, SPRING, QINGMING, LABOUR = "元旦", "春节", "清明节", "劳动节"
DRAGON_BOAT, MID_AUTUMN, NATIONAL = "端午节", "中秋节", "国庆节"
_LAW_ORDER = (NEW_YEAR, SPRING, QINGMING, LABOUR, DRAGON_BOAT, MID_AUTUMN, NATIONAL)

# chinese_calendar names its holidays in English; map them to ours (anything else, such as
# the 2015 anti-fascist victory day, keeps the package's own Chinese name).
_H = chinese_calendar.Holiday
_PACKAGE_NAMES = {
    _H.new_years_day.value: NEW_YEAR,
    _H.spring_festival.value: SPRING,
    _H.tomb_sweeping_day.value: QINGMING,
    _H.labour_day.value: LABOUR,
    _H.dragon_boat_festival.value: DRAGON_BOAT,
    _H.mid_autumn_festival.value: MID_AUTUMN,
    _H.national_day.value: NATIONAL,
}


@dataclass(frozen=True)
class DayEntry:
    """One day whose status differs from the plain weekday rule, and the notice it came from."""

    working: bool
    name: str
    source: str


def _lunar_to_solar(year: int, month: int, day: int) -> date:
    # A positive month is the ordinary (non-leap) month, which is the one the festivals use.
    s = Lunar.fromYmd(year, month, day).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def qingming(year: int) -> date:
    """The day of the Qingming solar term (Beijing time), i.e. 4 or 5 April."""
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
    return next(d for d, name in terms if name == "清明")


@cache
def _statutory(year: int) -> tuple[tuple[date, str], ...]:
    if not PROVISIONAL_MIN_YEAR <= year <= PROVISIONAL_MAX_YEAR:
        raise ValueError(f"provisional holiday rule supports years "
                         f"{PROVISIONAL_MIN_YEAR}-{PROVISIONAL_MAX_YEAR}, not {year}")
    new_year = _lunar_to_solar(year, 1, 1)
    # 除夕 is the last day of the 12th lunar month (29th or 30th): simply the day before 初一.
    spring = [new_year + timedelta(days=k) for k in range(-1, 3)]
    days: list[tuple[date, str]] = [(date(year, 1, 1), NEW_YEAR)]
    days += [(d, SPRING) for d in spring]
    days += [(qingming(year), QINGMING)]
    days += [(date(year, 5, 1), LABOUR), (date(year, 5, 2), LABOUR)]
    days += [(_lunar_to_solar(year, 5, 5), DRAGON_BOAT), (_lunar_to_solar(year, 8, 15), MID_AUTUMN)]
    days += [(date(year, 10, k), NATIONAL) for k in (1, 2, 3)]
    merged: dict[date, list[str]] = {}
    for d, name in days:
        merged.setdefault(d, []).append(name)
    joined = {d: "、".join(sorted(ns, key=_LAW_ORDER.index)) for d, ns in merged.items()}
    return tuple(sorted(joined.items()))


def statutory_holidays(year: int) -> dict[date, str]:
    """The holidays《全国年节及纪念日放假办法》(2024 revision) fixes for `year`: date -> name.

    Only what the law fixes: no substitute days (补休) and no adjusted working weekends; those
    come from the State Council's notice, which replaces this rule once loaded. The 2024 rule is
    applied to every year, including years before 2025 (earlier revisions differed: no 除夕 in
    2014-2024, one-day 劳动节 in 2008-2024), so it is only meaningful for years with no notice.
    A 春节 day that is in the previous Gregorian year cannot happen (初一 is after 21 January).
    """
    return dict(_statutory(year))


def package_source() -> str:
    return f"chinese-calendar {importlib.metadata.version('chinese_calendar')}"


def seed_from_package(first_year: int = 2004, last_year: int = 2026) -> dict[date, DayEntry]:
    """Every day of those years that the official notices (as packaged) make differ from the
    weekday rule: holidays falling Monday-Friday and weekend days made working (调休上班)."""
    source = package_source()
    seed: dict[date, DayEntry] = {}
    day, end = date(first_year, 1, 1), date(last_year, 12, 31)
    while day <= end:
        is_rest, raw = chinese_calendar.get_holiday_detail(day)
        if is_rest == (day.weekday() < 5):  # differs from the weekday rule
            name = _PACKAGE_NAMES.get(raw) or _H(raw).chinese
            seed[day] = DayEntry(not is_rest, name if is_rest else f"{name}调休上班", source)
        day += timedelta(days=1)
    return seed
