"""The ledger (台账) import: every row read into the facts of a case, or every problem reported."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from services.casework.domain.outcomes import OUTCOMES as CASEWORK_OUTCOMES
from services.intake.domain.ledger import LedgerError, Problem, label_key, read_ledger
from services.reporting.domain.report import OUTCOMES
from shared.contracts.applications import ApplicantType, Channel

FIXTURE = Path(__file__).parents[1] / "fixtures" / "ledger_lc_mzj_2019_2021.csv"
TODAY = date(2025, 1, 10)
HEADER = ("序号,受理编号,收到申请日期,申请方式,申请人类型,申请人,证件号码,申请内容,处理结果,"
          "答复日期,收费金额")
GOOD = "1,A-1,2024-03-01,网上,自然人,申请人01,,低保名单,予以公开,2024-03-15,"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\n".join(lines).encode(encoding)


def problems_of(data: bytes, filename: str = "台账.csv") -> list[Problem]:
    with pytest.raises(LedgerError) as caught:
        read_ledger(data, filename, today=TODAY)
    return caught.value.problems


def test_the_liaocheng_fixture_reads_per_year_and_outcome():
    rows = read_ledger(FIXTURE.read_bytes(), FIXTURE.name, today=TODAY)
    assert len(rows) == 23
    assert Counter(r.received_on.year for r in rows) == {2019: 7, 2020: 6, 2021: 10}
    assert {r.applicant_type for r in rows} == {ApplicantType.natural_person}
    concluded = Counter((r.replied_on.year, r.outcome) for r in rows if r.replied_on)
    assert concluded == {
        (2019, "disclosed"): 2, (2019, "withheld.law_prohibited"): 1,
        (2019, "unable.not_held"): 3, (2020, "disclosed"): 7, (2021, "disclosed"): 10,
    }
    # The 2019 application carried forward: received in December, disclosed in January.
    [carried] = [r for r in rows if r.received_on.year != r.replied_on.year]
    assert (carried.received_on, carried.replied_on) == (date(2019, 12, 23), date(2020, 1, 14))
    # Lines are the file's own: five comment lines, then the header on line 6.
    assert (rows[0].line, rows[0].line_no, rows[0].case_number) == (7, "1", "聊民依申〔2019〕1号")
    assert len({r.channel for r in rows}) == 6  # every channel appears


def test_a_valid_row_becomes_typed_facts():
    [row] = read_ledger(csv_bytes(HEADER, "7,A-7,2024/3/1,传真,商业企业,某公司,"
                                  "91371500MA3C00001J,合同,部分公开,2024年3月15日,\"¥1,200.50\""),
                        "a.csv", today=TODAY)
    assert row.received_on == date(2024, 3, 1) and row.replied_on == date(2024, 3, 15)
    assert row.channel is Channel.fax and row.applicant_type is ApplicantType.commercial_enterprise
    assert row.outcome == "partially_disclosed" and row.fee_yuan == Decimal("1200.50")
    assert row.id_number == "91371500MA3C00001J" and row.phone is None


def test_every_kind_of_row_error_is_reported_by_line_and_field():
    data = csv_bytes(
        HEADER,
        "1,A-1,2019-13-01,网上,自然人,申请人01,,内容,予以公开,2019-12-01,",        # line 2
        "2,A-2,2025-02-01,飞鸽,公民,申请人02,,内容,,,",                           # line 3
        "3,A-3,2024-03-01,当面,自然人,,110101199003070001,,同意,2024-02-01,-5",  # line 4
        "4,A-1,2024-03-01,当面,自然人,申请人04,,内容,予以公开,,1.234",            # line 5
        "5,A-5,2024-03-01,当面,自然人,申请人05,,内容,,2024-03-05,",               # line 6
        "6,A-6,1019-03-01,当面,自然人,申请人06,,内容,,,",                         # line 7
    )
    found = {(p.line, p.field): p.message for p in problems_of(data)}
    assert found == {
        (2, "received_on"): "日期格式无法识别：2019-13-01",
        (3, "received_on"): "日期2025-02-01晚于今天（2025-01-10）",
        (3, "channel"): "申请方式“飞鸽”无法识别",
        (3, "applicant_type"): "申请人类型“公民”不是年度报告的六类申请人之一",
        (4, "applicant_name"): "申请人不能为空",
        (4, "request"): "申请内容不能为空",
        (4, "id_number"): "公民身份号码校验码不正确",
        (4, "outcome"): "处理结果“同意”不在年度报告规定的21种情形之内",
        (4, "replied_on"): "答复日期早于收到申请日期",
        (4, "fee_yuan"): "收费金额不能为负数",
        (5, "replied_on"): "已填写处理结果，答复日期不能为空",
        (5, "fee_yuan"): "收费金额最多精确到分（两位小数）",
        (5, "case_number"): "受理编号“A-1”与第2行重复",
        (6, "outcome"): "已填写答复日期，但处理结果为空（尚未办结的申请不填答复日期）",
        (7, "received_on"): "日期1019-03-01早于《政府信息公开条例》施行之日（2008-05-01），请核对",
    }


def test_three_bad_rows_give_at_least_three_problems_and_nothing_is_returned():
    data = csv_bytes(HEADER, GOOD, GOOD.replace("A-1", "A-2").replace("网上", "?"),
                     GOOD.replace("A-1", "A-3").replace("自然人", "?"),
                     GOOD.replace("A-1", "A-4").replace("予以公开", "?"))
    with pytest.raises(LedgerError) as caught:
        read_ledger(data, "a.csv", today=TODAY)
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (3, "channel"), (4, "applicant_type"), (5, "outcome")]
    assert isinstance(caught.value, ValueError) and "3处问题" in str(caught.value)


def test_an_unknown_header_is_refused_and_a_missing_required_column_named():
    # "申请日期" is a misspelling of 收到申请日期: the column must not be silently dropped.
    data = csv_bytes(HEADER.replace("收到申请日期", "申请日期"), GOOD)
    found = {(p.line, p.field): p.message for p in problems_of(data)}
    assert found == {(1, "申请日期"): "无法识别的列名“申请日期”",
                     (1, "received_on"): "缺少必填列“收到申请日期”"}


def test_header_level_problems():
    assert [p.message for p in problems_of(csv_bytes(HEADER + ",申请人", GOOD))] == [
        "列“申请人”重复"]
    assert [(p.field, p.message) for p in problems_of(csv_bytes(HEADER, GOOD + ",备注"))] == [
        ("第12列", "该列有数据但没有列名")]
    assert [p.message for p in problems_of(csv_bytes(HEADER, ",,,"))] == [
        "文件只有表头，没有台账数据"]
    assert problems_of(b"", "a.csv")[0].message == "文件为空，没有表头行"
    assert problems_of(b"x", "a.xls")[0].message.startswith("仅支持CSV或XLSX文件")
    assert problems_of(b"\xff\xfe\x80", "a.csv")[0].line == 0
    assert problems_of(b"not a zip", "a.xlsx")[0].message.startswith("无法读取XLSX文件")


def test_english_headers_are_accepted_case_insensitively():
    header = ("Line_No,CASE_NUMBER,received_on,Channel,applicant_type,Applicant_Name,request,"
              "outcome,replied_on, Legal_Basis ,*Phone")
    [row] = read_ledger(csv_bytes(header, "1,A-1,2024-03-01,online,natural_person,张三,名单,"
                                          "disclosed,2024-03-02,第三十六条,0635-1"),
                        "a.csv", today=TODAY)
    assert (row.channel, row.outcome, row.legal_basis, row.phone) == (
        Channel.online, "disclosed", "第三十六条", "0635-1")


def test_blank_rows_and_pre_numbered_rows_are_skipped_but_lines_still_count():
    data = csv_bytes(HEADER, "", GOOD, "2,,,,,,,,,,", ",,,,,,,,,,",
                     GOOD.replace("A-1", "A-6").replace("网上", "?"))
    assert [(p.line, p.field) for p in problems_of(data)] == [(6, "channel")]


def test_a_gb18030_csv_with_bom_less_chinese_reads():
    data = csv_bytes(HEADER, GOOD, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    [row] = read_ledger(data, "台账.CSV", today=TODAY)
    assert row.applicant_name == "申请人01" and row.request == "低保名单"
    [row] = read_ledger("\ufeff".encode() + csv_bytes(HEADER, GOOD), "a.csv", today=TODAY)
    assert row.line_no == "1"


def xlsx(*rows: list) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_ledger_reads_with_real_date_cells():
    data = xlsx(HEADER.split(","),
                [1, "A-1", datetime(2024, 3, 1), "当面", "自然人", "申请人01", "110101200002290018",
                 "名单", "予以公开", date(2024, 3, 4), 100],
                [],
                [2, "A-2", "2024年3月5日", "邮件", "其他", "某协会", None, "章程", None, None,
                 None])
    first, second = read_ledger(data, "台账.xlsx", today=TODAY)
    assert (first.line, first.received_on, first.replied_on) == (2, date(2024, 3, 1),
                                                                 date(2024, 3, 4))
    assert first.line_no == "1" and first.fee_yuan == Decimal("100")
    assert first.id_number == "110101200002290018"
    assert (second.line, second.received_on, second.channel) == (4, date(2024, 3, 5),
                                                                 Channel.email)
    assert second.applicant_type is ApplicantType.other_org and second.outcome is None


def test_an_id_number_stored_as_an_excel_number_is_refused():
    # Excel keeps 15 significant digits: 110101200002290018 has already become ...290000.
    data = xlsx(HEADER.split(","), [1, "A-1", datetime(2024, 3, 1), "当面", "自然人", "张三",
                                    110101200002290000, "名单", None, None, None])
    [problem] = problems_of(data, "a.xlsx")
    assert (problem.line, problem.field) == (2, "id_number")


@pytest.mark.parametrize(("written", "key"), [
    ("予以公开", "disclosed"), ("三(一)予以公开", "disclosed"), ("disclosed", "disclosed"),
    ("部分公开", "partially_disclosed"), ("三（二）部分公开", "partially_disclosed"),
    ("属于国家秘密", "withheld.state_secret"), ("（三）1．属于国家秘密", "withheld.state_secret"),
    ("危及“三安全一稳定”", "withheld.security_stability"),
    ("本机关不掌握相关政府信息", "unable.not_held"), ("Unable.Not_Held", "unable.not_held"),
    ("逾期不补正", "other.no_correction"), ("逾期未缴费", "other.no_fee_payment"),
    ("其他", "other.other"), ("三(六)3.其他", "other.other"), ("（六）其他处理", "other.other"),
])
def test_outcomes_are_accepted_as_key_or_label(written, key):
    [row] = read_ledger(csv_bytes(HEADER, GOOD.replace("予以公开", written)), "a.csv", today=TODAY)
    assert row.outcome == key


def test_every_official_outcome_label_maps_to_its_key():
    assert set(OUTCOMES) == set(CASEWORK_OUTCOMES)
    for key, label in OUTCOMES.items():
        assert label_key(label, OUTCOMES) == key
        assert label_key(re.sub(r"^三\(.\)(\d\.)?", "", label), OUTCOMES) == key  # bare text
    assert label_key("结转下年度继续办理", OUTCOMES) is None  # a row, but not an outcome


@pytest.mark.parametrize(("written", "channel"), [
    ("当面", Channel.in_person), ("当面提交", Channel.in_person), ("邮寄", Channel.post_signed),
    ("信函（签收）", Channel.post_signed), ("信函(签收)", Channel.post_signed),
    ("平常信函", Channel.ordinary_letter), ("网上申请", Channel.online), ("网络", Channel.online),
    ("在线", Channel.online), ("传真", Channel.fax), ("电子邮件", Channel.email),
    ("邮件", Channel.email), ("post_signed", Channel.post_signed), ("Online", Channel.online),
])
def test_channels_are_accepted_as_key_or_word(written, channel):
    [row] = read_ledger(csv_bytes(HEADER, GOOD.replace("网上", written)), "a.csv", today=TODAY)
    assert row.channel is channel


@given(st.dates(min_value=date(2008, 5, 1), max_value=TODAY),
       st.sampled_from(["{d:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}",
                        "{d.year}年{d.month}月{d.day}日", "{d.year}.{d.month:02}.{d.day}"]))
def test_every_accepted_date_form_reads_as_the_same_day(day, form):
    line = GOOD.replace("2024-03-01", form.format(d=day)).replace(",2024-03-15,", f",{TODAY},")
    [row] = read_ledger(csv_bytes(HEADER, line), "a.csv", today=TODAY)
    assert row.received_on == day
