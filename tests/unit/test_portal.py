"""The portal's pure parts: the application form's checks, the words it uses, table 三's
layout, and signed sessions."""

from __future__ import annotations

from datetime import date

from services.portal.adapters.sessions import Signer, new_session
from services.portal.domain.application_form import check_application, submission_key
from services.portal.domain.report_layout import check_table2, table3_rows
from services.portal.domain.words import check_words, due_in_words, local_time
from shared.contracts.report_format import COLUMNS, ROWS

TODAY = date(2026, 12, 14)


def test_every_wrong_field_is_named_at_once_in_chinese() -> None:
    checked = check_application({"applicant_type": "natural_person", "name": "",
                                 "id_number": "110105194912310021", "phone": "12345",
                                 "email": "not-an-email", "postal_code": "25200",
                                 "delivery": "post"}, "lc-mzj", today=TODAY)
    assert checked.errors == {
        "name": "请填写姓名",
        "id_number": "公民身份号码校验码不正确",
        "phone": "联系电话应为11位手机号码或带区号的固定电话（如0635-8321090）",
        "email": "电子邮箱格式不正确",
        "postal_code": "邮政编码应为6位数字",
        "address": "选择邮寄的，请填写通信地址",
        "description": "请描述所需政府信息（名称、文号或便于查询的其他特征）",
    }


def test_a_good_organisation_form_becomes_intakes_body() -> None:
    checked = check_application({"applicant_type": "commercial_enterprise",
                                 "org_name": "聊城示例养老服务有限公司",
                                 "credit_code": "91350100M000100Y43",
                                 "legal_representative": "李华", "contact_name": "王芳",
                                 "phone": "0635-8321090", "description": "养老机构补贴名单",
                                 "medium": "paper", "delivery": "pickup"},
                                "lc-mzj", today=TODAY)
    assert checked.errors == {}
    assert checked.body["applicant"] == {
        "type": "commercial_enterprise", "name": "聊城示例养老服务有限公司",
        "credit_code": "91350100M000100Y43", "legal_representative": "李华",
        "contact_name": "王芳", "phone": "0635-8321090"}
    assert checked.body["request"]["delivery"] == "pickup"


def test_a_registration_needs_the_signing_date_of_signed_post_and_no_future_dates() -> None:
    checked = check_application({"applicant_type": "natural_person", "name": "李四",
                                 "id_number": "11010519491231002X", "address": "某地",
                                 "description": "某文件", "channel": "post_signed",
                                 "arrived_on": "2026-12-15"}, "lc-mzj", today=TODAY,
                                registration=True)
    assert checked.errors == {"arrived_on": "送达日期不得晚于今天",
                              "received_on": "邮寄签收的申请须填写签收之日"}


def test_the_same_content_on_the_same_day_is_the_same_submission() -> None:
    body = {"agency": "lc-mzj", "request": {"description": "某文件"}}
    key = submission_key(b"k" * 32, body, TODAY)
    assert key == submission_key(b"k" * 32, dict(body), TODAY)
    assert key != submission_key(b"k" * 32, body, date(2026, 12, 15))
    assert key != submission_key(b"k" * 32, {**body, "agency": "dcf-mzj"}, TODAY)
    assert "某文件" not in key


def test_the_due_date_in_words() -> None:
    case = {"status": "open", "received_on": "2026-12-01", "due_on": "2027-02-11",
            "due_basis": {"rule": "extension", "counted_from": "2026-12-14",
                          "working_days": 20, "extension_days": 20,
                          "paused_working_days": 3, "provisional": True, "calendar": ""}}
    assert due_in_words(case) == (
        "自2026年12月14日（收到补正材料之日）起，不含当日，计算20个工作日，经批准延长20个工作日，"
        "征求意见、等待缴费等中止的3个工作日不计算在内，答复期限为2027年2月11日。"
        "该年度国务院节假日安排尚未发布，暂按法定节假日和周末推算，发布后将自动重新计算。")
    assert due_in_words({"status": "awaiting_receipt"}) == "尚未确认收到申请，答复期限尚未起算。"


def test_times_are_shown_in_beijing_time() -> None:
    assert local_time("2026-12-14T01:30:00+00:00") == "2026-12-14 09:30"
    assert check_words({"rule": "balance", "column": "natural_person", "ok": False,
                        "detail": "1 + 0 = 0 + 0"}).startswith("不相符：第一项加第二项之和")


def test_table_3_has_the_official_rows_and_spans() -> None:
    table3 = {row: {c: 0 for c in COLUMNS} for row in ROWS}
    rows = table3_rows(table3)
    assert [r.key for r in rows] == list(ROWS)
    result = next(r for r in rows if r.key == "disclosed")
    assert result.headings[0].text == "三、本年度办理结果"
    assert result.headings[0].rowspan == 22  # the 21 outcomes and (七)总计
    assert (result.headings[1].text, result.headings[1].colspan) == ("（一）予以公开", 2)
    withheld = next(r for r in rows if r.key == "withheld.state_secret")
    assert (withheld.headings[0].text, withheld.headings[0].rowspan) == ("（三）不予公开", 8)
    assert withheld.headings[1].text == "1.属于国家秘密"
    assert [(h.text, h.colspan) for h in rows[0].headings] == [
        ("一、本年新收政府信息公开申请数量", 3)]


def test_table_2_entry_reports_every_bad_figure() -> None:
    body, errors, _ = check_table2({"rules.issued": "3", "penalty.decisions": "-2",
                                    "fees.amount_10k_yuan": "1.23456"}, 2026)
    assert set(errors) == {"penalty.decisions", "fees.amount_10k_yuan"}
    assert body["rules"]["issued"] == 3


def test_a_session_cookie_cannot_be_forged_and_expires_when_idle() -> None:
    signer = Signer(b"s" * 32)
    cookie = signer.dump(new_session("t", "u", "lc-mzj", ["caseworker"], now=1000.0))
    assert signer.load(cookie, 1000.0 + 60, idle_seconds=1800).user == "u"
    assert signer.load(cookie, 1000.0 + 1801, idle_seconds=1800) is None
    data, mac = cookie.rsplit(".", 1)
    assert signer.load(data[:-2] + "AA." + mac, 1001.0, idle_seconds=1800) is None
    assert Signer(b"x" * 32).load(cookie, 1001.0, idle_seconds=1800) is None
    assert signer.load(data + ".签名", 1001.0, idle_seconds=1800) is None
