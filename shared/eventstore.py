"""The append-only event store of a writing service, with its transactional outbox.

`append` writes the events and their outbox rows in the caller's transaction, so an event is
either durably stored *and* queued for Kafka, or neither (invariant 1,
docs/architecture.md#invariants).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events import Envelope

OUTBOX_CHANNEL = "gongkai_outbox"

# The events in the order given, each with its outbox row when it has a topic; one statement
# however many events. Intake's `store_applications` (migration 0009) takes the same rows.
_APPEND = text(
    """WITH e AS (
         INSERT INTO events (event_id, stream_id, stream_position, type, version, agency,
                             occurred_at, actor, correlation_id, causation_id, topic, payload)
         SELECT r.event_id, r.stream_id, r.stream_position, r.type, r.version, r.agency,
                r.occurred_at, r.actor, r.correlation_id, r.causation_id,
                CAST(:topic AS text), r.payload
         FROM jsonb_populate_recordset(NULL::events, CAST(:events AS jsonb))
              WITH ORDINALITY AS r
         ORDER BY r.ordinality
         RETURNING position, topic),
       o AS (
         INSERT INTO outbox (position, topic)
         SELECT position, topic FROM e WHERE topic IS NOT NULL ORDER BY position)
       -- Wakes the relay when the transaction commits; the payload names the schema, so only
       -- this service's relay wakes (PostgreSQL sends one per transaction and payload).
       SELECT pg_notify(:channel, current_schema()) WHERE CAST(:topic AS text) IS NOT NULL"""
)


class ConcurrencyError(Exception):
    """Another writer appended to the stream first; reload and decide again."""


def row(event: Envelope) -> dict[str, Any]:
    """An event as a row of the events table, in JSON's types: what every writer sends
    (`append`, and intake's acceptance functions of migration 0009)."""
    return {
        "event_id": str(event.event_id),
        "stream_id": event.stream_id,
        "stream_position": event.stream_position,
        "type": event.type,
        "version": event.version,
        "agency": event.agency,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "correlation_id": str(event.correlation_id),
        "causation_id": str(event.causation_id) if event.causation_id else None,
        "payload": event.payload,
    }


def rows_json(events: Sequence[Envelope]) -> str:
    return json.dumps([row(e) for e in events], ensure_ascii=False)


async def append(conn: AsyncConnection, events: Sequence[Envelope], topic: str | None) -> None:
    """Append events (already numbered by the caller's decision) and queue them for `topic`."""
    if not events:
        return
    # No savepoint: nothing carries on in a transaction after a failed append, and a
    # savepoint costs two more round trips per append.
    try:
        await conn.execute(_APPEND, {"events": rows_json(events), "topic": topic,
                                     "channel": OUTBOX_CHANNEL})
    except IntegrityError as exc:
        if "stream_id" in str(exc.orig) or "stream_position" in str(exc.orig):
            raise ConcurrencyError(events[0].stream_id) from exc
        raise


def envelope_json(source: str) -> str:
    """SQL for a stored event (aliased `e`) as its envelope's JSON text, the shape of
    `Envelope.to_json` (timestamps in the session's time zone, UTC); `source` is the SQL that
    gives the reading service's name. The one mapping from a row to an envelope: the relay
    sends this text as the message, and readers validate it into an `Envelope` in one pass
    (half the time of building it from the row's columns in Python, bench/accept.py)."""
    return f"""json_build_object(
                   'event_id', e.event_id, 'type', e.type, 'version', e.version,
                   'stream_id', e.stream_id, 'stream_position', e.stream_position,
                   'agency', e.agency, 'occurred_at', e.occurred_at, 'actor', e.actor,
                   'correlation_id', e.correlation_id, 'causation_id', e.causation_id,
                   'source', CAST({source} AS text), 'position', e.position,
                   'payload', e.payload)::text"""


_READ_STREAM = text(
    f"""SELECT {envelope_json(":source")} FROM events e WHERE stream_id = :s
        ORDER BY stream_position""")


async def read_stream(conn: AsyncConnection, stream_id: str, source: str) -> list[Envelope]:
    rows = await conn.execute(_READ_STREAM, {"s": stream_id, "source": source})
    return [Envelope.model_validate_json(raw) for raw in rows.scalars()]


_READ_AFTER = text(
    f"""SELECT {envelope_json(":source")} FROM events e WHERE position > :p
        ORDER BY position""")


async def read_after(conn: AsyncConnection, position: int, source: str) -> list[Envelope]:
    """Every event stored after `position`, in order (a replay of a service's own facts)."""
    rows = await conn.execute(_READ_AFTER, {"p": position, "source": source})
    return [Envelope.model_validate_json(raw) for raw in rows.scalars()]


# Each stream read through the (stream_id, stream_position) index (the ORDER BY keeps the
# planner from flattening the lateral read into a join). With `stream_id = ANY(...)` and no
# statistics gathered yet it chose a sequential scan of the whole store (seen: a casework batch
# reading 3,200 rows to find 12, 1.5 ms per batch at 200 applications/s).
_READ_STREAMS = text(
    f"""SELECT e.stream_id, {envelope_json(":source")} AS envelope
        FROM unnest(CAST(:s AS text[])) AS s(id)
        CROSS JOIN LATERAL (SELECT * FROM events WHERE stream_id = s.id
                            ORDER BY stream_position) AS e
        ORDER BY e.stream_id, e.stream_position"""
)


async def read_streams(conn: AsyncConnection, stream_ids: Sequence[str], source: str,
                       ) -> dict[str, list[Envelope]]:
    """Several streams in one query (a consumed batch's cases)."""
    rows = await conn.execute(_READ_STREAMS, {"s": list(stream_ids), "source": source})
    streams: dict[str, list[Envelope]] = {s: [] for s in stream_ids}
    for stream_id, raw in rows:
        streams[stream_id].append(Envelope.model_validate_json(raw))
    return streams


async def last_position(conn: AsyncConnection) -> int:
    return (await conn.execute(text("SELECT coalesce(max(position), 0) FROM events"))).scalar_one()
