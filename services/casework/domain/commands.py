"""The commands staff give a case (each one an HTTP endpoint of casework) and the context
they are decided in. Dates are business dates in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.casework.domain.calendar import WorkingCalendar
from shared.contracts.agencies import AgencyPolicies
from shared.contracts.cases import ConsultationKind, FeeMethod, ReviewKind, ReviewResult


@dataclass(frozen=True)
class Context:
    today: date
    calendar: WorkingCalendar
    policies: AgencyPolicies = field(default_factory=AgencyPolicies)
    actor: str = "system"
    roles: frozenset[str] = frozenset({"system"})


@dataclass(frozen=True)
class ConfirmReceipt:
    on: date


@dataclass(frozen=True)
class RequestCorrection:
    on: date
    items: tuple[str, ...]
    period_working_days: int | None = None


@dataclass(frozen=True)
class ReceiveCorrection:
    on: date
    late_reason: str | None = None


@dataclass(frozen=True)
class ApproveExtension:
    on: date
    working_days: int
    reason: str


@dataclass(frozen=True)
class StartConsultation:
    on: date
    kind: ConsultationKind
    party: str


@dataclass(frozen=True)
class EndConsultation:
    on: date
    party: str
    answer: str = ""


@dataclass(frozen=True)
class IssueFeeNotice:
    on: date
    method: FeeMethod
    pages: int | None = None
    nth_this_month: int | None = None  # counted by the service across the agency's cases


@dataclass(frozen=True)
class RecordFeePayment:
    on: date


@dataclass(frozen=True)
class RequestReasons:
    on: date
    note: str


@dataclass(frozen=True)
class SetReasonableDueDate:
    on: date
    due_on: date
    reason: str


@dataclass(frozen=True)
class Withdraw:
    on: date
    note: str = ""


@dataclass(frozen=True)
class Decide:
    on: date
    outcome: str
    reply_text: str = ""
    legal_basis: str | None = None
    on_the_spot: bool = False


@dataclass(frozen=True)
class FileReview:
    on: date
    review_id: str
    kind: ReviewKind
    authority: str


@dataclass(frozen=True)
class DecideReview:
    on: date
    review_id: str
    result: ReviewResult


@dataclass(frozen=True)
class Sweep:
    """Time passing: periods that have run out (found by the scheduled sweep)."""


Command = (ConfirmReceipt | RequestCorrection | ReceiveCorrection | ApproveExtension
           | StartConsultation | EndConsultation | IssueFeeNotice | RecordFeePayment
           | RequestReasons | SetReasonableDueDate | Withdraw | Decide | FileReview | DecideReview
           | Sweep)
