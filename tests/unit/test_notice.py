from datetime import date, timedelta

import pytest

from services.casework.domain.calendar import DayEntry, default_calendar
from services.casework.domain.holidays import package_source
from services.casework.domain.notice import (
    Notice,
    NoticeError,
    days_in_year_changed,
    notice_from_package,
    parse_notice,
)

CAL = default_calendar()
D = date.fromisoformat

# FICTIONAL test fixture: no 2027 notice exists yet. The holidays are the provisional statutory
# days the calendar computes for 2027 (元旦 Fri 01-01, 除夕 Fri 02-05, 清明 Mon 04-05, 劳动节
# Sat-Sun 05-01/02, 端午 Wed 06-09, 中秋 Wed 09-15, 国庆 Fri-Sun 10-01/03), arranged the way recent
# notices arrange such weekdays (cf. 2021, whose 劳动节 and 国庆 fell the same way).
NOTICE_2027 = """\
year: 2027
notice: 国办发明电〔2026〕99号 国务院办公厅关于2027年部分节假日安排的通知（虚构，仅供测试）
holidays:
  - name: 元旦
    from: 2027-01-01
    to: 2027-01-03
  - name: 春节
    from: 2027-02-05
    to: 2027-02-12
  - name: 清明节
    from: 2027-04-03
    to: 2027-04-05
  - name: 劳动节
    from: 2027-05-01
    to: 2027-05-05
  - name: 端午节
    from: 2027-06-09
    to: 2027-06-09
  - name: 中秋节
    from: "2027-09-15"      # quoted dates are accepted too
    to: "2027-09-15"
  - name: 国庆节
    from: 2027-10-01
    to: 2027-10-07
working_days:
  - date: 2027-02-14        # Sunday
    name: 春节调休上班
  - date: 2027-02-20        # Saturday
    name: 春节调休上班
  - date: 2027-04-25        # Sunday
    name: 劳动节调休上班
  - date: 2027-05-08        # Saturday
    name: 劳动节调休上班
  - date: 2027-09-26        # Sunday
    name: 国庆节调休上班
  - date: 2027-10-09        # Saturday
    name: 国庆节调休上班
"""
TITLE_2027 = "国办发明电〔2026〕99号 国务院办公厅关于2027年部分节假日安排的通知（虚构，仅供测试）"

# The real 2024 notice (国办发明电〔2023〕7号), to check the format against the package's data.
NOTICE_2024 = """\
year: 2024
notice: 国办发明电〔2023〕7号 国务院办公厅关于2024年部分节假日安排的通知
holidays:
  - {name: 元旦, from: 2024-01-01, to: 2024-01-01}
  - {name: 春节, from: 2024-02-10, to: 2024-02-17}
  - {name: 清明节, from: 2024-04-04, to: 2024-04-06}
  - {name: 劳动节, from: 2024-05-01, to: 2024-05-05}
  - {name: 端午节, from: 2024-06-10, to: 2024-06-10}
  - {name: 中秋节, from: 2024-09-15, to: 2024-09-17}
  - {name: 国庆节, from: 2024-10-01, to: 2024-10-07}
working_days:
  - {date: 2024-02-04, name: 春节调休上班}
  - {date: 2024-02-18, name: 春节调休上班}
  - {date: 2024-04-07, name: 清明节调休上班}
  - {date: 2024-04-28, name: 劳动节调休上班}
  - {date: 2024-05-11, name: 劳动节调休上班}
  - {date: 2024-09-14, name: 中秋节调休上班}
  - {date: 2024-09-29, name: 国庆节调休上班}
  - {date: 2024-10-12, name: 国庆节调休上班}
"""


def _span(first: str, last: str) -> list[date]:
    return [D(first) + timedelta(k) for k in range((D(last) - D(first)).days + 1)]


def test_parse_2027():
    notice = parse_notice(NOTICE_2027)
    assert isinstance(notice, Notice)
    assert (notice.year, notice.title) == (2027, TITLE_2027)
    assert len(notice.days) == 3 + 8 + 3 + 5 + 1 + 1 + 7 + 6  # holiday days + working days
    assert list(notice.days) == sorted(notice.days)
    assert notice.days[D("2027-02-09")] == DayEntry(False, "春节", TITLE_2027)  # Tuesday
    # Weekend days inside a holiday are recorded too, so the notice is kept whole.
    assert notice.days[D("2027-01-02")] == DayEntry(False, "元旦", TITLE_2027)  # Saturday
    assert notice.days[D("2027-02-14")] == DayEntry(True, "春节调休上班", TITLE_2027)
    assert notice.days[D("2027-09-15")] == DayEntry(False, "中秋节", TITLE_2027)
    assert D("2027-02-13") not in notice.days  # a plain Saturday


def test_applying_2027_makes_it_official_and_moves_deadlines():
    notice = parse_notice(NOTICE_2027)
    official = CAL.with_year(2027, notice.days)
    start = D("2027-01-29")  # a Friday
    # Provisional: working days after Fri 01-29 are Mon-Thu 02-01..04 (1-4); 02-05 除夕 and
    # Mon 02-08 初三 are statutory holidays; Tue-Fri 02-09..12 (5-8), Mon 02-15 (9), Tue 02-16 (10).
    assert CAL.add_working_days(start, 10) == D("2027-02-16")
    assert CAL.is_due_provisional(start, D("2027-02-16"))
    # Official: 02-01..04 (1-4), rest 02-05..13, Sun 02-14 调休上班 (5), Mon-Fri 02-15..19 (6-10).
    assert official.add_working_days(start, 10) == D("2027-02-19")
    assert not official.is_due_provisional(start, D("2027-02-19"))
    assert 2027 in official.official_years


def test_days_changed_by_the_2027_notice():
    official = CAL.with_year(2027, parse_notice(NOTICE_2027).days)
    changed = days_in_year_changed(CAL, official, D("2026-12-01"), D("2028-01-31"))
    # Weekdays the provisional rule had as working, now rest: the extra 春节, 劳动节 and 国庆 days.
    # Weekend days now working: the six 调休上班 days. Statutory days (01-01, 02-05, 02-08, 04-05,
    # 06-09, 09-15, 10-01) and holiday weekends were rest either way.
    assert changed == [
        *_span("2027-02-09", "2027-02-12"), D("2027-02-14"), D("2027-02-20"),
        D("2027-04-25"), *_span("2027-05-03", "2027-05-05"), D("2027-05-08"),
        D("2027-09-26"), *_span("2027-10-04", "2027-10-07"), D("2027-10-09"),
    ]
    assert days_in_year_changed(official, CAL, D("2027-02-01"), D("2027-02-28")) == [
        *_span("2027-02-09", "2027-02-12"), D("2027-02-14"), D("2027-02-20"),
    ]
    assert days_in_year_changed(CAL, CAL, D("2027-01-01"), D("2027-12-31")) == []
    assert days_in_year_changed(CAL, official, D("2027-02-20"), D("2027-02-14")) == []  # empty


def test_real_2024_notice_matches_the_package():
    notice = parse_notice(NOTICE_2024)
    reloaded = CAL.with_year(2024, notice.days)
    assert days_in_year_changed(CAL, reloaded, D("2023-12-01"), D("2025-01-31")) == []


def test_notice_may_reach_into_the_previous_december():
    # The 2019 notice: 2018-12-30..2019-01-01 元旦, Saturday 2018-12-29 worked.
    notice = parse_notice("""
year: 2019
notice: 国办发明电〔2018〕15号 国务院办公厅关于2019年部分节假日安排的通知
holidays:
  - {name: 元旦, from: 2018-12-30, to: 2019-01-01}
working_days:
  - {date: 2018-12-29, name: 元旦调休上班}
""")
    assert notice.days[D("2018-12-31")] == DayEntry(False, "元旦", notice.title)
    assert notice.days[D("2018-12-29")].working
    plain = default_calendar().with_year(2018, {})  # 2018 without any notice days
    assert not plain.is_working_day(D("2018-12-29")) and plain.is_working_day(D("2018-12-31"))
    loaded = plain.with_year(2019, notice.days)
    assert loaded.is_working_day(D("2018-12-29")) and not loaded.is_working_day(D("2018-12-31"))


def _problems(text: str) -> list[str]:
    with pytest.raises(NoticeError) as info:
        parse_notice(text)
    assert str(info.value).startswith("invalid holiday notice: ")
    assert isinstance(info.value, ValueError)
    return info.value.problems


def _edit(old: str, new: str) -> str:
    assert old in NOTICE_2027
    return NOTICE_2027.replace(old, new, 1)


@pytest.mark.parametrize(("text", "problem"), [
    (_edit("to: 2027-02-12", "to: 2027-02-01"),
     "holidays[1].to: 2027-02-01 is before from (2027-02-05)"),
    (_edit("date: 2027-02-14", "date: 2027-02-10"),
     "working_days[0].date: 2027-02-10 is a weekday, an adjusted working day is a weekend day"),
    (_edit("from: 2027-04-03", "from: 2027-02-12"), "holidays[2]: overlaps holidays[1]"),
    (_edit("year: 2027", "year: 2003"), "year: must be between 2004 and 2100, got 2003"),
    (_edit("year: 2027", "year: 2101"), "year: must be between 2004 and 2100, got 2101"),
    (_edit("year: 2027", 'year: "2027"'), "year: must be between 2004 and 2100, got '2027'"),
    (_edit("year: 2027\n", ""), "year: must be between 2004 and 2100, got None"),
    (_edit("from: 2027-01-01", "from: 2026-11-30"),
     "holidays[0].from: 2026-11-30 is outside 2026-12-01..2027-12-31"),
    (_edit("to: 2027-10-07", "to: 2028-01-02"),
     "holidays[6].to: 2028-01-02 is outside 2026-12-01..2027-12-31"),
    (_edit("date: 2027-10-09", "date: 2026-11-29"),
     "working_days[5].date: 2026-11-29 is outside 2026-12-01..2027-12-31"),
    (_edit("date: 2027-02-14", "date: 2027-02-06"),
     "working_days[0].date: 2027-02-06 is already listed in holidays[1]"),
    (_edit("date: 2027-02-20", "date: 2027-02-14"),
     "working_days[1].date: 2027-02-14 is already listed in working_days[0]"),
    (_edit("to: 2027-01-03", "to: 2027-02-30"),
     "holidays[0].to: expected a date YYYY-MM-DD, got '2027-02-30'"),
    (_edit("date: 2027-02-14", "date: 2027-02-14 09:00:00"),
     "working_days[0].date: expected a date YYYY-MM-DD, got '2027-02-14 09:00:00'"),
    (_edit("date: 2027-02-14", "date: 20270214"),
     "working_days[0].date: expected a date YYYY-MM-DD, got 20270214"),
    (_edit("    to: 2027-01-03\n", ""), "holidays[0].to: expected a date YYYY-MM-DD, got None"),
    (_edit("  - name: 元旦", "  - name: ' '"), "holidays[0].name: required, a non-empty text"),
    (_edit("    name: 春节调休上班\n", "", ), "working_days[0].name: required, a non-empty text"),
    (_edit("    to: 2027-01-03\n", "    to: 2027-01-03\n    until: 2027-01-04\n"),
     "holidays[0]: unknown keys ['until']"),
    (_edit("working_days:", "working_day:"),
     "unknown keys ['working_day']; expected year, notice, holidays, working_days"),
    (_edit("notice: 国办发明电", "notice:\nx: 国办发明电"), "notice: required"),
    (NOTICE_2027.split("holidays:")[0], "holidays: required, at least one holiday range"),
    (_edit("holidays:", "holidays: 元旦\nold_holidays:"), "holidays: expected a list"),
    (_edit("  - name: 元旦\n", "  - 元旦\n  - name: 元旦\n"),
     "holidays[0]: expected a mapping with name, from, to"),
    ("year: [2027", "not valid YAML"),
    ("- 2027", "expected a mapping with keys year, notice, holidays, working_days"),
])
def test_errors_name_the_field(text, problem):
    problems = _problems(text)
    assert any(p.startswith(problem) for p in problems), problems


def test_every_problem_is_reported_at_once():
    text = _edit("year: 2027", "year: 1999")
    text = text.replace("date: 2027-02-14", "date: 2027-02-10").replace("to: 2027-02-12", "to: x")
    problems = _problems(text)
    assert problems[0].startswith("year: must be between 2004 and 2100")
    assert "holidays[1].to: expected a date YYYY-MM-DD, got 'x'" in problems
    assert any(p.startswith("working_days[0].date: 2027-02-10 is a weekday") for p in problems)
    # With no valid year there is no window to check dates against: no "outside" noise.
    assert not any("outside" in p for p in problems)


def test_december_of_the_previous_year_is_allowed_but_no_earlier():
    ok = parse_notice(_edit("from: 2027-01-01", "from: 2026-12-01"))
    assert ok.days[D("2026-12-01")] == DayEntry(False, "元旦", TITLE_2027)
    assert D("2026-11-30") not in ok.days


def test_package_notice_2024():
    notice = notice_from_package(2024)
    source = package_source()
    assert (notice.year, notice.title) == (2024, source)
    assert notice.days[D("2024-02-04")] == DayEntry(True, "春节调休上班", source)  # Sunday
    for day in _span("2024-02-10", "2024-02-17"):  # Saturday to Saturday, all rest
        assert notice.days[day] == DayEntry(False, "春节", source), day
    assert D("2024-02-03") not in notice.days  # a plain Saturday
    # "1月1日放假，与周末连休": the package records the weekend before as 元旦 too.
    assert [d for d in notice.days if d.year < 2024] == [D("2023-12-30"), D("2023-12-31")]


def test_package_notice_2019_reaches_back():
    days = notice_from_package(2019).days
    assert days[D("2018-12-29")].working and days[D("2018-12-29")].name == "元旦调休上班"
    assert days[D("2018-12-30")] == DayEntry(False, "元旦", package_source())  # Sunday
    assert days[D("2018-12-31")] == DayEntry(False, "元旦", package_source())
    assert min(days) == D("2018-12-29")


@pytest.mark.parametrize("year", range(2004, 2027))
def test_package_notice_round_trip(year):
    notice = notice_from_package(year)
    assert notice.days and all(e.source == notice.title for e in notice.days.values())
    reloaded = CAL.with_year(year, notice.days)
    assert days_in_year_changed(CAL, reloaded, date(year - 1, 12, 1), date(year, 12, 31)) == []


@pytest.mark.parametrize("year", [2003, 2027])
def test_package_notice_outside_the_package(year):
    with pytest.raises(ValueError, match="covers 2004-2026"):
        notice_from_package(year)
