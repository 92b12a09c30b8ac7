"""The relay idles on LISTEN/NOTIFY (shared/relay.py): a commit wakes it at once, and an
outbox row whose NOTIFY it missed is still published by the slower safety look."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from shared import eventstore
from shared.db import plain_url
from shared.eventstore import OUTBOX_CHANNEL
from shared.relay import Relay
from tests.integration.test_eventstore import receipt

pytestmark = pytest.mark.e2e

SAFETY = 4.0  # the relay's safety look in this test, seconds


async def _arrival(bootstrap: str, topic: str, stream: uuid.UUID, within: float) -> float:
    """monotonic() when the stream's event is read from the topic."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None, fetch_max_wait_ms=10)
    await consumer.start()
    try:
        async with asyncio.timeout(within):
            while True:
                for messages in (await consumer.getmany(timeout_ms=100)).values():
                    if any(json.loads(m.value)["stream_id"] == str(stream) for m in messages):
                        return time.monotonic()
    finally:
        await consumer.stop()


async def _unlisten(relay: Relay) -> None:
    """Stop the relay's connection from hearing commits (once the relay is not using it)."""
    for _ in range(100):
        try:
            await relay._conn.execute(f"UNLISTEN {OUTBOX_CHANNEL}")  # noqa: SLF001
            return
        except asyncpg.InterfaceError:  # the relay's own statement is in progress
            await asyncio.sleep(0.05)
    raise AssertionError("the relay's connection stayed busy")


async def test_an_idle_relay_is_woken_by_a_commit_and_catches_a_missed_one(engine, infra):
    topic = f"it.relay.{uuid.uuid4().hex[:8]}"
    relay = Relay(f"it-{uuid.uuid4().hex[:8]}", engine, plain_url(infra.database_url),
                  infra.bootstrap)
    task = asyncio.create_task(relay.run(safety_every=SAFETY))
    try:
        await asyncio.sleep(2.0)  # started, leading, idle on its connection
        assert relay.leading

        # A commit with its NOTIFY (the event store's): published at once, not at a look.
        stream = uuid.uuid4()
        async with engine.begin() as conn:
            await eventstore.append(conn, [receipt(stream, 1)], topic)
        committed = time.monotonic()
        assert await _arrival(infra.bootstrap, topic, stream, 10) - committed < 0.5

        # A row whose NOTIFY never reached the relay (as if its connection had been down at
        # the commit): the safety look publishes it within its interval.
        await _unlisten(relay)
        missed = uuid.uuid4()
        async with engine.begin() as conn:
            await eventstore.append(conn, [receipt(missed, 1)], topic)
        committed = time.monotonic()
        assert await _arrival(infra.bootstrap, topic, missed, 15) - committed < SAFETY + 1.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_commit_while_the_relay_publishes_is_published_at_once(engine, infra):
    """A relay no longer looks again after every batch: a commit made while it was publishing
    must still wake it, or the event would wait for the safety look."""
    topic = f"it.relay.{uuid.uuid4().hex[:8]}"
    relay = Relay(f"it-{uuid.uuid4().hex[:8]}", engine, plain_url(infra.database_url),
                  infra.bootstrap)
    first, during = uuid.uuid4(), uuid.uuid4()
    committed: list[float] = []
    publish = relay.publish_batch

    async def publish_and_commit_meanwhile() -> int:
        published = await publish()
        if published and not committed:  # after the first batch's claim and send
            async with engine.begin() as conn:
                await eventstore.append(conn, [receipt(during, 1)], topic)
            committed.append(time.monotonic())
        return published

    relay.publish_batch = publish_and_commit_meanwhile
    task = asyncio.create_task(relay.run(safety_every=SAFETY))
    try:
        await asyncio.sleep(2.0)
        async with engine.begin() as conn:
            await eventstore.append(conn, [receipt(first, 1)], topic)
        arrived = await _arrival(infra.bootstrap, topic, during, 15)
        assert committed and arrived - committed[0] < 1.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
