"""Notify: turn case events into messages (queued once), and send what is queued."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.notify.adapters import store
from services.notify.adapters.sms import SmsProvider
from services.notify.domain.messages import acknowledgement_sms
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.cases import CaseOpened, CaseReceived, DueDateSet
from shared.events import Envelope
from shared.inbox import NotReady

log = logging.getLogger(__name__)

MESSAGES = Counter("gongkai_messages_total", "Messages by channel and status",
                   ["channel", "status"])


async def on_event(conn: AsyncConnection, envelope: Envelope) -> None:
    fact = envelope.body()
    match fact:
        case AgencyConfigured():
            await store.put_agency(conn, fact.agency_id, fact.model_dump(mode="json"))
        case CaseOpened():
            await store.put_recipient(
                conn, fact.application_id, agency=envelope.agency, case_number=fact.case_number,
                name=fact.applicant_name, mobile=fact.mobile, email=fact.email,
            )
        case CaseReceived():
            pass  # the acknowledgement waits for the due date, which it states
        case DueDateSet() if (fact.basis is not None and fact.basis.rule == "reply_period"
                              and fact.previous_due_on is None):
            await _acknowledge(conn, envelope, fact)


async def _acknowledge(conn: AsyncConnection, envelope: Envelope, due: DueDateSet) -> None:
    recipient = await store.get_recipient(conn, due.application_id)
    agency = await store.get_agency(conn, envelope.agency)
    if recipient is None or agency is None:
        raise NotReady(f"case or agency {envelope.agency} not yet known")
    if not recipient.mobile:
        return
    body = acknowledgement_sms(agency["name"], recipient.case_number, due.basis.counted_from, due)
    await store.queue_message(
        conn, event_id=envelope.event_id, template="acknowledgement_sms",
        application_id=due.application_id, agency=envelope.agency, channel="sms",
        recipient=recipient.mobile, body=body,
    )
    MESSAGES.labels("sms", "queued").inc()


async def send_queued(engine: AsyncEngine, provider: SmsProvider, limit: int = 100) -> int:
    async with engine.begin() as conn:
        batch = await store.claim_queued(conn, limit)
        for message in batch:
            await provider.send(conn, message)
            await store.mark_sent(conn, message.id)
            MESSAGES.labels(message.channel, "sent").inc()
    return len(batch)


async def sender_loop(engine: AsyncEngine, dsn: str, provider: SmsProvider) -> None:
    wake = asyncio.Event()
    listener = await asyncpg.connect(dsn)
    await listener.add_listener("gongkai_messages", lambda *_: wake.set())
    try:
        while True:
            try:
                sent = await send_queued(engine, provider)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("notify: sending failed, retrying: %s", exc)
                sent = 0
                await asyncio.sleep(1.0)
            if sent == 0:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=1.0)
    finally:
        await listener.close()
