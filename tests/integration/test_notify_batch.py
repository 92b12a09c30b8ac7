"""Notify's consumer on real PostgreSQL: a batch of several cases' events is decided event by
event and written together, with the same letters and messages, in the same order, as one
event at a time; an event seen again composes and sends nothing new."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from services.notify.domain import letters
from services.notify.service_layer import handlers
from shared.contracts import cases as cases_contract
from shared.contracts.agencies import AgencyConfigured, Office
from shared.contracts.applications import ApplicantType, Channel
from shared.contracts.cases import CaseOpened, CaseReceived, DueDateBasis, DueDateSet
from shared.events import Envelope, new_event
from shared.inbox import Inbox, NotReady

pytestmark = pytest.mark.e2e

AGENCY = "it-mzj"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine(notify_engine):
    return notify_engine


def event(payload, stream: str, position: int) -> Envelope:
    return new_event(payload, stream_id=stream, stream_position=position, agency=AGENCY,
                     occurred_at=NOW, actor="test", correlation_id=uuid.uuid4())


def case_events(n: int, *, email: str | None = None) -> list[Envelope]:
    """An online application's first three events, as casework emits them."""
    app = uuid.uuid4()
    stream = str(app)
    return [
        event(CaseOpened(application_id=app, case_number=f"ITMZJ-2026-{n:05d}",
                         channel=Channel.online, applicant_type=ApplicantType.natural_person,
                         applicant_name=f"申请人{n}", mobile=f"1380013800{n}", email=email,
                         submitted_at=NOW, request_summary="某项政策文件"), stream, 1),
        event(CaseReceived(application_id=app, received_on=date(2026, 11, 23)), stream, 2),
        event(DueDateSet(application_id=app, due_on=date(2026, 12, 21), basis=DueDateBasis(
            rule="reply_period", counted_from=date(2026, 11, 23), working_days=20,
            provisional=False, calendar="test")), stream, 3),
    ]


def inbox(engine) -> Inbox:
    ctx = handlers.Context(letters.TemplateSource(), lambda config: "dev", "dev-email")
    return Inbox("notify", engine, lambda conn, env: handlers.on_event(conn, env, ctx),
                 lambda conn, envs: handlers.on_events(conn, envs, ctx))


async def configure_agency(engine) -> None:
    agency = AgencyConfigured(agency_id=AGENCY, name="测试市民政局", case_prefix="ITMZJ",
                              disclosure_body="办公室", address="测试地址",
                              phone="0635-0000000",
                              reconsideration_organ=Office(name="测试市人民政府"),
                              court=Office(name="测试区人民法院"))
    await inbox(engine).receive("gongkai.agencies", [
        event(agency, f"agency-{AGENCY}", 1).model_dump_json()])


async def rows(engine, query: str) -> list[tuple]:
    async with engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(query))]


async def test_a_batch_of_several_cases_writes_what_each_event_calls_for_in_order(engine):
    await configure_agency(engine)
    cases = [case_events(1), case_events(2, email="b@example.com"), case_events(3)]
    # Interleaved, as a batch from several partitions arrives; each case in its own order.
    batch = [e for step in zip(*cases, strict=True) for e in step]
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in batch])

    acknowledgements = [str(c[2].event_id) for c in cases]
    kept = await rows(engine, "SELECT id, event_id::text, kind FROM letters ORDER BY id")
    assert [(e, k) for _, e, k in kept] == [(e, "acknowledgement") for e in acknowledgements]
    messages = await rows(engine, """SELECT event_id::text, channel, recipient, letter_id
                                     FROM messages ORDER BY id""")
    second_letter = kept[1][0]
    assert messages == [
        (acknowledgements[0], "sms", "13800138001", None),
        (acknowledgements[1], "email", "b@example.com", second_letter),
        (acknowledgements[1], "sms", "13800138002", None),
        (acknowledgements[2], "sms", "13800138003", None),
    ]
    assert await rows(engine, "SELECT count(*) FROM recipients") == [(3,)]

    # The same batch again (a redelivery): the inbox knows every event, nothing is written.
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in batch])
    assert len(await rows(engine, "SELECT id FROM letters")) == 3
    assert len(await rows(engine, "SELECT id FROM messages")) == 4


async def test_an_event_decided_again_composes_and_sends_nothing_new(engine):
    await configure_agency(engine)
    events = case_events(4, email="d@example.com")
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in events])
    ctx = handlers.Context(letters.TemplateSource(), lambda config: "dev", "dev-email")
    async with engine.begin() as conn:  # past the inbox, as if its record had been lost
        await handlers.on_events(conn, events, ctx)
    assert len(await rows(engine, "SELECT id FROM letters")) == 1
    assert len(await rows(engine, "SELECT id FROM messages")) == 2  # the SMS and the e-mail


async def test_a_case_not_yet_opened_for_notify_waits(engine):
    await configure_agency(engine)
    events = case_events(5)
    ctx = handlers.Context(letters.TemplateSource(), lambda config: "dev", "dev-email")
    with pytest.raises(NotReady):
        async with engine.begin() as conn:
            await handlers.on_events(conn, events[1:], ctx)
    assert await rows(engine, "SELECT count(*) FROM messages") == [(0,)]


def opened_and_received(n: int, *, email: str | None = None) -> list[Envelope]:
    """The same application as `case_events(n)` opened and received in one event, as casework
    records it since CaseOpened version 3."""
    old = case_events(n, email=email)
    facts = [e.body() for e in old]
    [joined] = cases_contract.joined(facts)
    return [event(joined, old[0].stream_id, 1)]


async def test_one_event_for_opening_and_receipt_sends_what_the_three_did(engine):
    """The acknowledgement letter, its e-mail and the SMS of an application opened and received
    in one event are those of the three events that said it before (stores keep both)."""
    await configure_agency(engine)
    old, new = case_events(8, email="h@example.com"), opened_and_received(8, email="h@example.com")
    assert len(new) == 1 and new[0].body().received_on == date(2026, 11, 23)
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in [*old, *new]])
    kept = await rows(engine, """SELECT application_id::text, event_id::text, kind, addressee,
                                        dated, template_version, content, content_hash
                                 FROM letters ORDER BY id""")
    sent = await rows(engine, """SELECT application_id::text, event_id::text, template, channel,
                                        recipient, body, status FROM messages ORDER BY id""")
    by_case = {old[0].stream_id: ("old", str(old[2].event_id)),
               new[0].stream_id: ("new", str(new[0].event_id))}
    for shape in ("old", "new"):
        [letter] = [r for r in kept if by_case[r[0]][0] == shape]
        assert letter[1] == by_case[letter[0]][1] and letter[2] == "acknowledgement"
    assert [r[2:] for r in kept if by_case[r[0]][0] == "old"] == [
        r[2:] for r in kept if by_case[r[0]][0] == "new"]
    old_sent = [r[2:] for r in sent if by_case[r[0]][0] == "old"]
    assert [m[:2] for m in old_sent] == [("email:acknowledgement", "email"),
                                         ("acknowledgement_sms", "sms")]
    assert old_sent == [r[2:] for r in sent if by_case[r[0]][0] == "new"]
    assert "2026年12月21日" in old_sent[1][3]  # the SMS gives the due date
