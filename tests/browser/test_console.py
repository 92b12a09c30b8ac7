"""The staff console: registration, a case from correction to reply, and tenancy."""

from __future__ import annotations

import re

from tests.browser.conftest import DESKTOP, PHONE


def register(v, name: str, *, channel: str = "post_signed", arrived: str, received: str,
             description: str = "聊城市2025年度社会救助资金审计报告。") -> str:
    """Register an application on the console's form; returns the case page's path."""
    v.go("/staff/register")
    v.page.select_option("#channel", channel)
    v.page.fill("#arrived_on", arrived)
    v.page.fill("#received_on", received)
    v.page.fill("#name", name)
    v.page.fill("#id_number", "11010519491231002X")
    v.page.fill("#phone", "0635-8321090")
    v.page.fill("#address", "聊城市东昌府区示例路8号")
    v.page.fill("#description", description)
    v.page.check("input[name=delivery][value=post]")
    v.page.check("input[name=medium][value=paper]")
    v.page.get_by_role("button", name="登记").click()
    v.page.wait_for_selector("#due-words")
    return re.sub(r"^https?://[^/]+", "", v.page.url).split("?")[0]


def act(v, action: str, **fields: str) -> None:
    """Open an action's form on the case page, fill it, submit it."""
    if v.page.get_attribute(f"#act-{action}", "open") is None:
        v.page.click(f"#act-{action} > summary")
    for name, value in fields.items():
        v.page.fill(f"#act-{action} [name={name}]", value)
    v.page.click(f"#act-{action} button[type=submit]")
    v.page.wait_for_load_state()


def test_a_registrar_registers_a_posted_application_with_its_signing_date(visit) -> None:
    v = visit(DESKTOP)
    v.sign_in("lc-mzj.registrar")
    v.go("/staff/")
    v.check("queue")

    # The signing date is required for signed-for post; the error sits next to the field.
    v.go("/staff/register")
    v.page.select_option("#channel", "post_signed")
    v.page.fill("#arrived_on", "2026-12-10")
    v.page.get_by_role("button", name="登记").click()
    v.page.wait_for_selector("#error-summary")
    assert v.page.inner_text("#received_on-error") == "邮寄签收的申请须填写签收之日"
    assert v.page.locator("#name-error").count() == 1
    v.check("register-errors")

    path = register(v, "邮寄申请人", arrived="2026-12-10", received="2026-12-11")
    assert "申请已登记" in v.page.inner_text("main")
    # Signed for on Friday 11 December: 20 working days → Monday 11 January 2027.
    assert v.page.inner_text("#due-on").startswith("2027年1月11日")
    assert "自2026年12月11日（收到申请之日）起" in v.page.inner_text("#due-words")
    assert "邮寄（签收）" in v.page.inner_text("main")
    v.check("case-registered")
    assert path.startswith("/staff/cases/")


def test_a_case_from_correction_to_reply(visit) -> None:
    registrar = visit(DESKTOP)
    registrar.sign_in("lc-mzj.registrar")
    # Received on Tuesday 1 December (in person), entered two weeks late.
    path = register(registrar, "补正申请人", channel="in_person", arrived="2026-12-01",
                    received="2026-12-01", description="关于某项补贴的文件（名称不详）。")
    assert registrar.page.inner_text("#due-on").startswith("2026年12月29日")

    v = visit(DESKTOP)
    v.sign_in("lc-mzj.caseworker")
    v.go(path)
    # The form refuses what the law refuses, next to the field: a notice after 7 working days.
    act(v, "correction-notice", on="2026-12-14", items="请写明所需文件的名称或文号")
    assert "7个工作日内" in v.page.inner_text("#act-correction-notice")
    act(v, "correction-notice", on="2026-12-03", items="请写明所需文件的名称或文号")
    assert v.page.inner_text("#case-status").startswith("待补正")
    assert "答复期限中止计算" in v.page.inner_text("#due-words")
    v.check("case-awaiting-correction")
    v.go("/staff/?view=paused")
    assert "补正申请人" in v.page.inner_text("table.queue")

    v.go(path)
    act(v, "correction", on="2026-12-14")
    assert v.page.inner_text("#case-status").startswith("办理中")
    # The period restarts from the corrected application: 14 December → 12 January 2027.
    assert v.page.inner_text("#due-on").startswith("2027年1月12日")
    assert "收到补正材料之日" in v.page.inner_text("#due-words")
    # A caseworker cannot extend: only the approver is offered it.
    assert v.page.locator("#act-extension").count() == 0

    approver = visit(DESKTOP)
    approver.sign_in("lc-mzj.approver")
    approver.go(path)
    act(approver, "extension", reason="需要调取多个年度的档案")
    # 20 more working days; 5 and 8 February 2027 are Spring Festival (provisional).
    assert approver.page.inner_text("#due-on").startswith("2027年2月11日")
    assert "经批准延长20个工作日" in approver.page.inner_text("#due-words")
    assert approver.page.locator("#act-extension").count() == 0  # once only

    v.go(path)
    v.page.click("#act-decision > summary")  # opened with the keyboard-usable summary
    v.page.select_option("#decision-outcome", "disclosed")
    v.page.click("#act-decision button[type=submit]")
    v.page.wait_for_load_state()
    assert v.page.inner_text("#case-status").startswith("已办结")
    # The reply letter follows through notify; the page shows it once it is kept.
    for _ in range(60):
        if "答复书（予以公开）" in v.page.inner_text("section[aria-labelledby=letters]"):
            break
        v.page.wait_for_timeout(500)
        v.go(path)
    assert "答复书（予以公开）" in v.page.inner_text("section[aria-labelledby=letters]")
    v.check("case-concluded")
    assert "作出答复（办结）" in v.page.inner_text("main")

    # The reply letter, once notify has composed it: open its PDF.
    row = v.page.locator("tr", has_text="答复书（予以公开）")
    for _ in range(50):
        if row.count():
            break
        v.page.wait_for_timeout(200)
        v.go(path)
    href = row.locator("a[data-letter]").get_attribute("href")
    pdf = v.page.request.get(v.base + href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")


def test_another_agency_cannot_see_or_act_on_a_case(visit) -> None:
    registrar = visit(DESKTOP)
    registrar.sign_in("lc-mzj.registrar")
    path = register(registrar, "他机关测试", arrived="2026-12-14", received="2026-12-14")

    other = visit(PHONE)
    other.sign_in("dcf-mzj.caseworker")
    response = other.go(path)
    assert response.status == 404
    assert "无权" in other.page.inner_text("main")
    assert "他机关测试" not in other.page.content()
    other.check("refused")

    # A crafted post with the other agency's own valid session and CSRF token.
    other.go("/staff/register")
    csrf = other.page.get_attribute("input[name=csrf]", "value")
    crafted = other.page.request.post(other.base + path + "/act/decision",
                                      form={"csrf": csrf, "on": "2026-12-14",
                                            "outcome": "disclosed"})
    assert crafted.status == 404 and "无权" in crafted.text()
    # Without the CSRF token nothing reaches the services at all.
    forged = other.page.request.post(other.base + path + "/act/withdrawal",
                                     form={"on": "2026-12-14"})
    assert forged.status == 403 and "页面已过期" in forged.text()

    registrar.go(path)
    assert registrar.page.inner_text("#case-status").startswith("办理中")


def test_signing_in_is_required_and_signing_out_ends_the_session(visit) -> None:
    v = visit(DESKTOP)
    v.go("/staff/?view=overdue")
    assert "/staff/signin" in v.page.url
    v.check("signin")
    v.page.click("button[data-user='lc-mzj.caseworker']")
    v.page.wait_for_url("**/staff/?view=overdue")  # back where the person was going
    v.page.get_by_role("button", name="退出").click()
    v.page.wait_for_url("**/staff/signin")
    v.go("/staff/")
    assert "/staff/signin" in v.page.url


def test_another_site_cannot_sign_a_person_out(visit) -> None:
    v = visit(DESKTOP)
    v.sign_in("lc-mzj.caseworker")
    forged = v.page.request.post(v.base + "/staff/signout", form={})
    assert forged.status == 403
    v.go("/staff/")
    assert "/staff/signin" not in v.page.url  # still signed in
