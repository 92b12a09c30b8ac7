"""What the console offers on a case is what `decide` accepts: by role, by the case's state, and
by the dates still open (a notice sent on time may be entered late)."""

from __future__ import annotations

from services.casework.domain import commands as c
from services.casework.domain.available import available
from shared.contracts.applications import Channel
from tests.unit.test_case import D, Story


def offered(s: Story, roles=("caseworker",), today: str | None = None) -> list[str]:
    return available(s.case, s.ctx(roles, D(today) if today else None))


def test_before_receipt_a_registrar_may_only_confirm_it_and_nobody_may_decide():
    s = Story(today="2025-09-23", channel=Channel.ordinary_letter)
    assert offered(s, roles=["registrar"]) == ["receipt"]
    assert "decision" not in offered(s)


def test_an_open_case_offers_what_a_caseworker_may_do_but_not_the_extension():
    s = Story(today="2025-09-24").receipt("2025-09-22")
    caseworker = offered(s)
    assert "receipt" not in caseworker  # already confirmed: it would record nothing
    assert {"correction-notice", "consultations", "fee-notice", "decision",
            "withdrawal"} <= set(caseworker)
    assert "extension" not in caseworker and "extension" in offered(s, roles=["approver"])
    assert offered(s, roles=["auditor"]) == []


def test_a_late_entry_of_a_timely_correction_notice_is_still_offered():
    # Received 22 September; 7 working days end on 30 September. On 20 October the notice can
    # only be entered back-dated, which `decide` accepts as long as it is dated in time.
    s = Story(today="2025-10-20").receipt("2025-09-22")
    assert "correction-notice" in offered(s)
    s.when(c.RequestCorrection(D("2025-09-25"), ("写明文号",)), today="2025-10-20")
    now = offered(s, today="2025-10-20")
    assert "correction" in now and "correction-notice" not in now
    assert "decision" not in now  # no reply while the applicant is correcting


def test_a_concluded_case_offers_only_reviews():
    s = Story(today="2025-10-10").receipt("2025-09-22")
    s.when(c.Decide(D("2025-10-09"), "disclosed"))
    assert offered(s) == ["reviews"]
    s.when(c.FileReview(D("2025-10-10"), "聊复〔2025〕1号", "reconsideration", "聊城市人民政府"))
    assert offered(s) == ["reviews", "review-result"]
