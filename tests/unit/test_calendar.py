from datetime import date, timedelta
from importlib.metadata import version

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunar_python import Solar

from services.casework.domain.calendar import DayEntry, WorkingCalendar, default_calendar
from services.casework.domain.holidays import _PACKAGE_NAMES, seed_from_package, statutory_holidays

CAL = default_calendar()
D = date.fromisoformat


@pytest.mark.parametrize(("start", "n", "due"), [
    ("2025-09-22", 7, "2025-09-30"), ("2025-09-22", 20, "2025-10-24"),
    ("2025-09-22", 40, "2025-11-21"),
    ("2025-09-27", 20, "2025-10-30"),  # a Saturday: day D is never counted
    ("2024-02-05", 20, "2024-03-08"), ("2024-03-08", 20, "2024-04-08"),
])
def test_worked_examples(start, n, due):
    assert CAL.add_working_days(D(start), n) == D(due)
    assert CAL.working_days_between(D(start), D(due)) == n


def test_official_days():
    assert CAL.is_working_day(D("2024-02-04"))  # Sunday, 调休上班
    assert not any(CAL.is_working_day(D("2024-02-10") + timedelta(k)) for k in range(8))
    assert not any(CAL.is_working_day(D("2025-10-01") + timedelta(k)) for k in range(8))
    assert CAL.is_working_day(D("2025-09-28")) and CAL.is_working_day(D("2025-10-11"))
    assert not CAL.is_provisional(D("2026-12-31")) and CAL.is_provisional(D("2027-01-01"))


def test_every_seeded_day_matches_the_package():
    day = D("2004-01-01")
    while day.year <= 2026:
        assert CAL.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(1)
    seed = seed_from_package(2024, 2024)
    source = f"chinese-calendar {version('chinese_calendar')}"  # e.g. "chinese-calendar 1.11.0"
    assert seed[D("2024-02-04")] == DayEntry(True, "春节调休上班", source)
    assert seed[D("2024-02-12")].name == "春节" and D("2024-02-10") not in seed  # weekend


def _fixed_by_law_in_force(year: int) -> dict[date, str]:
    """The days of statutory_holidays(year) that the revision in force in `year` also fixed:
    1999 rule (-2007) no 清明/端午/中秋, 春节 初一-初三; 2007 rule (2008-2013) 春节 除夕-初二,
    劳动节 May 1; 2013 rule (2014-2024) 春节 初一-初三, 劳动节 May 1; 2024 rule (2025-) all."""
    days = statutory_holidays(year)
    spring = sorted(d for d, name in days.items() if name == "春节")
    drop = {D(f"{year}-05-02")} if year < 2025 else set()
    drop |= {spring[3]} if 2008 <= year <= 2013 else {spring[0]} if year < 2025 else set()
    if year < 2008:
        drop |= {d for d, n in days.items() if n in ("清明节", "端午节", "中秋节")}
    return {d: n for d, n in days.items() if d not in drop}


@pytest.mark.parametrize("year", range(2004, 2027))
def test_statutory_rule_agrees_with_official_notices(year):
    for day, name in _fixed_by_law_in_force(year).items():
        rest, raw = chinese_calendar.get_holiday_detail(day)
        assert rest, (day, name)
        # The package leaves some weekend holidays unnamed (端午 Saturday 2012-06-23);
        # "中秋节、国庆节" (2009, 2020) matches the package's single name for that day.
        if raw is not None or day.weekday() < 5:
            assert _PACKAGE_NAMES[raw] in name.split("、"), (day, name, raw)


def test_statutory_holidays_2027_and_collisions():
    assert statutory_holidays(2027) == {
        D("2027-01-01"): "元旦", D("2027-02-05"): "春节", D("2027-02-06"): "春节",
        D("2027-02-07"): "春节", D("2027-02-08"): "春节", D("2027-04-05"): "清明节",
        D("2027-05-01"): "劳动节", D("2027-05-02"): "劳动节", D("2027-06-09"): "端午节",
        D("2027-09-15"): "中秋节", D("2027-10-01"): "国庆节", D("2027-10-02"): "国庆节",
        D("2027-10-03"): "国庆节"}
    assert statutory_holidays(2028)[D("2028-10-03")] == "中秋节、国庆节"
    with pytest.raises(ValueError):
        statutory_holidays(2101)


# 初一 / 端午 / 中秋, agreed by lunar_python 1.4.8, lunardate 0.3.0 and zhdate when written.
@pytest.mark.parametrize(("year", "spring", "dragon", "autumn"), [
    (2030, "2030-02-03", "2030-06-05", "2030-09-12"),
    (2040, "2040-02-12", "2040-06-14", "2040-09-20"),
    (2050, "2050-01-23", "2050-06-23", "2050-09-30"),
    (2060, "2060-02-02", "2060-06-03", "2060-09-09"),
])
def test_lunar_dates_later_years(year, spring, dragon, autumn):
    days = statutory_holidays(year)
    assert days[D(spring)] == days[D(spring) - timedelta(1)] == "春节"
    assert days[D(dragon)] == "端午节" and days[D(autumn)] == "中秋节"


@pytest.mark.parametrize("year", range(2027, 2061))
def test_provisional_rule_is_sane(year):
    days = statutory_holidays(year)
    eve = min(d for d, n in days.items() if n == "春节")
    assert D(f"{year}-01-20") <= eve <= D(f"{year}-02-19")
    # Ranges of the lunar dates over 1950-2099: 端午 05-27..06-25, 中秋 09-07..10-07.
    dragon = next(d for d, n in days.items() if n == "端午节")
    autumn = next(d for d, n in days.items() if "中秋节" in n)
    assert D(f"{year}-05-27") <= dragon <= D(f"{year}-06-25")
    assert D(f"{year}-09-07") <= autumn <= D(f"{year}-10-07")
    # Qingming from chinese_calendar's formula agrees with lunar_python's astronomical table.
    jieqi = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    assert days[D(jieqi.toYmd())] == "清明节"


def test_provisional_year_count():
    # From Fri 2026-12-25 (2026 official, 2027 provisional): 12-28..31 are 1-4; 2027-01-01 元旦;
    # 01-04..08 are 5-9; 01-11..15 10-14; 01-18..22 15-19; Mon 01-25 is the 20th.
    due = CAL.add_working_days(D("2026-12-25"), 20)
    assert due == D("2027-01-25")
    assert CAL.is_provisional(due) and CAL.is_due_provisional(D("2026-12-25"), due)
    assert CAL.provisional_years_touched(D("2026-12-25"), due) == [2027]
    assert CAL.provisional_years_touched(D("2026-12-31"), D("2027-01-01")) == [2027]
    assert not CAL.is_due_provisional(D("2026-11-20"), D("2026-12-31"))
    assert not CAL.is_working_day(D("2027-02-05")) and CAL.is_working_day(D("2027-02-09"))


def test_with_year_loads_and_corrects():
    # A made-up 2027 notice that adds 补休 on Monday 2027-01-04: the due date moves a day.
    src = "test notice"
    cal = CAL.with_year(2027, {D("2027-01-01"): DayEntry(False, "元旦", src),
                               D("2027-01-04"): DayEntry(False, "元旦", src)})
    assert cal.add_working_days(D("2026-12-25"), 20) == D("2027-01-26")
    assert not cal.is_provisional(D("2027-01-26")) and 2027 in cal.official_years
    # Official 2027 without 春节 entries: the provisional 除夕..初三 no longer apply.
    assert cal.is_working_day(D("2027-02-05"))
    # Correcting an official year: 2025-10-08 made a working day shortens the count by one.
    fixed = {d: e for d, e in CAL.overrides.items() if d.year == 2025 and d != D("2025-10-08")}
    assert CAL.with_year(2025, fixed).add_working_days(D("2025-09-22"), 20) == D("2025-10-23")
    assert CAL.add_working_days(D("2025-09-22"), 20) == D("2025-10-24")  # original unchanged


def test_edge_cases():
    assert CAL.add_working_days(D("2024-02-10"), 0) == D("2024-02-10")
    with pytest.raises(ValueError):
        CAL.add_working_days(D("2024-02-10"), -1)
    assert CAL.working_days_between(D("2025-10-08"), D("2025-10-01")) == 0
    assert CAL.working_days_between(D("2025-09-30"), D("2025-10-08")) == 0
    assert WorkingCalendar({}, []).add_working_days(D("1990-12-31"), 1) == D("1991-01-02")


dates = st.dates(min_value=D("2004-01-01"), max_value=D("2060-12-31"))
counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=300)
@given(dates, dates, counts, counts)
def test_properties(d1, d2, n, m):
    add = CAL.add_working_days
    assert add(add(d1, n), m) == add(d1, n + m)
    assert CAL.working_days_between(d1, add(d1, n)) == n
    if n >= 1:
        assert add(d1, n) > d1 and CAL.is_working_day(add(d1, n))
    lo, hi = min(d1, d2), max(d1, d2)
    assert add(lo, n) <= add(hi, n)


@settings(max_examples=300)
@given(dates, st.integers(min_value=0, max_value=400))
def test_between_against_day_by_day(a, k):
    b = a + timedelta(k)
    days = [a + timedelta(i) for i in range(1, k + 1)]
    worked = [d for d in days if CAL.is_working_day(d)]
    assert CAL.working_days_between(a, b) == len(worked)
    if worked:
        assert CAL.add_working_days(a, len(worked)) == worked[-1]
        assert CAL.add_working_days(a, 1) == worked[0]
    for d in days:  # provisional years follow weekends + statutory_holidays
        if CAL.is_provisional(d):
            rule = d.weekday() < 5 and d not in statutory_holidays(d.year)
            assert CAL.is_working_day(d) == rule


def test_many_calls_are_fast():
    start, add = D("2025-01-01"), CAL.add_working_days
    for i in range(100_000):
        add(start + timedelta(i % 3000), i % 61)
