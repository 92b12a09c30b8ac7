"""A case imported from an agency's ledger (台账) gets no letter or SMS for what the ledger
records: its receipt was acknowledged and its reply given on paper, before this system. A
letter written for them would be dated years back and, where the agency numbers its letters,
take 文号 of those years (or this year's, one per imported case). What happens to the case in
the system afterwards is answered as for any case."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.casework.domain.calendar import default_calendar
from services.casework.domain.case import evolve
from services.casework.domain.commands import Context, Decide
from services.casework.domain.decide import decide, from_intake
from services.notify.domain import letters
from services.notify.service_layer import handlers
from shared.contracts.applications import (
    LEDGER_IMPORT,
    Applicant,
    ApplicationSubmitted,
    HistoricalOutcomeRecorded,
    Receipt,
    RequestedInformation,
)
from shared.contracts.cases import CaseConcluded, CaseOpened

APP = uuid.UUID("0d5e1c9a-4f44-4bde-9d0e-5a3c2e7f1018")
RECEIVED = date(2019, 3, 4)
CTX = Context(today=date(2025, 12, 31), calendar=default_calendar())


def submitted(confirmation: str) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=APP, case_number="LCMZJ-2019-00007", channel="post_signed",
        submitted_at=datetime(2025, 12, 1, 2, tzinfo=UTC), arrived_on=RECEIVED,
        applicant=Applicant(type="natural_person", name="王芳", mobile="13800138000"),
        request=RequestedInformation(description="2018年低保资金发放情况"),
        receipt=Receipt(received_on=RECEIVED, confirmation=confirmation, confirmed_by="clerk"))


def called_for(facts: list) -> list[str]:
    """Every letter kind and SMS template notify composes for these casework facts."""
    after, found = letters.CaseFacts(), []
    for fact in facts:
        after = handlers.fold(after, fact)
        for _, kinds, sms in handlers.called_for(fact, after, date(2025, 12, 1)):
            found += [*kinds, *([sms[0]] if sms else [])]
    return found


def test_a_ledger_case_is_opened_and_concluded_as_from_the_ledger_and_gets_no_letters():
    [opened] = from_intake(None, submitted(LEDGER_IMPORT), CTX)
    assert isinstance(opened, CaseOpened) and opened.from_ledger
    assert opened.received_on == RECEIVED and opened.due_on is not None
    case = evolve(None, opened)
    replied = from_intake(case, HistoricalOutcomeRecorded(
        application_id=APP, outcome="disclosed", replied_on=date(2019, 3, 20),
        source="ledger.csv"), CTX)
    assert [type(f) for f in replied] == [CaseConcluded] and replied[0].from_ledger
    assert called_for([opened, *replied]) == []


def test_the_same_registration_received_by_a_clerk_is_acknowledged_and_answered():
    [opened] = from_intake(None, submitted("registered_post_signed"), CTX)
    assert not opened.from_ledger
    replied = decide(evolve(None, opened), Decide(on=date(2019, 3, 20), outcome="disclosed"),
                     CTX)
    assert called_for([opened, *replied]) == [
        "acknowledgement", "acknowledgement_sms", "reply_disclosed", "reply_sms"]


def test_an_open_ledger_case_concluded_in_the_system_gets_its_reply_letter():
    [opened] = from_intake(None, submitted(LEDGER_IMPORT), CTX)
    replied = decide(evolve(None, opened), Decide(on=date(2019, 3, 20), outcome="disclosed"),
                     CTX)
    assert not replied[-1].from_ledger
    assert called_for([opened, *replied]) == ["reply_disclosed", "reply_sms"]
