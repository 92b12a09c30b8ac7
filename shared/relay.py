"""The outbox relay: publishes committed events to Kafka, keyed by stream (the case), in order.

Rows are deleted only after the broker acknowledged them, so a crash between commit and
publish delays an event but never loses it; the price is a possible duplicate, which consumers
absorb (DESIGN invariant 2). One relay per service publishes at a time (advisory lock), which
keeps the order of each stream's events.

The relay also watches for a broker that lost what it was sent (the embedded broker keeps
topics in memory and forgets them when it stops). Each relay keeps a marker topic of its own on
the broker; when the marker is gone, the broker is not the one this service published to, and
every event ever published is queued again from the event store, the durable truth. (Counting
messages does not work: the embedded broker's ListOffsets under-reports end offsets.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import kafka
from shared.eventstore import OUTBOX_CHANNEL, envelope_from_row
from shared.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG, OUTBOX_OLDEST_SECONDS, REPUBLISHED

log = logging.getLogger(__name__)

BATCH = 2000

_CLAIM = text(
    """SELECT o.id, o.topic, e.* FROM outbox o JOIN events e USING (position)
       ORDER BY o.id LIMIT :limit"""
)


class Relay:
    def __init__(self, service: str, engine: AsyncEngine, dsn: str, bootstrap: str) -> None:
        self.service = service
        self.engine = engine
        self.dsn = dsn
        self.bootstrap = bootstrap
        self.lock_key = zlib.crc32(f"relay-{service}".encode())
        self._wake = asyncio.Event()
        self._producer = None

    async def start(self) -> None:
        self._producer = kafka.producer(self.bootstrap)
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def run(self, check_every: float = 10.0) -> None:
        await self.start()
        listener = await self._listen()
        try:
            await self.check_broker()
            last_check = asyncio.get_running_loop().time()
            while True:
                try:
                    published = await self.publish_batch()
                except (OSError, DBAPIError, asyncpg.PostgresError, kafka.KafkaError) as exc:
                    log.warning("relay %s: publish failed, retrying: %s", self.service, exc)
                    await asyncio.sleep(1.0)
                    continue
                now = asyncio.get_running_loop().time()
                if now - last_check > check_every:
                    last_check = now
                    await self._check_safely()
                if published == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=1.0)
        finally:
            await listener.close()
            await self.stop()

    async def _listen(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(self.dsn)
        await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
        return conn

    async def _check_safely(self) -> None:
        try:
            await self.check_broker()
        except Exception as exc:  # a check must never stop publishing
            log.warning("relay %s: broker check failed: %s", self.service, exc)

    async def publish_batch(self) -> int:
        async with self.engine.begin() as conn:
            locked = await conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self.lock_key}
            )
            if not locked.scalar_one():
                return 0
            rows = (await conn.execute(_CLAIM, {"limit": BATCH})).all()
            if not rows:
                OUTBOX_BACKLOG.labels(self.service).set(0)
                OUTBOX_OLDEST_SECONDS.labels(self.service).set(0)
                return 0
            sends = []
            for row in rows:
                envelope = envelope_from_row(row, self.service)
                sends.append(
                    await self._producer.send(
                        row.topic, key=row.stream_id.encode(), value=envelope.to_json()
                    )
                )
            await asyncio.gather(*sends)
            ids = [r.id for r in rows]
            await conn.execute(text("DELETE FROM outbox WHERE id = ANY(:ids)"), {"ids": ids})
            per_topic: dict[str, int] = {}
            for row in rows:
                per_topic[row.topic] = per_topic.get(row.topic, 0) + 1
            for topic, n in per_topic.items():
                await conn.execute(
                    text(
                        """INSERT INTO relay_state (topic, published) VALUES (:t, :n)
                           ON CONFLICT (topic) DO UPDATE
                           SET published = relay_state.published + :n"""
                    ),
                    {"t": topic, "n": n},
                )
                EVENTS_PRODUCED.labels(self.service, topic).inc(n)
            await self._observe_backlog(conn)
            return len(rows)

    async def _observe_backlog(self, conn) -> None:
        row = (
            await conn.execute(
                text(
                    """SELECT count(*) AS n,
                              extract(epoch FROM now() - min(e.recorded_at)) AS age
                       FROM outbox o JOIN events e USING (position)"""
                )
            )
        ).one()
        OUTBOX_BACKLOG.labels(self.service).set(row.n)
        OUTBOX_OLDEST_SECONDS.labels(self.service).set(float(row.age or 0))

    @property
    def marker(self) -> str:
        return f"gongkai.relay-marker.{self.service}"

    async def check_broker(self) -> dict[str, int]:
        """Re-queue every topic if the broker lost this service's marker. Returns counts."""
        if self.marker in await kafka.list_topics(self.bootstrap):
            return {}
        async with self.engine.connect() as conn:
            state = (await conn.execute(text("SELECT topic, published FROM relay_state"))).all()
        requeued = {t: await self._requeue(t, n) for t, n in state if n > 0}
        await kafka.ensure_topics(self.bootstrap, (self.marker,), partitions=1)
        return requeued

    async def _requeue(self, topic: str, published: int) -> int:
        async with self.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock_key})
            await conn.execute(text("DELETE FROM outbox WHERE topic = :t"), {"t": topic})
            result = await conn.execute(
                text(
                    """INSERT INTO outbox (position, topic)
                       SELECT position, topic FROM events WHERE topic = :t ORDER BY position"""
                ),
                {"t": topic},
            )
            await conn.execute(
                text("UPDATE relay_state SET published = 0 WHERE topic = :t"), {"t": topic}
            )
        log.error(
            "relay %s: the broker has lost topic %s (%d messages published before); "
            "re-publishing %d events from the event store",
            self.service, topic, published, result.rowcount,
        )
        REPUBLISHED.labels(self.service, topic).inc(result.rowcount)
        self._wake.set()
        return result.rowcount
