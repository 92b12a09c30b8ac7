"""What intake erases of an applicant: the identity and postal details, the identity document,
the idempotency record, and the personal fields of its stored events. The erasure itself is
recorded (who, when, why), without anything personal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.erasure import erase_stored_events


async def erase(conn: AsyncConnection, application_ids: Sequence[uuid.UUID], *, by: str,
                reason: str, at: datetime) -> None:
    ids = list(application_ids)
    await conn.execute(text(
        """INSERT INTO erasures (application_id, agency, erased_by, reason, erased_at)
           SELECT stream_id::uuid, agency, :by, :reason, :at FROM events
           WHERE type = 'ApplicationSubmitted' AND stream_id = ANY(:ids)"""),
        {"ids": [str(i) for i in ids], "by": by, "reason": reason, "at": at})
    await conn.execute(text("DELETE FROM applicants WHERE application_id = ANY(:ids)"),
                       {"ids": ids})
    await conn.execute(text("DELETE FROM id_documents WHERE application_id = ANY(:ids)"),
                       {"ids": ids})
    await conn.execute(text(
        "DELETE FROM idempotency_keys WHERE response->>'application_id' = ANY(:ids)"),
        {"ids": [str(i) for i in ids]})
    await erase_stored_events(conn, ids)


async def known(conn: AsyncConnection, application_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.execute(text(
        """SELECT stream_id FROM events WHERE type = 'ApplicationSubmitted'
           AND stream_id = ANY(:ids)"""), {"ids": [str(i) for i in application_ids]})
    return {uuid.UUID(r) for r in rows.scalars()}
