"""Letters the law requires, over the real pipeline: composed from the case's events, stored
with the case, downloadable as PDF, e-mailed over SMTP with the PDF attached, sent once."""

from __future__ import annotations

import httpx
import pytest

from services.notify.adapters.pdf import extract_text
from tests.conftest import eventually
from tests.e2e.helpers import application, auth, case, sms_to
from tests.e2e.test_casework import act, ok

pytestmark = pytest.mark.e2e

AGENCY = "e2e-notify"


def letters_of(stack, app_id: str, agency: str = AGENCY) -> httpx.Response:
    return httpx.get(f"{stack.url('notify')}/v1/cases/{app_id}/letters",
                     headers=auth(stack, agency), timeout=10)


def pdf_text(stack, letter_id: int) -> str:
    r = httpx.get(f"{stack.url('notify')}/v1/letters/{letter_id}.pdf",
                  headers=auth(stack, AGENCY), timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    return extract_text(r.content)


def test_a_refused_case_gets_its_letters_on_record_and_by_mail(stack, mailbox):
    form = application(AGENCY, 424242)
    form["applicant"]["email"] = "applicant@example.com"
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications", json=form).json()
    app_id, number = accepted["application_id"], accepted["case_number"]
    eventually(lambda: (c := case(stack, AGENCY, app_id)) and c["due_on"])
    ok(act(stack, app_id, "correction-notice", agency=AGENCY, on="2025-09-22",
           items=["请写明所需信息的名称或文号"]))
    ok(act(stack, app_id, "correction", agency=AGENCY, on="2025-09-22"))
    ok(act(stack, app_id, "extension", agency=AGENCY, role="approver", on="2025-09-22",
           working_days=10, reason="需调取档案"))
    ok(act(stack, app_id, "decision", agency=AGENCY, on="2025-09-22",
           outcome="withheld.process_info", reply_text="所申请信息属于过程性信息。"))

    kinds = ["acknowledgement", "correction_notice", "extension_notice", "reply_withheld"]
    found = eventually(lambda: (r := letters_of(stack, app_id)).status_code == 200
                       and [x["kind"] for x in r.json()] == kinds and r.json(), timeout=30)
    reply = pdf_text(stack, found[-1]["id"])
    for expected in (number, "2025年9月22日", "第十六条", "测试市人民政府", "测试区人民法院",
                     "行政复议", "第二十三条"):
        assert expected in reply.replace("\n", "").replace(" ", ""), expected
    extension = pdf_text(stack, found[2]["id"])
    assert "第三十三条" in extension and number in extension
    assert letters_of(stack, app_id, "e2e-other").status_code == 404

    # Each letter to an online applicant who gave an e-mail address is mailed once, PDF attached.
    mails = eventually(lambda: len(m := [x for x in mailbox.messages
                                         if number in str(x["Subject"])]) == 4 and m, timeout=60)
    for mail in mails:
        assert mail["To"] == "applicant@example.com"
        [attachment] = list(mail.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert number in extract_text(attachment.get_content())
    statuses = httpx.get(f"{stack.url('notify')}/v1/cases/{app_id}/messages",
                         headers=auth(stack, AGENCY)).json()
    assert sorted(m["status"] for m in statuses) == ["sent"] * 6  # 4 e-mails + 2 SMS
    assert {m["template"] for m in statuses if m["channel"] == "sms"} == {
        "acknowledgement_sms", "reply_sms"}


def test_staff_can_resend_a_letter_on_purpose_and_it_is_logged(stack, mailbox):
    form = application(AGENCY, 434343)
    form["applicant"]["email"] = "again@example.com"
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications", json=form).json()
    app_id = accepted["application_id"]
    found = eventually(lambda: (r := letters_of(stack, app_id)).status_code == 200 and r.json())
    assert [x["kind"] for x in found] == ["acknowledgement"], found
    [ack] = found
    url = f"{stack.url('notify')}/v1/letters/{ack['id']}/resend"
    assert httpx.post(url, json={"channel": "email"},
                      headers=auth(stack, AGENCY, "auditor")).status_code == 403
    assert httpx.post(url, json={"channel": "email"},
                      headers=auth(stack, AGENCY)).status_code == 202
    eventually(lambda: len([m for m in mailbox.messages
                            if m["To"] == "again@example.com"]) == 2, timeout=60)
    messages = httpx.get(f"{stack.url('notify')}/v1/cases/{app_id}/messages",
                         headers=auth(stack, AGENCY)).json()
    resent = [m for m in messages if m["template"].startswith("resend:")]
    assert len(resent) == 1 and resent[0]["requested_by"] == "tester"


def messages_of(stack, app_id: str) -> list[dict]:
    r = httpx.get(f"{stack.url('notify')}/v1/cases/{app_id}/messages",
                  headers=auth(stack, AGENCY), timeout=10)
    return r.json() if r.status_code == 200 else []


def test_the_development_sinks_answer_staff_with_their_own_agencys_messages(stack):
    form = application(AGENCY, 454545)
    number = form["applicant"]["mobile"]
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications", json=form).json()
    sink = f"{stack.url('notify')}/v1/dev/sms"
    city = auth(stack, None, "city_admin")
    [sms] = eventually(lambda: httpx.get(sink, params={"recipient": number}, headers=city,
                                         timeout=10).json(), timeout=30)
    assert sms["agency"] == AGENCY and accepted["case_number"] in sms["body"]

    for path in ("/v1/dev/sms", "/v1/dev/email"):  # no token, a bad one: nothing at all
        for headers in ({}, {"Authorization": "Bearer not.a.token"}):
            r = httpx.get(f"{stack.url('notify')}{path}", params={"recipient": number},
                          headers=headers, timeout=10)
            assert r.status_code == 401 and number not in r.text
        assert httpx.get(f"{stack.url('notify')}{path}", headers=city,
                         timeout=10).status_code == 200
    # The agency's own staff, any role, see it; another agency's staff do not, even by asking.
    own = httpx.get(sink, params={"recipient": number},
                    headers=auth(stack, AGENCY, "auditor"), timeout=10).json()
    assert own == [sms]
    other = auth(stack, "e2e-other")
    assert httpx.get(sink, params={"recipient": number}, headers=other, timeout=10).json() == []
    assert {m["agency"] for m in httpx.get(sink, headers=other, timeout=10).json()} <= {
        "e2e-other"}
    refused = httpx.get(sink, params={"agency": AGENCY}, headers=other, timeout=10)
    assert refused.status_code == 403 and number not in refused.text
    assert httpx.get(sink, params={"agency": AGENCY, "recipient": number}, headers=city,
                     timeout=10).json() == [sms]


def test_a_number_gets_at_most_five_acknowledgements_a_day(stack):
    """Issue 15: the public form cannot be used to flood a phone. The sixth application naming
    the same mobile today is accepted as any other, its letter is kept, but its acknowledgement
    SMS is not sent: staff see it on the case as capped, with the reason."""
    forms = [application(AGENCY, 464646 + i) for i in range(6)]
    number = forms[0]["applicant"]["mobile"]
    ids = []
    for form in forms:
        form["applicant"]["mobile"] = number
        r = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, timeout=10)
        assert r.status_code == 201, r.text
        ids.append(r.json()["application_id"])
    def acknowledgements() -> list[dict]:
        return [m for i in ids for m in messages_of(stack, i)
                if m["template"] == "acknowledgement_sms"]

    # Cases reach notify through several partitions: which one is the sixth is not known.
    found = eventually(lambda: len(a := acknowledgements()) == 6
                       and sorted(m["status"] for m in a) == ["capped"] + ["sent"] * 5 and a,
                       timeout=60)
    [capped] = [m for m in found if m["status"] == "capped"]
    assert "上限" in capped["last_error"] and number not in capped["last_error"]
    assert capped["sent_at"] is None and capped["attempts"] == 0
    assert len(sms_to(stack, number)) == 5
    for app_id in ids:  # each application still has its acknowledgement letter
        letters = eventually(lambda a=app_id: letters_of(stack, a).json())
        assert [x["kind"] for x in letters] == ["acknowledgement"]
