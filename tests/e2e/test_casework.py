"""A case driven through correction, consultation, extension and decision over HTTP, Kafka and
PostgreSQL, each due date checked against hand-counted dates across Spring Festival 2025
(holiday 01-28..02-04; Sunday 01-26 and Saturday 02-08 working days; 清明 04-04)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import auth, case, report

pytestmark = pytest.mark.e2e

AGENCY = "e2e-clock"


def register(stack, **overrides) -> dict:
    body = {
        "agency": AGENCY, "channel": "post_signed", "arrived_on": "2025-01-17",
        "received_on": "2025-01-20",
        "applicant": {"type": "natural_person", "name": "王五", "id_number": "11010519491231002X",
                      "address": "聊城市东昌府区某路1号"},
        "request": {"description": "2024年度养老服务补贴发放名册。", "delivery": "post"},
        **overrides,
    }
    response = httpx.post(f"{stack.url('intake')}/v1/registrations", json=body,
                          headers=auth(stack, AGENCY, "registrar"), timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def act(stack, app_id: str, command: str, role: str = "caseworker", agency: str = AGENCY,
        **body) -> httpx.Response:
    return httpx.post(f"{stack.url('casework')}/v1/cases/{app_id}/{command}", json=body,
                      headers=auth(stack, agency, role), timeout=10)


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_case_through_correction_consultation_extension_and_decision(stack):
    accepted = register(stack)
    assert accepted["received_on"] == "2025-01-20" and accepted["channel"] == "post_signed"
    app_id = accepted["application_id"]
    opened = eventually(lambda: (c := case(stack, AGENCY, app_id)) and c["due_on"] and c)
    # 20 working days from Mon 01-20: …01-24, Sun 01-26, 01-27, [holiday], 02-05..08 (Sat),
    # 02-10..14, 02-17..21.
    assert opened["due_on"] == "2025-02-21"

    # The notice sets its own period (the agency's default is the unit stories' concern).
    stopped = ok(act(stack, app_id, "correction-notice", on="2025-01-24", period_working_days=15,
                     items=["请提供身份证明复印件", "请写明所需信息的文件名称或文号"]))
    assert stopped["status"] == "awaiting_correction" and stopped["due_on"] is None
    assert stopped["correct_by"] == "2025-02-20"
    again = act(stack, app_id, "correction-notice", on="2025-01-27", items=["再补"])
    assert again.status_code == 409 and "一次" in again.json()["detail"]

    restarted = ok(act(stack, app_id, "correction", on="2025-02-10"))
    assert restarted["due_on"] == "2025-03-10"
    assert restarted["due_basis"]["counted_from"] == "2025-02-10"

    paused = ok(act(stack, app_id, "consultations", on="2025-02-12", kind="third_party",
                    party="某养老服务中心"))
    assert paused["paused_by"] == ["consultation:某养老服务中心"]
    resumed = ok(act(stack, app_id, "consultation-answer", on="2025-02-19",
                     party="某养老服务中心", answer="同意公开"))
    assert resumed["due_on"] == "2025-03-17" and resumed["due_basis"]["paused_working_days"] == 5

    refused = act(stack, app_id, "extension", on="2025-03-03", working_days=20, reason="档案量大")
    assert refused.status_code == 403
    extended = ok(act(stack, app_id, "extension", role="approver", on="2025-03-03",
                      working_days=20, reason="需调取多年档案"))
    assert extended["due_on"] == "2025-04-15" and extended["extended"] is True
    twice = act(stack, app_id, "extension", role="approver", on="2025-03-04", working_days=1,
                reason="再次延长")
    assert twice.status_code == 409

    decided = ok(act(stack, app_id, "decision", on="2025-04-10", outcome="disclosed",
                     reply_text="经审查，您申请的信息予以公开。"))
    assert decided["status"] == "concluded" and decided["outcome"] == "disclosed"
    late = act(stack, app_id, "withdrawal", on="2025-04-11")
    assert late.status_code == 409

    history = case(stack, AGENCY, app_id)["history"]
    assert [h["type"] for h in history] == [
        "CaseOpened", "CaseReceived", "DueDateSet", "CorrectionRequested", "DueDateSet",
        "CorrectionReceived", "DueDateSet", "ConsultationStarted", "ConsultationEnded",
        "DueDateSet", "ExtensionApproved", "DueDateSet", "CaseConcluded"]
    assert [h["facts"]["previous_due_on"] for h in history if h["type"] == "DueDateSet"] == [
        None, "2025-02-21", None, "2025-03-10", "2025-03-17"]
    assert history[-2]["actor"] == "tester"

    doc = eventually(lambda: (d := report(stack, 2025, AGENCY))["table3"]["disclosed"]["total"]
                     == 1 and d)
    assert doc["table3"]["new"]["total"] == 1 and doc["table3"]["carried_forward"]["total"] == 0
    assert all(c["ok"] for c in doc["checks"])


def test_staff_of_another_agency_see_and_change_nothing(stack):
    app_id = register(stack, received_on="2025-01-21")["application_id"]
    eventually(lambda: case(stack, AGENCY, app_id))
    assert case(stack, "e2e-other", app_id) is None
    foreign = act(stack, app_id, "withdrawal", agency="e2e-other", on="2025-02-03")
    assert foreign.status_code == 404
    anonymous = httpx.post(f"{stack.url('casework')}/v1/cases/{app_id}/withdrawal",
                           json={"on": "2025-02-03"})
    assert anonymous.status_code == 401
    assert case(stack, AGENCY, app_id)["status"] == "open"


def test_registration_refuses_future_and_inconsistent_dates(stack):
    url = f"{stack.url('intake')}/v1/registrations"
    base = {"agency": AGENCY, "applicant": {"type": "natural_person", "name": "赵六",
                                            "id_number": "11010519491231002X",
                                            "phone": "0635-1234567"},
            "request": {"description": "某项政策文件"}}
    cases = [
        ({"channel": "in_person", "arrived_on": "2025-09-23"}, "arrived_on"),
        ({"channel": "post_signed", "arrived_on": "2025-09-19"}, "received_on"),
        ({"channel": "post_signed", "arrived_on": "2025-09-19", "received_on": "2025-09-18"},
         "received_on"),
        ({"channel": "in_person", "arrived_on": "2025-09-19", "received_on": "2025-09-20"},
         "received_on"),
    ]
    for extra, field in cases:
        response = httpx.post(url, json={**base, **extra},
                              headers=auth(stack, AGENCY, "registrar"))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    auditor = httpx.post(url, json={**base, "channel": "in_person", "arrived_on": "2025-09-19"},
                         headers=auth(stack, AGENCY, "auditor"))
    assert auditor.status_code == 403
    letter = httpx.post(url, json={**base, "channel": "ordinary_letter",
                                   "arrived_on": "2025-09-19"},
                        headers=auth(stack, AGENCY, "registrar"))
    assert letter.status_code == 201 and letter.json()["status"] == "awaiting_confirmation"
    app_id = letter.json()["application_id"]
    waiting = eventually(lambda: case(stack, AGENCY, app_id))
    assert waiting["status"] == "awaiting_receipt" and waiting["due_on"] is None
    confirmed = ok(act(stack, app_id, "receipt", role="registrar", on="2025-09-22"))
    assert confirmed["received_on"] == "2025-09-22" and confirmed["due_on"] == "2025-10-24"


def _notice_yaml(notice) -> str:
    holidays = [f"  - {{name: {e.name}, from: {d}, to: {d}}}"
                for d, e in notice.days.items() if not e.working]
    working = [f"  - {{date: {d}, name: {e.name}}}" for d, e in notice.days.items() if e.working]
    return "\n".join([f"year: {notice.year}", f"notice: {notice.title}", "holidays:", *holidays,
                      "working_days:", *working]) + "\n"


def load_calendar(stack, yaml_text: str, role: str = "city_admin") -> httpx.Response:
    return httpx.put(f"{stack.url('casework')}/v1/calendar/2025", content=yaml_text.encode(),
                     headers={**auth(stack, None if role == "city_admin" else AGENCY, role),
                              "Content-Type": "application/yaml"}, timeout=30)


def test_loading_a_corrected_year_recomputes_the_open_cases_it_touches(stack):
    from dataclasses import replace

    from services.casework.domain.calendar import DayEntry
    from services.casework.domain.notice import notice_from_package

    app_id = register(stack, channel="in_person", arrived_on="2025-09-19",
                      received_on="2025-09-19")["application_id"]
    assert eventually(lambda: (c := case(stack, AGENCY, app_id)) and c["due_on"]) == "2025-10-23"

    original = notice_from_package(2025)
    corrected = replace(original, title="测试更正：2025-09-22 放假（虚构）", days={
        **original.days, __import__("datetime").date(2025, 9, 22): DayEntry(False, "测试", "x")})
    assert load_calendar(stack, _notice_yaml(corrected), role="caseworker").status_code == 403
    bad = load_calendar(stack, "year: 2025\nnotice: x\nholidays: []\nworkday: []\n")
    assert bad.status_code == 422 and "workday" in bad.json()["detail"]

    loaded = load_calendar(stack, _notice_yaml(corrected))
    assert loaded.status_code == 200, loaded.text
    moved = {m["application_id"]: m for m in loaded.json()["moved"]}
    assert moved[app_id]["from"] == "2025-10-23" and moved[app_id]["to"] == "2025-10-24"
    # Cases received on 09-22 itself do not count that day, so they do not move.
    assert all(m["from"] != "2025-10-24" for m in moved.values())
    after = case(stack, AGENCY, app_id)
    assert after["due_on"] == "2025-10-24"
    last = after["history"][-1]
    assert last["type"] == "DueDateSet" and last["facts"]["basis"]["rule"] == "calendar_reloaded"
    assert last["facts"]["previous_due_on"] == "2025-10-23"

    restored = load_calendar(stack, _notice_yaml(original))
    assert {m["application_id"]: m["to"] for m in restored.json()["moved"]}[app_id] == "2025-10-23"
    years = httpx.get(f"{stack.url('casework')}/v1/calendar",
                      headers=auth(stack, AGENCY)).json()
    assert any(y["year"] == 2025 and y["loaded_by"] == "tester" for y in years)


def test_queues_show_what_is_due_paused_and_overdue(stack):
    late = register(stack, channel="in_person", arrived_on="2025-08-01",
                    received_on="2025-08-01")["application_id"]
    paused = register(stack, channel="in_person", arrived_on="2025-09-15",
                      received_on="2025-09-15")["application_id"]
    eventually(lambda: case(stack, AGENCY, paused) and case(stack, AGENCY, late))
    ok(act(stack, paused, "consultations", on="2025-09-16", kind="other_agency",
           party="市财政局"))

    def view(name: str, **params) -> dict[str, dict]:
        r = httpx.get(f"{stack.url('casework')}/v1/queues/{AGENCY}",
                      params={"view": name, **params}, headers=auth(stack, AGENCY))
        assert r.status_code == 200, r.text
        return {c["application_id"]: c for c in r.json()}

    overdue = view("overdue")
    # Due Fri 2025-08-29; today Mon 2025-09-22 is the 16th working day after it.
    assert overdue[late]["due_on"] == "2025-08-29" and overdue[late]["working_days_left"] == -16
    assert view("paused")[paused]["paused_because"] == ["征求市财政局意见"]
    assert paused not in view("overdue") and paused not in view("due_soon", within=60)
    dues = [c["due_on"] for c in view("open").values() if c["due_on"]]
    assert dues == sorted(dues)
    foreign = httpx.get(f"{stack.url('casework')}/v1/queues/{AGENCY}",
                        headers=auth(stack, "e2e-other"))
    assert foreign.status_code == 403
    # The sweep (scheduled; here run at once) records the missed deadline, once.
    sweep = f"{stack.url('casework')}/v1/sweep"
    assert httpx.post(sweep, headers=auth(stack, AGENCY)).status_code == 403
    assert httpx.post(sweep, headers=auth(stack, None, "city_admin")).status_code == 200
    assert httpx.post(sweep, headers=auth(stack, None, "city_admin")).status_code == 200
    breached = [h for h in case(stack, AGENCY, late)["history"]
                if h["type"] == "DeadlineBreached"]
    assert len(breached) == 1 and breached[0]["facts"]["due_on"] == "2025-08-29"


def test_the_per_item_fee_counts_the_applicants_applications_this_month(stack):
    # The 11th application of one applicant to one agency in September 2025 costs ¥100; the
    # applicant is recognised across cases by the ID number, which casework never stores.
    ids = [register(stack, channel="in_person", arrived_on=f"2025-09-{day:02d}",
                    received_on=f"2025-09-{day:02d}",
                    applicant={"type": "natural_person", "name": "频繁申请人",
                               "id_number": "510107202312311234", "phone": "0635-7654321",
                               "address": "某地"}
                    )["application_id"]
           for day in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15)]
    eventually(lambda: all(case(stack, AGENCY, i) for i in ids))
    free = act(stack, ids[9], "fee-notice", on="2025-09-16", method="per_item")
    assert free.status_code == 409 and "不收费" in free.json()["detail"]  # the 10th is free
    eleventh = ok(act(stack, ids[10], "fee-notice", on="2025-09-16", method="per_item"))
    notice = [h for h in case(stack, AGENCY, ids[10])["history"]
              if h["type"] == "FeeNoticeIssued"][0]["facts"]
    assert notice["nth_this_month"] == 11 and notice["amount_yuan"] == "100.00"
    assert eleventh["paused_by"] == ["fee"] and eleventh["fee_pay_by"] == "2025-10-20"
