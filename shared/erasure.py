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
    inbox = (await conn.execute(text(
        "SELECT seq, envelope FROM inbox WHERE envelope->>'stream_id' = ANY(:ids)"),
        {"ids": ids})).all()
    for seq, envelope in inbox:
        envelope = envelope if isinstance(envelope, dict) else json.loads(envelope)
        after = {**envelope, "payload": erased(envelope["type"], envelope["payload"])}
        if after != envelope:
            changed += 1
            await conn.execute(text(
                "UPDATE inbox SET envelope = CAST(:v AS jsonb) WHERE seq = :k"),
                {"v": json.dumps(after, ensure_ascii=False), "k": seq})
    # Dead letters are few. Only some are envelopes: an unreadable message is kept as it came,
    # and notify's sender records "message N".
    dead = (await conn.execute(text(
        "SELECT id, raw FROM dead_letters WHERE event_id IS NOT NULL"))).all()
    for key, raw in dead:
        try:
            envelope = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(envelope, dict) or envelope.get("stream_id") not in ids:
            continue
        after = {**envelope, "payload": erased(envelope["type"], envelope["payload"])}
        if after != envelope:
            changed += 1
            await conn.execute(text("UPDATE dead_letters SET raw = :v WHERE id = :k"),
                               {"v": json.dumps(after, ensure_ascii=False), "k": key})
    return changed
