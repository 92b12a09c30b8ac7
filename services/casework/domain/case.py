"""A case: the life of one application at its agency, as a pure evolve/decide pair.

`evolve(state, event) -> state` folds recorded facts; `decide(state, fact) -> [facts]` says what
follows from something new. Deciding nothing is an empty list, which makes redelivery a no-op.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from pydantic import BaseModel

from services.casework.domain.calendar import WorkingCalendar
from shared.contracts.applications import ApplicationSubmitted, ReceiptConfirmed
from shared.contracts.cases import CaseOpened, CaseReceived, DueDateBasis, DueDateSet

REPLY_PERIOD_WORKING_DAYS = 20  # Art. 33


@dataclass(frozen=True)
class Case:
    application_id: uuid.UUID
    case_number: str
    status: str = "awaiting_receipt"
    received_on: date | None = None
    due_on: date | None = None
    due_basis: DueDateBasis | None = None
    facts: tuple[str, ...] = field(default_factory=tuple)


def evolve(state: Case | None, fact: BaseModel) -> Case | None:
    match fact:
        case CaseOpened():
            return Case(fact.application_id, fact.case_number, facts=("CaseOpened",))
        case CaseReceived() if state is not None:
            return replace(state, status="open", received_on=fact.received_on,
                           facts=(*state.facts, "CaseReceived"))
        case DueDateSet() if state is not None:
            return replace(state, due_on=fact.due_on, due_basis=fact.basis,
                           facts=(*state.facts, "DueDateSet"))
    return state


def fold(facts: list[BaseModel]) -> Case | None:
    state: Case | None = None
    for fact in facts:
        state = evolve(state, fact)
    return state


class OutOfOrder(Exception):
    """A fact arrived that needs an earlier one this case has not seen."""


def decide(state: Case | None, fact: Any, calendar: WorkingCalendar) -> list[BaseModel]:
    match fact:
        case ApplicationSubmitted():
            if state is not None:
                return []
            return [
                CaseOpened(
                    application_id=fact.application_id,
                    case_number=fact.case_number,
                    channel=fact.channel,
                    applicant_type=fact.applicant.type,
                    applicant_name=fact.applicant.name,
                    mobile=fact.applicant.mobile,
                    email=fact.applicant.email,
                    submitted_at=fact.submitted_at,
                    request_summary=fact.request.description[:500],
                )
            ]
        case ReceiptConfirmed():
            if state is None:
                raise OutOfOrder(f"receipt of {fact.application_id} before its submission")
            if state.received_on is not None:
                return []
            return [
                CaseReceived(application_id=fact.application_id, received_on=fact.received_on),
                reply_due(fact.application_id, fact.received_on, calendar, previous=None),
            ]
    return []


def reply_due(
    application_id: uuid.UUID, counted_from: date, calendar: WorkingCalendar,
    previous: date | None,
) -> DueDateSet:
    due = calendar.add_working_days(counted_from, REPLY_PERIOD_WORKING_DAYS)
    return DueDateSet(
        application_id=application_id,
        due_on=due,
        previous_due_on=previous,
        basis=DueDateBasis(
            rule="reply_period",
            counted_from=counted_from,
            working_days=REPLY_PERIOD_WORKING_DAYS,
            provisional=calendar.is_due_provisional(counted_from, due),
            calendar=calendar_name(calendar),
        ),
    )


def calendar_name(calendar: WorkingCalendar) -> str:
    years = sorted(calendar.official_years)
    return f"official {years[0]}-{years[-1]}, provisional beyond" if years else "provisional"
