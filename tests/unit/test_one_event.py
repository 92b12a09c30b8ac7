"""One event in, one event out (issue 18): an application received when it is recorded is one
`ApplicationSubmitted` (its receipt inside) and casework opens it with one `CaseOpened`
(received and due inside). Every fold reads that `CaseOpened` as the three facts it joins
(`expanded`), so a store of the old shape (CaseOpened + CaseReceived + DueDateSet, after
ApplicationSubmitted + ReceiptConfirmed) and one of the new give the same case, the same
figures, the same letters and SMS, and the same history."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from gongkai.city import DEMO_CITY, read_city
from services.casework.domain.calendar import default_calendar
from services.casework.domain.case import fold
from services.casework.domain.commands import Context
from services.casework.domain.decide import from_intake
from services.casework.domain.public import public_steps, recorded_facts
from services.intake.domain.application import RegistrationForm, register
from services.notify.domain import letters
from services.notify.service_layer import handlers
from services.reporting.domain import projection
from shared.contracts.applications import (
    Applicant,
    ApplicationSubmitted,
    Receipt,
    ReceiptConfirmed,
    RequestedInformation,
)
from shared.contracts.cases import (
    CaseOpened,
    CaseReceived,
    DueDateSet,
    ExtensionApproved,
    expanded,
    joined,
)
from shared.events import decode_payload, new_event

APP = uuid.UUID("7d0c6a52-8a4e-4f53-9a57-1d6e0f3c0018")
RECEIVED = date(2025, 9, 22)  # a Monday: due 2025-10-24, across National Day (docs/domain.md)
CTX = Context(today=date(2025, 12, 31), calendar=default_calendar())
AGENCY = next(a for a in read_city(DEMO_CITY) if a.agency_id == "lc-mzj")
NOW = datetime(2025, 9, 22, 1, 30, tzinfo=UTC)


def application(receipt: Receipt | None = None) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=APP, case_number="LCMZJ-2025-00018", channel="online", submitted_at=NOW,
        applicant=Applicant(type="natural_person", name="张明", mobile="13800138000",
                            email="zhang@example.com"),
        applicant_keys=["k1:ab"], access_code_hash="h",
        request=RequestedInformation(description="低保资金发放情况", medium="paper",
                                     delivery="post"),
        arrived_on=RECEIVED, receipt=receipt)


def old_shape() -> list:
    """What casework recorded before: the opening, then the receipt's two facts."""
    opened = from_intake(None, application(), CTX)
    receipt = ReceiptConfirmed(application_id=APP, received_on=RECEIVED,
                               confirmation="online_auto")
    return [*opened, *from_intake(fold(opened), receipt, CTX)]


def new_shape() -> list:
    return from_intake(None, application(Receipt(received_on=RECEIVED,
                                                 confirmation="online_auto")), CTX)


def test_an_application_received_at_once_opens_its_case_in_one_fact():
    [opened] = new_shape()
    assert isinstance(opened, CaseOpened)
    assert (opened.received_on, opened.due_on) == (RECEIVED, date(2025, 10, 24))
    assert opened.basis.rule == "reply_period" and opened.basis.counted_from == RECEIVED
    assert [type(f) for f in old_shape()] == [CaseOpened, CaseReceived, DueDateSet]


def test_the_one_fact_says_exactly_what_the_three_said():
    old, [new] = old_shape(), new_shape()
    assert list(expanded(new)) == old
    assert joined(old) == [new]
    # Folded by casework, the two stores are the same case.
    assert fold(old) == fold([new])
    assert fold([new]).status == "open" and fold([new]).due_on == date(2025, 10, 24)


def test_any_other_fact_is_read_as_itself_and_left_alone():
    [opened, received, due] = old_shape()
    assert expanded(opened) == (opened,) and expanded(due) == (due,)
    extension = ExtensionApproved(application_id=APP, on=RECEIVED, working_days=5,
                                  approved_by="a", reason="r")
    assert joined([extension, due]) == [extension, due]
    assert joined([opened]) == [opened]
    # A due date that replaces another is not a first one: nothing to join.
    later = due.model_copy(update={"previous_due_on": date(2025, 10, 20)})
    assert joined([opened, received, later]) == [opened, received, later]


def test_old_stored_versions_are_read_without_a_receipt():
    [opened, *_] = old_shape()
    stored_v2 = opened.model_dump(mode="json", exclude={"received_on", "due_on", "basis"})
    assert decode_payload("CaseOpened", 2, stored_v2) == opened
    submitted = application().model_dump(mode="json", exclude={"receipt"})
    assert decode_payload("ApplicationSubmitted", 2, submitted).receipt is None


def test_reporting_counts_the_two_shapes_alike():
    def figures(facts):
        ws = projection.WorkingSet()
        for fact in facts:
            projection.apply_fact(ws, fact, "lc-mzj", uuid.UUID(int=7))
        return ws

    assert figures(new_shape()) == figures(old_shape())
    assert figures(new_shape()).cases[APP].received_on == RECEIVED
    assert figures(new_shape()).cases[APP].due_on == date(2025, 10, 24)


def test_notify_writes_the_same_acknowledgement_letter_and_sms_for_both_shapes():
    today = date(2025, 9, 22)

    def answered(facts):
        after = letters.CaseFacts()
        for fact in facts:
            after = handlers.fold(after, fact)
        called = [c for fact in facts for c in handlers.called_for(fact, after, today)]
        [(part, kinds, sms)] = called  # only the first due date calls for anything
        dated = letters.letter_date_of(part, after)
        letter = letters.compose(kinds[0], after, AGENCY, dated, letters.TemplateSource(),
                                 today=today)
        return after, kinds, dated, letter.text(), sms[1](AGENCY.name, "LCMZJ-2025-00018", after)

    old, new = answered(old_shape()), answered(new_shape())
    assert new == old
    assert new[1] == ["acknowledgement"] and new[2] == RECEIVED
    assert "2025年10月24日" in new[3] and "2025年10月24日" in new[4][0]


def test_the_history_reads_in_the_same_words_for_both_shapes():
    def history(facts):
        return [new_event(f, stream_id=str(APP), stream_position=i + 1, agency="lc-mzj",
                          occurred_at=NOW, actor="system", correlation_id=APP)
                for i, f in enumerate(facts)]

    old, new = history(old_shape()), history(new_shape())
    assert [kind for _, kind, _ in recorded_facts(new)] == [
        "CaseOpened", "CaseReceived", "DueDateSet"]
    assert [(k, p) for _, k, p in recorded_facts(new)][1:] == [
        (k, p) for _, k, p in recorded_facts(old)][1:]
    assert public_steps(new) == public_steps(old) == [
        {"on": "2025-09-22", "step": "确认收到申请"}]


def test_a_registration_with_its_receipt_date_is_one_fact():
    form = RegistrationForm.model_validate({
        "agency": "lc-mzj", "channel": "post_signed", "arrived_on": "2025-09-19",
        "received_on": "2025-09-22",
        "applicant": {"type": "natural_person", "name": "张明",
                      "id_number": "11010519491231002X", "mobile": "13800138000"},
        "request": {"description": "低保资金发放情况"}})
    [submitted] = register(form, application_id=APP, number="X", now=NOW, registrar="clerk",
                           keys=[])
    assert submitted.receipt == Receipt(received_on=RECEIVED, confirmation="registered_post_signed",
                                        confirmed_by="clerk")
    waiting = form.model_copy(update={"channel": "ordinary_letter", "received_on": None})
    [unconfirmed] = register(waiting, application_id=APP, number="X", now=NOW,
                             registrar="clerk", keys=[])
    assert unconfirmed.receipt is None
