"""Notify's tables: recipients and agencies it has heard of, and the messages it sends."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def put_agency(conn: AsyncConnection, agency_id: str, config: dict[str, Any]) -> None:
    await conn.execute(
        text(
            """INSERT INTO agencies (agency_id, config) VALUES (:a, CAST(:c AS jsonb))
               ON CONFLICT (agency_id) DO UPDATE SET config = CAST(:c AS jsonb)"""
        ),
        {"a": agency_id, "c": json.dumps(config, ensure_ascii=False)},
    )


async def get_agency(conn: AsyncConnection, agency_id: str) -> dict[str, Any] | None:
    raw = (
        await conn.execute(text("SELECT config FROM agencies WHERE agency_id = :a"),
                           {"a": agency_id})
    ).scalar()
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else json.loads(raw)


async def put_recipient(conn: AsyncConnection, application_id: uuid.UUID, **fields: Any) -> None:
    await conn.execute(
        text(
            """INSERT INTO recipients (application_id, agency, case_number, name, mobile, email)
               VALUES (:id, :agency, :case_number, :name, :mobile, :email)
               ON CONFLICT (application_id) DO NOTHING"""
        ),
        {"id": application_id, **fields},
    )


async def get_recipient(conn: AsyncConnection, application_id: uuid.UUID) -> Any:
    return (
        await conn.execute(text("SELECT * FROM recipients WHERE application_id = :id"),
                           {"id": application_id})
    ).first()


async def queue_message(conn: AsyncConnection, **fields: Any) -> None:
    await conn.execute(
        text(
            """INSERT INTO messages (event_id, template, application_id, agency, channel,
                                     recipient, body)
               VALUES (:event_id, :template, :application_id, :agency, :channel,
                       :recipient, :body)
               ON CONFLICT (event_id, template) DO NOTHING"""
        ),
        fields,
    )
    await conn.execute(text("SELECT pg_notify('gongkai_messages', '')"))


async def claim_queued(conn: AsyncConnection, limit: int) -> list[Any]:
    return list(
        await conn.execute(
            text(
                """SELECT * FROM messages WHERE status = 'queued' ORDER BY id
                   LIMIT :n FOR UPDATE SKIP LOCKED"""
            ),
            {"n": limit},
        )
    )


async def mark_sent(conn: AsyncConnection, message_id: int) -> None:
    await conn.execute(
        text(
            """UPDATE messages SET status = 'sent', sent_at = now(), attempts = attempts + 1
               WHERE id = :id"""
        ),
        {"id": message_id},
    )


async def messages_for(conn: AsyncConnection, application_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            """SELECT id, template, channel, recipient, body, status, created_at, sent_at
               FROM messages WHERE application_id = :id ORDER BY id"""
        ),
        {"id": application_id},
    )
    return [dict(r._mapping) for r in rows]
