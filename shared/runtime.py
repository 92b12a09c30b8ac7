"""What every service process runs beside its HTTP API: the database engine, the outbox relay,
the Kafka subscriptions and background loops; started and stopped with the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from fastapi import APIRouter, FastAPI
from faststream import AckPolicy, Context
from faststream.kafka import KafkaBroker
from sqlalchemy import text

from shared import kafka
from shared.auth import bearer_dependency, load_secret, staff_dependency
from shared.clock import Clock, clock_from_setting
from shared.contracts import ALL_TOPICS
from shared.db import make_engine, make_pool, plain_url
from shared.inbox import Apply, ApplyMany, Inbox
from shared.metrics import CONSUMER_LAG, DEAD_LETTERS, FETCH_WAIT
from shared.oidc import OidcVerifier
from shared.relay import Relay
from shared.revocations import TOKENS_TOPIC, RevocationFeed
from shared.settings import Settings

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, service: str, settings: Settings, clock: Clock | None = None) -> None:
        database_url, bootstrap = settings.require_infrastructure()
        self.service = service
        self.settings = settings
        self.bootstrap = bootstrap
        self.clock = clock or clock_from_setting(settings.clock)
        self.engine = make_engine(database_url, service)
        self.dsn = plain_url(database_url)
        self.secret = load_secret(settings.home, settings.jwt_secret)
        # FastAPI dependency: the authenticated staff member of a request (401 otherwise), by
        # the deployment's own tokens or, when configured, an OIDC provider's.
        oidc = OidcVerifier.from_settings(settings)
        self.staff = (bearer_dependency(lambda token: oidc.verify_async(token, self.clock.now()))
                      if oidc else staff_dependency(lambda: self.secret, lambda: self.clock,
                                                    settings.token_max_lifetime))
        self.database_url = database_url
        self.pool: asyncpg.Pool | None = None
        self._pool_size = 0
        self.relay: Relay | None = None
        self.broker: KafkaBroker | None = None
        self._loops: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._before_start: list[Callable[[], Awaitable[None]]] = []
        self._subscribers: list[tuple[str, Any]] = []
        self._paces: list[tuple[Pace, Any]] = []
        self._offsets: list[Offsets] = []
        self._tasks: list[asyncio.Task[None]] = []
        # Every process follows the revoked tokens itself (no consumer group: each needs all).
        self.revocations = RevocationFeed(service, bootstrap,
                                          max_wait_ms=settings.reference_fetch_max_wait_ms,
                                          replication=settings.topic_replication)
        self.loop("revocations", self.revocations.run)

    def pooled(self, size: int = 8) -> None:
        """Open a plain asyncpg pool (`self.pool`) beside the engine, for a hot path."""
        self._pool_size = size

    def publishes(self) -> None:
        self.relay = Relay(self.service, self.engine, self.dsn, self.bootstrap,
                           replication=self.settings.topic_replication)
        self.loop("relay", self.relay.run)

    def consumes(self, topic: str, apply: Apply, apply_many: ApplyMany | None = None, *,
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
            ack_policy=AckPolicy.MANUAL,
        )

        pace = None if reference else Pace(self.service, topic, self.settings.fetch_max_wait_ms,
                                           self.settings.idle_fetch_max_wait_ms)
        offsets = Offsets(self.service, topic, subscriber)
        self._offsets.append(offsets)

        @subscriber
        async def handle(messages: list[Any], message: Any = Context("message")) -> None:
            if pace is not None:
                pace.busy(getattr(subscriber, "consumer", None))
            try:
                await inbox.receive(topic, messages)
            except BaseException:
                await message.nack()  # every partition back to the batch's first record
                raise
            offsets.done(message.raw_message)

        self._subscribers.append((topic, subscriber))
        if pace is not None:
            self._paces.append((pace, subscriber))
        return inbox

    async def _pace_polling(self, every: float = 0.5) -> None:
        while True:
            await asyncio.sleep(every)
            for pace, subscriber in self._paces:
                pace.maybe_idle(getattr(subscriber, "consumer", None))

    async def _commit_offsets(self, every: float = 0.5) -> None:
        while True:
            await asyncio.sleep(every)
            for offsets in self._offsets:
                await offsets.commit()

    async def _watch_lag(self, every: float = 5.0) -> None:
        """Consumer lag per partition: the broker's high watermark minus our position."""
        exported: set[tuple[str, str]] = set()
        while True:
            current: set[tuple[str, str]] = set()
            for topic, subscriber in self._subscribers:
                consumer = getattr(subscriber, "consumer", None)
                if consumer is None:
                    continue
                for tp in consumer.assignment():
                    current.add((topic, str(tp.partition)))
                    highwater = consumer.highwater(tp)
                    with contextlib.suppress(Exception):  # between rebalances
                        position = await consumer.position(tp)
                        if highwater is not None:
                            CONSUMER_LAG.labels(self.service, topic, str(tp.partition)).set(
                                max(highwater - position, 0))
            for topic, partition in exported - current:  # moved to another instance
                with contextlib.suppress(KeyError):
                    CONSUMER_LAG.remove(self.service, topic, partition)
            exported = current
            await asyncio.sleep(every)

    def before_start(self, step: Callable[[], Awaitable[None]]) -> None:
        """Work that must be done before consuming (seeding reference data)."""
        self._before_start.append(step)

    def loop(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """A background loop that must run as long as the service does."""
        self._loops.append((name, run))

    async def start(self) -> None:
        replication = self.settings.topic_replication
        await kafka.ensure_topics(self.bootstrap, ALL_TOPICS, self.settings.topic_partitions,
                                  replication)
        await kafka.ensure_topics(self.bootstrap, (TOKENS_TOPIC,), partitions=1,
                                  replication=replication)
        if self._pool_size:
            self.pool = await make_pool(self.database_url, self.service, self._pool_size)
        for step in self._before_start:
            await step()
        if self.broker is not None:
            await self.broker.start()
        loops = [*self._loops, *([("lag", self._watch_lag)] if self._subscribers else []),
                 *([("offsets", self._commit_offsets)] if self._offsets else []),
                 *([("polling", self._pace_polling)] if self._paces else [])]
        for name, run in loops:
            task = asyncio.create_task(run(), name=f"{self.service}-{name}")
            task.add_done_callback(self._loop_ended)
            self._tasks.append(task)
        # No token is accepted before the revoked ones are known (bounded: a broker that is
        # slow to answer must not keep the service down; they apply when they arrive).
        await self.revocations.wait_caught_up(within=15.0)

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        # A service whose relay or sweep has died must not look alive: stop the process so the
        # supervisor (or Kubernetes) sees it and restarts it.
        log.critical("%s: background loop %s stopped: %r; shutting down", self.service,
                     task.get_name(), task.exception())
        os.kill(os.getpid(), signal.SIGTERM)

    async def stop(self) -> None:
        # Every step is bounded: a stopping service must exit within its grace period (45 s in
        # deploy/k8s) even if a client library hangs; whatever it had not committed is delivered
        # again to the instances that go on, and their inboxes skip what was applied.
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            ended, hung = await asyncio.wait(self._tasks, timeout=10.0)
            for task in ended:
                if not task.cancelled() and task.exception() is not None:
                    log.warning("shutdown: background loop %s had stopped with %r",
                                task.get_name(), task.exception())
            for task in hung:
                log.error("shutdown: background loop %s did not stop within 10 s; going on",
                          task.get_name())
        if self.broker is not None:
            for offsets in self._offsets:  # what was applied is not delivered again
                await _bounded("the last offsets commit", offsets.commit(), 5.0)
            await _bounded("the consumers", self.broker.stop(), 15.0)
        if self.pool is not None:
            await _bounded("the connection pool", self.pool.close(), 5.0)
        await _bounded("the database engine", self.engine.dispose(), 5.0)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def health_router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/healthz", tags=["operations"], summary="Liveness and readiness")
        async def healthz() -> dict[str, Any]:
            checks: dict[str, Any] = {}
            try:
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                checks["database"] = "ok"
            except Exception as exc:  # health reports, it never raises
                checks["database"] = f"unavailable: {type(exc).__name__}"
            for task in self._tasks:
                checks[task.get_name()] = "running" if not task.done() else "stopped"
            ok = all(v in ("ok", "running") for v in checks.values())
            if not ok:
                from shared.http import Problem

                raise Problem(503, "服务暂不可用", headers={"Retry-After": "5"})
            return {"service": self.service, "status": "ok", "checks": checks}

        return router


class Offsets:
    """The offsets of a subscription's applied batches, committed to the broker every half
    second instead of after each batch. A commit is a round trip to the broker that each batch
    waited for before the next could start; the inbox makes it unnecessary for correctness,
    since anything applied but not yet committed is skipped when delivered again (after a
    crash or a rebalance: at most the last half second of events)."""

    def __init__(self, service: str, topic: str, subscriber: Any) -> None:
        self.service, self.topic, self.subscriber = service, topic, subscriber
        self.pending: dict[TopicPartition, int] = {}

    def done(self, records: Any) -> None:
        """The batch is applied: the next offset to read from each of its partitions."""
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            self.pending[tp] = max(self.pending.get(tp, 0), record.offset + 1)

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


class Pace:
    """How long a consumer's fetches may wait at the broker: `busy_ms` while events come (the
    lag target needs it: the embedded broker answers a waiting fetch only when the wait is
    over, not when data arrives), `idle_ms` once none came for `idle_after` seconds. Idle,
    polling every 10 ms had cost the stack half a core; the price is that the first event after
    a quiet spell may wait up to `idle_ms` (on Kafka itself, which answers a waiting fetch as
    soon as data arrives, nothing). Equal values switch this off."""

    def __init__(self, service: str, topic: str, busy_ms: int, idle_ms: int,
                 idle_after: float = 2.0) -> None:
        self.busy_ms, self.idle_ms, self.idle_after = busy_ms, max(idle_ms, busy_ms), idle_after
        self.gauge = FETCH_WAIT.labels(service, topic)
        self.gauge.set(busy_ms)
        self.last_batch = time.monotonic()
        self.current = busy_ms

    def busy(self, consumer: Any) -> None:
        self.last_batch = time.monotonic()
        if self.current != self.busy_ms:
            self._set(consumer, self.busy_ms)

    def maybe_idle(self, consumer: Any) -> None:
        if self.current != self.idle_ms and time.monotonic() - self.last_batch > self.idle_after:
            self._set(consumer, self.idle_ms)

    def _set(self, consumer: Any, wait_ms: int) -> None:
        # aiokafka reads the wait from its fetcher for every fetch request it builds; it has
        # no public setter. Without that attribute the consumer keeps its configured wait.
        fetcher = getattr(consumer, "_fetcher", None)
        if fetcher is None or not hasattr(fetcher, "_fetch_max_wait_ms"):
            return
        fetcher._fetch_max_wait_ms = wait_ms
        self.current = wait_ms
        self.gauge.set(wait_ms)


async def _bounded(what: str, step: Awaitable[Any], seconds: float) -> None:
    """Wait for one shutdown step at most `seconds`, then go on (saying which step hung).
    `asyncio.wait` rather than `wait_for`: the latter waits for a cancelled step to finish."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        log.error("shutdown: %s did not stop within %.0f s; going on without it", what, seconds)
        return
    if not task.cancelled() and task.exception() is not None:
        log.warning("shutdown: %s stopped with %r", what, task.exception())
