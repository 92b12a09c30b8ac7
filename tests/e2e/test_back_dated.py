"""A registration entered weeks after the application arrived (issue 16, item 6): nothing sent
to the applicant promises a date already past, and a breach the sweep recorded is withdrawn
when the correction notice sent in time is entered afterwards: the case leaves the overdue
queue, the withdrawal is in its history and counted, the report no longer counts it late."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import auth, case, sms_to

pytestmark = pytest.mark.e2e

AGENCY = "e2e-late"
MOBILE = "13655550421"
DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


def counter(stack, name: str) -> float:
    text = httpx.get(f"{stack.url('casework')}/metrics", timeout=10).text
    found = re.search(rf'^{name}{{agency="{AGENCY}"}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def overdue(stack) -> set[str]:
    r = httpx.get(f"{stack.url('casework')}/v1/queues/{AGENCY}",
                  params={"view": "overdue", "limit": 2000}, headers=auth(stack, AGENCY),
                  timeout=10)
    assert r.status_code == 200, r.text
    return {c["application_id"] for c in r.json()}


def test_a_late_registration_promises_no_past_date_and_a_breach_later_facts_undo_is_withdrawn(
        stack):
    today = "2025-09-22"  # the stack's clock (tests/conftest.py)
    body = {"agency": AGENCY, "channel": "post_signed", "arrived_on": "2025-07-31",
            "received_on": "2025-08-01",
            "applicant": {"type": "natural_person", "name": "赵补录", "mobile": MOBILE,
                          "id_document_type": "resident_id", "id_number": "11010519491231002X",
                          "address": "聊城市东昌府区补录路3号"},
            "request": {"description": "2024年度临时救助资金发放名册。", "delivery": "post"}}
    registered = httpx.post(f"{stack.url('intake')}/v1/registrations", json=body,
                            headers=auth(stack, AGENCY, "registrar"), timeout=10)
    assert registered.status_code == 201, registered.text
    app_id = registered.json()["application_id"]
    opened = eventually(lambda: (c := case(stack, AGENCY, app_id)) and c["due_on"] and c)
    assert opened["due_on"] == "2025-08-29"  # 20 working days from Fri 08-01: already past

    # The acknowledgement tells the truth: the statutory date, and that it has passed.
    [ack] = eventually(lambda: sms_to(stack, MOBILE))
    assert "已届满" in ack["body"] and "尽快" in ack["body"]
    assert "8月29日前作出答复" not in ack["body"]

    breached_before = counter(stack, "gongkai_deadlines_breached_total")
    withdrawn_before = counter(stack, "gongkai_deadline_breaches_withdrawn_total")
    sweep = httpx.post(f"{stack.url('casework')}/v1/sweep",
                       headers=auth(stack, None, "city_admin"), timeout=30)
    assert sweep.status_code == 200, sweep.text
    history = [h["type"] for h in case(stack, AGENCY, app_id)["history"]]
    assert "DeadlineBreached" in history and app_id in overdue(stack)
    assert counter(stack, "gongkai_deadlines_breached_total") >= breached_before + 1

    # The correction notice was sent on 08-05, on paper; the clerk enters it today.
    notice = httpx.post(f"{stack.url('casework')}/v1/cases/{app_id}/correction-notice",
                        json={"on": "2025-08-05", "items": ["请提供身份证明复印件"]},
                        headers=auth(stack, AGENCY, "caseworker"), timeout=10)
    assert notice.status_code == 200, notice.text
    assert notice.json()["status"] == "awaiting_correction"
    facts = case(stack, AGENCY, app_id)["history"]
    [withdrawn] = [h for h in facts if h["type"] == "DeadlineBreachWithdrawn"]
    assert withdrawn["facts"]["reason"] == "clock_stopped"
    assert withdrawn["facts"]["due_on"] == "2025-08-29" and withdrawn["facts"]["on"] == today
    assert app_id not in overdue(stack)
    assert counter(stack, "gongkai_deadline_breaches_withdrawn_total") == withdrawn_before + 1

    # Nothing the applicant was sent promises a day already past.
    def promised_past(text: str) -> list[str]:
        out = []
        for m in DATE.finditer(text):
            day = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
            after = text[m.end():m.end() + 12]
            if day < today and ("前" in after[:2] or after.startswith("止")) \
                    and "届满" not in text[m.end():m.end() + 30]:
                out.append(text[max(0, m.start() - 20):m.end() + 12])
        return out

    sent = eventually(lambda: len(sms_to(stack, MOBILE)) >= 1 and sms_to(stack, MOBILE))
    for message in sent:
        assert not promised_past(message["body"]), message["body"]
