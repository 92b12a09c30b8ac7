"""What intake remembers of imported ledgers (table ledger_imports, migration 0002) and the
lock that makes two imports, and an import and a check, take turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def take_turn(conn: AsyncConnection) -> None:
    """Until this transaction ends, no other import numbers or stores applications."""
    await conn.execute(text(
        "SELECT pg_advisory_xact_lock(hashtext('gongkai.intake.ledger_import'))"))


async def earlier_import(conn: AsyncConnection, content_hash: str) -> Any | None:
    """The import of the same bytes, if there was one (its `source` and `imported_at`)."""
    return (await conn.execute(text(
        "SELECT source, imported_at FROM ledger_imports WHERE content_hash = :h"),
        {"h": content_hash})).first()


async def numbers_in_use(conn: AsyncConnection, numbers: list[str]) -> list[str]:
    """Which of these case numbers an application already has."""
    rows = await conn.execute(text(
        """SELECT payload->>'case_number' FROM events WHERE type = 'ApplicationSubmitted'
           AND payload->>'case_number' = ANY(:n)"""), {"n": numbers})
    return sorted(rows.scalars())


async def record(conn: AsyncConnection, *, content_hash: str, agency_id: str, source: str,
                 rows: int, actor: str, at: datetime) -> None:
    await conn.execute(text(
        """INSERT INTO ledger_imports
               (content_hash, agency_id, source, rows, imported_by, imported_at)
           VALUES (:h, :a, :s, :n, :by, :at)"""),
        {"h": content_hash, "a": agency_id, "s": source, "n": rows, "by": actor, "at": at})
