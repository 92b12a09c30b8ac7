"""Annual reports: the console's draft for an agency and the city, the published ones on the
public site, each in the official layout and matching the reporting API's figures."""

from __future__ import annotations

import io
import time
from datetime import datetime
from pathlib import Path

import httpx
from openpyxl import load_workbook

from shared.contracts.report_format import COLUMNS
from tests.browser.conftest import BROWSER_START, DESKTOP, PHONE
from tests.browser.test_console import register
from tests.conftest import eventually


def api_report(stack, year: int, agency: str, role: str = "auditor") -> dict:
    from shared.auth import Role, issue_token, load_secret

    token = issue_token(load_secret(stack.home), user=f"{agency}.{role}",
                        agency=None if agency == "city" else agency, roles=[Role(role)],
                        now=datetime.fromisoformat(BROWSER_START))  # the stack's clock
    answer = httpx.get(f"{stack.url('reporting')}/v1/reports/{year}", params={"agency": agency},
                       headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return answer.json()


def table3_on_page(page) -> dict[str, list[int]]:
    figures = {}
    for row in page.locator("table.t3 tbody tr").all():
        key = row.get_attribute("data-row")
        figures[key] = [int(c) for c in row.locator("td").all_inner_texts()]
    return figures


def test_an_auditor_opens_and_downloads_the_annual_report(visit, demo_stack) -> None:
    registrar = visit(DESKTOP)
    registrar.sign_in("lc-mzj.registrar")
    register(registrar, "年报申请人", arrived="2026-12-14", received="2026-12-14")
    # Reporting counts it a moment later, with whatever earlier tests registered: wait until
    # its figures stop changing, so the page and the API are read from the same state.
    def settled():
        before = api_report(demo_stack, 2026, "lc-mzj")
        time.sleep(0.5)
        after = api_report(demo_stack, 2026, "lc-mzj")
        return before["table3"]["new"]["total"] >= 1 and before["table3"] == after["table3"] \
            and after

    expected = eventually(settled)

    v = visit(DESKTOP)
    v.sign_in("lc-mzj.auditor")
    v.go("/staff/reports?year=2026")
    shown = table3_on_page(v.page)
    assert len(shown) == 25  # 一, 二, the 21 outcomes, (七)总计, 四
    for key, cells in shown.items():
        assert cells == [expected["table3"][key][c] for c in COLUMNS], key
    assert "三、本年度办理结果" in v.page.inner_text("table.t3")
    assert "全部" in v.page.inner_text("#checks + p")  # every balance check holds
    v.check("report")

    with v.page.expect_download() as download:
        v.page.get_by_role("link", name="Excel表格（XLSX）").click()
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row
                    if c.value is not None)
    assert "本年新收政府信息公开申请数量" in text

    # An auditor of one agency cannot read another's, nor the city's.
    refused = v.go("/staff/reports?year=2026&agency=city")
    assert "聊城市民政局" in v.page.inner_text("h1")  # the agency parameter is ignored
    assert refused.status == 200


def test_a_city_administrator_sees_the_city_and_the_public_sees_published_years(
        visit, demo_stack) -> None:
    registrar = visit(DESKTOP)
    registrar.sign_in("lc-mzj.registrar")
    # Received on 30 December 2025, still open: carried forward in 2025's report.
    register(registrar, "去年申请人", channel="in_person", arrived="2025-12-30",
             received="2025-12-30")
    eventually(lambda: api_report(demo_stack, 2025, "lc-mzj")["table3"]["carried_forward"][
        "total"] >= 1)

    admin = visit(DESKTOP)
    admin.sign_in("city.city_admin")
    admin.go("/staff/reports?year=2026&agency=city")
    city = api_report(demo_stack, 2026, "city", role="city_admin")
    assert table3_on_page(admin.page)["new"][-1] == city["table3"]["new"]["total"]
    assert "全市" in admin.page.inner_text("h1")

    public = visit(PHONE)
    public.go("/reports")
    assert "2026年" not in public.page.inner_text("table")  # the year has not ended
    public.check("reports")
    public.page.get_by_role("link", name="聊城市民政局2025年度报告").click()
    public.page.wait_for_url("**/reports/2025/lc-mzj")
    expected = api_report(demo_stack, 2025, "lc-mzj")
    shown = table3_on_page(public.page)
    assert shown["carried_forward"] == [expected["table3"]["carried_forward"][c]
                                        for c in COLUMNS]
    public.check("report-public")
    docx = public.page.request.get(public.page.url + "/export?format=docx")
    assert docx.status == 200 and docx.body()[:2] == b"PK"
    # The version for publication, as a PDF the public downloads from the same page.
    link = public.page.get_by_role("link", name="公布版（PDF）")
    assert link.get_attribute("href").endswith("/export?format=pdf")
    pdf = public.page.request.get(public.page.url + "/export?format=pdf")
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    # A year not yet ended is not public.
    assert public.go("/reports/2026/lc-mzj").status == 404


def test_a_caseworker_enters_table_2(visit, demo_stack) -> None:
    v = visit(DESKTOP)
    v.sign_in("lq-mzj.caseworker")
    v.go("/staff/reports?year=2026")
    v.page.fill("#t2-rules-issued", "2")
    v.page.fill("#t2-licensing-decisions", "-1")
    v.page.fill("#t2-fees-amount_10k_yuan", "abc")
    v.page.get_by_role("button", name="保存表二").click()
    v.page.wait_for_selector("#error-summary")
    assert v.page.locator("#t2-entry .error").count() == 2  # both at once, nothing saved
    assert v.page.input_value("#t2-rules-issued") == "2"
    v.page.fill("#t2-licensing-decisions", "15")
    v.page.fill("#t2-fees-amount_10k_yuan", "1.25")
    v.page.get_by_role("button", name="保存表二").click()
    v.page.wait_for_selector("text=表二数据已保存。")
    doc = eventually(lambda: (d := api_report(demo_stack, 2026, "lq-mzj"))["table2"][
        "licensing"]["decisions"] == 15 and d)
    assert doc["table2"]["rules"]["issued"] == 2
    assert doc["table2"]["fees"]["amount_10k_yuan"] == "1.25"
    v.check("report-table2")
