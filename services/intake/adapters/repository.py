"""Intake's own tables: the agency directory it owns, case-number counters, idempotency keys."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters import id_documents
from services.intake.domain.applicant_keys import Secret
from services.intake.domain.application import case_number_prefix
from shared import eventstore
from shared.contracts.agencies import AgencyConfigured
from shared.events import Envelope


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


async def reserve_case_numbers(conn: AsyncConnection, agency: AgencyConfigured, year: int,
                               count: int) -> list[str]:
    """The agency's next `count` case numbers of `year`, in order, drawn and formatted by the
    function that numbers every accepted application (migration 0009)."""
    rows = await conn.execute(
        text("SELECT reserve_case_numbers(:a, :y, :p, :n)"),
        {"a": agency.agency_id, "y": year, "p": case_number_prefix(agency, year), "n": count})
    return list(rows.scalars())


async def store_applications(conn: AsyncConnection, agency_id: str, topic: str,
                             events: list[Envelope], identities: list[dict[str, Any]]) -> None:
    """Accepted applications' events (with their outbox rows) and their applicants' identity,
    in one statement, by the function every accepted application is stored with."""
    await conn.execute(
        text("SELECT store_applications(:a, :t, CAST(:e AS jsonb), CAST(:i AS jsonb))"),
        {"a": agency_id, "t": topic, "e": eventstore.rows_json(events),
         "i": json.dumps(identities, ensure_ascii=False)})


class AgencyDirectory:
    """The agencies as last read, so a submission needs no extra round trip to find its
    agency. `accept_application` checks the version it was decided on; a stale entry is
    refreshed and the submission decided again."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._known: dict[str, tuple[int, AgencyConfigured]] = {}

    async def get(self, agency_id: str, *, fresh: bool = False
                  ) -> tuple[int, AgencyConfigured] | None:
        if not fresh and agency_id in self._known:
            return self._known[agency_id]
        row = await self.pool.fetchrow(
            "SELECT version, config::text AS config FROM agencies WHERE agency_id = $1",
            agency_id)
        if row is None:
            self._known.pop(agency_id, None)
            return None
        found = row["version"], AgencyConfigured.model_validate_json(row["config"])
        self._known[agency_id] = found
        return found


@dataclass(frozen=True)
class Acceptance:
    outcome: str  # accepted | replayed | unknown_agency | stale_agency
    case_number: str | None = None
    status: int | None = None
    response: dict[str, Any] | None = None
    request_hash: str | None = None


@dataclass
class Submission:
    """What one accepted application stores (its events carry a placeholder case number)."""

    agency_id: str
    agency_version: int
    year: int
    number_prefix: str
    idempotency_key: str | None
    request_hash: str
    topic: str
    events: list[Envelope]
    response: dict[str, Any]
    document: id_documents.StoredDocument | None = None  # the applicant's identity document
    identity: dict[str, Any] | None = None  # what only intake keeps (applicants table)

    def item(self) -> dict[str, Any]:
        return {"agency": self.agency_id, "agency_version": self.agency_version,
                "year": self.year, "number_prefix": self.number_prefix,
                "key": self.idempotency_key, "request_hash": self.request_hash,
                "topic": self.topic, "events": [eventstore.row(e) for e in self.events],
                "response": self.response, "identity": self.identity}


# Errors after which nothing can be said of the group but "not stored, try again".
_UNAVAILABLE = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
                asyncpg.exceptions.OperatorInterventionError,
                asyncpg.exceptions.InsufficientResourcesError)


class Acceptor:
    """Group commit for submissions: each is answered only after the transaction holding it
    committed, but submissions arriving while a group is being stored wait and go together in
    the next one (at most `in_flight` groups at once). A lone submission is stored at once;
    one with an identity document always alone, in a transaction that also holds the document.
    Numbering, idempotency, the events and the identity are `accept_application` (migration
    0009), called per item."""

    def __init__(self, pool: asyncpg.Pool, *, max_group: int = 64, in_flight: int = 2) -> None:
        self.pool = pool
        self.max_group = max_group
        self.in_flight = in_flight
        self._waiting: list[tuple[Submission, asyncio.Future[Acceptance]]] = []
        self._storing = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, submission: Submission) -> Acceptance:
        if submission.document is not None:
            return await self._accept_with_document(submission, submission.document)
        future: asyncio.Future[Acceptance] = asyncio.get_running_loop().create_future()
        self._waiting.append((submission, future))
        if self._storing < self.in_flight:
            self._storing += 1
            task = asyncio.create_task(self._store_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _store_waiting(self) -> None:
        try:
            while self._waiting:
                group = self._waiting[:self.max_group]
                del self._waiting[:self.max_group]
                await self._store(group)
        finally:
            self._storing -= 1

    async def _store(self, group: list[tuple[Submission, asyncio.Future[Acceptance]]]) -> None:
        try:
            rows = await self.pool.fetch(
                "SELECT * FROM accept_applications($1::jsonb)",
                json.dumps([s.item() for s, _ in group], ensure_ascii=False))
        except asyncpg.PostgresError as exc:
            if len(group) > 1 and not isinstance(exc, _UNAVAILABLE):
                # One item the database refuses (or a deadlock between groups) must not fail
                # the others: each is stored again on its own.
                for one in group:
                    await self._store([one])
                return
            _fail(group, exc)
            return
        except Exception as exc:  # every waiting request gets an answer, whatever happened
            _fail(group, exc)
            return
        for row in rows:
            _, future = group[row["o_index"]]
            if not future.done():
                future.set_result(_acceptance(row))

    async def _accept_with_document(self, submission: Submission,
                                    document: id_documents.StoredDocument) -> Acceptance:
        """A submission with its identity document, on its own (megabytes have no place in a
        group's JSON): the document and the application are stored in one transaction, and
        the document is rolled back whenever the application is not stored (an idempotent
        replay, a changed agency), so nothing is ever stored twice or alone. The document
        goes first, so the agency's counter row stays locked no longer than without one."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await id_documents.insert(conn, document)
                acceptance = _acceptance(await conn.fetchrow(
                    "SELECT * FROM accept_applications($1::jsonb)",
                    json.dumps([submission.item()], ensure_ascii=False)))
                if acceptance.outcome != "accepted":
                    raise _NotStored(acceptance)  # leaves the transaction by rolling it back
        except _NotStored as not_stored:
            return not_stored.acceptance
        return acceptance


class _NotStored(Exception):
    def __init__(self, acceptance: Acceptance) -> None:
        super().__init__(acceptance.outcome)
        self.acceptance = acceptance


def _acceptance(row: asyncpg.Record) -> Acceptance:
    stored = row["o_response"]
    return Acceptance(
        outcome=row["o_outcome"], case_number=row["o_case_number"], status=row["o_status"],
        response=json.loads(stored) if isinstance(stored, str) else stored,
        request_hash=row["o_request_hash"])


def _fail(group: list[tuple[Submission, asyncio.Future[Acceptance]]], exc: Exception) -> None:
    for _, future in group:
        if not future.done():
            future.set_exception(exc)


class Store:
    """Intake's hot path on a plain asyncpg pool: the agency directory and the acceptor, and
    the secrets applicant keys and sealed access codes are made with."""

    def __init__(self, pool: asyncpg.Pool, key_ring: list[Secret]) -> None:
        self.agencies = AgencyDirectory(pool)
        self.acceptor = Acceptor(pool)
        self.key_ring = key_ring


# A retry is answered as the first attempt was for this long; after it, the record (and the
# sealed access code in it) is gone and the same key starts a new application.
IDEMPOTENCY_HOURS = 24


async def forget_old_idempotency_records(pool: asyncpg.Pool) -> int:
    status = await pool.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
        IDEMPOTENCY_HOURS)
    return int(status.split()[-1])
