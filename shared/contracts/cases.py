"""Facts recorded by casework."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from shared.contracts.applications import ApplicantType, Channel
from shared.events import event_type


@event_type("CaseOpened", 1)
class CaseOpened(BaseModel):
    application_id: uuid.UUID
    case_number: str
    channel: Channel
    applicant_type: ApplicantType
    applicant_name: str
    mobile: str | None = None
    email: str | None = None
    submitted_at: datetime
    request_summary: str


@event_type("CaseReceived", 1)
class CaseReceived(BaseModel):
    """The receipt date is fixed: the case counts as new in this date's year (§8)."""

    application_id: uuid.UUID
    received_on: date


class DueDateBasis(BaseModel):
    """The inputs that produced a due date, kept so anyone can recompute it by hand."""

    rule: str
    counted_from: date
    working_days: int
    provisional: bool
    calendar: str


@event_type("DueDateSet", 1)
class DueDateSet(BaseModel):
    application_id: uuid.UUID
    due_on: date
    previous_due_on: date | None = None
    basis: DueDateBasis
