"""The sender: claims due messages, delivers them through their channel, records the outcome;
retries with backoff, sets aside what cannot be delivered, keeps SMS out of the night.

Crash between sending and recording (which side we chose): a message is marked 'sending' and
committed *before* the provider is called. If the process dies before the result is recorded,
the message is found still 'sending'; when its provider is transactional with our database
(the development sinks) or deduplicates by our message id (the webhook), it is queued again;
otherwise it becomes 'unknown', counted by a metric and shown to staff, and is never sent again
silently. A duplicate official notice confuses an applicant and cannot be taken back; an
'unknown' one is visible and a person can re-send it on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from datetime import date, timedelta
from typing import Any

import asyncpg
from prometheus_client import Gauge
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.notify.adapters import dead_letters, store
from services.notify.adapters.channels import Channel, DeliveryError, retry_safe_names
from services.notify.domain import letters
from services.notify.domain.delivery import MAX_ATTEMPTS, backoff, sms_allowed_at
from services.notify.service_layer.handlers import MESSAGES
from shared.clock import Clock

log = logging.getLogger(__name__)

NEEDS_A_PERSON = Gauge("gongkai_messages_needing_attention",
                       "Messages failed or of unknown fate, waiting for staff", ["status"])
RETRY_SAFE = retry_safe_names()


class Channels:
    """The channel for each message: its agency's SMS provider, or e-mail."""

    def __init__(self, sms_for_agency, email: Channel) -> None:
        self.sms_for_agency = sms_for_agency  # agency config dict | None → Channel
        self.email = email

    def of(self, message: Any, agencies: dict[str, Any]) -> Channel:
        """`agencies`: the configuration of the round's agencies, read when it claimed."""
        if message.channel == "email":
            return self.email
        return self.sms_for_agency(agencies.get(message.agency))


def letter_of(row: Any) -> letters.Letter:
    content = row.content if isinstance(row.content, dict) else json.loads(row.content)
    return letters.Letter(**{**content, "dated": date.fromisoformat(str(content["dated"]))})


class LetterErased(Exception):
    """The letter's content was erased with the applicant's personal data (docs/privacy.md)."""


async def pdf_of(engine: AsyncEngine, letter_id: int) -> tuple[str, bytes]:
    """The letter's PDF, rendered once and kept with the case."""
    from services.notify.adapters.pdf import render_pdf

    async with engine.begin() as conn:
        row = await store.get_letter(conn, letter_id)
        if row.pdf is not None and not row.pdf:
            raise LetterErased(letter_id)
        if row.pdf is None:
            pdf = await asyncio.to_thread(render_pdf, letter_of(row))
            await store.save_pdf(conn, letter_id, pdf)
        else:
            pdf = bytes(row.pdf)
    return f"{row.kind}-{row.id}.pdf", pdf


async def _attachment(engine: AsyncEngine, message: Any) -> tuple[str, bytes] | None:
    """The PDF of the message's letter (None: it has none). A letter that cannot be rendered
    fails its own message, not retried (rendering gives the same result each time), and never
    stops the sender: every other message still goes."""
    if not message.letter_id:
        return None
    try:
        return await pdf_of(engine, message.letter_id)
    except LetterErased:
        raise
    except Exception as exc:
        log.exception("notify: letter %s of message %s cannot be rendered",
                      message.letter_id, message.id)
        raise DeliveryError(f"函件无法生成PDF（{type(exc).__name__}），请核查函件内容",
                            retryable=False) from exc


async def send_due(engine: AsyncEngine, channels: Channels, clock: Clock, limit: int = 100,
                   ) -> int:
    now = clock.now()
    claim = asyncio.ensure_future(_claim(engine, now, limit))
    try:
        batch, agencies = await asyncio.shield(claim)
    except asyncio.CancelledError:
        # Stopping while claiming: the claim may already be committed. Let it finish and give
        # what it claimed back at once; left 'sending', those messages would wait for the
        # recovery (two minutes), and a provider without deduplication would make them
        # 'unknown' though none was handed to it.
        claimed, _ = await claim
        if claimed:
            async with engine.begin() as conn:
                await store.release(conn, [m.id for m in claimed])
        raise
    if not batch:
        return 0
    unstarted = list(batch)
    try:
        # One connection for the round. Messages whose channel writes only into our database
        # are delivered and marked sent in one transaction (all or none: still exactly once);
        # every other message in a transaction of its own, each outcome committed right after
        # its provider call.
        route = {m.id: channels.of(m, agencies) for m in batch}
        async with engine.connect() as conn:
            together = [m for m in batch if route[m.id].transactional]
            if together:
                try:
                    await _finished(_deliver_together(engine, conn, together, route))
                    unstarted = [m for m in unstarted if not route[m.id].transactional]
                except (DeliveryError, DBAPIError) as exc:  # rolled back: none written
                    log.warning("notify: a round of %d delivered one by one: %s",
                                len(together), exc)
            while unstarted:
                message = unstarted.pop(0)
                await _finished(_deliver(engine, conn, route[message.id], message, now))
    finally:
        if unstarted:  # claimed but never handed to a provider: safe to send later, anywhere
            async with engine.begin() as conn:
                await store.release(conn, [m.id for m in unstarted])
    return len(batch)


async def _claim(engine: AsyncEngine, now, limit: int) -> tuple[list[Any], dict[str, Any]]:
    """Due messages, claimed, and the configuration of their SMS agencies (whose provider
    sends them), read in the same transaction."""
    allowed = sms_allowed_at(now)
    async with engine.begin() as conn:
        if allowed != now:
            await store.defer_sms(conn, now, allowed)
        batch = await store.claim_due(conn, now, allowed == now, limit)
        agencies = await store.get_agencies(
            conn, {m.agency for m in batch if m.channel != "email"})
    return batch, agencies


async def _finished(delivery: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(delivery)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        # The service is stopping: a delivery begun is finished and its outcome recorded, or
        # the message would look interrupted (and, with a provider that does not
        # deduplicate, become 'unknown' though it was sent once).
        await task
        raise


async def _deliver_together(engine: AsyncEngine, conn: AsyncConnection, messages: list[Any],
                            route: dict[int, Channel]) -> None:
    attachments: dict[int, tuple[str, bytes]] = {}
    erased: list[Any] = []
    for m in messages:
        try:
            if (attachment := await _attachment(engine, m)) is not None:
                attachments[m.id] = attachment
        except LetterErased:
            erased.append(m)
    gone = {m.id for m in erased}
    messages = [m for m in messages if m.id not in gone]
    by_channel: dict[int, tuple[Channel, list[Any]]] = {}
    for m in messages:
        by_channel.setdefault(id(route[m.id]), (route[m.id], []))[1].append(m)
    async with conn.begin():
        sent: dict[int, str | None] = {}
        for channel, group in by_channel.values():
            sent.update(await channel.deliver_all(conn, group, attachments))
        await store.mark_sent(conn, sent)
        if erased:  # rare: no statement for it in every round
            await store.mark_unsent_erased(conn, list(gone))
    for m in messages:
        MESSAGES.labels(m.channel, "sent").inc()
    for m in erased:
        MESSAGES.labels(m.channel, store.UNSENT_ERASED).inc()


async def _deliver(engine: AsyncEngine, conn: AsyncConnection, channel: Channel,
                   message: Any, now) -> None:
    try:
        attachment = await _attachment(engine, message)
        async with conn.begin():
            provider_id = await channel.deliver(conn, message, attachment)
            await store.mark(conn, message.id, "sent", provider_message_id=provider_id)
        MESSAGES.labels(message.channel, "sent").inc()
    except LetterErased:  # erased after this round claimed it: it goes to no one
        async with conn.begin():
            await store.mark_unsent_erased(conn, [message.id])
        MESSAGES.labels(message.channel, store.UNSENT_ERASED).inc()
    except DeliveryError as exc:
        retry = exc.retryable and message.attempts < MAX_ATTEMPTS
        async with conn.begin():
            await store.mark(conn, message.id, "queued" if retry else "failed", error=str(exc),
                             next_attempt_at=now + backoff(message.attempts) if retry else None)
            if not retry:
                await dead_letters.set_aside(conn, message.event_id, message.id, str(exc))
        MESSAGES.labels(message.channel, "retry" if retry else "failed").inc()
        log.warning("message %s via %s: %s (%s)", message.id, message.channel, exc,
                    "will retry" if retry else "failed")


async def recover(engine: AsyncEngine, clock: Clock) -> dict[str, int]:
    async with engine.begin() as conn:
        counts = await store.recover_interrupted(conn, clock.now(), timedelta(minutes=2),
                                                 RETRY_SAFE)
        # The same count as the staff list (GET /v1/attention/city): store.NEEDS_A_PERSON.
        for status, n in (await store.attention_counts(conn)).items():
            NEEDS_A_PERSON.labels(status).set(n)
    if counts:
        log.warning("messages interrupted while sending: %s", counts)
    return counts


async def render_pending(engine: AsyncEngine, limit: int = 20) -> int:
    """Render letters not yet rendered (an operator's batch job: PDFs are otherwise rendered when
    first e-mailed or downloaded, since rendering is deterministic and costs ~0.3 s of CPU)."""
    async with engine.connect() as conn:
        ids = [row.id for row in await store.unrendered(conn, limit)]
    for letter_id in ids:
        await pdf_of(engine, letter_id)
    return len(ids)


# Idle, the sender sleeps until a message is queued (NOTIFY), the next retry or deferred SMS is
# due, or this long at most (a NOTIFY lost with a dropped connection; the clock moved by hand).
IDLE_LOOK = 10.0
ROUND = 100  # messages claimed at most per round
RECOVER_EVERY = 30.0  # seconds between looks for messages left 'sending' by a dead instance


async def sender_loop(engine: AsyncEngine, dsn: str, channels: Channels, clock: Clock) -> None:
    wake = asyncio.Event()
    listener = await asyncpg.connect(dsn)
    await listener.add_listener("gongkai_messages", lambda *_: wake.set())
    loop = asyncio.get_running_loop()
    try:
        await recover(engine, clock)
        recovered = loop.time()
        while True:
            wake.clear()  # a NOTIFY from here on is for a message this round may not see
            try:
                sent = await send_due(engine, channels, clock, ROUND)
                if loop.time() - recovered >= RECOVER_EVERY:
                    await recover(engine, clock)
                    recovered = loop.time()
                # A full round may have left more due: at once. Otherwise this round took all
                # that was due when it claimed, and what was queued since has notified: at
                # once if it did, else not before the next retry or deferred SMS is due.
                more = sent >= ROUND or wake.is_set()
                pause = 0.0 if more else await _until_next_due(engine, clock)
            except (OSError, DBAPIError, asyncpg.PostgresError) as exc:
                log.warning("notify: sending paused, retrying: %s", exc)
                pause = 1.0
            if pause > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=pause)
    finally:
        await listener.close()


async def _until_next_due(engine: AsyncEngine, clock: Clock) -> float:
    """Seconds until the next queued message is due (a retry, an SMS deferred to the
    morning), at most IDLE_LOOK. One due already that this round did not claim is being
    claimed by another instance: look again shortly, not at once."""
    async with engine.connect() as conn:
        unscheduled, earliest = await store.next_due(conn)
    if unscheduled:
        return 0.1
    if earliest is None:
        return IDLE_LOOK
    return min(max((earliest - clock.now()).total_seconds(), 0.1), IDLE_LOOK)
