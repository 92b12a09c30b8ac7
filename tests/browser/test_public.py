"""The public site as an applicant uses it, on a phone and with the keyboard alone."""

from __future__ import annotations

import re
import struct
import zlib

from tests.browser.conftest import DESKTOP, PHONE

VALID_ID = "11010519491231002X"  # GB 11643's published example, not a person's
# Received Monday 2026-12-14; 20 working days later, with 1 January 2027 a (provisional)
# statutory holiday: 15–18, 21–25, 28–31 December (13), 4–8 January (18), 11 and 12 January.
DUE = "2027年1月12日"


def png() -> bytes:
    """A real 2×2 PNG, as a phone's camera would send a (very small) photo."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def fill_person(page, name: str, description: str) -> None:
    page.fill("#name", name)
    page.fill("#id_number", VALID_ID)
    page.fill("#phone", "13800138000")
    page.fill("#description", description)


def test_a_person_applies_on_a_phone_and_looks_the_status_up(visit) -> None:
    v = visit(PHONE)
    v.go("/")
    v.check("home")
    v.page.get_by_role("link", name=re.compile(r"^在线申请\s*（聊城市民政局）$")).click()
    v.page.wait_for_url("**/apply/lc-mzj")
    v.check("apply")

    # Every mistake at once, each next to its field, in Chinese.
    v.page.fill("#name", "王小明")
    v.page.fill("#id_number", "110105194912310021")  # wrong check digit
    v.page.fill("#phone", "12345")
    v.page.get_by_role("button", name="提交申请").click()
    v.page.wait_for_selector("#error-summary")
    assert v.page.inner_text("#id_number-error") == "公民身份号码校验码不正确"
    assert "手机号码" in v.page.inner_text("#phone-error")
    assert "请描述所需政府信息" in v.page.inner_text("#description-error")
    assert v.page.locator("#error-summary li").count() == 3
    assert v.page.input_value("#name") == "王小明"  # nothing typed is lost
    v.check("apply-errors")

    fill_person(v.page, "王小明", "2025年度聊城市临时救助资金的支出总额。")
    # Text named .png is refused in the page, before anything is sent.
    v.page.set_input_files("#id_document", {"name": "证件.png", "mimeType": "text/plain",
                                            "buffer": b"not an image"})
    assert "JPG、PNG" in v.page.inner_text("#id_document-error")
    v.page.set_input_files("#id_document", {"name": "身份证.png", "mimeType": "image/png",
                                            "buffer": png()})
    v.page.get_by_role("button", name="提交申请").click()
    v.page.wait_for_selector("#case-number")
    number = v.page.inner_text("#case-number")
    code = v.page.inner_text("#access-code")
    assert re.fullmatch(r"LCMZJ-2026-\d{5}", number)
    assert len(code) >= 6
    assert v.page.inner_text("#due-on").startswith(DUE)
    v.check("accepted")

    v.go("/status")
    v.page.fill("#number", number)
    v.page.fill("#code", code)
    v.page.get_by_role("button", name="查询").click()
    v.page.wait_for_selector("#status-label")
    assert "办理中" in v.page.inner_text("#status-label")
    assert v.page.inner_text("#due-on").startswith(DUE)
    assert "王小明" not in v.page.content()  # no personal data on the status page
    v.check("status")

    # The agency's caseworker sees the identity document; the view is recorded.
    staff = visit(DESKTOP)
    staff.sign_in("lc-mzj.caseworker")
    staff.go(f"/staff/?q={number}")
    staff.page.get_by_role("link", name=number).click()
    link = staff.page.get_by_role("link", name="查看证件材料")
    document = staff.page.request.get(staff.base + link.get_attribute("href"))
    assert document.status == 200 and document.headers["content-type"] == "image/png"
    assert document.body() == png()
    staff.page.reload()
    assert "lc-mzj.caseworker" in staff.page.inner_text("#id-document-views")

    # A wrong code finds nothing, and says so next to the field.
    v.go("/status")
    v.page.fill("#number", number)
    v.page.fill("#code", "000000")
    v.page.get_by_role("button", name="查询").click()
    assert v.page.inner_text("#code-error") == "未找到该申请，或查询码不正确"


def test_the_application_journey_with_the_keyboard_alone(visit) -> None:
    v = visit(DESKTOP)
    v.go("/apply/lc-mzj")
    keyboard = v.page.keyboard
    keyboard.press("Tab")  # the skip link comes first
    assert v.page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    keyboard.press("Enter")

    def tab_to(selector: str) -> None:
        for _ in range(60):
            keyboard.press("Tab")
            if v.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    tab_to("#name")
    keyboard.type("键盘用户")
    tab_to("#id_number")
    keyboard.type(VALID_ID)
    tab_to("#phone")
    keyboard.type("13900139000")
    tab_to("#description")
    keyboard.type("聊城市2025年养老服务补贴发放名单。")
    tab_to("button[type=submit]")
    keyboard.press("Enter")
    v.page.wait_for_selector("#case-number")
    assert v.page.inner_text("#due-on").startswith(DUE)


def test_submitting_twice_makes_one_application(visit) -> None:
    v = visit(DESKTOP)
    v.go("/apply/lc-mzj")
    fill_person(v.page, "重复提交", "聊城市2025年度殡葬补贴标准文件。")
    v.page.get_by_role("button", name="提交申请").dblclick()
    v.page.wait_for_selector("#case-number")
    first = v.page.inner_text("#case-number")
    # Back to the form (which the browser fetches again), the same content, submit again.
    v.page.go_back()
    v.page.wait_for_selector("#name")
    fill_person(v.page, "重复提交", "聊城市2025年度殡葬补贴标准文件。")
    v.page.get_by_role("button", name="提交申请").click()
    v.page.wait_for_selector("#case-number")
    assert v.page.inner_text("#case-number") == first

    staff = visit(DESKTOP)
    staff.sign_in("lc-mzj.caseworker")
    staff.go("/staff/?q=重复提交")
    assert staff.page.locator("table.queue tbody tr").count() == 1


def test_an_organisation_is_asked_for_its_own_fields(visit) -> None:
    v = visit(PHONE)
    v.go("/apply/lc-mzj")
    v.page.check("input[name=applicant_type][value=commercial_enterprise]")
    assert v.page.is_hidden("#name") and v.page.is_visible("#org_name")
    v.page.fill("#credit_code", "91350100M000100Y44")  # one off the standard's example
    v.page.locator("#credit_code").blur()
    assert v.page.inner_text("#credit_code-error") == "统一社会信用代码校验码不正确"
    v.page.get_by_role("button", name="提交申请").click()
    v.page.wait_for_selector("#error-summary")
    for field in ("org_name", "credit_code", "legal_representative", "contact_name",
                  "phone", "description"):
        assert v.page.locator(f"#{field}-error").count() == 1, field
    v.check("apply-organisation-errors")


def test_the_disclosure_guide_of_an_agency(visit) -> None:
    v = visit(DESKTOP)
    v.go("/agencies/lc-mzj")
    text = v.page.inner_text("main")
    for expected in ("聊城市民政局办公室", "聊城市东昌府区兴华东路71号", "0635-8321090",
                     "聊城市人民政府", "20个工作日", "信息处理费"):
        assert expected in text
    v.check("guide")
    assert v.go("/agencies/no-such").status == 404
    v.check()
