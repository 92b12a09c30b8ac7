"""Checked ledgers kept between the check and the import (table ledger_checks, migration 0006).

`keep` stores a checked file in the check's own transaction and deletes what has expired by
then, so the table holds at most the last two hours' checks; `find` reads one back for the
import, which deletes it in its own transaction (`consume`, called by
service_layer/ledger_import.py), so a check is imported at most once."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.domain.ledger_checks import StoredCheck, expires

_COLUMNS = "check_id, agency_id, checked_by, name, size, sha256, checked_at, expires_at"


async def keep(conn: AsyncConnection, *, agency_id: str, user: str, name: str, content: bytes,
               now: datetime) -> StoredCheck:
    """Called inside the check's transaction, once the file has passed."""
    await conn.execute(text("DELETE FROM ledger_checks WHERE expires_at < :now"), {"now": now})
    check = StoredCheck(check_id=uuid.uuid4(), agency_id=agency_id, checked_by=user, name=name,
                        size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                        checked_at=now, expires_at=expires(now))
    await conn.execute(text(
        f"""INSERT INTO ledger_checks ({_COLUMNS}, content)
            VALUES (:check_id, :agency_id, :checked_by, :name, :size, :sha256, :checked_at,
                    :expires_at, :content)"""),
        {**asdict(check), "content": content})
    return check


async def find(engine: AsyncEngine, check_id: uuid.UUID) -> tuple[StoredCheck, bytes] | None:
    async with engine.connect() as conn:
        row = (await conn.execute(text(
            f"SELECT {_COLUMNS}, content FROM ledger_checks WHERE check_id = :id"),
            {"id": check_id})).mappings().first()
    if row is None:
        return None
    found = dict(row)
    content = found.pop("content")
    return StoredCheck(**found), bytes(content)


async def consume(conn: AsyncConnection, check_id: uuid.UUID, content_hash: str,
                  now: datetime) -> bool:
    """Deletes the check if it is still there, for these bytes, in time; whether it was."""
    deleted = await conn.execute(text(
        """DELETE FROM ledger_checks
           WHERE check_id = :id AND sha256 = :h AND expires_at > :now RETURNING check_id"""),
        {"id": check_id, "h": content_hash, "now": now})
    return deleted.first() is not None
