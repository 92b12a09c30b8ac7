"""A service's Kafka subscriptions: each batch applied through the inbox in one transaction,
its offsets committed after (`Offsets`), an idle consumer's polling slowed (`Pace`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.inbox import Apply, ApplyMany, Inbox
from shared.metrics import DEAD_LETTERS
from shared.runtime.lag import watch_lag
from shared.runtime.loops import bounded
from shared.runtime.pace import Pace
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    topic: str
    subscriber: Any
    offsets: Offsets
    pace: Pace | None

    @property
    def consumer(self) -> Any:
        """aiokafka's consumer, once the broker has started the subscriber."""
        return getattr(self.subscriber, "consumer", None)


class Subscriptions:
    def __init__(self, service: str, bootstrap: str, engine: AsyncEngine,
                 settings: Settings) -> None:
        self.service, self.bootstrap, self.engine, self.settings = (service, bootstrap, engine,
                                                                    settings)
        self.broker: KafkaBroker | None = None
        self._all: list[Subscription] = []
        # Set when a batch was applied whose offsets wait to be committed: the commit loop
        # sleeps on it while nothing comes, instead of waking twice a second for nothing.
        self._to_commit = asyncio.Event()

    def add(self, topic: str, apply: Apply, apply_many: ApplyMany | None = None, *,
            reference: bool = False) -> Inbox:
        """Subscribe to a topic; each batch is applied in one transaction, then committed.
        `reference`: the topic carries reference data, polled less often (an event that needs
        it before it arrived is retried: `NotReady`)."""
        if self.broker is None:
            self.broker = KafkaBroker(
                self.bootstrap, logger=log, log_level=logging.DEBUG, client_id=self.service
            )
        inbox = Inbox(self.service, self.engine, apply, apply_many)
        DEAD_LETTERS.labels(self.service, topic)  # exported at 0, so the first one is seen

        # Offsets are ours to commit (MANUAL): only a batch whose transaction has committed is
        # marked done, and a failure rewinds the batch (at-least-once delivery, made
        # exactly-once in effect by the inbox).
        subscriber = self.broker.subscriber(
            topic,
            group_id=f"gongkai-{self.service}-{topic}",
            batch=True,
            max_records=1000,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=(self.settings.reference_fetch_max_wait_ms if reference
                               else self.settings.fetch_max_wait_ms),
            # Reference data is answered at its first event: it is what other events wait for.
            fetch_min_bytes=1 if reference else self.settings.fetch_min_bytes,
            ack_policy=AckPolicy.MANUAL,
        )
        subscription = Subscription(
            topic, subscriber, Offsets(self.service, topic, subscriber, self._to_commit),
            None if reference else Pace(self.service, topic, self.settings.fetch_max_wait_ms,
                                        self.settings.idle_fetch_max_wait_ms))

        context = self.broker.context

        @subscriber
        async def handle(messages: list[Any]) -> None:
            # The batch's own message (to rewind it, and for its offsets), taken from the
            # broker's context: declared as a `Context("message")` parameter, it was resolved
            # in a worker thread for every batch (a sync `use`), a tenth of a consumer's CPU.
            message = context.get_local("message")
            if subscription.pace is not None:
                subscription.pace.busy(subscription.consumer)
            try:
                await inbox.receive(topic, messages)
            except BaseException:
                await message.nack()  # every partition back to the batch's first record
                raise
            subscription.offsets.done(message.raw_message)

        self._all.append(subscription)
        return inbox

    def consumers(self) -> list[tuple[str, Any]]:
        return [(s.topic, s.consumer) for s in self._all if s.consumer is not None]

    def loops(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        """The background loops the subscriptions need, by name."""
        if not self._all:
            return []
        loops = [("lag", lambda: watch_lag(self.service, self.consumers)),
                 ("offsets", self._commit_offsets)]
        if any(s.pace is not None for s in self._all):
            loops.append(("polling", self._pace_polling))
        return loops

    async def start(self) -> None:
        if self.broker is not None:
            await self.broker.start()

    async def stop(self) -> None:
        """After the loops have stopped: what was applied is committed, then the consumers
        leave their groups (each step bounded; see `Runtime.stop`)."""
        if self.broker is None:
            return
        for subscription in self._all:
            await bounded("the last offsets commit", subscription.offsets.commit(), 5.0)
        await bounded("the consumers", self.broker.stop(), 15.0)

    async def _commit_offsets(self, every: float = 0.5) -> None:
        while True:
            await self._to_commit.wait()
            await asyncio.sleep(every)  # what the next half second applies goes along
            self._to_commit.clear()
            for subscription in self._all:
                await subscription.offsets.commit()

    async def _pace_polling(self) -> None:
        await asyncio.gather(*(self._pace(s) for s in self._all if s.pace is not None))

    async def _pace(self, subscription: Subscription) -> None:
        assert subscription.pace is not None
        while True:
            await asyncio.sleep(subscription.pace.every)
            try:
                await subscription.pace.look(subscription.consumer)
            except Exception as exc:  # a look costs nothing to retry
                log.warning("%s: pacing the consumer of %s failed (%r); looking again",
                            self.service, subscription.topic, exc)


class Offsets:
    """The offsets of a subscription's applied batches, committed to the broker every half
    second instead of after each batch. A commit is a round trip to the broker that each batch
    waited for before the next could start; the inbox makes it unnecessary for correctness,
    since anything applied but not yet committed is skipped when delivered again (after a
    crash or a rebalance: at most the last half second of events)."""

    def __init__(self, service: str, topic: str, subscriber: Any,
                 due: asyncio.Event | None = None) -> None:
        self.service, self.topic, self.subscriber = service, topic, subscriber
        self.pending: dict[TopicPartition, int] = {}
        self.due = due or asyncio.Event()  # set while something waits to be committed

    def done(self, records: Any) -> None:
        """The batch is applied: the next offset to read from each of its partitions."""
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            self.pending[tp] = max(self.pending.get(tp, 0), record.offset + 1)
        self.due.set()

    async def commit(self) -> None:
        consumer = getattr(self.subscriber, "consumer", None)
        if not self.pending or consumer is None:
            return
        pending, self.pending = self.pending, {}
        # A partition handed to another instance meanwhile is theirs to commit; they apply
        # again what we had not committed, and their inbox skips it.
        assigned = {tp: offset for tp, offset in pending.items()
                    if tp in consumer.assignment()}
        if not assigned:
            return
        try:
            await consumer.commit(assigned)
        except Exception as exc:  # a late commit costs redelivery, never the service
            log.warning("%s: offsets of %s not committed (%r); delivered again, the inbox "
                        "skips them", self.service, self.topic, exc)
            for tp, offset in assigned.items():  # unless a newer batch is already pending
                self.pending.setdefault(tp, offset)
            self.due.set()  # tried again with the next round
