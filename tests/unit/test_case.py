"""Given facts / when a command / then facts: every rule of docs/domain.md (receipt to
fees) and every refusal.

Dates are hand-counted on the official calendar (2025: National Day holiday 10-01..10-08,
Saturday 10-11 a working day; 2024: Spring Festival 02-10..02-17, Sunday 02-04 and Sunday
02-18 working days).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given as hgiven
from hypothesis import settings
from hypothesis import strategies as st

from services.casework.domain import commands as c
from services.casework.domain.calendar import default_calendar
from services.casework.domain.case import Case, Pause, fold
from services.casework.domain.deadline import paused_working_days
from services.casework.domain.decide import OutOfOrder, decide, from_intake, recompute
from services.casework.domain.notice import parse_notice
from shared.contracts.agencies import AgencyPolicies
from shared.contracts.applications import (
    Applicant,
    ApplicationSubmitted,
    Channel,
    ReceiptConfirmed,
    RequestedInformation,
)
from shared.contracts.cases import (
    CaseConcluded,
    CaseOpened,
    CaseReceived,
    CaseWithdrawn,
    ConsultationEnded,
    ConsultationStarted,
    CorrectionLapsed,
    CorrectionReceived,
    CorrectionRequested,
    DeadlineBreached,
    DeadlineBreachWithdrawn,
    DueDateSet,
    ExtensionApproved,
    FeeLapsed,
    FeeNoticeIssued,
    FeePaid,
    ReasonsRequested,
    ReviewDecided,
    ReviewFiled,
)
from shared.refusals import Reason, Refused

CAL = default_calendar()
APP = uuid.uuid4()
D = date.fromisoformat


def submitted(channel: Channel = Channel.online) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=APP, case_number="LCMZJ-2025-00001", channel=channel,
        submitted_at=datetime(2025, 9, 22, 1, tzinfo=UTC),
        applicant=Applicant(type="natural_person", name="张明", mobile="13800138000"),
        applicant_keys=["k2:5f1d0e4c9a7b3e21d8c6f0a4b2e9d7c1",
                        "k1:0b3c8e2f7a9d1c4e6b0a5f3d8c2e7a91"],
        request=RequestedInformation(description="低保资金发放情况"),
    )


# Stories that count days to a correction's end give the period themselves, so that they
# hold whatever the default is; the default's own test is the first correction story.
FIFTEEN_DAYS_TO_CORRECT = AgencyPolicies(correction_period_working_days=15)


class Story:
    """Facts so far; `when` decides a command against them and records what follows."""

    def __init__(self, today: str = "2025-12-31", channel: Channel = Channel.online,
                 policies: AgencyPolicies | None = None) -> None:
        self.today = D(today)
        self.policies = policies or AgencyPolicies()
        self.facts = list(from_intake(None, submitted(channel), self.ctx()))

    def ctx(self, roles=("caseworker",), today: date | None = None) -> c.Context:
        return c.Context(today=today or self.today, calendar=CAL, policies=self.policies,
                         actor="clerk", roles=frozenset(roles))

    @property
    def case(self) -> Case:
        edges = (self.policies.pause_includes_dispatch_day, self.policies.pause_includes_answer_day)
        return fold(self.facts, pause_edges=edges)

    def receipt(self, on: str = "2025-09-22") -> Story:
        receipt = ReceiptConfirmed(application_id=APP, received_on=D(on), confirmation="test")
        self.facts += from_intake(self.case, receipt, self.ctx())
        return self

    def when(self, command, roles=("caseworker",), today: str | None = None) -> list:
        new = decide(self.case, command, self.ctx(roles, D(today) if today else None))
        self.facts += new
        return new

    def refused(self, command, roles=("caseworker",), today: str | None = None) -> Refused:
        with pytest.raises(Refused) as caught:
            decide(self.case, command, self.ctx(roles, D(today) if today else None))
        return caught.value


def types(facts) -> list[str]:
    return [type(f).__name__ for f in facts]


# --- receipt and the reply period (docs/domain.md#receipt, docs/domain.md#reply-period) -----

def test_a_submission_opens_a_case_whose_clock_does_not_run_yet():
    s = Story()
    assert types(s.facts) == ["CaseOpened"]
    assert s.case.status == "awaiting_receipt" and s.case.due_on is None
    assert s.facts[0].applicant_keys == submitted().applicant_keys  # intake's, passed on
    assert s.case.applicant_keys == tuple(submitted().applicant_keys)


def test_receipt_starts_twenty_working_days_across_national_day():
    s = Story().receipt("2025-09-22")
    received, due = s.facts[1:]
    assert isinstance(received, CaseReceived) and received.received_on == D("2025-09-22")
    assert isinstance(due, DueDateSet) and due.due_on == D("2025-10-24")
    assert due.basis.counted_from == D("2025-09-22") and due.basis.provisional is False


def test_receipt_across_spring_festival_and_its_extension():
    s = Story(today="2024-03-08").receipt("2024-02-05")
    assert s.case.due_on == D("2024-03-08")
    s.when(c.ApproveExtension(D("2024-03-08"), 20, "需调取档案"), roles=["approver"])
    assert s.case.due_on == D("2024-04-08")


def test_redelivered_intake_facts_decide_nothing():
    s = Story().receipt()
    assert from_intake(s.case, submitted(), s.ctx()) == []
    again = ReceiptConfirmed(application_id=APP, received_on=D("2025-09-23"), confirmation="x")
    assert from_intake(s.case, again, s.ctx()) == []


def test_a_receipt_before_its_submission_is_out_of_order():
    receipt = ReceiptConfirmed(application_id=APP, received_on=D("2025-09-22"), confirmation="x")
    with pytest.raises(OutOfOrder):
        from_intake(None, receipt, Story().ctx())


def test_staff_confirm_receipt_back_dated_but_never_in_the_future():
    s = Story(today="2025-09-24")
    assert s.refused(c.ConfirmReceipt(D("2025-09-25"))).field == "on"
    refusal = s.refused(c.ConfirmReceipt(D("2025-09-23")), roles=["auditor"])
    assert refusal.reason is Reason.FORBIDDEN
    s.when(c.ConfirmReceipt(D("2025-09-22")), roles=["registrar"])
    assert s.case.received_on == D("2025-09-22") and s.case.due_on == D("2025-10-24")
    assert s.refused(c.ConfirmReceipt(D("2025-09-23"))).field == "on"


def test_commands_before_receipt_or_before_the_last_act_are_refused():
    s = Story()
    assert "尚未确认收到" in s.refused(c.Withdraw(D("2025-09-22"))).message
    s.receipt("2025-09-22")
    s.when(c.StartConsultation(D("2025-09-25"), "third_party", "某公司"))
    refusal = s.refused(c.Withdraw(D("2025-09-24")))
    assert refusal.field == "on" and refusal.reason is Reason.INVALID


# --- correction (Art. 30) ---------------------------------------------------------------

def test_a_correction_notice_stops_the_clock_within_seven_working_days():
    s = Story().receipt("2025-09-22")
    assert s.refused(c.RequestCorrection(D("2025-10-09"), ("身份证明",))).field == "on"
    facts = s.when(c.RequestCorrection(D("2025-09-30"), ("请提供身份证明", "请明确所需信息")))
    notice, stopped = facts
    assert isinstance(notice, CorrectionRequested)
    # The default period, 15 working days after 09-30: 10-09, 10, 11 (Sat, working) … 10-28.
    assert notice.correct_by == D("2025-10-28") and notice.period_working_days == 15
    assert isinstance(stopped, DueDateSet) and stopped.due_on is None
    assert stopped.previous_due_on == D("2025-10-24")
    assert s.case.status == "awaiting_correction"
    assert "一次" in s.refused(c.RequestCorrection(D("2025-09-30"), ("再补",))).message


def test_the_agency_policy_sets_the_correction_period():
    s = Story(policies=AgencyPolicies(correction_period_working_days=10)).receipt("2025-09-22")
    [notice, _] = s.when(c.RequestCorrection(D("2025-09-23"), ("身份证明",)))
    assert notice.period_working_days == 10 and notice.correct_by == D("2025-10-13")


def test_a_correction_received_restarts_the_reply_period():
    s = Story().receipt("2025-09-22")
    s.when(c.RequestCorrection(D("2025-09-30"), ("身份证明",)))
    received, restarted = s.when(c.ReceiveCorrection(D("2025-10-20")))
    assert isinstance(received, CorrectionReceived)
    assert restarted.due_on == D("2025-11-17") and restarted.basis.counted_from == D("2025-10-20")
    assert s.case.status == "open" and s.case.received_on == D("2025-09-22")


def test_a_late_correction_needs_a_good_reason():
    s = Story().receipt("2025-09-22")
    s.when(c.RequestCorrection(D("2025-09-30"), ("身份证明",)))
    assert s.refused(c.ReceiveCorrection(D("2025-10-29"))).field == "late_reason"
    s.when(c.ReceiveCorrection(D("2025-10-29"), late_reason="邮寄延误，有邮戳为证"))
    assert s.case.due_on == D("2025-11-26")


def test_no_correction_in_time_is_deemed_abandoned_by_the_sweep():
    s = Story(policies=FIFTEEN_DAYS_TO_CORRECT).receipt("2025-09-22")
    s.when(c.RequestCorrection(D("2025-09-30"), ("身份证明",)))
    assert s.when(c.Sweep(), today="2025-10-28") == []
    lapsed, concluded = s.when(c.Sweep(), today="2025-10-30")
    assert isinstance(lapsed, CorrectionLapsed) and lapsed.on == D("2025-10-29")
    assert isinstance(concluded, CaseConcluded) and concluded.outcome == "other.no_correction"
    assert s.case.concluded


def test_still_unclear_only_after_a_correction():
    s = Story().receipt("2025-09-22")
    decision = c.Decide(D("2025-09-29"), "unable.still_unclear")
    assert s.refused(decision).field == "outcome"
    s.when(c.RequestCorrection(D("2025-09-24"), ("所需信息不明确",)))
    assert "补正" in s.refused(c.Decide(D("2025-09-25"), "disclosed")).message
    s.when(c.ReceiveCorrection(D("2025-09-29")))
    [concluded] = s.when(decision)
    assert concluded.outcome == "unable.still_unclear"
    assert concluded.legal_basis.endswith("第三十条")


# --- extension (Art. 33) ---------------------------------------------------------------

def test_an_extension_once_only_by_the_approver_before_the_due_date():
    s = Story().receipt("2025-09-22")
    extension = c.ApproveExtension(D("2025-10-20"), 20, "需要调取档案")
    assert s.refused(extension, roles=["caseworker"]).reason is Reason.FORBIDDEN
    assert s.refused(c.ApproveExtension(D("2025-10-20"), 21, "x理由"),
                     roles=["approver"]).field == "working_days"
    approved, due = s.when(extension, roles=["approver"])
    assert isinstance(approved, ExtensionApproved) and approved.approved_by == "clerk"
    assert due.due_on == D("2025-11-21") and due.previous_due_on == D("2025-10-24")
    assert "一次" in s.refused(c.ApproveExtension(D("2025-10-21"), 5, "再延"),
                               roles=["approver"]).message


def test_no_extension_after_the_due_date():
    s = Story().receipt("2025-09-22")
    refusal = s.refused(c.ApproveExtension(D("2025-10-27"), 10, "来不及"), roles=["approver"])
    assert refusal.field == "on"


# --- consultation (Art. 32, 34) --------------------------------------------------------

def test_a_consultation_pauses_the_clock_and_moves_the_due_date_out():
    s = Story().receipt("2025-09-22")
    [started] = s.when(c.StartConsultation(D("2025-10-09"), "third_party", "某科技有限公司"))
    assert isinstance(started, ConsultationStarted) and started.answer_by == D("2025-10-29")
    assert s.case.open_pauses
    ended, due = s.when(c.EndConsultation(D("2025-10-14"), "某科技有限公司", "不同意公开"))
    assert isinstance(ended, ConsultationEnded) and ended.how == "answered"
    # Paused: 10-10, 10-11 (Sat, working), 10-13, 10-14 → 4 working days.
    assert due.basis.paused_working_days == 4 and due.due_on == D("2025-10-30")


def test_the_pause_edges_are_the_agencys_policy():
    policies = AgencyPolicies(pause_includes_dispatch_day=True)
    s = Story(policies=policies).receipt("2025-09-22")
    s.when(c.StartConsultation(D("2025-10-09"), "other_agency", "市财政局"))
    s.when(c.EndConsultation(D("2025-10-14"), "市财政局"))
    assert s.case.due_on == D("2025-10-31")


def test_a_silent_consulted_party_lapses_after_fifteen_working_days():
    s = Story().receipt("2025-09-22")
    s.when(c.StartConsultation(D("2025-10-09"), "third_party", "某科技有限公司"))
    assert s.when(c.Sweep(), today="2025-10-29") == []
    ended, due = s.when(c.Sweep(), today="2025-10-30")
    assert ended.how == "lapsed" and ended.on == D("2025-10-29")
    assert due.basis.paused_working_days == 15 and due.due_on == D("2025-11-14")


def test_overlapping_consultations_stop_the_clock_once():
    s = Story().receipt("2025-09-22")
    s.when(c.StartConsultation(D("2025-10-09"), "third_party", "甲公司"))
    s.when(c.StartConsultation(D("2025-10-10"), "other_agency", "市财政局"))
    again = s.refused(c.StartConsultation(D("2025-10-10"), "third_party", "甲公司"))
    assert "已在" in again.message
    s.when(c.EndConsultation(D("2025-10-13"), "甲公司"))
    s.when(c.EndConsultation(D("2025-10-14"), "市财政局"))
    assert s.case.due_basis.paused_working_days == 4 and s.case.due_on == D("2025-10-30")


# --- fee (Art. 42, 国办函〔2020〕109号) ---------------------------------------------------

def test_a_fee_notice_pauses_the_clock_until_paid():
    s = Story().receipt("2025-09-22")
    [notice] = s.when(c.IssueFeeNotice(D("2025-10-13"), "per_volume", pages=100))
    assert isinstance(notice, FeeNoticeIssued) and notice.amount_yuan == Decimal("700.00")
    assert notice.pay_by == D("2025-11-10") and notice.pauses_clock
    paid, due = s.when(c.RecordFeePayment(D("2025-10-16")))
    assert isinstance(paid, FeePaid) and paid.amount_yuan == Decimal("700.00")
    assert due.basis.paused_working_days == 3 and due.due_on == D("2025-10-29")


def test_per_item_fee_uses_the_applicants_count_this_month():
    s = Story().receipt("2025-09-22")
    assert s.refused(c.IssueFeeNotice(D("2025-09-23"), "per_item", nth_this_month=10)).field
    [notice] = s.when(c.IssueFeeNotice(D("2025-09-23"), "per_item", nth_this_month=31))
    assert notice.amount_yuan == Decimal("200.00")


def test_without_the_pause_policy_a_fee_does_not_stop_the_clock():
    s = Story(policies=AgencyPolicies(fee_pauses_clock=False)).receipt("2025-09-22")
    s.when(c.IssueFeeNotice(D("2025-10-13"), "per_volume", pages=31))
    assert not s.case.open_pauses
    assert s.when(c.RecordFeePayment(D("2025-10-16"))) == [s.facts[-1]]
    assert s.case.due_on == D("2025-10-24")


def test_an_unpaid_fee_is_deemed_abandoned_by_the_sweep():
    s = Story().receipt("2025-09-22")
    s.when(c.IssueFeeNotice(D("2025-10-13"), "per_volume", pages=31))
    assert "一次" not in s.refused(c.IssueFeeNotice(D("2025-10-13"), "per_volume", pages=40)
                                   ).message
    lapsed, concluded = s.when(c.Sweep(), today="2025-11-12")
    assert isinstance(lapsed, FeeLapsed) and lapsed.on == D("2025-11-11")
    assert concluded.outcome == "other.no_fee_payment"
    late = s.refused(c.RecordFeePayment(D("2025-11-12")), today="2025-11-12")
    assert late.reason is Reason.CONFLICT


def test_no_fee_notice_outside_the_reply_period():
    s = Story().receipt("2025-09-22")
    assert s.refused(c.IssueFeeNotice(D("2025-10-27"), "per_volume", pages=500)).field == "on"


# --- Art. 35, withdrawal, decision --------------------------------------------------------

def test_excessive_requests_need_reasons_asked_first():
    s = Story().receipt("2025-09-22")
    assert s.refused(c.Decide(D("2025-09-24"), "not_processed.excessive")).field == "outcome"
    assert "理由" in s.refused(c.SetReasonableDueDate(D("2025-09-24"), D("2025-12-31"), "量大")
                               ).message
    [asked] = s.when(c.RequestReasons(D("2025-09-24"), "一个月内提出87件申请"))
    assert isinstance(asked, ReasonsRequested)
    assert s.refused(c.SetReasonableDueDate(D("2025-09-25"), D("2025-10-20"), "量大"),
                     ).field == "due_on"
    assert s.refused(c.SetReasonableDueDate(D("2025-09-25"), D("2025-12-27"), "量大"),
                     ).field == "due_on"  # a Saturday
    [due] = s.when(c.SetReasonableDueDate(D("2025-09-25"), D("2025-12-26"), "申请量大"))
    assert due.due_on == D("2025-12-26") and due.basis.set_date == D("2025-12-26")
    [concluded] = s.when(c.Decide(D("2025-09-26"), "not_processed.excessive", "不予处理"))
    assert concluded.outcome == "not_processed.excessive"


def test_withdrawal_concludes_as_other_and_nothing_follows():
    s = Story().receipt("2025-09-22")
    withdrawn, concluded = s.when(c.Withdraw(D("2025-09-25"), "申请人来电撤回"))
    assert isinstance(withdrawn, CaseWithdrawn) and concluded.outcome == "other.other"
    assert "已办结" in s.refused(c.Decide(D("2025-09-26"), "disclosed")).message


def test_a_decision_records_exactly_one_of_the_21_outcomes():
    s = Story().receipt("2025-09-22")
    assert s.refused(c.Decide(D("2025-09-24"), "approved")).reason is Reason.INVALID
    assert s.refused(c.Decide(D("2025-09-24"), "other.no_correction")).field == "outcome"
    [concluded] = s.when(c.Decide(D("2025-09-24"), "partially_disclosed", "部分公开"))
    assert concluded.legal_basis.endswith("第三十七条")
    assert s.case.outcome == "partially_disclosed" and s.case.concluded_on == D("2025-09-24")


def test_a_reply_providing_the_information_otherwise_than_asked_says_why():
    s = Story().receipt("2025-09-22")
    for outcome in ("disclosed", "partially_disclosed"):
        refusal = s.refused(c.Decide(D("2025-09-24"), outcome, medium="paper"))
        assert refusal.field == "form_reason" and refusal.reason is Reason.INVALID
    # Pointing to information already published provides nothing: no form, no route.
    [concluded] = s.when(c.Decide(D("2025-09-24"), "disclosed", ground="already_public",
                                  public_source="本机关门户网站", medium="paper"))
    assert concluded.ground == "already_public" and concluded.medium is None


def test_only_an_in_person_application_is_answered_on_the_spot_the_same_day():
    s = Story().receipt("2025-09-22")
    assert s.refused(c.Decide(D("2025-09-22"), "disclosed", on_the_spot=True)
                     ).field == "on_the_spot"
    p = Story(channel=Channel.in_person).receipt("2025-09-22")
    assert p.refused(c.Decide(D("2025-09-23"), "disclosed", on_the_spot=True)
                     ).field == "on_the_spot"
    [concluded] = p.when(c.Decide(D("2025-09-22"), "disclosed", "当场提供", on_the_spot=True))
    assert concluded.on_the_spot


# --- reviews, breaches, calendar ------------------------------------------------------------

def test_reconsideration_and_litigation_are_recorded_with_their_results():
    s = Story().receipt("2025-09-22")
    s.when(c.Decide(D("2025-09-24"), "withheld.process_info", "不予公开"))
    [filed] = s.when(c.FileReview(D("2025-10-10"), "R1", "reconsideration", "聊城市人民政府"))
    assert isinstance(filed, ReviewFiled)
    assert s.refused(c.FileReview(D("2025-10-10"), "R1", "reconsideration", "x政府")).field
    assert s.refused(c.DecideReview(D("2025-11-10"), "R9", "upheld")).reason is Reason.NOT_FOUND
    [result] = s.when(c.DecideReview(D("2025-11-10"), "R1", "upheld"))
    assert isinstance(result, ReviewDecided) and s.case.reviews == (("R1", "reconsideration",
                                                                     "upheld"),)
    assert s.refused(c.DecideReview(D("2025-11-11"), "R1", "corrected")).reason is Reason.CONFLICT


def test_a_missed_due_date_is_recorded_once():
    s = Story().receipt("2025-09-22")
    assert s.when(c.Sweep(), today="2025-10-24") == []
    [breach] = s.when(c.Sweep(), today="2025-10-27")
    assert isinstance(breach, DeadlineBreached) and breach.due_on == D("2025-10-24")
    assert breach.on == D("2025-10-25")
    assert s.when(c.Sweep(), today="2025-10-28") == []


def test_a_breach_that_later_facts_undo_is_withdrawn():
    # Registered late: the sweep saw the due date pass, then the correction notice sent in
    # time (and entered afterwards) shows the clock had stopped before it.
    s = Story(policies=FIFTEEN_DAYS_TO_CORRECT).receipt("2025-09-22")
    [breach] = s.when(c.Sweep(), today="2025-10-27")
    facts = s.when(c.RequestCorrection(D("2025-09-30"), ("请提供身份证明",)), today="2025-10-28")
    withdrawn = facts[-1]
    assert isinstance(withdrawn, DeadlineBreachWithdrawn) and withdrawn.reason == "clock_stopped"
    assert withdrawn.due_on == breach.due_on and withdrawn.on == D("2025-10-28")
    assert s.case.breached_for is None
    # The correction arrives; when its new due date passes too, that one is breached.
    s.when(c.ReceiveCorrection(D("2025-10-28")), today="2025-10-28")
    assert s.when(c.Sweep(), today="2025-10-29") == []
    [again] = s.when(c.Sweep(), today="2026-01-05")
    assert isinstance(again, DeadlineBreached) and again.due_on == s.case.due_on


def test_a_reply_dated_in_time_withdraws_the_breach_but_a_late_one_does_not():
    s = Story().receipt("2025-09-22")
    s.when(c.Sweep(), today="2025-10-27")
    late = s.when(c.Decide(D("2025-10-27"), "withheld.process_info", "不予公开"),
                  today="2025-10-27")
    assert not any(isinstance(f, DeadlineBreachWithdrawn) for f in late)
    s = Story().receipt("2025-09-22")
    s.when(c.Sweep(), today="2025-10-27")
    on_time = s.when(c.Decide(D("2025-10-24"), "withheld.process_info", "不予公开"),
                     today="2025-10-27")
    assert on_time[-1].reason == "replied_in_time" and s.case.breached_for is None


def test_a_due_date_in_a_year_without_a_notice_is_provisional_until_it_is_loaded():
    s = Story(today="2026-12-28").receipt("2026-12-25")
    assert s.case.due_on == D("2027-01-25") and s.case.due_basis.provisional
    notice = parse_notice("""
year: 2027
notice: 测试用通知（虚构）
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 春节, from: 2027-02-05, to: 2027-02-12}
working_days:
  - {date: 2027-01-09, name: 元旦调休上班}
""")
    loaded = c.Context(today=D("2026-12-28"), calendar=CAL.with_year(2027, notice.days))
    [moved] = recompute(s.case, loaded)
    # With Saturday 01-09 a working day the 20th working day comes one day earlier.
    assert moved.due_on == D("2027-01-22") and moved.previous_due_on == D("2027-01-25")
    assert moved.basis.provisional is False and moved.basis.rule == "calendar_reloaded"


# --- properties of the clock ------------------------------------------------------------

dates = st.dates(min_value=date(2005, 1, 1), max_value=date(2040, 12, 31))


@settings(max_examples=200, deadline=None)
@hgiven(start=dates, spans=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 30)),
                                    max_size=4))
def test_pauses_never_move_a_due_date_earlier_and_count_overlaps_once(start, spans):
    from datetime import timedelta

    pauses = [Pause(f"p{i}", start + timedelta(days=a), start + timedelta(days=a + n))
              for i, (a, n) in enumerate(spans)]
    paused = paused_working_days(pauses, start, CAL)
    assert paused >= 0
    covered = {start + timedelta(days=a + k) for a, n in spans for k in range(1, n + 1)}
    assert paused == sum(1 for d in covered if CAL.is_working_day(d))
    base = CAL.add_working_days(start, 20)
    assert CAL.add_working_days(start, 20 + paused) >= base


def test_evolve_of_an_unknown_case_is_nothing():
    assert fold([]) is None
    assert isinstance(Story().facts[0], CaseOpened)
