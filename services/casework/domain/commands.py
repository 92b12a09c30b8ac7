"""The commands staff give a case (each one an HTTP endpoint of casework) and the context
they are decided in. Dates are business dates in Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.casework.domain.calendar import WorkingCalendar
from shared.contracts.agencies import AgencyPolicies
from shared.contracts.cases import (
    ConsultationKind,
    FeeMethod,
    Ground,
    PartyType,
    ReviewKind,
    ReviewResult,
)
from shared.contracts.outcomes import DECLARED
from shared.contracts.outcomes import GROUNDS as DECLARED_GROUNDS

# The outcomes that cover two paragraphs of Art. 36 (declared in shared/contracts/outcomes.py):
# which paragraph each ground rests on, and the grounds of each outcome (the first is the one
# taken when the decision names none).
BASIS_BY_GROUND: dict[str, str] = {key: g.basis for key, g in DECLARED_GROUNDS.items()}
GROUNDS: dict[str, tuple[str, ...]] = {
    o.key: tuple(g.key for g in o.grounds) for o in DECLARED if o.grounds}
MEDIA = ("paper", "electronic")
DELIVERIES = ("post", "email", "pickup", "online")


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
    party_type: PartyType | None = None  # a third party: organisation (default) or person


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
    # disclosed: 36(1) already_public (public_source required) or 36(2) provided (default);
    # unable.not_held: 36(4) not_exist (default) or 36(5) not_responsible (the responsible
    # agency and its contact required).
    ground: Ground | None = None
    public_source: str = ""
    responsible_agency: str = ""
    responsible_contact: str = ""
    # Provided in another form or by another route than the applicant asked (Art. 40): the
    # form, the route, and the reason (required when either differs from the request).
    medium: str | None = None
    delivery: str | None = None
    form_reason: str = ""


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
