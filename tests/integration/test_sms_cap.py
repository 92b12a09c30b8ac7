"""The daily cap on acknowledgement SMS per mobile number (issue 15), on real PostgreSQL: over
the cap the SMS is kept with the case as 'capped' with its reason and never sent; letters, the
e-mails and other SMS are not capped; yesterday's do not count; two batches writing to the same
number at once do not overrun it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.notify.adapters import store
from services.notify.adapters.channels import DevEmail, DevSms
from services.notify.domain import letters
from services.notify.service_layer import handlers
from services.notify.service_layer.sending import Channels, send_due
from shared.clock import SHANGHAI, SettableClock
from shared.contracts.applications import ApplicantType, Channel
from shared.contracts.cases import CaseOpened, CaseReceived, DueDateBasis, DueDateSet
from shared.events import Envelope
from shared.inbox import Inbox
from tests.integration.test_notify_batch import NOW, configure_agency, event, rows

pytestmark = pytest.mark.e2e

NUMBER = "13912345678"


@pytest.fixture
def engine(notify_engine):
    return notify_engine


def application(mobile: str, n: int, *, email: str | None = None) -> list[Envelope]:
    """An online application's first three events; the third calls for the acknowledgement."""
    app = uuid.uuid4()
    stream = str(app)
    return [
        event(CaseOpened(application_id=app, case_number=f"ITMZJ-2026-{n:05d}",
                         channel=Channel.online, applicant_type=ApplicantType.natural_person,
                         applicant_name=f"申请人{n}", mobile=mobile, email=email,
                         submitted_at=NOW, request_summary="某项政策文件"), stream, 1),
        event(CaseReceived(application_id=app, received_on=date(2026, 11, 23)), stream, 2),
        event(DueDateSet(application_id=app, due_on=date(2026, 12, 21), basis=DueDateBasis(
            rule="reply_period", counted_from=date(2026, 11, 23), working_days=20,
            provisional=False, calendar="test")), stream, 3),
    ]


def context(cap: int = 5) -> handlers.Context:
    return handlers.Context(letters.TemplateSource(), lambda config: "dev", "dev-email",
                            ack_sms_per_day=cap)


async def consume(engine, envelopes: list[Envelope], cap: int = 5) -> None:
    """One consumed batch, through notify's inbox as the service consumes it."""
    ctx = context(cap)
    inbox = Inbox("notify", engine, lambda conn, env: handlers.on_event(conn, env, ctx),
                  lambda conn, envs: handlers.on_events(conn, envs, ctx))
    await inbox.receive("gongkai.cases", [e.model_dump_json() for e in envelopes])


async def sms(engine) -> list[tuple]:
    return await rows(engine, """SELECT recipient, status, last_error FROM messages
                                 WHERE channel = 'sms' ORDER BY id""")


def capped_count() -> float:
    return REGISTRY.get_sample_value("gongkai_acknowledgement_sms_capped_total") or 0.0


async def test_over_the_cap_the_sms_is_kept_as_capped_and_never_sent(engine, caplog):
    await configure_agency(engine)
    before = capped_count()
    # Seven applications naming one number, one more naming another, in one batch; the first
    # and the last give an e-mail address too.
    batch = [e for n in range(7)
             for e in application(NUMBER, n, email="a@example.com" if n in (0, 6) else None)]
    batch += application("13900000001", 7)
    with caplog.at_level(logging.INFO):
        await consume(engine, batch)

    found = await sms(engine)
    reason = handlers.capped_reason(5)
    assert found == [(NUMBER, "queued", None)] * 5 + [(NUMBER, "capped", reason)] * 2 + [
        ("13900000001", "queued", None)]
    assert "5条" in reason and NUMBER not in reason
    assert capped_count() - before == 2
    # Letters and e-mails are not capped: every application has its acknowledgement letter,
    # and the seventh applicant still gets it by e-mail.
    assert await rows(engine, "SELECT count(*) FROM letters") == [(8,)]
    assert await rows(engine, """SELECT count(*) FROM messages
                                 WHERE channel = 'email' AND status = 'queued'""") == [(2,)]
    assert not any(NUMBER in r.getMessage() for r in caplog.records)  # never log a number

    # The sender sends the queued ones only, once each.
    clock = SettableClock(datetime(2026, 11, 23, 10, tzinfo=SHANGHAI))
    channels = Channels(lambda agency: DevSms(), DevEmail())
    while await send_due(engine, channels, clock):
        pass
    async with engine.connect() as conn:
        outbox = await store.dev_outbox(conn, NUMBER)
    assert len(outbox) == 5
    assert [s for _, s, _ in await sms(engine)] == ["sent"] * 5 + ["capped"] * 2 + ["sent"]


async def test_the_cap_counts_across_batches_and_agencies_and_restarts_each_day(engine):
    await configure_agency(engine)
    await consume(engine, [e for n in range(3) for e in application(NUMBER, n)], cap=3)
    await consume(engine, application(NUMBER, 3), cap=3)
    assert [s for _, s, _ in await sms(engine)] == ["queued"] * 3 + ["capped"]
    # A capped one does not count: raising the cap lets the next one through.
    await consume(engine, application(NUMBER, 4), cap=4)
    assert [s for _, s, _ in await sms(engine)][-1] == "queued"

    # Acknowledgements queued yesterday (Asia/Shanghai) are not counted today.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE messages SET created_at = created_at - interval '1 day'"))
    await consume(engine, [e for n in range(5, 9) for e in application(NUMBER, n)], cap=4)
    assert [s for _, s, _ in await sms(engine)][-4:] == ["queued"] * 4


async def test_other_sms_to_the_number_are_not_capped(engine):
    await configure_agency(engine)
    await consume(engine, [e for n in range(2) for e in application(NUMBER, n)], cap=1)
    reply = store.message(event_id=uuid.uuid4(), template="reply_sms",
                          application_id=uuid.uuid4(), agency="it-mzj", channel="sms",
                          recipient=NUMBER, body="答复短信", provider="dev")
    async with engine.begin() as conn:
        assert await handlers._cap_acknowledgements(conn, [reply], 1) == []


async def test_a_batch_counting_a_number_waits_for_one_writing_to_it(engine):
    """Two consumers (two partitions, or two instances) with acknowledgements to the same number:
    the second counts only once the first has committed, so both cannot take the last place."""
    async with engine.connect() as first, engine.connect() as second:
        await first.begin()
        assert await store.acknowledgements_today(first, [NUMBER], []) == {}
        await store.queue_message(
            first, event_id=uuid.uuid4(), template="acknowledgement_sms",
            application_id=uuid.uuid4(), agency="it-mzj", channel="sms", recipient=NUMBER,
            body="受理短信", provider="dev")
        await second.begin()
        counting = asyncio.ensure_future(store.acknowledgements_today(second, [NUMBER], []))
        await asyncio.sleep(0.5)
        assert not counting.done()  # waiting for the first transaction
        await first.commit()
        assert await asyncio.wait_for(counting, 10) == {NUMBER: 1}
        await second.rollback()


def test_the_cap_is_a_setting():
    from services.notify.config import NotifySettings

    assert NotifySettings.from_env({}).ack_sms_per_day == 5
    assert NotifySettings.from_env({"GONGKAI_ACK_SMS_PER_DAY": "12"}).ack_sms_per_day == 12
    for wrong in ("0", "-1", "five"):
        with pytest.raises(ValueError):
            NotifySettings.from_env({"GONGKAI_ACK_SMS_PER_DAY": wrong})
