"""What follows from a staff command or from time passing: `decide(case, command, ctx) -> facts`.

A command the law does not allow at this point is `Refused` (shared/refusals.py): why, in Chinese
(shown to staff), the kind of refusal and the field it concerns. Deciding nothing is an empty
list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from services.casework.domain import fees
from services.casework.domain.case import Case, evolve
from services.casework.domain.commands import (
    BASIS_BY_GROUND,
    DELIVERIES,
    GROUNDS,
    MEDIA,
    ApproveExtension,
    Command,
    ConfirmReceipt,
    Context,
    Decide,
    DecideReview,
    EndConsultation,
    FileReview,
    IssueFeeNotice,
    ReceiveCorrection,
    RecordFeePayment,
    RequestCorrection,
    RequestReasons,
    SetReasonableDueDate,
    StartConsultation,
    Sweep,
    Withdraw,
)
from services.casework.domain.deadline import (
    CONSULTATION_PERIOD,
    CORRECTION_NOTICE_WITHIN,
    FEE_PAYMENT_PERIOD,
    MAX_EXTENSION,
    due_date,
)
from services.casework.domain.outcomes import BY_LAPSE_ONLY, OUTCOMES
from shared.contracts import outcomes as declared
from shared.contracts.applications import (
    LEDGER_IMPORT,
    ApplicationSubmitted,
    Channel,
    HistoricalOutcomeRecorded,
    ReceiptConfirmed,
)
from shared.contracts.cases import (
    CaseConcluded,
    CaseOpened,
    CaseReceived,
    ConsultationEnded,
    ConsultationStarted,
    CorrectionLapsed,
    CorrectionReceived,
    CorrectionRequested,
    DeadlineBreached,
    DeadlineBreachWithdrawn,
    DueDateBasis,
    DueDateSet,
    ExtensionApproved,
    FeeLapsed,
    FeeNoticeIssued,
    FeePaid,
    ReasonsRequested,
    ReviewDecided,
    ReviewFiled,
    joined,
)
from shared.contracts.cases import CaseWithdrawn as Withdrawn
from shared.contracts.outcomes import Ending, Prior
from shared.refusals import Reason, Refused

STAFF = frozenset({"caseworker", "approver"})
REGISTRARS = frozenset({"registrar", "caseworker", "approver"})


# The steps an outcome's declaration may require first (shared/contracts/outcomes.py): whether
# the case has been through it, and what staff are told when it has not.
_PRIOR: dict[Prior, tuple[Callable[[Case], bool], str]] = {
    Prior.CORRECTION_RECEIVED: (lambda case: case.correction_received_on is not None,
                                "只有补正后申请内容仍不明确的，才能按此情形答复"),
    Prior.REASONS_REQUESTED: (lambda case: case.reasons_requested_on is not None,
                              "不予处理前，应先要求申请人说明理由（条例第三十五条）"),
}


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _check(case: Case, on: date, ctx: Context, roles: frozenset[str], *,
           open_only: bool = True) -> None:
    if "system" not in ctx.roles and not (ctx.roles & roles):
        raise Refused("当前角色无权执行此操作", reason=Reason.FORBIDDEN)
    if on > ctx.today:
        raise Refused("日期不得晚于今天", field="on", reason=Reason.INVALID)
    if case.last_on is not None and on < case.last_on:
        raise Refused(f"日期不得早于本案上一环节的日期（{_cn(case.last_on)}）", field="on",
                      reason=Reason.INVALID)
    if open_only and case.concluded:
        raise Refused("本案已办结，不能再作此项处理")
    if open_only and case.received_on is None:
        raise Refused("本申请尚未确认收到，办理期限尚未起算")


def _then(case: Case, facts: list[BaseModel], ctx: Context, rule: str) -> list[BaseModel]:
    """The facts, followed by the due date they lead to when it changed."""
    edges = (ctx.policies.pause_includes_dispatch_day, ctx.policies.pause_includes_answer_day)
    after = case
    for fact in facts:
        after = evolve(after, fact, pause_edges=edges)
    due = due_date(after, ctx.calendar, rule)
    return [*facts, due] if due is not None else facts


def _conclude(case: Case, on: date, outcome: str, text: str = "", basis: str | None = None,
              on_the_spot: bool = False, from_ledger: bool = False) -> CaseConcluded:
    return CaseConcluded(application_id=case.application_id, on=on, outcome=outcome,
                         legal_basis=OUTCOMES[outcome] if basis is None else basis,
                         reply_text=text, on_the_spot=on_the_spot, from_ledger=from_ledger)


def _ended(case: Case, on: date, ending: Ending) -> CaseConcluded:
    """The conclusion a withdrawal or a lapse records: the outcome declared for it."""
    outcome = declared.ENDINGS[ending]
    return _conclude(case, on, outcome.key, outcome.ending_reply)


def decide(case: Case, command: Command, ctx: Context) -> list[BaseModel]:
    facts = _HANDLERS[type(command)](case, command, ctx)
    return [*facts, *_breach_undone(case, facts, ctx)]


def _breach_undone(case: Case, facts: list[BaseModel], ctx: Context) -> list[BaseModel]:
    """A recorded breach withdrawn when facts entered later (dated earlier) show the deadline
    was not missed: the due date now falls after the one breached, the clock stopped (a
    correction or pause began before it), or the reply is dated no later than it. If the new
    due date has passed too, the next sweep records a breach of that one."""
    if case.breached_for is None or not facts:
        return []
    edges = (ctx.policies.pause_includes_dispatch_day, ctx.policies.pause_includes_answer_day)
    after = case
    for fact in facts:
        after = evolve(after, fact, pause_edges=edges)
    breached = after.breached_for
    if breached is None:
        return []
    if after.concluded:
        if after.concluded_on > breached:
            return []
        reason = "replied_in_time"
    elif ((after.status == "awaiting_correction" and after.correction_requested_on <= breached)
          or any(p.start_after <= breached for p in after.open_pauses)):
        reason = "clock_stopped"
    elif after.due_on is not None and after.due_on > breached:
        reason = "due_date_moved"
    else:
        return []
    return [DeadlineBreachWithdrawn(application_id=case.application_id, on=ctx.today,
                                    due_on=breached, reason=reason)]


def _confirm_receipt(case: Case, c: ConfirmReceipt, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, REGISTRARS, open_only=False)
    if case.received_on is not None:
        if case.received_on == c.on:
            return []
        raise Refused(f"本申请已确认于{_cn(case.received_on)}收到", field="on")
    received = CaseReceived(application_id=case.application_id, received_on=c.on)
    return _then(case, [received], ctx, "reply_period")


def _request_correction(case: Case, c: RequestCorrection, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.correction_requested_on is not None:
        raise Refused("补正告知只能发出一次，应一次性告知需要补正的全部事项")
    limit = ctx.calendar.add_working_days(case.received_on, CORRECTION_NOTICE_WITHIN)
    if c.on > limit:
        raise Refused(f"补正告知应在收到申请之日起7个工作日内（{_cn(limit)}前）发出", field="on")
    items = [i.strip() for i in c.items if i.strip()]
    if not items:
        raise Refused("须列明需要补正的事项", field="items", reason=Reason.INVALID)
    period = c.period_working_days or ctx.policies.correction_period_working_days
    requested = CorrectionRequested(
        application_id=case.application_id, on=c.on, items=items, period_working_days=period,
        correct_by=ctx.calendar.add_working_days(c.on, period))
    return _then(case, [requested], ctx, "correction_stops_clock")


def _receive_correction(case: Case, c: ReceiveCorrection, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.status != "awaiting_correction":
        raise Refused("本案没有待补正的事项")
    if c.on > case.correct_by and not (c.late_reason or "").strip():
        raise Refused(f"补正期限已于{_cn(case.correct_by)}届满；逾期补正须说明正当理由",
                      field="late_reason", reason=Reason.INVALID)
    received = CorrectionReceived(application_id=case.application_id, on=c.on,
                                  late_reason=c.late_reason)
    return _then(case, [received], ctx, "restart_after_correction")


def _approve_extension(case: Case, c: ApproveExtension, ctx: Context) -> list[BaseModel]:
    if "approver" not in ctx.roles:
        raise Refused("延长答复期限须经政府信息公开工作机构负责人同意", reason=Reason.FORBIDDEN)
    _check(case, c.on, ctx, frozenset({"approver"}))
    if case.extended:
        raise Refused("答复期限只能延长一次")
    if case.status == "awaiting_correction":
        raise Refused("等待补正期间办理期限已中止，无需延长")
    if case.due_on is None or c.on > case.due_on:
        raise Refused("延长答复期限应在答复期限届满前决定", field="on")
    if not 1 <= c.working_days <= MAX_EXTENSION:
        raise Refused("延长的期限最长不得超过20个工作日", field="working_days",
                      reason=Reason.INVALID)
    if not c.reason.strip():
        raise Refused("须说明延长答复期限的理由", field="reason", reason=Reason.INVALID)
    approved = ExtensionApproved(application_id=case.application_id, on=c.on,
                                 working_days=c.working_days, approved_by=ctx.actor,
                                 reason=c.reason.strip())
    return _then(case, [approved], ctx, "extension")


def _start_consultation(case: Case, c: StartConsultation, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.status == "awaiting_correction":
        raise Refused("等待补正期间不能征求意见")
    party = c.party.strip()
    if not party:
        raise Refused("须写明征求意见的对象", field="party", reason=Reason.INVALID)
    if any(p.key == f"consultation:{party}" for p in case.open_pauses):
        raise Refused(f"已在向{party}征求意见，尚未答复")
    started = ConsultationStarted(
        application_id=case.application_id, on=c.on, kind=c.kind, party=party,
        answer_by=ctx.calendar.add_working_days(c.on, CONSULTATION_PERIOD),
        party_type=(c.party_type or "organisation") if c.kind == "third_party" else None)
    return _then(case, [started], ctx, "pause_started")


def _end_consultation(case: Case, c: EndConsultation, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    pause = next((p for p in case.open_pauses if p.key == f"consultation:{c.party.strip()}"), None)
    if pause is None:
        raise Refused(f"没有正在向{c.party}征求的意见", field="party")
    ended = ConsultationEnded(application_id=case.application_id, on=c.on, kind=pause.kind,
                              party=c.party.strip(), how="answered", answer=c.answer)
    return _then(case, [ended], ctx, "pause_ended")


def _issue_fee_notice(case: Case, c: IssueFeeNotice, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.fee is not None:
        raise Refused("本案已发出收费通知")
    if case.status == "awaiting_correction" or case.due_on is None or c.on > case.due_on:
        raise Refused("收费通知应在答复期限内发出", field="on")
    try:
        amount = fees.fee(c.method, nth_this_month=c.nth_this_month, pages=c.pages)
    except ValueError:
        field_name = "pages" if c.method == "per_volume" else "method"
        raise Refused("计费依据不完整或无效", field=field_name, reason=Reason.INVALID) from None
    if amount <= 0:
        raise Refused("按所选计收方式本申请不收费，无需发出收费通知", field="method")
    notice = FeeNoticeIssued(
        application_id=case.application_id, on=c.on, method=c.method,
        nth_this_month=c.nth_this_month if c.method == "per_item" else None,
        pages=c.pages if c.method == "per_volume" else None, amount_yuan=amount,
        pay_by=ctx.calendar.add_working_days(c.on, FEE_PAYMENT_PERIOD),
        pauses_clock=ctx.policies.fee_pauses_clock)
    return _then(case, [notice], ctx, "pause_started")


def _record_fee_payment(case: Case, c: RecordFeePayment, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.fee is None or case.fee_paid_on is not None:
        raise Refused("本案没有待缴的费用")
    if c.on > case.fee.pay_by:
        raise Refused(f"缴费期限已于{_cn(case.fee.pay_by)}届满", field="on")
    paid = FeePaid(application_id=case.application_id, on=c.on, amount_yuan=case.fee.amount_yuan)
    return _then(case, [paid], ctx, "pause_ended")


def _request_reasons(case: Case, c: RequestReasons, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.reasons_requested_on is not None:
        raise Refused("已要求申请人说明理由")
    return [ReasonsRequested(application_id=case.application_id, on=c.on, note=c.note)]


def _set_reasonable_due_date(case: Case, c: SetReasonableDueDate, ctx: Context,
                             ) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if case.reasons_requested_on is None:
        raise Refused("确定延迟答复的合理期限前，应先要求申请人说明理由（条例第三十五条）")
    if case.due_on is None or c.due_on <= case.due_on:
        raise Refused("合理期限应晚于现有答复期限", field="due_on", reason=Reason.INVALID)
    if not ctx.calendar.is_working_day(c.due_on):
        raise Refused("合理期限应为工作日", field="due_on", reason=Reason.INVALID)
    basis = DueDateBasis(rule="art35_reasonable_date", counted_from=case.period_start,
                         working_days=0, set_date=c.due_on,
                         provisional=ctx.calendar.is_provisional(c.due_on),
                         calendar=case.due_basis.calendar if case.due_basis else "")
    return [DueDateSet(application_id=case.application_id, due_on=c.due_on,
                       previous_due_on=case.due_on, basis=basis)]


def _withdraw(case: Case, c: Withdraw, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    return [Withdrawn(application_id=case.application_id, on=c.on, note=c.note),
            _ended(case, c.on, Ending.WITHDRAWN)]


def _decide(case: Case, c: Decide, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF)
    if c.outcome not in OUTCOMES:
        raise Refused(f"处理结果{declared.refused_outcome_words()}", field="outcome",
                      reason=Reason.INVALID)
    if c.outcome in BY_LAPSE_ONLY:
        raise Refused("逾期不补正、逾期未缴费由系统按期限届满自动认定", field="outcome")
    if case.status == "awaiting_correction":
        raise Refused("申请人补正或补正期限届满前不能作出答复")
    prior = declared.OUTCOMES[c.outcome].after
    if prior is not None and not _PRIOR[prior][0](case):
        raise Refused(_PRIOR[prior][1], field="outcome")
    if c.on_the_spot and (case.channel != Channel.in_person or c.on != case.received_on):
        raise Refused("只有当面提出的申请才能在收到当日当场答复", field="on_the_spot")
    concluded = _conclude(case, c.on, c.outcome, c.reply_text, c.legal_basis, c.on_the_spot)
    return [concluded.model_copy(update=_reply_details(c))]


def _reply_details(c: Decide) -> dict[str, Any]:
    """What the reply letter states beyond the outcome: the paragraph of Art. 36 it rests on,
    where published information is found, the agency responsible, another form and why."""
    grounds = GROUNDS.get(c.outcome, ())
    if c.ground is not None and c.ground not in grounds:
        raise Refused("所选的答复依据与处理结果不符", field="ground", reason=Reason.INVALID)
    ground = c.ground or declared.OUTCOMES[c.outcome].default_ground(
        c.responsible_agency.strip())
    details: dict[str, Any] = {"ground": ground}
    if ground is not None and c.legal_basis is None:
        details["legal_basis"] = BASIS_BY_GROUND[ground]
    required = declared.GROUNDS[ground].requires if ground is not None else ()
    for name, words in required:
        if not getattr(c, name).strip():
            raise Refused(f"须填写{words}", field=name, reason=Reason.INVALID)
        details[name] = getattr(c, name).strip()
    if declared.OUTCOMES[c.outcome].provides_information_on(ground):
        if c.medium is not None and c.medium not in MEDIA:
            raise Refused("提供形式应为纸质或电子", field="medium", reason=Reason.INVALID)
        if c.delivery is not None and c.delivery not in DELIVERIES:
            raise Refused("获取方式应为邮寄、电子邮件、当面领取或网上获取", field="delivery",
                          reason=Reason.INVALID)
        if (c.medium or c.delivery) and not c.form_reason.strip():
            raise Refused("不按申请人要求的形式或方式提供的，须说明理由（条例第四十条）",
                          field="form_reason", reason=Reason.INVALID)
        details.update(medium=c.medium, delivery=c.delivery, form_reason=c.form_reason.strip())
    return details


def _file_review(case: Case, c: FileReview, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF, open_only=False)
    if any(i == c.review_id for i, _, _ in case.reviews):
        raise Refused("该复议或诉讼已登记", field="review_id")
    return [ReviewFiled(application_id=case.application_id, on=c.on, review_id=c.review_id,
                        kind=c.kind, authority=c.authority)]


def _decide_review(case: Case, c: DecideReview, ctx: Context) -> list[BaseModel]:
    _check(case, c.on, ctx, STAFF, open_only=False)
    review = next((r for r in case.reviews if r[0] == c.review_id), None)
    if review is None:
        raise Refused("未找到该复议或诉讼", field="review_id", reason=Reason.NOT_FOUND)
    if review[2] is not None:
        raise Refused("该复议或诉讼已有结果")
    return [ReviewDecided(application_id=case.application_id, on=c.on, review_id=c.review_id,
                          result=c.result)]


def _sweep(case: Case, _: Sweep, ctx: Context) -> list[BaseModel]:
    """Periods that ran out before today. Each lapse takes effect the day after the last day."""
    if case.concluded or case.received_on is None:
        return []
    today, facts = ctx.today, []
    if case.status == "awaiting_correction" and case.correct_by < today:
        on = max(case.correct_by + timedelta(days=1), case.last_on)
        return [CorrectionLapsed(application_id=case.application_id, on=on),
                _ended(case, on, Ending.NO_CORRECTION)]
    if case.fee is not None and case.fee_paid_on is None and case.fee.pay_by < today:
        on = max(case.fee.pay_by + timedelta(days=1), case.last_on)
        return [FeeLapsed(application_id=case.application_id, on=on),
                _ended(case, on, Ending.NO_FEE_PAYMENT)]
    for pause in case.open_pauses:
        if pause.key.startswith("consultation:") and pause.answer_by < today:
            # Silence: a third party's is left to the agency's decision, another agency's is
            # consent (Art. 32, 34); either way the clock runs again.
            facts.append(ConsultationEnded(
                application_id=case.application_id, on=max(pause.answer_by, case.last_on),
                kind=pause.kind, party=pause.key.split(":", 1)[1], how="lapsed"))
    if facts:
        return _then(case, facts, ctx, "pause_ended")
    if (case.status == "open" and not case.open_pauses and case.due_on is not None
            and case.due_on < today and case.breached_for != case.due_on):
        on = max(case.due_on + timedelta(days=1), case.last_on)
        return [DeadlineBreached(application_id=case.application_id, on=on, due_on=case.due_on)]
    return []


def recompute(case: Case, ctx: Context) -> list[BaseModel]:
    """After the calendar changed: the due date its inputs now give, if different."""
    due = due_date(case, ctx.calendar, "calendar_reloaded")
    facts = [due] if due is not None else []
    return [*facts, *_breach_undone(case, facts, ctx)]


_HANDLERS = {
    ConfirmReceipt: _confirm_receipt, RequestCorrection: _request_correction,
    ReceiveCorrection: _receive_correction, ApproveExtension: _approve_extension,
    StartConsultation: _start_consultation, EndConsultation: _end_consultation,
    IssueFeeNotice: _issue_fee_notice, RecordFeePayment: _record_fee_payment,
    RequestReasons: _request_reasons, SetReasonableDueDate: _set_reasonable_due_date,
    Withdraw: _withdraw, Decide: _decide, FileReview: _file_review,
    DecideReview: _decide_review, Sweep: _sweep,
}


class OutOfOrder(Exception):
    """A fact arrived that needs an earlier one this case has not seen."""


def from_intake(case: Case | None, fact: BaseModel, ctx: Context) -> list[BaseModel]:
    """What intake's facts mean for the case: a submission opens it, a receipt starts its clock."""
    match fact:
        case ApplicationSubmitted():
            if case is not None:
                return []
            a = fact.applicant
            opened = CaseOpened(
                application_id=fact.application_id, case_number=fact.case_number,
                channel=fact.channel, applicant_type=a.type, applicant_name=a.name,
                applicant_keys=fact.applicant_keys,
                access_code_hash=fact.access_code_hash, mobile=a.mobile,
                email=a.email, submitted_at=fact.submitted_at,
                request_summary=fact.request.description[:500],
                medium=fact.request.medium, delivery=fact.request.delivery,
                from_ledger=fact.receipt is not None
                and fact.receipt.confirmation == LEDGER_IMPORT)
            if fact.receipt is None:
                return [opened]
            # Received at once: the receipt is decided as a later confirmation would be, and
            # the opening, the receipt and the first due date are recorded as one fact.
            receipt = ConfirmReceipt(on=fact.receipt.received_on)
            return joined([opened, *decide(evolve(None, opened), receipt, ctx)])
        case ReceiptConfirmed():
            if case is None:
                raise OutOfOrder(f"receipt of {fact.application_id} before its submission")
            if case.received_on is not None:
                return []
            return decide(case, ConfirmReceipt(on=fact.received_on), ctx)
        case HistoricalOutcomeRecorded():
            if case is None or case.received_on is None:
                raise OutOfOrder(f"outcome of {fact.application_id} before its receipt")
            if case.concluded:
                return []
            # The ledger is history: validated when read, recorded as the agency kept it.
            paid = [FeePaid(application_id=case.application_id, on=fact.replied_on,
                            amount_yuan=fact.fee_yuan)] if fact.fee_yuan else []
            return [*paid, _conclude(case, fact.replied_on, fact.outcome, "（历史台账导入）",
                                     fact.legal_basis or None, from_ledger=True)]
    return []
