"""Given facts / when something new arrives / then facts: the case's clock starts right."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.casework.domain.calendar import default_calendar
from services.casework.domain.case import OutOfOrder, decide, fold
from shared.contracts.applications import (
    Applicant,
    ApplicationSubmitted,
    Channel,
    ReceiptConfirmed,
    RequestedInformation,
)
from shared.contracts.cases import CaseOpened, CaseReceived, DueDateSet

CAL = default_calendar()
APP = uuid.uuid4()


def submitted() -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=APP, case_number="LCMZJ-2024-00001", channel=Channel.online,
        submitted_at=datetime(2024, 2, 5, 1, tzinfo=UTC),
        applicant=Applicant(type="natural_person", name="张明", mobile="13800138000"),
        request=RequestedInformation(description="低保资金发放情况"),
    )


def confirmed(on: date) -> ReceiptConfirmed:
    return ReceiptConfirmed(application_id=APP, received_on=on, confirmation="online_auto")


def given(*facts):
    """The case's recorded facts after these arrived, in order."""
    history = []
    for fact in facts:
        new = decide(fold(history), fact, CAL)
        history.extend(new)
    return history


def test_a_submission_opens_a_case_without_a_running_clock():
    [opened] = decide(None, submitted(), CAL)
    assert isinstance(opened, CaseOpened)
    assert opened.case_number == "LCMZJ-2024-00001"
    state = fold([opened])
    assert state.status == "awaiting_receipt" and state.due_on is None


def test_receipt_starts_the_reply_period_across_spring_festival():
    history = given(submitted())
    received, due = decide(fold(history), confirmed(date(2024, 2, 5)), CAL)
    assert isinstance(received, CaseReceived) and received.received_on == date(2024, 2, 5)
    assert isinstance(due, DueDateSet)
    assert due.due_on == date(2024, 3, 8)  # DOMAIN.md §3 worked example
    assert due.previous_due_on is None
    assert due.basis.counted_from == date(2024, 2, 5)
    assert due.basis.working_days == 20 and due.basis.provisional is False


def test_redelivered_facts_decide_nothing():
    history = given(submitted(), confirmed(date(2024, 2, 5)))
    assert decide(fold(history), submitted(), CAL) == []
    assert decide(fold(history), confirmed(date(2024, 2, 6)), CAL) == []


def test_a_due_date_in_a_year_without_a_notice_is_provisional():
    history = given(submitted())
    _, due = decide(fold(history), confirmed(date(2026, 12, 25)), CAL)
    assert due.basis.provisional is True
    assert due.due_on == date(2027, 1, 25)


def test_a_receipt_before_its_submission_is_refused():
    with pytest.raises(OutOfOrder):
        decide(None, confirmed(date(2024, 2, 5)), CAL)
