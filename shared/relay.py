"""The outbox relay: publishes committed events to Kafka, keyed by stream (the case), in order.

Rows are deleted only after the broker acknowledged them, so a crash between commit and
publish delays an event but never loses it; the price is a possible duplicate, which consumers
absorb (invariant 2, docs/architecture.md#invariants). Publishing from one place at a time
keeps the order of each stream's events.

The relay also watches for a broker that lost what it was sent (the embedded broker keeps
topics in memory and forgets them when it stops). Each relay keeps a marker topic of its own on
the broker; when the marker is gone, the broker is not the one this service published to, and
every event ever published is queued again from the event store, the durable truth. (Counting
messages does not work: the embedded broker's ListOffsets under-reports end offsets.)

One relay per service publishes at a time: the one whose connection holds the service's
session advisory lock (if that process dies, its connection and lock go with it and another
instance takes over within a second). The relay does its work on that one connection with
plain asyncpg, two round trips per batch, because at intake's rates a per-batch transaction
through SQLAlchemy (pre-ping, lock, claim, delete, state, count, commit) cost more CPU than
the submissions themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import kafka
from shared.eventstore import OUTBOX_CHANNEL, envelope_json
from shared.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG, OUTBOX_OLDEST_SECONDS, REPUBLISHED

log = logging.getLogger(__name__)

BATCH = 2000

# PostgreSQL builds each envelope's JSON (`eventstore.envelope_json`, the one mapping from a
# stored event to its envelope), which costs the relay's process nothing per event but the send.
# The outbox's rows drive the join, each event fetched by its primary key (the LIMIT keeps the
# planner from flattening the lateral lookup into a join it may hash). Left to itself, with an
# outbox whose statistics are stale (it is filled and emptied many times a second), it hashed
# the whole events table on every batch: 25 ms at 12k events, growing with the store.
_CLAIM = f"""SELECT o.id, o.topic, e.stream_id, {envelope_json("$2")} AS envelope
             FROM (SELECT id, position, topic FROM outbox ORDER BY id LIMIT $1) AS o
             CROSS JOIN LATERAL (SELECT * FROM events WHERE position = o.position LIMIT 1) AS e
             ORDER BY o.id"""

# Published rows leave the outbox and are counted per topic, in one statement.
_PUBLISHED = """WITH gone AS (DELETE FROM outbox WHERE id = ANY($1::bigint[]))
                INSERT INTO relay_state (topic, published)
                SELECT t, n FROM unnest($2::text[], $3::bigint[]) AS u(t, n)
                ON CONFLICT (topic) DO UPDATE
                SET published = relay_state.published + excluded.published"""

# What waits to be published, for the operator's gauges: a count of the (small) outbox and the
# oldest row's event found by its key, never a join over the event store.
_BACKLOG = """SELECT count(*) AS n,
                     extract(epoch FROM now() - (
                         SELECT recorded_at FROM events WHERE position = (
                             SELECT position FROM outbox ORDER BY id LIMIT 1)))::float8 AS age
              FROM outbox"""

_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Relay:
    def __init__(self, service: str, engine: AsyncEngine, dsn: str, bootstrap: str, *,
                 replication: int = 1) -> None:
        self.service = service
        self.replication = replication
        self.engine = engine
        self.dsn = dsn
        self.bootstrap = bootstrap
        self.lock_key = zlib.crc32(f"relay-{service}".encode())
        self._wake = asyncio.Event()
        self._producer = None
        self._conn: asyncpg.Connection | None = None
        self._schema = ""
        self.leading = False

    async def start(self) -> None:
        self._producer = kafka.producer(self.bootstrap)
        await self._producer.start()

    async def stop(self) -> None:
        await self._disconnect()
        if self._producer is not None:
            await self._producer.stop()

    async def run(self, check_every: float = 30.0, measure_every: float = 10.0,
                  safety_every: float = 5.0, contend_every: float = 1.0) -> None:
        """Publish until cancelled. Idle, the publishing instance sleeps until a commit's
        NOTIFY wakes it; a safety look every `safety_every` s catches a wake-up missed while
        its connection was down (and the re-published events of a lost broker). An instance
        that does not publish tries the lock every `contend_every` s, so that it takes over
        within about that when the publisher is gone. The broker's marker is checked every
        `check_every` s (a broker forgets only when it restarts), the backlog gauges measured
        every `measure_every` s (its alert waits minutes)."""
        await self.start()
        try:
            last_check = last_measure = None
            while True:
                try:
                    now = asyncio.get_running_loop().time()
                    if last_check is None or now - last_check > check_every:
                        last_check = now
                        await self._check_safely()
                    # Measured apart from publishing, so the gauges keep rising while the
                    # broker refuses us (what GongkaiOutboxStuck alerts on).
                    if last_measure is None or now - last_measure > measure_every:
                        last_measure = now
                        await self._measure_safely()
                    # A commit from here on wakes the next look: one this batch may not see.
                    self._wake.clear()
                    published = await self.publish_batch()
                except (*_DB_ERRORS, kafka.KafkaError) as exc:
                    log.warning("relay %s: publish failed, retrying: %s", self.service, exc)
                    await self._disconnect()
                    await asyncio.sleep(1.0)
                    continue
                # A batch short of the limit took all that was committed when it looked, so
                # the outbox is asked again only when a commit since has said so (an empty
                # look after every batch was a third of the relay's round trips).
                if published < BATCH and not self._wake.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._wake.wait(),
                            timeout=safety_every if self.leading else contend_every)
        finally:
            await self.stop()

    async def _connection(self) -> asyncpg.Connection:
        """The relay's own connection: it listens for commits and holds the leadership lock."""
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        self.leading = False
        if not self._schema:
            async with self.engine.connect() as conn:
                self._schema = (await conn.execute(text("SHOW search_path"))).scalar_one()
        conn = await asyncpg.connect(
            self.dsn, server_settings={"search_path": self._schema, "timezone": "UTC"})
        schema = await conn.fetchval("SELECT current_schema()")
        # The channel is shared by every schema of the database; a commit says whose it is.
        await conn.add_listener(
            OUTBOX_CHANNEL,
            lambda _c, _pid, _channel, payload: payload in ("", schema) and self._wake.set())
        self._conn = conn
        return conn

    async def _disconnect(self) -> None:
        conn, self._conn, self.leading = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)

    async def _lead(self) -> asyncpg.Connection | None:
        conn = await self._connection()
        if not self.leading:
            self.leading = await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_key)
            if self.leading:
                log.info("relay %s: publishing from this instance", self.service)
        return conn if self.leading else None

    async def _measure_safely(self) -> None:
        try:
            await self.measure_backlog()
        except Exception as exc:  # a gauge must never stop publishing
            log.warning("relay %s: outbox backlog not measured: %s", self.service, exc)

    async def _check_safely(self) -> None:
        try:
            await self.check_broker()
        except Exception as exc:  # a check must never stop publishing
            log.warning("relay %s: broker check failed: %s", self.service, exc)

    async def publish_batch(self) -> int:
        conn = await self._lead()
        if conn is None:
            return 0
        rows = await conn.fetch(_CLAIM, BATCH, self.service)
        if not rows:
            OUTBOX_BACKLOG.labels(self.service).set(0)
            OUTBOX_OLDEST_SECONDS.labels(self.service).set(0)
            return 0
        sends = [
            await self._producer.send(row["topic"], key=row["stream_id"].encode(),
                                      value=row["envelope"].encode())
            for row in rows
        ]
        await asyncio.gather(*sends)
        per_topic: dict[str, int] = {}
        for row in rows:
            per_topic[row["topic"]] = per_topic.get(row["topic"], 0) + 1
        await conn.execute(_PUBLISHED, [r["id"] for r in rows], list(per_topic),
                           list(per_topic.values()))
        for topic, n in per_topic.items():
            EVENTS_PRODUCED.labels(self.service, topic).inc(n)
        return len(rows)

    async def measure_backlog(self) -> tuple[int, float]:
        """Set the outbox gauges from the database: how many events wait, and for how long.
        Every instance reports alike, whether or not it publishes or can reach the broker."""
        async with self.engine.connect() as conn:
            n, age = (await conn.execute(text(_BACKLOG))).one()
        OUTBOX_BACKLOG.labels(self.service).set(n)
        OUTBOX_OLDEST_SECONDS.labels(self.service).set(age or 0.0)
        return n, age or 0.0

    @property
    def marker(self) -> str:
        return f"gongkai.relay-marker.{self.service}"

    async def check_broker(self) -> dict[str, int]:
        """Re-queue every topic if the broker lost this service's marker. Returns counts.
        Only the publishing instance checks: the others would race it for the marker."""
        conn = await self._lead()
        if conn is None or self.marker in await self._topics():
            return {}
        state = await conn.fetch("SELECT topic, published FROM relay_state")
        requeued = {r["topic"]: await self._requeue(conn, r["topic"], r["published"])
                    for r in state if r["published"] > 0}
        await kafka.ensure_topics(self.bootstrap, (self.marker,), partitions=1,
                                  replication=self.replication)
        return requeued

    async def _topics(self) -> set[str]:
        """The broker's topics, asked on the producer's own connection (a new admin client
        each time connected, bootstrapped and closed a second connection every check)."""
        if self._producer is None:
            return await kafka.list_topics(self.bootstrap)
        return set((await self._producer.client.fetch_all_metadata()).topics())

    async def _requeue(self, conn: asyncpg.Connection, topic: str, published: int) -> int:
        async with conn.transaction():
            await conn.execute("DELETE FROM outbox WHERE topic = $1", topic)
            status = await conn.execute(
                """INSERT INTO outbox (position, topic)
                   SELECT position, topic FROM events WHERE topic = $1 ORDER BY position""",
                topic)
            await conn.execute("UPDATE relay_state SET published = 0 WHERE topic = $1", topic)
        count = int(status.split()[-1])
        log.error(
            "relay %s: the broker has lost topic %s (%d messages published before); "
            "re-publishing %d events from the event store",
            self.service, topic, published, count,
        )
        REPUBLISHED.labels(self.service, topic).inc(count)
        self._wake.set()
        return count
