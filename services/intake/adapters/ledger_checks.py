"""Checked ledgers kept between the check and the import (table ledger_checks, migration 0006),
and what a check needs the database for: the ledger's own table-三 figures, to compare with
those the agency published.

`keep` stores a checked file in the check's own transaction and deletes what has expired by
then, so the table holds at most the last two hours' checks; `find` reads one back for the
import, which deletes it in its own transaction (`consume`, called by
service_layer/ledger_import.py), so a check is imported at most once."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.domain.ledger_check import Checked
from services.intake.domain.ledger_checks import StoredCheck, expires
from shared import report_rules
from shared.published import warnings_for

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


# The ledger's rows, sent as JSON, counted by the rules reporting counts its cases with.
_LEDGER_CELLS = text(report_rules.cells_sql(
    """SELECT * FROM jsonb_to_recordset(CAST(:cases AS jsonb)) AS r(
           applicant_type text, received_on date, concluded_on date, outcome text)""",
    materialized=True))


async def warnings(conn: AsyncConnection, checked: Checked) -> list[str]:
    """Every warning about the published figures checked with a ledger: their own broken check
    relations, then each cell where they differ from what the ledger yields."""
    if checked.published is None:
        return checked.warnings
    cases = json.dumps([
        {"applicant_type": r.applicant_type.value, "received_on": r.received_on.isoformat(),
         "concluded_on": r.replied_on.isoformat() if r.replied_on else None,
         "outcome": r.outcome} for r in checked.rows])
    computed = {}
    for year in checked.published:
        counted = await conn.execute(_LEDGER_CELLS, {
            "cases": cases, "jan1": date(year, 1, 1), "dec31": date(year, 12, 31)})
        computed[year] = report_rules.table3(report_rules.cells(counted))
    return warnings_for(checked.published, computed)
