"""Erasing applicants' personal data from a service's event store, inbox and dead letters
(the copies every service has); each service's own tables are its adapters' business
(services/*/adapters/erasure.py). Stored events are append-only, and this is the one edit
they allow (docs/privacy.md)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.personal import erased


async def erase_stored_events(conn: AsyncConnection, application_ids: Sequence[uuid.UUID]) -> int:
    """Every stored copy of the applications' events, erased; returns how many were changed."""
    ids = [str(i) for i in application_ids]
    changed = 0
    await conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
    try:
        rows = (await conn.execute(text(
            "SELECT position, type, payload FROM events WHERE stream_id = ANY(:ids)"),
            {"ids": ids})).all()
        for r in rows:
            payload = r.payload if isinstance(r.payload, dict) else json.loads(r.payload)
            after = erased(r.type, payload)
            if after != payload:
                changed += 1
                await conn.execute(text(
                    "UPDATE events SET payload = CAST(:p AS jsonb) WHERE position = :pos"),
                    {"p": json.dumps(after, ensure_ascii=False), "pos": r.position})
    finally:
        await conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_append_only"))
    for table, column, key in (("inbox", "envelope", "seq"), ("dead_letters", "raw", "id")):
        cast = column if column == "envelope" else f"{column}::jsonb"
        rows = (await conn.execute(text(
            f"""SELECT {key} AS k, {cast} AS e FROM {table}
                WHERE {'true' if table == 'inbox' else 'event_id IS NOT NULL'}
                  AND {cast}->>'stream_id' = ANY(:ids)"""), {"ids": ids})).all()
        for r in rows:
            envelope = r.e if isinstance(r.e, dict) else json.loads(r.e)
            after = {**envelope, "payload": erased(envelope["type"], envelope["payload"])}
            if after != envelope:
                changed += 1
                value = json.dumps(after, ensure_ascii=False)
                await conn.execute(text(
                    f"UPDATE {table} SET {column} = "
                    f"{'CAST(:v AS jsonb)' if column == 'envelope' else ':v'} WHERE {key} = :k"),
                    {"v": value, "k": r.k})
    return changed
