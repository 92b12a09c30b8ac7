"""Letters the law requires, over the real pipeline: composed from the case's events, stored
with the case, downloadable as PDF, e-mailed over SMTP with the PDF attached, sent once."""

from __future__ import annotations

import httpx
import pytest

from services.notify.adapters.pdf import extract_text
from tests.conftest import eventually
from tests.e2e.helpers import application, auth, case
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
