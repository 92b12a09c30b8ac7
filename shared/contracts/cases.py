"""Facts recorded by casework. Every fact of a case's life carries its business date `on`
(Asia/Shanghai), which may be earlier than the moment it was recorded (back-dating)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from shared.contracts.applications import ApplicantType, Channel
from shared.events import event_type, upcaster

ConsultationKind = Literal["third_party", "other_agency"]
FeeMethod = Literal["per_item", "per_volume"]
ReviewKind = Literal["reconsideration", "litigation_direct", "litigation_after_reconsideration"]
ReviewResult = Literal["upheld", "corrected", "other"]
PartyType = Literal["organisation", "person"]
# Which paragraph of Art. 36 a reply rests on, where one outcome covers two: disclosed is
# 36(1) already published or 36(2) provided now; unable.not_held is 36(4) does not exist or
# 36(5) not this agency's to disclose.
Ground = Literal["already_public", "provided", "not_exist", "not_responsible"]


class DueDateBasis(BaseModel):
    """The inputs that produced a due date, kept so anyone can recompute it by hand:
    due = counted_from + (working_days + extension_days + paused_working_days) working days,
    unless a reasonable later date was set under Art. 35 (`set_date`)."""

    rule: str
    counted_from: date
    working_days: int
    extension_days: int = 0
    paused_working_days: int = 0
    set_date: date | None = None
    provisional: bool
    calendar: str


@event_type("CaseOpened", 3)
class CaseOpened(BaseModel):
    """The case is opened. When the application was received at once (an online application
    confirmed automatically, a registration with its receipt date), the same fact also says
    that it was received and when it is due, and why (version 3): read it with `expanded`."""

    application_id: uuid.UUID
    case_number: str
    channel: Channel
    applicant_type: ApplicantType
    applicant_name: str
    # The applicant's keys as intake made them (`ApplicationSubmitted.applicant_keys`): HMACs
    # that cannot be reversed outside intake; cases sharing one have the same applicant.
    applicant_keys: list[str] = []
    access_code_hash: str | None = None
    mobile: str | None = None
    email: str | None = None
    submitted_at: datetime
    request_summary: str
    # How the applicant asked to get the information (intake's `request.medium`/`delivery`):
    # paper/electronic; post/email/pickup/online. None in events recorded before they were
    # carried here.
    medium: str | None = None
    delivery: str | None = None
    # Received at opening: the receipt date, and the first due date with its basis (what a
    # `CaseReceived` and a `DueDateSet` say, which followed a `CaseOpened` before version 3).
    received_on: date | None = None
    due_on: date | None = None
    basis: DueDateBasis | None = None
    # Opened from the agency's ledger (台账) by an import: the receipt was acknowledged on
    # paper before this system, so no acknowledgement is written for it.
    from_ledger: bool = False


@upcaster("CaseOpened", 1)
def _case_opened_v1(payload: dict) -> dict:
    """Version 1's `applicant_key` was an unsalted hash of the ID number, which can be reversed
    by trying the numbers of one district and year: it is dropped, not carried over."""
    return {k: v for k, v in payload.items() if k != "applicant_key"} | {"applicant_keys": []}


@upcaster("CaseOpened", 2)
def _case_opened_v2(payload: dict) -> dict:
    """Version 2 was never received at opening. Version 3 is a new number so that a reader of
    version 2 refuses an opening that carries a receipt rather than read it without one."""
    return payload


@event_type("CaseReceived", 1)
class CaseReceived(BaseModel):
    """The receipt date is fixed: the case counts as new in this date's year
    (docs/domain.md#counting)."""

    application_id: uuid.UUID
    received_on: date


@event_type("DueDateSet", 1)
class DueDateSet(BaseModel):
    """The due date changed (or the clock stopped: `due_on` is None while awaiting correction)."""

    application_id: uuid.UUID
    due_on: date | None
    previous_due_on: date | None = None
    basis: DueDateBasis | None = None


def expanded(fact: BaseModel) -> tuple[BaseModel, ...]:
    """What a fact says in the words every fold knows: a `CaseOpened` received at opening is a
    `CaseOpened`, a `CaseReceived` and the first `DueDateSet`, as recorded before version 3;
    any other fact is itself. Every consumer folds these parts, so nothing is read twice."""
    if not isinstance(fact, CaseOpened) or fact.received_on is None:
        return (fact,)
    opened = fact.model_copy(update={"received_on": None, "due_on": None, "basis": None})
    received = CaseReceived.model_construct(application_id=fact.application_id,
                                            received_on=fact.received_on)
    if fact.basis is None:
        return (opened, received)
    return (opened, received, DueDateSet.model_construct(
        application_id=fact.application_id, due_on=fact.due_on, previous_due_on=None,
        basis=fact.basis))


def joined(facts: list[BaseModel]) -> list[BaseModel]:
    """Facts decided for a case, with an opening followed by its receipt and first due date
    joined into one `CaseOpened` (`expanded` gives them back); any other facts unchanged."""
    match facts:
        case [CaseOpened() as opened, CaseReceived() as received, DueDateSet() as due, *rest] if (
                opened.received_on is None and due.previous_due_on is None):
            return [opened.model_copy(update={
                "received_on": received.received_on, "due_on": due.due_on,
                "basis": due.basis}), *rest]
    return facts


@event_type("CorrectionRequested", 1)
class CorrectionRequested(BaseModel):
    """补正告知 (Art. 30): one notice listing everything to correct; the clock stops."""

    application_id: uuid.UUID
    on: date
    items: list[str]
    period_working_days: int
    correct_by: date


@event_type("CorrectionReceived", 1)
class CorrectionReceived(BaseModel):
    application_id: uuid.UUID
    on: date
    late_reason: str | None = None


@event_type("CorrectionLapsed", 1)
class CorrectionLapsed(BaseModel):
    application_id: uuid.UUID
    on: date


@event_type("ExtensionApproved", 1)
class ExtensionApproved(BaseModel):
    """延长答复期限 (Art. 33): once, at most 20 working days, approved by the body's head."""

    application_id: uuid.UUID
    on: date
    working_days: int
    approved_by: str
    reason: str


@event_type("ConsultationStarted", 1)
class ConsultationStarted(BaseModel):
    """征求意见 (Art. 32 third party, Art. 34 other agency): the clock pauses."""

    application_id: uuid.UUID
    on: date
    kind: ConsultationKind
    party: str
    answer_by: date
    # A third party is an organisation or a person (the letter says 贵单位 or 您); None in
    # events recorded before it was asked.
    party_type: PartyType | None = None


@event_type("ConsultationEnded", 1)
class ConsultationEnded(BaseModel):
    application_id: uuid.UUID
    on: date
    kind: ConsultationKind
    party: str
    how: Literal["answered", "lapsed"]
    answer: str | None = None


@event_type("FeeNoticeIssued", 1)
class FeeNoticeIssued(BaseModel):
    application_id: uuid.UUID
    on: date
    method: FeeMethod
    nth_this_month: int | None = None
    pages: int | None = None
    amount_yuan: Decimal
    pay_by: date
    pauses_clock: bool


@event_type("FeePaid", 1)
class FeePaid(BaseModel):
    application_id: uuid.UUID
    on: date
    amount_yuan: Decimal


@event_type("FeeLapsed", 1)
class FeeLapsed(BaseModel):
    application_id: uuid.UUID
    on: date


@event_type("ReasonsRequested", 1)
class ReasonsRequested(BaseModel):
    """Art. 35: volume or frequency clearly beyond reason; the applicant is asked why."""

    application_id: uuid.UUID
    on: date
    note: str


@event_type("CaseWithdrawn", 1)
class CaseWithdrawn(BaseModel):
    application_id: uuid.UUID
    on: date
    note: str = ""


@event_type("CaseConcluded", 1)
class CaseConcluded(BaseModel):
    """One outcome per application (docs/domain.md#outcomes); the reply's issue date (or the
    lapse) concludes it."""

    application_id: uuid.UUID
    on: date
    outcome: str
    legal_basis: str
    reply_text: str = ""
    on_the_spot: bool = False
    ground: Ground | None = None
    public_source: str = ""  # 36(1): where and how the published information is found
    responsible_agency: str = ""  # 36(5): the agency that is to disclose it
    responsible_contact: str = ""  # 36(5): its address or phone
    # Provided in another form or by another route than asked (Art. 40), and why.
    medium: str | None = None
    delivery: str | None = None
    form_reason: str = ""
    # The reply the agency's ledger records (`HistoricalOutcomeRecorded`), given on paper
    # before this system: no reply letter or SMS is written for it.
    from_ledger: bool = False


@event_type("DeadlineBreached", 1)
class DeadlineBreached(BaseModel):
    application_id: uuid.UUID
    on: date
    due_on: date


@event_type("DeadlineBreachWithdrawn", 1)
class DeadlineBreachWithdrawn(BaseModel):
    """A recorded breach that facts entered later (dated earlier) undo: the due date moved past
    it, the clock was stopped before it, or the reply was dated in time. `on` is the day the
    system saw it, like the breach's."""

    application_id: uuid.UUID
    on: date
    due_on: date  # the due date the breach was recorded for
    reason: Literal["due_date_moved", "clock_stopped", "replied_in_time"]


@event_type("ReviewFiled", 1)
class ReviewFiled(BaseModel):
    """A reconsideration or lawsuit about this case (counted in report table 四)."""

    application_id: uuid.UUID
    on: date
    review_id: str
    kind: ReviewKind
    authority: str


@event_type("ReviewDecided", 1)
class ReviewDecided(BaseModel):
    application_id: uuid.UUID
    on: date
    review_id: str
    result: ReviewResult
