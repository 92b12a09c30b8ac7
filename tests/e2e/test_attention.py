"""What needs a person, over the real pipeline: an SMS its provider refuses ('failed', with the
provider's reason) and one whose send was interrupted by the notify process dying while the
provider had it ('unknown'), listed for the agency's staff with their case numbers, for the city
administrator across the city, for nobody else; the list agrees with the metric."""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import text

from services.notify.entrypoints.http import INTERRUPTED
from tests.conftest import eventually
from tests.e2e.helpers import application, auth

pytestmark = pytest.mark.e2e

AGENCY = "e2e-attention"
SECRET_ENV = "GONGKAI_E2E_ALIYUN_SECRET"
REFUSED = "13900000001"  # the fake provider says this number is illegal (not retryable)
HANGS = "13900000002"  # the fake provider takes this one and never answers


class FakeAliyun(BaseHTTPRequestHandler):
    """Alibaba Cloud's SendSms as far as notify sees it: refuses one number, hangs on another."""

    hanging = threading.Event()  # a send to HANGS has reached the provider
    release = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - http.server's API
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        phone = form["PhoneNumbers"][0]
        if phone == HANGS:
            FakeAliyun.hanging.set()
            FakeAliyun.release.wait(30)
            return
        code = "isv.MOBILE_NUMBER_ILLEGAL" if phone == REFUSED else "OK"
        body = json.dumps({"Code": code, "Message": "非法手机号" if code != "OK" else "OK",
                           "RequestId": "e2e", "BizId": "e2e-biz"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAliyun)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    FakeAliyun.release.set()
    server.shutdown()


async def _configure(stack, endpoint: str) -> None:
    from services.intake.service_layer.handlers import configure_agencies
    from shared.clock import clock_from_setting
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    agency = AgencyConfigured(
        agency_id=AGENCY, name="测试提醒民政局", case_prefix="TATT", disclosure_body="办公室",
        address="测试地址", phone="0635-0000000",
        reconsideration_organ=Office(name="测试市人民政府"), court=Office(name="测试区人民法院"),
        sms={"provider": "aliyun", "access_key_id": "e2e-key",
             "access_key_secret": f"env:{SECRET_ENV}", "sign_name": "测试",
             "endpoint": endpoint, "template.acknowledgement_sms": "SMS_1"})
    engine = make_engine(stack.database_url, "intake")
    try:
        await configure_agencies(engine, clock_from_setting(stack.settings.clock), [agency],
                                 actor="test")
    finally:
        await engine.dispose()


async def _as_if_interrupted_long_ago(stack) -> int:
    """The interrupted send began an hour earlier (notify's clock starts afresh at each start,
    so without this the restarted sender would wait minutes before judging it interrupted)."""
    from shared.db import make_engine

    engine = make_engine(stack.database_url, "notify")
    try:
        async with engine.begin() as conn:
            return (await conn.execute(text(
                """UPDATE messages SET sending_since = sending_since - interval '1 hour'
                   WHERE agency = :a AND status = 'sending'"""), {"a": AGENCY})).rowcount
    finally:
        await engine.dispose()


def submit(stack, n: int, mobile: str) -> dict:
    form = application(AGENCY, n)
    form["applicant"]["mobile"] = mobile
    r = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def attention(stack, agency: str, who: dict, **params) -> httpx.Response:
    return httpx.get(f"{stack.url('notify')}/v1/attention/{agency}", params=params,
                     headers=who, timeout=10)


def statuses(stack, app_id: str) -> list[str]:
    r = httpx.get(f"{stack.url('notify')}/v1/cases/{app_id}/messages",
                  headers=auth(stack, AGENCY), timeout=10)
    return [m["status"] for m in r.json()] if r.status_code == 200 else []


def metric(stack) -> dict[str, int]:
    body = httpx.get(f"{stack.url('notify')}/metrics", timeout=10).text
    return {status: int(float(value)) for status, value in re.findall(
        r'^gongkai_messages_needing_attention\{status="(\w+)"\} (\S+)$', body, re.MULTILINE)}


def test_failed_and_interrupted_messages_are_listed_for_their_agency_only(stack, provider):
    # Notify reads the provider's secret from its environment: restart it with one.
    os.environ[SECRET_ENV] = "e2e-aliyun-secret"
    stack.stop_service("notify")
    stack.start_service("notify")
    stack.wait_healthy(("notify",), timeout=90)
    asyncio.run(_configure(stack, provider))

    refused = submit(stack, 717171, REFUSED)
    eventually(lambda: statuses(stack, refused["application_id"]) == ["failed"], timeout=60)

    # The provider has the next SMS when the process dies: did it go out? Nobody can tell.
    interrupted = submit(stack, 727272, HANGS)
    assert FakeAliyun.hanging.wait(60), "the SMS never reached the provider"
    stack.stop_service("notify", kill=True)
    assert asyncio.run(_as_if_interrupted_long_ago(stack)) == 1
    stack.start_service("notify")
    stack.wait_healthy(("notify",), timeout=90)
    eventually(lambda: statuses(stack, interrupted["application_id"]) == ["unknown"], timeout=60)

    staff = auth(stack, AGENCY)
    r = attention(stack, AGENCY, staff)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert r.headers["X-Total-Count"] == "2" and listed["total"] == 2
    assert listed["counts"] == {"failed": 1, "unknown": 1}
    by_case = {m["case_number"]: m for m in listed["messages"]}
    assert by_case.keys() == {refused["case_number"], interrupted["case_number"]}
    failed, unknown = by_case[refused["case_number"]], by_case[interrupted["case_number"]]
    assert failed["application_id"] == refused["application_id"]
    assert (failed["status"], failed["channel"], failed["template"]) == (
        "failed", "sms", "acknowledgement_sms")
    assert failed["reason"].startswith("isv.MOBILE_NUMBER_ILLEGAL") and failed["attempts"] == 1
    assert unknown["status"] == "unknown" and unknown["reason"] == INTERRUPTED
    assert failed["letter_id"] is None and failed["at"] and unknown["at"]
    ats = [m["at"] for m in listed["messages"]]
    assert ats == sorted(ats, reverse=True)  # the latest first (the interrupted one aged above)
    only_unknown = attention(stack, AGENCY, staff, status="unknown")
    assert [m["id"] for m in only_unknown.json()["messages"]] == [unknown["id"]]
    assert only_unknown.headers["X-Total-Count"] == "1"
    paged = attention(stack, AGENCY, staff, limit=1, offset=1).json()
    assert [m["id"] for m in paged["messages"]] == [listed["messages"][1]["id"]]
    assert paged["total"] == 2
    assert attention(stack, AGENCY, auth(stack, AGENCY, "auditor")).status_code == 200

    # Another agency's staff see none of it, and cannot ask for it or for the city.
    other = auth(stack, "e2e-other", "caseworker", "approver")
    refused_other = attention(stack, AGENCY, other)
    assert refused_other.status_code == 403
    assert refused["case_number"] not in refused_other.text
    theirs = attention(stack, "e2e-other", other).json()
    assert not {m["id"] for m in theirs["messages"]} & {failed["id"], unknown["id"]}
    assert attention(stack, "city", other).status_code == 403
    assert attention(stack, "city", staff).status_code == 403

    # The city administrator sees them among the city's; the city list is what the metric counts.
    admin = auth(stack, None, "city_admin")
    city = attention(stack, "city", admin, limit=500).json()
    assert {failed["id"], unknown["id"]} <= {m["id"] for m in city["messages"]}
    assert {m["agency"] for m in city["messages"] if m["id"] == failed["id"]} == {AGENCY}
    eventually(lambda: metric(stack) == attention(stack, "city", admin).json()["counts"],
               timeout=60)
    assert attention(stack, AGENCY, admin).json()["total"] == 2
