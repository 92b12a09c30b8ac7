"""The outbox relay against the real broker: publishes keyed by case, in order, and
re-publishes everything when the broker has lost what it held."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY
from sqlalchemy import text

from shared import eventstore
from shared.db import plain_url
from shared.events import Envelope
from shared.relay import Relay
from tests.integration.test_eventstore import receipt

pytestmark = pytest.mark.e2e


def _gauge(name: str, service: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"service": service})


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[str, int]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=f"reader-{uuid.uuid4()}")
    await consumer.start()
    seen: list[tuple[str, int]] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < expected:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    for m in messages:
                        env = __import__("json").loads(m.value)
                        assert m.key.decode() == env["stream_id"]
                        seen.append((env["stream_id"], env["stream_position"]))
    finally:
        await consumer.stop()
    return seen


async def test_relay_publishes_in_order_and_republishes_after_the_broker_lost_it(engine, infra):
    topic = f"it.relay.{uuid.uuid4().hex[:8]}"
    relay = Relay(f"it-{uuid.uuid4().hex[:8]}", engine, plain_url(infra.database_url),
                  infra.bootstrap)
    streams = [uuid.uuid4(), uuid.uuid4()]
    async with engine.begin() as conn:
        for s in streams:
            await eventstore.append(conn, [receipt(s, 1), receipt(s, 2), receipt(s, 3)], topic)
    await relay.start()
    try:
        assert await relay.check_broker() == {}  # a first start: nothing was published before
        waiting, age = await relay.measure_backlog()
        assert waiting == 6 and age >= 0
        assert _gauge("gongkai_outbox_backlog", relay.service) == 6
        assert await relay.publish_batch() == 6
        assert await relay.publish_batch() == 0
        assert await relay.measure_backlog() == (0, 0.0)
        assert _gauge("gongkai_outbox_oldest_age_seconds", relay.service) == 0
        seen = await _read_all(infra.bootstrap, topic, 6)
        for s in streams:
            assert [p for sid, p in seen if sid == str(s)] == [1, 2, 3]

        # The broker forgets (as the embedded one does when it restarts): the marker is gone.
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap)
        await admin.start()
        await admin.delete_topics([relay.marker])
        await admin.close()
        assert await relay.check_broker() == {topic: 6}
        assert await relay.publish_batch() == 6
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
        assert left == 0
        assert len(await _read_all(infra.bootstrap, topic, 12)) == 12
        assert await relay.check_broker() == {}  # the marker is back: no second re-publish
    finally:
        await relay.stop()


async def test_one_instance_publishes_and_another_takes_over_when_it_is_gone(engine, infra):
    """Two processes of a service (two intake workers): only the lock holder publishes, so
    each case's events keep their order; when it stops, the other carries on."""
    topic = f"it.relay.{uuid.uuid4().hex[:8]}"
    service = f"it-{uuid.uuid4().hex[:8]}"
    first, second = (Relay(service, engine, plain_url(infra.database_url), infra.bootstrap)
                     for _ in range(2))
    stream = uuid.uuid4()
    async with engine.begin() as conn:
        await eventstore.append(conn, [receipt(stream, 1)], topic)
    await first.start()
    await second.start()
    try:
        assert await first.publish_batch() == 1
        async with engine.begin() as conn:
            await eventstore.append(conn, [receipt(stream, 2)], topic)
        assert await second.publish_batch() == 0  # not the publishing instance
        assert (first.leading, second.leading) == (True, False)
        await first.stop()  # its connection, and with it the lock, is gone
        assert await second.publish_batch() == 1
        assert [p for _, p in await _read_all(infra.bootstrap, topic, 2)] == [1, 2]
    finally:
        await second.stop()


async def test_the_envelope_built_by_the_database_reads_back_as_the_event(engine, infra):
    topic = f"it.relay.{uuid.uuid4().hex[:8]}"
    relay = Relay(f"it-{uuid.uuid4().hex[:8]}", engine, plain_url(infra.database_url),
                  infra.bootstrap)
    event = receipt(uuid.uuid4(), 1)
    async with engine.begin() as conn:
        await eventstore.append(conn, [event], topic)
    await relay.start()
    try:
        await relay.publish_batch()
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.bootstrap,
                                    auto_offset_reset="earliest", group_id=str(uuid.uuid4()))
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), 30)
        finally:
            await consumer.stop()
    finally:
        await relay.stop()
    read = Envelope.from_json(message.value)
    assert read.model_dump(exclude={"source", "position"}) == event.model_dump(
        exclude={"source", "position"})
    assert read.source == relay.service and read.position is not None
    assert read.occurred_at == event.occurred_at and read.occurred_at.utcoffset() is not None


async def test_the_relay_reads_events_by_key_whatever_the_store_holds(engine):
    """The claim and the backlog gauge look up each outbox row's event by its position. A join
    the planner may hash read the whole event store on every batch (25 ms at 12k events on the
    benchmark's intake, growing with the store), because the outbox's statistics are always
    stale: it is filled and emptied many times a second."""
    from shared.relay import _BACKLOG, _CLAIM

    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        for query, params in ((_CLAIM, (2000, "it")), (_BACKLOG, ())):
            plan = "\n".join(r[0] for r in await raw.driver_connection.fetch(
                "EXPLAIN " + query, *params))
            assert "Seq Scan on events" not in plan, plan
            assert "Index Scan using events_pkey on events" in plan, plan
