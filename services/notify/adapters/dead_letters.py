"""Messages the sender gives up on, set aside beside the consumers' dead letters
(shared/dead_letters.py lists them for city administrators)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def set_aside(conn: AsyncConnection, event_id: uuid.UUID | None, message_id: int,
                    reason: str) -> None:
    """Message `message_id` (queued for event `event_id`) could not be delivered: `reason`."""
    await conn.execute(text(
        """INSERT INTO dead_letters (topic, event_id, raw, reason)
           VALUES ('messages', :e, :raw, :why)"""),
        {"e": event_id, "raw": f"message {message_id}", "why": reason})
