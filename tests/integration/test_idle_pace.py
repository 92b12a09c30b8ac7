"""An idle consumer stops asking the broker a hundred times a second, and still takes the next
event at once (shared/runtime/pace.py), against the real embedded broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from shared import kafka
from shared.runtime.loops import Loops
from shared.runtime.subscriptions import Subscriptions
from shared.settings import Settings
from tests.integration.test_eventstore import receipt

pytestmark = pytest.mark.e2e

SETTINGS = Settings(fetch_max_wait_ms=10, idle_fetch_max_wait_ms=100)


async def _publish(bootstrap: str, topic: str, count: int = 1) -> list[uuid.UUID]:
    producer = kafka.producer(bootstrap)
    await producer.start()
    try:
        events = [receipt(uuid.uuid4(), 1) for _ in range(count)]
        for event in events:
            await producer.send_and_wait(topic, key=str(event.stream_id).encode(),
                                         value=event.to_json())
        return [event.event_id for event in events]
    finally:
        await producer.stop()


async def _until(check, within: float, every: float = 0.01) -> float:
    """Seconds until `check()` holds (fails the test after `within`)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < within, "not within the time allowed"
        await asyncio.sleep(every)
    return time.monotonic() - started


async def _fetches_per_second(consumer, seconds: float = 1.0) -> float:
    """Fetch answers per second for the consumer's busiest partition (each answer stamps the
    partition's last poll time)."""
    seen: dict = {}
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        for tp in consumer.assignment():
            seen.setdefault(tp, set()).add(consumer.last_poll_timestamp(tp))
        await asyncio.sleep(0.002)
    return max((len(stamps) - 1 for stamps in seen.values()), default=0) / seconds


async def test_an_idle_consumer_pauses_and_still_applies_the_next_event_at_once(infra, engine):
    topic = f"it.pace.{uuid.uuid4().hex[:8]}"
    await kafka.ensure_topics(infra.bootstrap, (topic,), partitions=2)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (event_id uuid, at timestamptz)"))

    async def apply(conn, envelope):
        await conn.execute(text("INSERT INTO applied VALUES (:e, clock_timestamp())"),
                           {"e": envelope.event_id})

    async def applied(ids) -> bool:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT count(*) FROM applied WHERE event_id = "
                                            "ANY(:ids)"), {"ids": ids})).scalar_one() == len(ids)

    subscriptions = Subscriptions("it", infra.bootstrap, engine, SETTINGS)
    subscriptions.add(topic, apply)
    loops = Loops("it")
    await subscriptions.start()
    for name, run in subscriptions.loops():
        loops.add(name, run)
    loops.start()
    try:
        first = await _publish(infra.bootstrap, topic, 4)
        await _until(lambda: applied(first), within=30)  # the group's first assignment: ~5 s
        [(_, consumer)] = subscriptions.consumers()

        def gauge() -> float | None:
            return REGISTRY.get_sample_value("gongkai_consumer_fetch_wait_ms",
                                             {"service": "it", "topic": topic})

        # Quiet for the idle spell (2 s): every partition paused, the gauge says so.
        await _until(lambda: _all_paused(consumer), within=5)
        assert gauge() == 100
        # It still looks about ten times a second (not a hundred), and only looks.
        assert 3 <= await _fetches_per_second(consumer) <= 12

        later = await _publish(infra.bootstrap, topic, 3)
        sent = time.monotonic()
        await _until(lambda: applied(later), within=3)
        assert time.monotonic() - sent < 1.0  # one look's wait, not a lost wake-up
        # A batch came: it fetches without pause again.
        assert not consumer.paused()
        assert gauge() == 10
    finally:
        await loops.stop()
        await subscriptions.stop()


async def test_partitions_assigned_after_a_rebalance_are_consumed_and_paused_again(infra, engine):
    topic = f"it.pace.{uuid.uuid4().hex[:8]}"
    await kafka.ensure_topics(infra.bootstrap, (topic,), partitions=2)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (event_id uuid, by text)"))

    def apply_as(instance: str):
        async def apply(conn, envelope):
            await conn.execute(text("INSERT INTO applied VALUES (:e, :by)"),
                               {"e": envelope.event_id, "by": instance})
        return apply

    async def applied(ids) -> bool:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT count(DISTINCT event_id) FROM applied "
                                            "WHERE event_id = ANY(:ids)"), {"ids": ids})
                    ).scalar_one() == len(ids)

    # Two instances of one service: the second joins the group once the first is idle.
    started: list[tuple[Subscriptions, Loops]] = []

    async def instance(name: str) -> Any:
        subscriptions, loops = Subscriptions("it", infra.bootstrap, engine, SETTINGS), Loops("it")
        subscriptions.add(topic, apply_as(name))
        await subscriptions.start()
        started.append((subscriptions, loops))
        for loop, run in subscriptions.loops():
            loops.add(loop, run)
        loops.start()
        [(_, consumer)] = subscriptions.consumers()
        return consumer

    try:
        one = await instance("first")
        ids = await _publish(infra.bootstrap, topic, 6)
        await _until(lambda: applied(ids), within=30)
        await _until(lambda: _all_paused(one), within=5)

        other = await instance("second")

        async def split() -> bool:
            return len(one.assignment()) == len(other.assignment()) == 1

        await _until(split, within=30, every=0.1)
        # Each instance idles on its own partition, and takes what comes to it.
        await _until(lambda: _all_paused(one), within=5)
        await _until(lambda: _all_paused(other), within=5)
        ids = await _publish(infra.bootstrap, topic, 12)  # random keys: both partitions
        await _until(lambda: applied(ids), within=3)
        async with engine.connect() as conn:
            by = set((await conn.execute(text("SELECT by FROM applied WHERE event_id = "
                                              "ANY(:ids)"), {"ids": ids})).scalars())
        assert by == {"first", "second"}
    finally:
        for subscriptions, loops in started:
            await loops.stop()
            await subscriptions.stop()


async def applied_table(engine):
    """A table of applied events: (apply, what the consumer does; applied(ids), whether all
    of them were)."""
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (event_id uuid)"))

    async def apply(conn, envelope):
        await conn.execute(text("INSERT INTO applied VALUES (:e)"), {"e": envelope.event_id})

    async def applied(ids) -> bool:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT count(*) FROM applied WHERE event_id = "
                                            "ANY(:ids)"), {"ids": ids})).scalar_one() == len(ids)

    return apply, applied


async def _all_paused(consumer) -> bool:
    return bool(consumer.assignment()) and consumer.paused() == consumer.assignment()


async def test_a_long_quiet_consumer_looks_ever_less_often_and_still_takes_the_next_event(
        infra, engine):
    topic = f"it.pace.{uuid.uuid4().hex[:8]}"
    await kafka.ensure_topics(infra.bootstrap, (topic,), partitions=2)
    apply, applied = await applied_table(engine)

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("gongkai_consumer_fetch_wait_ms",
                                         {"service": "it", "topic": topic})

    # Looks after 100 ms, then 200, then every 400 ms at most.
    subscriptions = Subscriptions("it", infra.bootstrap, engine,
                                  Settings(fetch_max_wait_ms=10, idle_fetch_max_wait_ms=400))
    subscriptions.add(topic, apply)
    loops = Loops("it")
    await subscriptions.start()
    for name, run in subscriptions.loops():
        loops.add(name, run)
    loops.start()
    try:
        first = await _publish(infra.bootstrap, topic, 2)
        await _until(lambda: applied(first), within=30)
        [(_, consumer)] = subscriptions.consumers()

        async def backed_off() -> bool:
            return gauge() == 400

        await _until(backed_off, within=6)
        assert await _all_paused(consumer)
        assert await _fetches_per_second(consumer, 2.0) <= 3.5  # not ten a second

        for _ in range(2):  # twice: after the first, it starts again from 100 ms
            later = await _publish(infra.bootstrap, topic, 2)
            sent = time.monotonic()
            await _until(lambda ids=later: applied(ids), within=3)
            assert time.monotonic() - sent < 1.0  # one look's interval and a fetch at most
            assert gauge() == 10
            await _until(backed_off, within=6)
    finally:
        await loops.stop()
        await subscriptions.stop()
