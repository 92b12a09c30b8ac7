"""Intake's own tables: the agency directory it owns, case-number counters, idempotency keys."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.agencies import AgencyConfigured


async def get_agency(conn: AsyncConnection, agency_id: str) -> tuple[int, AgencyConfigured] | None:
    row = (
        await conn.execute(
            text("SELECT version, config FROM agencies WHERE agency_id = :a"), {"a": agency_id}
        )
    ).first()
    if row is None:
        return None
    config = row.config if isinstance(row.config, dict) else json.loads(row.config)
    return row.version, AgencyConfigured.model_validate(config)


async def list_agencies(conn: AsyncConnection) -> list[AgencyConfigured]:
    rows = await conn.execute(text("SELECT config FROM agencies ORDER BY agency_id"))
    return [
        AgencyConfigured.model_validate(r.config if isinstance(r.config, dict) else
                                        json.loads(r.config))
        for r in rows
    ]


async def put_agency(conn: AsyncConnection, agency: AgencyConfigured, version: int) -> None:
    await conn.execute(
        text(
            """INSERT INTO agencies (agency_id, version, config)
               VALUES (:a, :v, CAST(:c AS jsonb))
               ON CONFLICT (agency_id) DO UPDATE SET version = :v, config = CAST(:c AS jsonb)"""
        ),
        {"a": agency.agency_id, "v": version, "c": agency.model_dump_json()},
    )


async def next_case_sequence(conn: AsyncConnection, agency_id: str, year: int) -> int:
    """The agency's next number for the year; the row lock serialises numbering per agency."""
    return (
        await conn.execute(
            text(
                """INSERT INTO case_counters (agency_id, year, last) VALUES (:a, :y, 1)
                   ON CONFLICT (agency_id, year) DO UPDATE SET last = case_counters.last + 1
                   RETURNING last"""
            ),
            {"a": agency_id, "y": year},
        )
    ).scalar_one()


async def claim_idempotency_key(
    conn: AsyncConnection, key: str, request_hash: str
) -> tuple[str, int, dict[str, Any]] | None:
    """Reserve the key in this transaction, or return what an earlier request stored under it.
    A concurrent request with the same key waits on the unique index until the first commits."""
    inserted = (
        await conn.execute(
            text(
                """INSERT INTO idempotency_keys (key, request_hash, status, response)
                   VALUES (:k, :h, 0, '{}') ON CONFLICT (key) DO NOTHING RETURNING key"""
            ),
            {"k": key, "h": request_hash},
        )
    ).first()
    if inserted is not None:
        return None
    row = (
        await conn.execute(
            text("SELECT request_hash, status, response FROM idempotency_keys WHERE key = :k"),
            {"k": key},
        )
    ).one()
    response = row.response if isinstance(row.response, dict) else json.loads(row.response)
    return row.request_hash, row.status, response


async def store_idempotent_response(
    conn: AsyncConnection, key: str, status: int, response: dict[str, Any]
) -> None:
    await conn.execute(
        text(
            """UPDATE idempotency_keys SET status = :s, response = CAST(:r AS jsonb)
               WHERE key = :k"""
        ),
        {"k": key, "s": status, "r": json.dumps(response, ensure_ascii=False)},
    )
