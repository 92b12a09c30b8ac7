"""SMS providers. The development sink records each message durably in notify's own database,
in the same transaction that marks the message sent, so it is delivered exactly once."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class SmsProvider(Protocol):
    name: str

    async def send(self, conn: AsyncConnection, message: Any) -> None: ...


class DevSink:
    name = "dev"

    async def send(self, conn: AsyncConnection, message: Any) -> None:
        await conn.execute(
            text("INSERT INTO dev_sms (message_id, recipient, body) VALUES (:id, :r, :b)"),
            {"id": message.id, "r": message.recipient, "b": message.body},
        )


async def dev_outbox(conn: AsyncConnection, recipient: str | None = None) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            """SELECT d.message_id, d.recipient, d.body, d.delivered_at, m.application_id
               FROM dev_sms d JOIN messages m ON m.id = d.message_id
               WHERE CAST(:r AS text) IS NULL OR d.recipient = :r ORDER BY d.message_id"""
        ),
        {"r": recipient},
    )
    return [dict(r._mapping) for r in rows]
