"""A case: the life of one application at its agency. `evolve(state, fact) -> state` folds the
recorded facts; deciding what follows lives in `decide.py`, due dates in `deadline.py`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pydantic import BaseModel

from shared.contracts.applications import ApplicantType, Channel
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
    DueDateBasis,
    DueDateSet,
    ExtensionApproved,
    FeeLapsed,
    FeeNoticeIssued,
    FeePaid,
    ReasonsRequested,
    ReviewDecided,
    ReviewFiled,
    expanded,
)


@dataclass(frozen=True)
class Pause:
    """The clock stands still on the days in (start_after, end]; `end` None while it lasts."""

    key: str
    start_after: date
    end: date | None = None
    answer_by: date | None = None
    kind: str = ""


@dataclass(frozen=True)
class Case:
    application_id: uuid.UUID
    case_number: str
    channel: Channel
    applicant_type: ApplicantType
    applicant_keys: tuple[str, ...] = ()  # cases sharing a key share an applicant
    access_code_hash: str | None = None
    status: str = "awaiting_receipt"  # → open → awaiting_correction → open … → concluded
    received_on: date | None = None
    period_start: date | None = None  # receipt, or the day the correction was received
    extension_days: int = 0
    extended: bool = False
    pauses: tuple[Pause, ...] = ()
    correction_requested_on: date | None = None
    correct_by: date | None = None
    correction_received_on: date | None = None
    fee: FeeNoticeIssued | None = None
    fee_paid_on: date | None = None
    reasons_requested_on: date | None = None
    set_due: date | None = None
    due_on: date | None = None
    due_basis: DueDateBasis | None = None
    breached_for: date | None = None
    outcome: str | None = None
    concluded_on: date | None = None
    reviews: tuple[tuple[str, str, str | None], ...] = ()  # (review id, kind, result)
    last_on: date | None = None

    @property
    def open_pauses(self) -> tuple[Pause, ...]:
        return tuple(p for p in self.pauses if p.end is None)

    @property
    def concluded(self) -> bool:
        return self.status == "concluded"


def _end_pause(pauses: tuple[Pause, ...], key: str, end: date) -> tuple[Pause, ...]:
    return tuple(replace(p, end=end) if p.key == key and p.end is None else p for p in pauses)


# The case events `evolve` takes only the date of: the conclusion recorded with each ends the
# case. Every other case event changes it (tests/unit/test_typed_folds.py).
DATED_ONLY = (CorrectionLapsed, FeeLapsed, CaseWithdrawn)


def evolve(state: Case | None, fact: BaseModel, *, pause_edges: tuple[bool, bool] = (False, True),
           ) -> Case | None:
    """`pause_edges`: whether a pause includes its dispatch day and its answer day (policy)."""
    for part in expanded(fact):  # an opening received at once: opened, received and due
        state = _evolve(state, part, pause_edges)
    return state


def _evolve(state: Case | None, fact: BaseModel, pause_edges: tuple[bool, bool],
            ) -> Case | None:
    if isinstance(fact, CaseOpened):
        return Case(fact.application_id, fact.case_number, fact.channel, fact.applicant_type,
                    tuple(fact.applicant_keys), fact.access_code_hash)
    if state is None:
        return None
    on = _acted_on(fact)
    if on is not None:
        state = replace(state, last_on=max(state.last_on or on, on))
    with_dispatch, with_answer = pause_edges
    match fact:
        case CaseReceived():
            return replace(state, status="open", received_on=fact.received_on,
                           period_start=fact.received_on, last_on=fact.received_on)
        case DueDateSet():
            set_due = fact.basis.set_date if fact.basis and fact.basis.set_date else state.set_due
            return replace(state, due_on=fact.due_on, due_basis=fact.basis, set_due=set_due)
        case CorrectionRequested():
            return replace(state, status="awaiting_correction", correction_requested_on=fact.on,
                           correct_by=fact.correct_by)
        case CorrectionReceived():
            # The reply period restarts from the corrected application: earlier extension and
            # pauses belong to the old period.
            return replace(state, status="open", correction_received_on=fact.on,
                           period_start=fact.on, extension_days=0, pauses=())
        case ExtensionApproved():
            return replace(state, extension_days=fact.working_days, extended=True)
        case ConsultationStarted():
            start = fact.on - timedelta(days=1) if with_dispatch else fact.on
            pause = Pause(f"consultation:{fact.party}", start, answer_by=fact.answer_by,
                          kind=fact.kind)
            return replace(state, pauses=(*state.pauses, pause))
        case ConsultationEnded():
            end = fact.on if with_answer else fact.on - timedelta(days=1)
            return replace(state, pauses=_end_pause(state.pauses, f"consultation:{fact.party}",
                                                    end))
        case FeeNoticeIssued():
            pauses = state.pauses
            if fact.pauses_clock:
                pauses = (*pauses, Pause("fee", fact.on, answer_by=fact.pay_by))
            return replace(state, fee=fact, pauses=pauses)
        case FeePaid():
            return replace(state, fee_paid_on=fact.on,
                           pauses=_end_pause(state.pauses, "fee", fact.on))
        case ReasonsRequested():
            return replace(state, reasons_requested_on=fact.on)
        case DeadlineBreached():
            return replace(state, breached_for=fact.due_on)
        case DeadlineBreachWithdrawn():
            return replace(state, breached_for=None)
        case CaseConcluded():
            closed = tuple(replace(p, end=fact.on) if p.end is None else p for p in state.pauses)
            return replace(state, status="concluded", outcome=fact.outcome,
                           concluded_on=fact.on, pauses=closed)
        case ReviewFiled():
            return replace(state, reviews=(*state.reviews, (fact.review_id, fact.kind, None)))
        case ReviewDecided():
            return replace(state, reviews=tuple(
                (i, k, fact.result if i == fact.review_id else r) for i, k, r in state.reviews))
    return state  # one of DATED_ONLY


def _acted_on(fact: BaseModel) -> date | None:
    """The business date of an act on the case, where its type declares one (`on`). A breach
    is the system's observation, not an act: a decision entered late but dated before it is
    still accepted, so it does not move the case's last date."""
    if isinstance(fact, DeadlineBreached | DeadlineBreachWithdrawn):
        return None
    return fact.on if "on" in type(fact).model_fields else None  # type: ignore[attr-defined]


def fold(facts: list[BaseModel], pause_edges: tuple[bool, bool] = (False, True)) -> Case | None:
    state: Case | None = None
    for fact in facts:
        state = evolve(state, fact, pause_edges=pause_edges)
    return state
