"""What notify erases of an applicant: whom it wrote to (name, mobile, e-mail), the texts it
sent, the letters' contents, and the personal fields of the events it stored. The record that
a message or letter went out (when, which kind, its content hash) stays."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters import store
from shared.contracts.personal import ERASED
from shared.erasure import erase_stored_events


async def erase(conn: AsyncConnection, application_ids: Sequence[uuid.UUID]) -> None:
    ids = list(application_ids)
    params = {"ids": ids, "erased": ERASED}
    await conn.execute(text(
        """UPDATE recipients SET name = :erased, mobile = NULL, email = NULL
           WHERE application_id = ANY(:ids)"""), params)
    for sink in ("dev_sms", "dev_email"):
        await conn.execute(text(
            f"""DELETE FROM {sink} WHERE message_id IN
                (SELECT id FROM messages WHERE application_id = ANY(:ids))"""), params)
    # What was still waiting to go never goes: it had no one left to go to.
    await conn.execute(text(
        """UPDATE messages SET recipient = :erased, body = :erased,
                  status = CASE WHEN status = 'queued' THEN :unsent ELSE status END
           WHERE application_id = ANY(:ids)"""), {**params, "unsent": store.UNSENT_ERASED})
    # An empty PDF marks an erased letter: it is never rendered again (docs/privacy.md).
    await conn.execute(text(
        """UPDATE letters SET addressee = :erased, content = '{}'::jsonb, pdf = ''::bytea
           WHERE application_id = ANY(:ids)"""), params)
    await erase_stored_events(conn, ids)
