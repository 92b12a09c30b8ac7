"""Published historical table-三 figures: read as given, checked by the check relations
(docs/report-format.md#checks) and the ledger."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from services.intake.domain.ledger import LedgerRow, read_ledger
from services.reporting.domain.published import PublishedError, read_published, warnings_for
from services.reporting.domain.report import COLUMNS, ROWS, table3

FIXTURES = Path(__file__).parents[1] / "fixtures"
HEADER = ("year,row,natural_person,commercial_enterprise,research_institution,"
          "public_interest_org,legal_service_org,other_org,total")
CROSS_YEAR_2020 = ("2020年公布的“二、上年结转”不等于2019年公布的“四、结转下年度继续办理”："
                   "自然人列 0 ≠ 1；总计列 0 ≠ 1")


def published(*lines: str) -> dict:
    return read_published("\n".join((HEADER, *lines)).encode())


def figures(rows: list[LedgerRow], years: range) -> dict[int, dict]:
    """What the system counts from ledger rows under docs/domain.md#counting (new in the year
    received, concluded in the year replied, open at 31 Dec carried forward)."""
    out = {}
    for year in years:
        cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for r in rows:
            column = r.applicant_type.value
            open_at = {y: r.received_on.year <= y and (r.replied_on is None
                                                       or r.replied_on.year > y)
                       for y in (year - 1, year)}
            cells["new"][column] += r.received_on.year == year
            cells["carried_over"][column] += open_at[year - 1]
            cells["carried_forward"][column] += open_at[year]
            if r.outcome and r.replied_on.year == year:
                cells[r.outcome][column] += 1
        out[year] = table3(cells)
    return out


def test_zhangdian_2020_is_reported_unbalanced_with_its_numbers():
    # Seed 003, 张店区民政局 2020, as published: the figures sit in the 其他 (法人或其他组织)
    # column and 总计; the 三(七) and 四 rows have only a 0 in 总计.
    table = published(
        "2020,一、本年新收政府信息公开申请数量,,,,,,2,2",
        "2020,二、上年结转政府信息公开申请数量,,,,,,1,1",
        "2020,（一）予以公开,,,,,,2,2",
        "2020,（二）部分公开（区分处理的，只计这一情形，不计其他情形）,,,,,,0,0",
        "2020,（六）其他处理,,,,,,,0",
        "2020,（七）总计,,,,,,,0",
        "2020,四、结转下年度继续办理,,,,,,,0",
    )
    assert warnings_for(table) == [
        "2020年公布的表三不平衡（一加二应等于三(七)加四）："
        "其他（法人或其他组织）列 2 + 1 ≠ 0 + 0；总计列 2 + 1 ≠ 0 + 0",
        "2020年公布的三(七)总计不等于21项办理结果之和："
        "其他（法人或其他组织）列 总计0，各项之和2；总计列 总计0，各项之和2",
    ]


def test_the_liaocheng_fixture_gives_exactly_the_2020_cross_year_warning():
    table = read_published((FIXTURES / "published_lc_mzj_2019_2021.csv").read_bytes())
    assert sorted(table) == [2019, 2020, 2021]
    assert table[2019]["new"] == {**dict.fromkeys(COLUMNS, 0), "natural_person": 7, "total": 7}
    assert table[2019]["unable.not_held"]["total"] == 3
    assert table[2020]["carried_over"]["total"] == 0 and table[2020]["total"]["total"] == 6
    assert warnings_for(table) == [CROSS_YEAR_2020]


def test_the_liaocheng_ledger_reproduces_2019_and_2021_and_differs_in_2020():
    rows = read_ledger((FIXTURES / "ledger_lc_mzj_2019_2021.csv").read_bytes(),
                       "ledger.csv", today=date(2025, 1, 10))
    computed = figures(rows, range(2019, 2022))
    assert warnings_for(computed) == []  # the system's own tables satisfy every relation
    assert computed[2020]["carried_over"]["total"] == 1 and computed[2020]["total"]["total"] == 7
    table = read_published((FIXTURES / "published_lc_mzj_2019_2021.csv").read_bytes())
    assert table[2019] == computed[2019] and table[2021] == computed[2021]
    assert warnings_for(table, computed) == [CROSS_YEAR_2020] + [
        f"2020年 {ROWS[row]} · {name}列：公布为{ours - 1}，系统根据台账计算为{ours}"
        for row, ours in (("carried_over", 1), ("disclosed", 7), ("total", 7))
        for name in ("自然人", "总计")
    ]


def test_differences_against_computed_are_listed_by_year_row_and_column():
    table = published("2021,new,10,0,0,0,0,0,10", "2021,disclosed,10,,,,,,10",
                      "2021,total,10,,,,,,10")
    computed = {2021: {"new": {"natural_person": 9, "legal_service_org": 1, "total": 10},
                       "disclosed": {"natural_person": 9, "legal_service_org": 1, "total": 10},
                       "total": {"natural_person": 9, "legal_service_org": 1, "total": 10}},
                2022: {"new": {"natural_person": 1, "total": 1}}}  # not published: nothing
    assert warnings_for(table, computed) == [
        f"2021年 {ROWS[row]} · {name}列：公布为{p}，系统根据台账计算为{c}"
        for row in ("new", "disclosed", "total")
        for name, p, c in (("自然人", 10, 9), ("法律服务机构", 0, 1))
    ]


def test_the_given_total_column_and_row_are_checked_not_recomputed():
    table = published("2022,new,3,1,0,0,0,0,3", "2022,disclosed,3,1,,,,,4",
                      "2022,total,3,1,,,,,5")
    assert warnings_for(table) == [
        "2022年公布的表三不平衡（一加二应等于三(七)加四）：总计列 3 + 0 ≠ 5 + 0",
        "2022年公布的三(七)总计不等于21项办理结果之和：总计列 总计5，各项之和4",
        "2022年公布的总计列不等于六类申请人之和：“一、本年新收政府信息公开申请数量”行 总计3，"
        "六类申请人之和4；“三(七)总计”行 总计5，六类申请人之和4",
    ]


def test_carried_over_is_compared_only_when_the_previous_year_is_present():
    assert warnings_for(published("2021,carried_over,2,,,,,,2", "2021,disclosed,2,,,,,,2",
                                  "2021,total,2,,,,,,2")) == []


def test_rows_by_key_or_label_every_cell_present_missing_ones_zero():
    table = published("2019,new,1,,,,,,1", "2019,三(三)1.属于国家秘密,1,,,,,,1",
                      "2019,Withheld.Third_Party,,,,,,,", "2019,结转下年度继续办理,,,,,,,")
    assert list(table[2019]) == list(ROWS)
    assert all(list(cells) == list(COLUMNS) for cells in table[2019].values())
    assert table[2019]["withheld.state_secret"] == {**dict.fromkeys(COLUMNS, 0),
                                                    "natural_person": 1, "total": 1}
    assert table[2019]["withheld.third_party"] == dict.fromkeys(COLUMNS, 0)


def test_chinese_column_headers_and_gb18030_are_accepted():
    data = ("年度,项目,自然人,商业企业,科研机构,社会公益组织,法律服务机构,其他,总计\n"
            "2019年,一、本年新收政府信息公开申请数量,1,,,,,2,3\n").encode("gb18030")
    assert read_published(data)[2019]["new"]["other_org"] == 2


def test_every_problem_is_reported_by_line_and_field():
    with pytest.raises(PublishedError) as caught:
        published("2019,new,1,x,,,,,1",
                  "19,new,1,,,,,,1",
                  "2019,本年度办理结果,,,,,,,",
                  "2019,一、本年新收政府信息公开申请数量,-1,,,,,,1")
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (2, "commercial_enterprise", "应为非负整数：x"),
        (3, "year", "年度无法识别：19"),
        (4, "row", "不是表三的行：本年度办理结果"),
        (5, "natural_person", "应为非负整数：-1"),
        (5, "row", "2019年“一、本年新收政府信息公开申请数量”与第2行重复"),
    ]
    with pytest.raises(PublishedError) as caught:
        read_published("年,row,natural_person,total\n2019,new,1,1\n".encode())
    assert {(p.field, p.message) for p in caught.value.problems} >= {
        ("年", "无法识别的列名“年”"), ("year", "缺少列“year”"), ("other_org", "缺少列“other_org”")}
