"""台账导入 in the staff console: a bad ledger shows every problem by line and field, a good one
is checked (summary, warnings about the published figures), confirmed and counted; the page
after the check carries the check's id, not the file, so it stays small however large the
ledger, and a check once imported cannot be confirmed again."""

from __future__ import annotations

from tests.browser.conftest import DESKTOP

HEADER = ("序号,受理编号,收到申请日期,申请方式,申请人类型,申请人,证件号码,联系电话,申请内容,"
          "处理结果,答复日期,法律依据,收费金额")
# Four of the 聊城 fixture's applications (tests/fixtures/ledger_lc_mzj_2019_2021.csv) under
# numbers of this test's own, all concluded years ago: the queues other tests read stay as
# they are.
GOOD = "\n".join((
    "# 浏览器测试用台账（虚构）",
    HEADER,
    "1,浏览器测〔2019〕1号,2019-03-12,网上申请,自然人,申请人01,,,2018年度全市城乡最低生活保障资金"
    "发放情况,予以公开,2019-03-26,原《条例》第二十一条第（一）项,",
    "2,浏览器测〔2019〕2号,2019/5/20,信函,自然人,申请人02,,,某村1998年土地承包合同及附图,"
    "本机关不掌握相关政府信息,2019/6/10,《条例》第三十六条第（四）项,",
    "3,浏览器测〔2019〕3号,2019年7月8日,当面,自然人,申请人03,,,某区2010年婚姻登记处人员编制文件,"
    "本机关不掌握相关政府信息,2019年7月29日,《条例》第三十六条第（四）项,",
    "4,浏览器测〔2020〕1号,2020-04-01,电子邮件,自然人,申请人04,,,2019年度市级福利彩票公益金使用情况,"
    "予以公开,2020-04-20,《条例》第三十六条第（二）项,",
    "",
)).encode()
# As published: 2019 says two new applications where the ledger has three.
PUBLISHED = "\n".join((
    "year,row,natural_person,commercial_enterprise,research_institution,public_interest_org,"
    "legal_service_org,other_org,total",
    "2019,一、本年新收政府信息公开申请数量,2,,,,,,2",
    "2019,（一）予以公开,1,,,,,,1",
    "2019,1．本机关不掌握相关政府信息,1,,,,,,1",
    "2019,（七）总计,2,,,,,,2",
    "",
)).encode()
BAD = "\n".join((
    "收到申请日期,申请方式,申请人类型,申请人,申请内容,处理结果,答复日期",
    "2027-01-05,网上,自然人,甲,某信息,,",
    "2019-03-01,飞鸽,自然人,乙,某信息,同意,2019-03-05",
    "",
)).encode()


# A ledger of 3,000 applications (about 600 KB) that is only checked, never imported: its
# check page must stay small, as it would not if the file travelled in it.
LARGE = "\n".join((
    HEADER,
    *(f"{i},,2019-03-12,网上申请,自然人,申请人{i:04d},,,某区{i}号地块2018年征收补偿安置方案及"
      "听证笔录、补偿费用发放明细,予以公开,2019-03-26,《条例》第三十六条第（二）项,"
      for i in range(1, 3001)),
    "",
)).encode()
PAGE_MAX = 200_000


def confirm_fields(v) -> list[str]:
    return v.page.eval_on_selector_all("form[action='/staff/import/confirm'] input",
                                       "inputs => inputs.map(i => i.name)")


def upload(v, selector: str, name: str, content: bytes, kind: str = "text/csv") -> None:
    v.page.set_input_files(selector, files=[{"name": name, "mimeType": kind, "buffer": content}])


def problems(v) -> list[tuple[str, str, str]]:
    return [tuple(row.locator("td").all_inner_texts())
            for row in v.page.locator("#problems-ledger tbody tr").all()]


def test_a_registrar_checks_a_ledger_fixes_it_and_imports_it(visit) -> None:
    v = visit(DESKTOP)
    v.sign_in("lc-mzj.registrar")
    v.go("/staff/")
    v.page.get_by_role("link", name="台账导入").click()
    v.page.wait_for_url("**/staff/import")
    assert v.page.inner_text("h1") == "台账导入"
    v.check("import")

    # Nothing chosen: the error sits next to the file field.
    v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#error-summary")
    assert v.page.inner_text("#ledger-error") == "请选择台账文件（CSV或XLSX）"

    # A bad ledger: every problem, by line and field, in Chinese; nothing imported.
    upload(v, "#ledger", "台账.csv", BAD)
    v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#problems-ledger")
    assert problems(v) == [
        ("2", "收到申请日期", "日期2027-01-05晚于今天（2026-12-14）"),
        ("3", "申请方式", "申请方式“飞鸽”无法识别"),
        ("3", "处理结果", "处理结果“同意”不在年度报告规定的21种情形之内"),
    ]
    assert v.page.inner_text("#ledger-error") == "台账有3处问题，见下方“台账的问题”"
    assert v.page.get_attribute("#ledger", "aria-invalid") == "true"
    assert v.page.locator("#checked").count() == 0  # nothing to confirm
    v.check("import-problems")

    # The corrected ledger, with the figures the agency published: checked, then confirmed,
    # using the keyboard only.
    upload(v, "#ledger", "民政局台账2019-2020.csv", GOOD)
    upload(v, "#published", "公布的表三.csv", PUBLISHED)
    v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#checked")
    assert v.page.inner_text("#summary-rows") == "4件"
    assert "聊城市民政局" in v.page.inner_text("#check-summary")
    summary = v.page.inner_text("#check-summary")
    assert "2019年、2020年" in summary and "2019年3月12日至2020年4月1日" in summary
    warnings = v.page.inner_text("#warnings")
    assert ("2019年 一、本年新收政府信息公开申请数量 · 自然人列：公布为2，系统根据台账计算为3"
            in warnings)
    assert v.page.locator("#problems-ledger").count() == 0
    # The confirm form carries the check's id, not the file.
    assert confirm_fields(v) == ["csrf", "agency", "check_id"]
    assert len(v.page.content()) < PAGE_MAX
    check_id = v.page.input_value("input[name=check_id]")
    csrf = v.page.input_value("form[action='/staff/import/confirm'] input[name=csrf]")
    v.check("import-checked")

    confirm = v.page.get_by_role("button", name="确认导入4件申请")
    confirm.focus()
    with v.page.expect_navigation():
        v.page.keyboard.press("Enter")
    v.page.wait_for_selector("#imported-count")
    assert v.page.inner_text("#imported-count") == (
        "已导入4件申请，新建案件4件：已办结4件，尚未办结0件。")
    v.check("import-done")
    v.page.get_by_role("link", name="前往待办队列").click()
    v.page.wait_for_url("**/staff/")

    # The same confirmation sent again (a second tab, a resubmitted form): the check was used.
    again = v.page.request.post(v.base + "/staff/import/confirm", form={
        "csrf": csrf, "agency": "lc-mzj", "check_id": check_id}, max_redirects=0)
    assert again.status == 404
    assert "未找到这次检查的结果（可能已经导入或已过期）" in again.text()

    # The same file again is refused, clearly, at the check already.
    v.go("/staff/import")
    upload(v, "#ledger", "民政局台账2019-2020.csv", GOOD)
    v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#error-summary")
    assert "不能重复导入" in v.page.inner_text("#ledger-error")
    assert v.page.locator("#checked").count() == 0


def test_a_city_administrator_names_the_agency(visit) -> None:
    v = visit(DESKTOP)
    v.sign_in("city.city_admin")
    v.go("/staff/import")
    # A copy of the ledger under other numbers (numbers and files are imported once); this
    # test only checks it.
    copy = GOOD.replace("浏览器测".encode(), "浏览器副本".encode())
    upload(v, "#ledger", "台账副本.csv", copy)
    v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#error-summary")
    assert v.page.inner_text("#agency-error") == "请选择导入台账的行政机关"

    v.page.select_option("#agency", "lc-mzj")
    upload(v, "#ledger", "台账副本.csv", copy)
    v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#checked")
    assert "聊城市民政局" in v.page.inner_text("#check-summary")
    assert v.page.input_value("#agency") == "lc-mzj"


def test_the_page_after_checking_a_large_ledger_stays_small(visit) -> None:
    v = visit(DESKTOP)
    v.sign_in("lc-mzj.approver")
    v.go("/staff/import")
    upload(v, "#ledger", "大台账.csv", LARGE)
    assert len(LARGE) > 3 * PAGE_MAX
    with v.page.expect_navigation(timeout=120_000):
        v.page.get_by_role("button", name="检查台账").click()
    v.page.wait_for_selector("#checked")
    assert v.page.inner_text("#summary-rows") == "3000件"
    assert confirm_fields(v) == ["csrf", "agency", "check_id"]
    assert len(v.page.content()) < PAGE_MAX
