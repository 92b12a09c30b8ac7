"""待处理提醒: a caseworker sees, on one page, the SMS that could not be delivered and the cases
past their reply deadline, reaches the case from either with the keyboard, and the page reads as
well on a phone; another agency's caseworker sees none of it, the city administrator sees it."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from tests.browser.conftest import DESKTOP, PHONE

NAME = "逾期提醒申请人"
REASON = "isv.MOBILE_NUMBER_ILLEGAL: aliyun: 非法手机号"


def register_in_person(v, name: str, received: str, mobile: str) -> str:
    """Register an in-person application with a mobile number; returns the case page's path."""
    v.go("/staff/register")
    v.page.select_option("#channel", "in_person")
    v.page.fill("#arrived_on", received)
    v.page.fill("#received_on", received)
    v.page.fill("#name", name)
    v.page.fill("#id_number", "11010519491231002X")
    v.page.fill("#phone", mobile)
    v.page.fill("#address", "聊城市东昌府区示例路8号")
    v.page.fill("#description", "2026年度临时救助资金发放明细。")
    v.page.check("input[name=delivery][value=post]")
    v.page.check("input[name=medium][value=paper]")
    v.page.get_by_role("button", name="登记").click()
    v.page.wait_for_selector("#due-words")
    return re.sub(r"^https?://[^/]+", "", v.page.url).split("?")[0]


def refuse_sms(stack, application_id: str) -> int:
    """The case's SMS as the sender leaves one its provider refused. The browser stack's SMS
    goes to the development sink, which never refuses: the refusal is written in its place."""
    from sqlalchemy import text

    from shared.db import make_engine

    async def write() -> int:
        engine = make_engine(stack.database_url, "notify")
        try:
            async with engine.begin() as conn:
                return (await conn.execute(text(
                    """UPDATE messages SET status = 'failed', last_error = :why
                       WHERE application_id = :id AND channel = 'sms'"""),
                    {"id": application_id, "why": REASON})).rowcount
        finally:
            await engine.dispose()

    # Playwright's sync API holds this thread's event loop: the database is written from another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, write()).result()


def test_a_caseworker_sees_what_needs_attention_and_reaches_the_case(visit, demo_stack) -> None:
    v = visit(DESKTOP)
    v.sign_in("lc-mzj.caseworker")
    # Received in person on Friday 9 October 2026: due in November, overdue on 14 December.
    path = register_in_person(v, NAME, "2026-10-09", "13912345678")
    number = v.page.inner_text("h1").split()[-1]
    due = v.page.inner_text("#due-on").split("（")[0]
    for _ in range(50):  # the acknowledgement SMS, once notify has sent it
        if v.page.locator("td.msg-sent").count():
            break
        v.page.wait_for_timeout(200)
        v.go(path)
    assert refuse_sms(demo_stack, path.rsplit("/", 1)[-1]) == 1

    v.go("/staff/attention")
    assert v.page.inner_text("h1") == "待处理提醒"
    overdue = v.page.locator("#overdue tbody tr", has_text=number)
    cells = overdue.locator("td").all_inner_texts()
    assert cells[:3] == [number, NAME, due]
    assert int(cells[3]) > 0  # working days overdue
    assert re.fullmatch(r"共\d+件(，.*)?。", v.page.inner_text("#overdue-count"))
    message = v.page.locator("#messages [role=listitem]", has_text=number)
    assert message.locator("dd").all_inner_texts()[:3] == ["短信：受理短信", "发送失败", REASON]
    counted = v.page.inner_text("#messages-count")
    assert re.match(r"共\d+条（发送失败\d+条，结果不明\d+条）", counted)
    v.check("attention")

    # With the keyboard alone: Tab to the message's case link, Enter opens the case.
    link = message.locator("a")
    for _ in range(60):
        v.page.keyboard.press("Tab")
        if link.evaluate("a => a === document.activeElement"):
            break
    else:
        raise AssertionError("the case link is not reachable with Tab")
    v.page.keyboard.press("Enter")
    v.page.wait_for_url("**" + path)
    assert "发送失败" in v.page.locator("td.msg-failed").inner_text()
    assert v.page.get_by_role("button", name=re.compile("重新发送")).count() >= 1

    phone = visit(PHONE)
    phone.sign_in("lc-mzj.caseworker")
    phone.go("/staff/attention")
    assert phone.page.locator("#overdue tbody tr", has_text=number).count() == 1
    # Nothing wider than the phone: the tables scroll inside their own (focusable) regions.
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.check("attention")

    other = visit(DESKTOP)
    other.sign_in("dcf-mzj.caseworker")
    other.go("/staff/attention")
    assert number not in other.page.content() and NAME not in other.page.content()
    assert other.page.locator("#overdue-count, #overdue .notice").count() == 1
    other.check()
    assert "无法处理的事件" not in other.page.content()  # not tied to an agency: admins only

    # A message casework set aside as impossible to apply (as its inbox records one).
    # Playwright's loop runs in this thread: the database is written from another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _dead_letter(demo_stack.database_url, "casework",
                                              "版本不受支持的事件（测试）")).result()
    admin = visit(DESKTOP)
    admin.sign_in("city.city_admin")
    admin.go("/staff/attention")
    row = admin.page.locator("#overdue tbody tr", has_text=number)
    assert row.count() == 1 and "聊城市民政局" in row.inner_text()
    dead = admin.page.locator("section[aria-labelledby=dead-letters] tr", has_text="办理服务")
    assert dead.locator("td.num").inner_text() == "1"
    assert "版本不受支持的事件（测试）" in dead.inner_text()
    admin.check("attention-city")


async def _dead_letter(database_url: str, service: str, reason: str) -> None:
    from sqlalchemy import text

    from shared.db import make_engine

    engine = make_engine(database_url, service)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO dead_letters (topic, raw, reason) VALUES ('gongkai.cases', '{}', :r)"),
                {"r": reason})
    finally:
        await engine.dispose()
