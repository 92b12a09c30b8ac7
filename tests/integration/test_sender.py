"""The notify sender on real PostgreSQL: quiet hours by the injected clock, retries with backoff,
a failure set aside with its reason, and interrupted sends never repeated silently."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.notify.adapters import store
from services.notify.adapters.channels import DeliveryError, DevEmail, DevSms
from services.notify.service_layer.sending import Channels, recover, send_due
from shared.clock import SHANGHAI, SettableClock

pytestmark = pytest.mark.e2e


@pytest.fixture
def engine(notify_engine):
    return notify_engine


class Flaky:
    """A provider that fails with the given errors, then succeeds."""

    name, retry_safe, transactional = "flaky", False, False

    def __init__(self, *errors: DeliveryError) -> None:
        self.errors = list(errors)
        self.sent: list[int] = []

    async def deliver(self, conn, message, attachment=None):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message.id)
        return f"flaky-{message.id}"


async def queue(engine, provider: str = "dev", channel: str = "sms") -> None:
    async with engine.begin() as conn:
        await store.queue_message(
            conn, event_id=uuid.uuid4(), template="acknowledgement_sms",
            application_id=uuid.uuid4(), agency="a", channel=channel,
            recipient="13800138000" if channel == "sms" else "x@example.com", body="测试短信",
            provider=provider)


async def statuses(engine) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT status, attempts FROM messages ORDER BY id"))
        return [tuple(r) for r in rows]


def local(hour: int, minute: int = 0, day: int = 22) -> datetime:
    return datetime(2025, 9, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


async def test_no_sms_at_night_it_waits_for_the_morning(engine):
    clock = SettableClock(local(22, 30))
    channels = Channels(lambda agency: DevSms(), DevEmail())
    await queue(engine)
    await queue(engine, "dev-email", channel="email")
    assert await send_due(engine, channels, clock) == 1  # the e-mail goes, the SMS waits
    async with engine.connect() as conn:
        waiting = (await conn.execute(text(
            "SELECT next_attempt_at FROM messages WHERE channel = 'sms'"))).scalar_one()
    assert waiting == local(8, 0, day=23)
    clock.set(local(7, 59, day=23))
    assert await send_due(engine, channels, clock) == 0
    clock.set(local(8, 0, day=23))
    assert await send_due(engine, channels, clock) == 1
    assert await statuses(engine) == [("sent", 1), ("sent", 1)]
    async with engine.connect() as conn:
        assert len(await store.dev_outbox(conn)) == 1


async def test_retryable_errors_back_off_then_succeed(engine):
    clock = SettableClock(local(10))
    flaky = Flaky(DeliveryError("busy", retryable=True), DeliveryError("busy", retryable=True))
    channels = Channels(lambda agency: flaky, DevEmail())
    await queue(engine, "flaky")
    await send_due(engine, channels, clock)
    assert await statuses(engine) == [("queued", 1)]
    assert await send_due(engine, channels, clock) == 0  # not before its backoff (5 s)
    clock.advance(timedelta(seconds=5))
    await send_due(engine, channels, clock)
    clock.advance(timedelta(seconds=10))
    await send_due(engine, channels, clock)
    assert await statuses(engine) == [("sent", 3)] and len(flaky.sent) == 1


async def test_a_message_that_cannot_be_delivered_is_set_aside_with_its_reason(engine):
    clock = SettableClock(local(10))
    channels = Channels(lambda agency: Flaky(DeliveryError("isv.MOBILE_NUMBER_ILLEGAL",
                                                           retryable=False)), DevEmail())
    await queue(engine, "flaky")
    await send_due(engine, channels, clock)
    assert await statuses(engine) == [("failed", 1)]
    async with engine.connect() as conn:
        reason = (await conn.execute(text("SELECT reason FROM dead_letters"))).scalar_one()
    assert "MOBILE_NUMBER_ILLEGAL" in reason


async def test_an_interrupted_send_is_retried_only_where_that_cannot_send_twice(engine):
    clock = SettableClock(local(10))
    await queue(engine, "dev")
    await queue(engine, "aliyun")
    async with engine.begin() as conn:  # both claimed, then the process died
        claimed = await store.claim_due(conn, clock.now(), True, 10)
    assert len(claimed) == 2
    assert await recover(engine, clock) == {}  # too recent: may still be in flight
    clock.advance(timedelta(minutes=3))
    assert await recover(engine, clock) == {"queued": 1, "unknown": 1}
    assert await statuses(engine) == [("queued", 1), ("unknown", 1)]


class Slow:
    """A provider (that does not deduplicate) whose first delivery takes a while."""

    name, retry_safe, transactional = "slow", False, False

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.sent: list[int] = []

    async def deliver(self, conn, message, attachment=None):
        self.started.set()
        await asyncio.sleep(0.3)
        self.sent.append(message.id)
        return f"slow-{message.id}"


async def test_a_service_stopping_mid_batch_finishes_the_send_begun_and_requeues_the_rest(engine):
    clock = SettableClock(local(10))
    provider = Slow()
    channels = Channels(lambda agency: provider, DevEmail())
    for _ in range(3):
        await queue(engine, provider="aliyun")
    sending = asyncio.create_task(send_due(engine, channels, clock))
    await provider.started.wait()
    sending.cancel()  # what SIGTERM does to the sender loop
    with pytest.raises(asyncio.CancelledError):
        await sending
    # The one handed to the provider is recorded as sent; the two never handed to it are
    # queued as before (not 'sending', which a provider without deduplication would turn into
    # 'unknown' for a person to check).
    assert len(provider.sent) == 1
    assert await statuses(engine) == [("sent", 1), ("queued", 0), ("queued", 0)]
    assert await send_due(engine, channels, clock) == 2
    assert await statuses(engine) == [("sent", 1), ("sent", 1), ("sent", 1)]
    assert len(provider.sent) == 3


async def test_a_service_stopping_as_its_claim_commits_gives_the_claimed_messages_back(
        engine, monkeypatch):
    # SIGTERM lands once the claim is committed, before the sender has its rows: nothing was
    # handed to a provider, so nothing may stay 'sending' (it would wait two minutes for the
    # recovery, and a provider without deduplication would make it 'unknown').
    claimed = asyncio.Event()
    claim_due = store.claim_due

    async def committed_then_slow(conn, now, sms_open, limit):
        async with engine.begin() as own:  # the claim, committed whatever happens next
            rows = await claim_due(own, now, sms_open, limit)
        claimed.set()
        await asyncio.sleep(0.5)
        return rows

    monkeypatch.setattr(store, "claim_due", committed_then_slow)
    clock = SettableClock(local(10))
    provider = Slow()
    channels = Channels(lambda agency: provider, DevEmail())
    for _ in range(3):
        await queue(engine, provider="aliyun")
    sending = asyncio.create_task(send_due(engine, channels, clock))
    await claimed.wait()
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert provider.sent == []
    assert await statuses(engine) == [("queued", 0), ("queued", 0), ("queued", 0)]


async def test_a_round_through_the_dev_sink_is_recorded_once_each_and_marked_sent_together(
        engine):
    clock = SettableClock(local(10))
    channels = Channels(lambda agency: DevSms(), DevEmail())
    for _ in range(5):
        await queue(engine)
    assert await send_due(engine, channels, clock) == 5
    assert await statuses(engine) == [("sent", 1)] * 5
    async with engine.connect() as conn:
        outbox = await store.dev_outbox(conn)
        marked = list(await conn.execute(text(
            "SELECT id, provider_message_id, sent_at FROM messages ORDER BY id")))
    assert [m["message_id"] for m in outbox] == [m.id for m in marked]  # once each
    assert [m.provider_message_id for m in marked] == [f"dev-{m.id}" for m in marked]
    # Written and marked in one transaction: one transaction time for the whole round.
    assert len({m.sent_at for m in marked} | {m["delivered_at"] for m in outbox}) == 1


class SinkFailingOne(DevSms):
    """The development sink, with one message it cannot take (after writing the others)."""

    def __init__(self, failing: int) -> None:
        self.failing = failing

    async def deliver_all(self, conn, messages, attachments):
        sent = await super().deliver_all(conn, messages, attachments)
        if self.failing in sent:
            raise DeliveryError("sink full", retryable=True)
        return sent


async def test_a_failure_inside_a_round_writes_none_of_it_and_each_message_then_goes_alone(
        engine):
    clock = SettableClock(local(10))
    for _ in range(3):
        await queue(engine)
    async with engine.connect() as conn:
        second = (await conn.execute(text("SELECT min(id) + 1 FROM messages"))).scalar_one()
    channels = Channels(lambda agency: SinkFailingOne(second), DevEmail())
    assert await send_due(engine, channels, clock) == 3
    # The round's writes were rolled back; alone, the two others went once each and the one
    # that failed waits for its retry, written nowhere.
    assert await statuses(engine) == [("sent", 1), ("queued", 1), ("sent", 1)]
    async with engine.connect() as conn:
        assert [m["message_id"] for m in await store.dev_outbox(conn)] == [second - 1,
                                                                           second + 1]


class Watching:
    """A network provider that notes, at each call, how many messages are recorded as sent."""

    name, retry_safe, transactional = "watching", False, False

    def __init__(self, engine) -> None:
        self.engine = engine
        self.sent_before: list[int] = []

    async def deliver(self, conn, message, attachment=None):
        async with self.engine.connect() as other:  # what a crash right now would leave
            self.sent_before.append((await other.execute(text(
                "SELECT count(*) FROM messages WHERE status = 'sent'"))).scalar_one())
        return f"watching-{message.id}"


async def test_messages_of_a_network_channel_are_still_recorded_one_by_one(engine):
    clock = SettableClock(local(10))
    provider = Watching(engine)
    channels = Channels(lambda agency: provider, DevEmail())
    for _ in range(2):
        await queue(engine, "dev-email", channel="email")
    for _ in range(3):
        await queue(engine, "aliyun")
    assert await send_due(engine, channels, clock) == 5
    # The e-mails through the sink went together; each SMS's outcome was committed before the
    # provider was given the next one.
    assert provider.sent_before == [2, 3, 4]
    assert await statuses(engine) == [("sent", 1)] * 5


async def test_idle_the_sender_wakes_for_the_next_retry_when_it_is_due_without_polling(
        engine, infra):
    """Nothing notifies when a retry falls due: the idle sender sleeps until the earliest
    queued message's next attempt (not a fixed poll) and sends it then; with nothing queued it
    sleeps the longest look."""
    from services.notify.service_layer.sending import IDLE_LOOK, _until_next_due, sender_loop
    from shared.clock import OffsetClock
    from shared.db import plain_url

    clock = OffsetClock(local(10))  # real seconds passing, in daytime (no SMS at night)
    assert await _until_next_due(engine, clock) == IDLE_LOOK
    flaky = Flaky(DeliveryError("busy", retryable=True))
    await queue(engine, "flaky")
    assert await _until_next_due(engine, clock) == 0.1  # queued, due whenever claimed
    sender = asyncio.create_task(sender_loop(
        engine, plain_url(infra.database_url), Channels(lambda agency: flaky, DevEmail()),
        clock))
    try:
        started = asyncio.get_running_loop().time()
        while await statuses(engine) != [("queued", 1)]:  # the first attempt failed
            assert asyncio.get_running_loop().time() - started < 3, "first attempt not made"
            await asyncio.sleep(0.02)
        assert 4.0 < await _until_next_due(engine, clock) <= 5.0  # its backoff
        while await statuses(engine) != [("sent", 2)]:
            assert asyncio.get_running_loop().time() - started < 8, "retry not sent when due"
            await asyncio.sleep(0.05)
        assert asyncio.get_running_loop().time() - started >= 4.5
        assert await _until_next_due(engine, clock) == IDLE_LOOK
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender


async def round_with_a_letter_between_two_sms(engine, provider: str, pdf: str) -> Watching:
    """Queue an SMS, an e-mail through `provider` with a letter whose stored PDF is `pdf` (SQL:
    `''` an erased letter, NULL one not rendered yet whose content is gone), another SMS; send
    one round. Returns the network provider (used when `provider` is "watching")."""
    application_id, event_id = uuid.uuid4(), uuid.uuid4()
    await queue(engine)
    async with engine.begin() as conn:
        ids = await store.store_letters(conn, [{
            "application_id": str(application_id), "agency": "a", "event_id": str(event_id),
            "kind": "acknowledgement", "addressee": "（已删除）", "dated": "2025-09-22",
            "template_version": "t", "content": {}, "content_hash": "h", "number": None}])
        await store.queue_message(
            conn, event_id=event_id, template="acknowledgement_email",
            application_id=application_id, agency="a", channel="email",
            recipient="x@example.com", body="（已删除）", provider=provider,
            letter_id=ids[(str(event_id), "acknowledgement")])
        await conn.execute(text(f"UPDATE letters SET pdf = {pdf}"))
    await queue(engine)
    network = Watching(engine)
    channels = Channels(lambda agency: DevSms(), DevEmail() if provider == "dev-email"
                        else network)
    assert await send_due(engine, channels, SettableClock(local(10))) == 3  # no error
    return network


@pytest.mark.parametrize("provider", ["dev-email", "watching"])
async def test_a_message_whose_letter_was_erased_goes_to_no_one_and_the_rest_still_go(
        engine, provider):
    # Erased (`gongkai erase`) after this round would have claimed it.
    network = await round_with_a_letter_between_two_sms(engine, provider, "''::bytea")
    assert await statuses(engine) == [("sent", 1), (store.UNSENT_ERASED, 1), ("sent", 1)]
    async with engine.connect() as conn:
        assert len(await store.dev_outbox(conn)) == 2
        assert await store.dev_mailbox(conn) == []
    assert network.sent_before == []


async def test_erasing_an_applicant_withdraws_what_was_still_waiting_to_be_sent(engine):
    from services.notify.adapters.erasure import erase

    clock = SettableClock(local(22, 30))  # the SMS waits for the morning
    await queue(engine)
    async with engine.connect() as conn:
        application_id = (await conn.execute(text(
            "SELECT application_id FROM messages"))).scalar_one()
    await queue(engine)
    assert await send_due(engine, Channels(lambda agency: DevSms(), DevEmail()), clock) == 0
    async with engine.begin() as conn:
        await erase(conn, [application_id])
    clock.set(local(8, 0, day=23))
    assert await send_due(engine, Channels(lambda agency: DevSms(), DevEmail()), clock) == 1
    assert await statuses(engine) == [(store.UNSENT_ERASED, 0), ("sent", 1)]


@pytest.mark.parametrize("provider", ["dev-email", "watching"])
async def test_a_letter_that_cannot_be_rendered_fails_its_message_alone(engine, provider):
    await round_with_a_letter_between_two_sms(engine, provider, "NULL")
    assert await statuses(engine) == [("sent", 1), ("failed", 1), ("sent", 1)]
    async with engine.connect() as conn:
        reason = (await conn.execute(text("SELECT reason FROM dead_letters"))).scalar_one()
    assert "函件无法生成PDF" in reason
