"""Intake's tables of identity documents and of their views (migration 0005)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class StoredDocument:
    document_id: uuid.UUID
    application_id: uuid.UUID
    agency_id: str
    media_type: str
    size: int
    sha256: str
    received_at: datetime
    content: bytes | None = None  # read only when it is served


@dataclass(frozen=True)
class View:
    user: str
    at: datetime


async def insert(conn: asyncpg.Connection, document: StoredDocument) -> None:
    """Called inside the transaction that accepts the application."""
    await conn.execute(
        """INSERT INTO id_documents (document_id, application_id, agency_id, media_type, size,
                                     sha256, content, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        document.document_id, document.application_id, document.agency_id, document.media_type,
        document.size, document.sha256, document.content, document.received_at)


async def find(conn: asyncpg.Connection, application_id: uuid.UUID, *,
               content: bool = False) -> StoredDocument | None:
    row = await conn.fetchrow(
        """SELECT document_id, application_id, agency_id, media_type, size, sha256, received_at,
                  CASE WHEN $2 THEN content END AS content
           FROM id_documents WHERE application_id = $1""", application_id, content)
    return StoredDocument(**dict(row)) if row is not None else None


async def agency_of_application(conn: asyncpg.Connection, application_id: uuid.UUID) -> str | None:
    """The agency an application was submitted to, from its first event (intake's own store)."""
    return await conn.fetchval(
        "SELECT agency FROM events WHERE stream_id = $1 AND stream_position = 1",
        str(application_id))


async def record_view(conn: asyncpg.Connection, document: StoredDocument, user: str,
                      at: datetime) -> None:
    await conn.execute(
        """INSERT INTO id_document_views (document_id, application_id, viewed_by, viewed_at)
           VALUES ($1, $2, $3, $4)""",
        document.document_id, document.application_id, user, at)


async def views(conn: asyncpg.Connection, application_id: uuid.UUID) -> list[View]:
    rows = await conn.fetch(
        """SELECT viewed_by, viewed_at FROM id_document_views
           WHERE application_id = $1 ORDER BY id""", application_id)
    return [View(r["viewed_by"], r["viewed_at"]) for r in rows]
