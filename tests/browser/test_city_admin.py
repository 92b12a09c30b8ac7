"""A city administrator loads a year's holiday notice and sees which open cases it moved."""

from __future__ import annotations

from tests.browser.conftest import DESKTOP
from tests.browser.test_console import register

# A test notice, not the State Council's: it makes 4–8 January 2027 rest days, so a case due on
# 12 January (counted with the provisional 2027 calendar) is due a week later.
NOTICE = """year: 2027
notice: 测试用节假日安排（非正式通知）
holidays:
  - name: 元旦
    from: 2027-01-01
    to: 2027-01-08
  - name: 春节
    from: 2027-02-05
    to: 2027-02-08
"""
# The correction that follows puts the days back as the statutory holidays have them.
CORRECTION = NOTICE.replace("2027-01-08", "2027-01-01").replace("测试用", "测试用（更正）")


def test_a_city_administrator_loads_a_notice_and_sees_the_cases_it_moved(visit) -> None:
    registrar = visit(DESKTOP)
    registrar.sign_in("lc-mzj.registrar")
    path = register(registrar, "日历申请人", channel="in_person", arrived="2026-12-14",
                    received="2026-12-14")
    assert registrar.page.inner_text("#due-on").startswith("2027年1月12日（暂定）")
    number = registrar.page.inner_text("h1").split()[-1]

    admin = visit(DESKTOP)
    admin.sign_in("city.city_admin")
    admin.go("/staff/calendar")
    years = admin.page.locator("table.list").first
    assert "暂定" in years.locator("tr", has_text="2027年").inner_text()
    # The provisional year shows its rule and the rest days it gives, in Chinese.
    provisional = admin.page.locator("#provisional-2027")
    assert provisional.locator("h2").inner_text() == "2027年（暂定）"
    assert "《全国年节及纪念日放假办法》" in provisional.inner_text()
    spring = provisional.locator("tr", has_text="2027年2月6日").inner_text().split("\t")
    assert spring == ["2027年2月6日", "星期六", "春节", "适逢周末，补假日期待通知确定"]
    assert provisional.locator("tbody tr").count() == 13
    admin.check("calendar")

    admin.page.fill("#notice", "year: 2027\nholidays: [oops")
    admin.page.get_by_role("button", name="加载并重新计算期限").click()
    assert "节假日安排文件有误" in admin.page.inner_text("#notice-error")

    admin.page.fill("#notice", NOTICE)
    admin.page.get_by_role("button", name="加载并重新计算期限").click()
    moved = admin.page.locator("#moved + p + table tr", has_text=number)
    assert moved.inner_text().split("\t")[1:] == ["2027年1月12日", "2027年1月19日"]
    assert "已加载" in admin.page.locator("tr", has_text="2027年").first.inner_text()
    assert admin.page.locator("#provisional-2027").count() == 0
    admin.check("calendar-loaded")

    registrar.go(path)
    assert registrar.page.inner_text("#due-on") == "2027年1月19日"  # no longer provisional
    assert "节假日安排变更" in registrar.page.inner_text("main")

    admin.go("/staff/calendar")
    admin.page.fill("#notice", CORRECTION)
    admin.page.get_by_role("button", name="加载并重新计算期限").click()
    moved = admin.page.locator("#moved + p + table tr", has_text=number)
    assert moved.inner_text().split("\t")[1:] == ["2027年1月19日", "2027年1月12日"]
