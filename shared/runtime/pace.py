"""How often an idle consumer asks the broker for events.

The embedded broker does not answer a waiting fetch when data arrives: it looks again at
W/2, 3W/4, … of the fetch's wait W (measured on tansu 0.6: back-to-back events took 0.5 s
each with a 1000 ms wait, 7 ms with 10 ms), so consumers fetch with a short wait
(`GONGKAI_FETCH_MAX_WAIT_MS`, 10 ms) to keep the lag low under load. Idle, a hundred fetches
a second per subscription cost the stack half a core. So a consumer that has seen no batch
for `idle_after` seconds pauses its partitions (aiokafka's public `pause`; a paused consumer
sends no fetches) and looks after 100 ms, then at doubling intervals up to `idle_ms`: it
resumes, lets one fetch go out, pauses, and stays awake only if that fetch's answer shows
records beyond the consumer's position (the high watermark each answer carries). The first
event after a quiet spell may thus wait up to `idle_ms`. (Kafka itself answers a waiting fetch
as soon as data arrives: there a long fetch wait with an equal `idle_ms`, which switches
pausing off, costs little idle and delays nothing.) Records a fetch brought for a partition
paused meanwhile are not lost: aiokafka drops them unread and fetches them again from the
same position. The gauge `gongkai_consumer_fetch_wait_ms` says how long a new event may wait
for the next fetch now: `busy_ms` while events come, the current look interval once paused."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import TopicPartition

from shared.metrics import FETCH_WAIT

# How long one look may take at most (a fetch answered late, a rebalance meanwhile).
_LOOK_LIMIT = 1.0
# The first look after the idle spell comes this soon; each quiet look doubles the interval up
# to `idle_ms` (a burst's stragglers are taken quickly, a quiet night costs few looks).
_FIRST_LOOK_MS = 100


class Pace:
    """Equal `busy_ms` and `idle_ms` switch pausing off."""

    def __init__(self, service: str, topic: str, busy_ms: int, idle_ms: int,
                 idle_after: float = 2.0) -> None:
        self.busy_ms, self.idle_ms, self.idle_after = busy_ms, max(idle_ms, busy_ms), idle_after
        self.gauge = FETCH_WAIT.labels(service, topic)
        self.gauge.set(busy_ms)
        self.last_batch = time.monotonic()
        self.idle = False
        self.look_ms = min(_FIRST_LOOK_MS, self.idle_ms)

    @property
    def every(self) -> float:
        """Seconds until this consumer's next look."""
        return self.look_ms / 1000

    def busy(self, consumer: Any) -> None:
        """A batch came: fetch without pause again."""
        self.last_batch = time.monotonic()
        if self.idle and consumer is not None:
            self._wake(consumer)

    async def look(self, consumer: Any) -> None:
        """Called every `every` seconds. Once the consumer is quiet: one fetch, then paused
        again unless the broker holds records it has not consumed."""
        if consumer is None or self.idle_ms == self.busy_ms:
            return
        if not self._quiet():
            if self.idle:
                self._wake(consumer)
            return
        if paused := consumer.paused():
            before = _polled(consumer)
            consumer.resume(*paused)
            # Woken by the resume, the fetcher builds its request within two turns of the
            # event loop; paused again at once, it sends no second one when the answer comes
            # (whose records, if any, it fetches again once awake).
            for _ in range(3):
                await asyncio.sleep(0)
            consumer.pause(*consumer.assignment())
            await _answered(consumer, before, self.busy_ms / 1000)
        # Awaited meanwhile: a batch may have come, the partitions may have moved.
        if not self._quiet() or await _unconsumed(consumer):
            self.last_batch = time.monotonic()
            self._wake(consumer)
            return
        if assigned := consumer.assignment():
            consumer.pause(*assigned)
            if self.idle:
                self.look_ms = min(self.look_ms * 2, self.idle_ms)
            self.idle = True
            self.gauge.set(self.look_ms)

    def _quiet(self) -> bool:
        return time.monotonic() - self.last_batch > self.idle_after

    def _wake(self, consumer: Any) -> None:
        if paused := consumer.paused():
            consumer.resume(*paused)
        self.idle = False
        self.look_ms = min(_FIRST_LOOK_MS, self.idle_ms)
        self.gauge.set(self.busy_ms)


def _polled(consumer: Any) -> dict[TopicPartition, int | None]:
    """When each assigned partition was last answered by a fetch."""
    return {tp: consumer.last_poll_timestamp(tp) for tp in consumer.assignment()}


async def _answered(consumer: Any, before: dict[TopicPartition, int | None],
                    wait: float) -> None:
    """Until a fetch has answered for every assigned partition since `before` (or a second)."""
    deadline = time.monotonic() + _LOOK_LIMIT
    # The broker holds the fetch `wait`; looking more often than that costs CPU for nothing.
    step = wait + 0.005
    while True:
        await asyncio.sleep(step)
        polled = _polled(consumer)
        if all(at is not None and at != before.get(tp) for tp, at in polled.items()):
            return
        if time.monotonic() > deadline:
            return


async def _unconsumed(consumer: Any) -> bool:
    """Whether the broker holds records of an assigned partition beyond the consumer's
    position (by the high watermark the last fetch reported; unknown counts as yes)."""
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            return True
        try:
            async with asyncio.timeout(_LOOK_LIMIT):  # at once unless being reset
                position = await consumer.position(tp)
        except Exception:  # being reset or reassigned: look again, awake
            return True
        if highwater > position:
            return True
    return False
