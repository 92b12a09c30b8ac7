"""Casework's read model: one row per case for queues and lookups (rebuildable from events)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.cases import CaseOpened, CaseReceived, DueDateSet


async def project(conn: AsyncConnection, agency: str, fact: BaseModel, at: datetime) -> None:
    match fact:
        case CaseOpened():
            await conn.execute(
                text(
                    """INSERT INTO cases (application_id, agency, case_number, status,
                           applicant_type, applicant_name, channel, last_event_at)
                       VALUES (:id, :agency, :number, 'awaiting_receipt', :atype, :aname,
                               :channel, :at)
                       ON CONFLICT (application_id) DO NOTHING"""
                ),
                {"id": fact.application_id, "agency": agency, "number": fact.case_number,
                 "atype": fact.applicant_type.value, "aname": fact.applicant_name,
                 "channel": fact.channel.value, "at": at},
            )
        case CaseReceived():
            await conn.execute(
                text("""UPDATE cases SET status = 'open', received_on = :d, last_event_at = :at
                        WHERE application_id = :id"""),
                {"id": fact.application_id, "d": fact.received_on, "at": at},
            )
        case DueDateSet():
            await conn.execute(
                text(
                    """UPDATE cases SET due_on = :d, due_provisional = :p,
                           due_basis = CAST(:b AS jsonb), last_event_at = :at
                       WHERE application_id = :id"""
                ),
                {"id": fact.application_id, "d": fact.due_on, "p": fact.basis.provisional,
                 "b": fact.basis.model_dump_json(), "at": at},
            )


async def get_case(conn: AsyncConnection, application_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        await conn.execute(text("SELECT * FROM cases WHERE application_id = :id"),
                           {"id": application_id})
    ).mappings().first()
    return _public(row) if row else None


async def list_open(conn: AsyncConnection, agency: str, limit: int) -> list[dict[str, Any]]:
    rows = (
        await conn.execute(
            text(
                """SELECT * FROM cases WHERE agency = :a AND status <> 'concluded'
                   ORDER BY due_on NULLS FIRST, case_number LIMIT :n"""
            ),
            {"a": agency, "n": limit},
        )
    ).mappings()
    return [_public(r) for r in rows]


def _public(row: Any) -> dict[str, Any]:
    basis = row["due_basis"]
    return {
        "application_id": str(row["application_id"]),
        "case_number": row["case_number"],
        "agency": row["agency"],
        "status": row["status"],
        "channel": row["channel"],
        "applicant_type": row["applicant_type"],
        "applicant_name": row["applicant_name"],
        "received_on": row["received_on"].isoformat() if row["received_on"] else None,
        "due_on": row["due_on"].isoformat() if row["due_on"] else None,
        "due_provisional": row["due_provisional"],
        "due_basis": json.loads(basis) if isinstance(basis, str) else basis,
    }


async def put_agency(conn: AsyncConnection, agency_id: str, config: dict[str, Any]) -> None:
    await conn.execute(
        text(
            """INSERT INTO agencies (agency_id, config) VALUES (:a, CAST(:c AS jsonb))
               ON CONFLICT (agency_id) DO UPDATE SET config = CAST(:c AS jsonb)"""
        ),
        {"a": agency_id, "c": json.dumps(config, ensure_ascii=False)},
    )
