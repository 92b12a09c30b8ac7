"""One application flows end to end over real HTTP, PostgreSQL and the Kafka-protocol broker."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from shared.db import plain_url
from tests.conftest import eventually
from tests.e2e.helpers import application, case, cases, report, sms_to

pytestmark = pytest.mark.e2e


def test_online_application_opens_a_case_is_counted_and_acknowledged(stack):
    form = application("e2e-flow", 1)
    response = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, timeout=10)
    assert response.status_code == 201, response.text
    accepted = response.json()
    assert accepted["case_number"] == "T1-2025-00001"
    assert accepted["received_on"] == "2025-09-22"
    app_id = accepted["application_id"]

    found = eventually(lambda: (c := case(stack, "e2e-flow", app_id)) and c["due_on"] and c)
    assert found["status"] == "open"
    assert found["received_on"] == "2025-09-22"
    # docs/domain.md#working-days: received Mon 2025-09-22, +20 working days across National
    # Day → 2025-10-24.
    assert found["due_on"] == "2025-10-24"
    assert found["due_provisional"] is False
    assert found["due_basis"]["counted_from"] == "2025-09-22"
    assert [h["type"] for h in found["history"]] == ["CaseOpened", "CaseReceived", "DueDateSet"]

    doc = eventually(lambda: (d := report(stack, 2025, "e2e-flow"))["table3"]["new"]["total"]
                     and d)
    assert doc["format"] == "gov-info-annual-report/2021"
    assert doc["table3"]["new"] == {
        "natural_person": 1, "commercial_enterprise": 0, "research_institution": 0,
        "public_interest_org": 0, "legal_service_org": 0, "other_org": 0, "total": 1,
    }
    assert len(doc["table3"]) == 25
    assert all(len(row) == 7 for row in doc["table3"].values())
    assert doc["table3"]["carried_forward"]["total"] == 1
    assert all(check["ok"] for check in doc["checks"]), doc["checks"]
    assert doc["as_of_event"] > 0

    [sms] = eventually(lambda: sms_to(stack, form["applicant"]["mobile"]))
    assert "T1-2025-00001" in sms["body"]
    assert "测试1号民政局" in sms["body"]
    assert "2025年9月22日" in sms["body"] and "2025年10月24日" in sms["body"]
    assert form["applicant"]["id_number"] not in sms["body"]

    # One event in, one event out (issue 18): intake stores one fact, casework one, and each
    # consumer takes one message for this application, not two and three.
    stored = query(stack, """SELECT 'intake', type FROM intake.events WHERE stream_id = $1
                             UNION ALL SELECT 'casework', type FROM casework.events
                             WHERE stream_id = $1""", app_id)
    assert sorted(tuple(r) for r in stored) == [("casework", "CaseOpened"),
                                                ("intake", "ApplicationSubmitted")]
    consumed = [tuple(r) for r in query(stack, """
        SELECT s, count(*) FROM (SELECT 'casework' s, envelope FROM casework.inbox
            UNION ALL SELECT 'reporting', envelope FROM reporting.inbox
            UNION ALL SELECT 'notify', envelope FROM notify.inbox) i
        WHERE envelope->>'stream_id' = $1 GROUP BY s ORDER BY s""", app_id)]
    assert consumed == [("casework", 1), ("notify", 1), ("reporting", 1)]


def query(stack, sql: str, *args):
    async def run():
        conn = await asyncpg.connect(plain_url(stack.database_url))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def test_the_same_idempotency_key_twice_yields_one_application(stack):
    form = application("e2e-idem", 2)
    headers = {"Idempotency-Key": "idem-test-key-1"}
    first = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, headers=headers)
    second = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"

    changed = dict(form, request={"description": "另一项不同的申请内容。"})
    reused = httpx.post(f"{stack.url('intake')}/v1/applications", json=changed, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"

    eventually(lambda: sms_to(stack, form["applicant"]["mobile"]))
    # A later, unrelated application acts as a barrier: once it is counted, anything the
    # duplicate might have caused would have been counted too.
    barrier = httpx.post(f"{stack.url('intake')}/v1/applications",
                         json=application("e2e-idem", 3)).json()
    eventually(lambda: any(c["application_id"] == barrier["application_id"] and c["due_on"]
                           for c in cases(stack, "e2e-idem")))
    eventually(lambda: report(stack, 2025, "e2e-idem")["table3"]["new"]["total"] == 2)
    assert len(cases(stack, "e2e-idem")) == 2
    assert len(sms_to(stack, form["applicant"]["mobile"])) == 1
