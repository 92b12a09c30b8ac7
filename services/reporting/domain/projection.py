"""What reporting keeps of each event: facts per case, per review, per fee payment, per agency,
and the entered table 二. Pure: `apply` folds one event into a working set of rows, the same
function for live consumption (a few rows loaded) and for a replay (all rows in memory)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from shared.contracts.agencies import AgencyConfigured
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
    expanded,
)
from shared.contracts.reports import ProactiveFiguresEntered
from shared.events import Envelope

# The event types that change a report (`apply_fact` folds each), and those of the topics
# reporting consumes that change none; tests/unit/test_typed_folds.py checks that the two cover
# every event type it receives and that `apply_fact` takes nothing from an ignored one.
FOLDED: tuple[type[BaseModel], ...] = (
    AgencyConfigured, CaseOpened, CaseReceived, CaseConcluded, FeePaid, ReviewFiled,
    ReviewDecided, ProactiveFiguresEntered, DueDateSet, ExtensionApproved, DeadlineBreached,
    DeadlineBreachWithdrawn)
IGNORED: tuple[type[BaseModel], ...] = (
    CorrectionRequested, CorrectionReceived, CorrectionLapsed, ConsultationStarted,
    ConsultationEnded, FeeNoticeIssued, FeeLapsed, ReasonsRequested, CaseWithdrawn)
# Their type names, as stored: a replay reads only these.
RELEVANT = tuple(model.__event_type__ for model in FOLDED)  # type: ignore[attr-defined]


@dataclass
class CaseRow:
    application_id: uuid.UUID
    agency: str
    applicant_type: str
    received_on: date | None = None
    concluded_on: date | None = None
    outcome: str | None = None
    # How it was handled (the report's 办理情况, docs/decisions.md, issue 16): the channel it
    # came by, the due date in force when it concluded, whether the reply period was extended,
    # whether the deadline was breached, whether it was answered on the spot.
    channel: str | None = None
    due_on: date | None = None
    extended: bool = False
    breached: bool = False
    on_the_spot: bool = False


@dataclass
class ReviewRow:
    application_id: uuid.UUID
    review_id: str
    agency: str
    kind: str
    filed_on: date
    result: str | None = None
    decided_on: date | None = None


@dataclass
class FeeRow:
    event_id: uuid.UUID
    agency: str
    paid_on: date
    amount_yuan: Decimal


@dataclass
class WorkingSet:
    cases: dict[uuid.UUID, CaseRow] = field(default_factory=dict)
    reviews: dict[tuple[uuid.UUID, str], ReviewRow] = field(default_factory=dict)
    fees: dict[uuid.UUID, FeeRow] = field(default_factory=dict)
    agencies: dict[str, str] = field(default_factory=dict)
    table2: dict[tuple[str, int], dict] = field(default_factory=dict)


def case_of(fact: BaseModel) -> uuid.UUID | None:
    """The case whose row a fact changes, if its type belongs to a case."""
    if "application_id" not in type(fact).model_fields:
        return None
    return fact.application_id  # type: ignore[attr-defined]


def apply(ws: WorkingSet, envelope: Envelope) -> None:
    apply_fact(ws, envelope.body(), envelope.agency, envelope.event_id)


def apply_fact(ws: WorkingSet, fact: BaseModel, agency: str, event_id: uuid.UUID) -> None:
    """`apply` for an event already decoded (a replay reads only these three parts)."""
    for part in expanded(fact):  # an opening received at once: opened, received and due
        _apply_one(ws, part, agency, event_id)


def _apply_one(ws: WorkingSet, fact: BaseModel, agency: str, event_id: uuid.UUID) -> None:
    # The facts of every case first (a replay folds them by the ten thousand), and each case's
    # row looked up once: a fact of a case this projection never saw opened changes nothing.
    match fact:
        case CaseOpened():
            ws.cases.setdefault(fact.application_id, CaseRow(
                fact.application_id, agency, fact.applicant_type.value,
                channel=fact.channel.value))
        case CaseReceived():
            if row := ws.cases.get(fact.application_id):
                # New in the year of the *original* receipt: a correction does not make it new.
                row.received_on = row.received_on or fact.received_on
        case DueDateSet():
            if (row := ws.cases.get(fact.application_id)) and row.concluded_on is None:
                row.due_on = fact.due_on  # the due date in force when it concludes
        case CaseConcluded():
            # One outcome per application, never counted twice.
            if (row := ws.cases.get(fact.application_id)) and row.concluded_on is None:
                row.concluded_on, row.outcome = fact.on, fact.outcome
                row.on_the_spot = fact.on_the_spot
        case ExtensionApproved():
            if row := ws.cases.get(fact.application_id):
                row.extended = True
        case DeadlineBreached():
            if row := ws.cases.get(fact.application_id):
                row.breached = True
        case DeadlineBreachWithdrawn():
            if row := ws.cases.get(fact.application_id):
                row.breached = False
        case AgencyConfigured():
            ws.agencies[fact.agency_id] = fact.name
        case FeePaid():
            ws.fees[event_id] = FeeRow(event_id, agency, fact.on, fact.amount_yuan)
        case ReviewFiled():
            ws.reviews.setdefault((fact.application_id, fact.review_id), ReviewRow(
                fact.application_id, fact.review_id, agency, fact.kind, fact.on))
        case ReviewDecided():
            if review := ws.reviews.get((fact.application_id, fact.review_id)):
                review.result, review.decided_on = fact.result, fact.on
        case ProactiveFiguresEntered():
            ws.table2[(agency, fact.year)] = fact.model_dump(mode="json", exclude={"year"})
