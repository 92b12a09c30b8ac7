"""Issue 16 over the real pipeline: the route an applicant asks for at intake reaches the
reply letter (post; pick-up with the office's address and hours), a 36(5) decision names the
responsible agency (and is refused, in Chinese, without it), and an agency's letters carry
consecutive 文号 of their year. Letters are read from their PDFs with pdftotext."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import application, auth, case
from tests.e2e.test_casework import act, ok

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("pdftotext") is None,
                                 reason="poppler-utils not installed")]

AGENCY, OTHER = "e2e-letters", "e2e-letters2"
HOURS = "工作日8:30-12:00 14:00-17:30"


@pytest.fixture(scope="module")
def agencies(stack):
    from services.intake.service_layer.handlers import configure_agencies
    from shared.clock import clock_from_setting
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    configured = [AgencyConfigured(
        agency_id=agency_id, name=name, case_prefix=case_prefix, letter_prefix=prefix,
        disclosure_body=f"{name}办公室", address=address, phone="0635-0000009",
        office_hours=HOURS, reconsideration_organ=Office(name="测试市人民政府"),
        court=Office(name="测试区人民法院"))
        for agency_id, name, case_prefix, prefix, address in (
            (AGENCY, "测试市民政局", "TL", "测民依申", "测试市文明路8号"),
            (OTHER, "测试市医疗保障局", "TLB", "测医依申", "测试市健康路2号"))]

    async def load() -> None:
        engine = make_engine(stack.database_url, "intake")
        try:
            await configure_agencies(engine, clock_from_setting(stack.settings.clock),
                                     configured, actor="test")
        finally:
            await engine.dispose()

    asyncio.run(load())
    return configured


def submit(stack, agency: str, n: int, medium: str, delivery: str) -> tuple[str, str]:
    form = application(agency, n)
    form["applicant"].update(address="测试市幸福路1号", postal_code="252000")
    form["request"].update(medium=medium, delivery=delivery)
    r = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, timeout=10)
    assert r.status_code == 201, r.text
    accepted = r.json()
    app_id = accepted["application_id"]
    eventually(lambda: (c := case(stack, agency, app_id)) and c["due_on"], timeout=60)
    return app_id, accepted["case_number"]


def letters(stack, app_id: str, agency: str, count: int) -> list[dict]:
    url = f"{stack.url('notify')}/v1/cases/{app_id}/letters"
    return eventually(lambda: len(found := httpx.get(url, headers=auth(stack, agency),
                                                     timeout=10).json()) == count and found,
                      timeout=60)


def pdftotext(stack, letter_id: int, agency: str) -> str:
    r = httpx.get(f"{stack.url('notify')}/v1/letters/{letter_id}.pdf",
                  headers=auth(stack, agency), timeout=30)
    assert r.status_code == 200, r.text
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=r.content,
                         capture_output=True, check=True).stdout.decode()
    return re.sub(r"\s+", "", out)


def test_the_route_asked_for_the_agency_responsible_and_consecutive_numbers(stack, agencies):
    by_post, number_post = submit(stack, AGENCY, 616161, "paper", "post")
    pickup, _ = submit(stack, AGENCY, 626262, "paper", "pickup")
    elsewhere, number_elsewhere = submit(stack, AGENCY, 636363, "electronic", "online")

    ok(act(stack, by_post, "decision", agency=AGENCY, on="2025-09-22", outcome="disclosed"))
    ok(act(stack, pickup, "decision", agency=AGENCY, on="2025-09-22", outcome="disclosed"))
    refused = act(stack, elsewhere, "decision", agency=AGENCY, on="2025-09-22",
                  outcome="unable.not_held", ground="not_responsible",
                  responsible_agency="测试市医疗保障局")
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "responsible_contact" and "该机关的联系方式" in error["message"]
    ok(act(stack, elsewhere, "decision", agency=AGENCY, on="2025-09-22",
           outcome="unable.not_held", ground="not_responsible",
           responsible_agency="测试市医疗保障局",
           responsible_contact="测试市健康路2号，电话0635-0000010"))

    posted = pdftotext(stack, letters(stack, by_post, AGENCY, 2)[-1]["id"], AGENCY)
    assert "第三十六条第（二）项" in posted and "第（一）项" not in posted
    assert "本机关将纸质形式的上述政府信息随本答复书一并邮寄给您。" in posted
    assert f"（受理编号：{number_post}）" in posted

    picked = pdftotext(stack, letters(stack, pickup, AGENCY, 2)[-1]["id"], AGENCY)
    assert re.sub(r"\s+", "", f"请您自收到本答复书之日起，在工作时间（{HOURS}）到测试市民政局办公室"
                  "（地址：测试市文明路8号）领取纸质形式的上述政府信息") in picked
    assert "邮寄给" not in picked

    other = letters(stack, elsewhere, AGENCY, 2)[-1]
    assert other["kind"] == "reply_unable"
    told = pdftotext(stack, other["id"], AGENCY)
    assert ("第三十六条第（五）项的规定，现告知您：负责公开该政府信息的行政机关为测试市医疗保障局，"
            "联系方式：测试市健康路2号，电话0635-0000010。") in told
    assert other["number"] in told and number_elsewhere in told

    # Six letters of one agency in 2025: 测民依申〔2025〕1号 … 6号, each once; the other agency's
    # first letter starts its own numbers.
    numbers = sorted(x["number"] for app in (by_post, pickup, elsewhere)
                     for x in letters(stack, app, AGENCY, 2))
    serials = sorted(int(re.fullmatch(r"测民依申〔2025〕(\d+)号", n).group(1)) for n in numbers)
    assert serials == list(range(1, 7))
    first_other, _ = submit(stack, OTHER, 646464, "paper", "pickup")
    [ack] = letters(stack, first_other, OTHER, 1)
    assert ack["number"] == "测医依申〔2025〕1号"
    assert "测医依申〔2025〕1号" in pdftotext(stack, ack["id"], OTHER)
