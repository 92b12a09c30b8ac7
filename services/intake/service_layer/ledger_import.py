"""Historical ledger import: every row becomes the facts a live case produces (submission,
receipt, and the outcome the ledger records), all in one transaction: a file is imported whole
or not at all, and never twice."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import repository
from services.intake.domain.application import case_number
from services.intake.domain.ledger import LedgerRow
from shared import eventstore
from shared.clock import Clock
from shared.contracts import APPLICATIONS_TOPIC
from shared.contracts.applications import (
    Applicant,
    ApplicantType,
    ApplicationSubmitted,
    HistoricalOutcomeRecorded,
    ReceiptConfirmed,
    RequestedInformation,
)
from shared.events import new_event


class ImportRefused(Exception):
    pass


@dataclass(frozen=True)
class Imported:
    rows: int
    concluded: int
    open: int


def _facts(row: LedgerRow, application_id: uuid.UUID, number: str, now, actor: str,
           source: str) -> list:
    person = row.applicant_type is ApplicantType.natural_person
    facts = [
        ApplicationSubmitted(
            application_id=application_id, case_number=number, channel=row.channel,
            submitted_at=now, arrived_on=row.received_on, registered_by=actor,
            applicant=Applicant(type=row.applicant_type, name=row.applicant_name,
                                id_number=row.id_number if person else None,
                                credit_code=None if person else row.id_number,
                                phone=row.phone),
            request=RequestedInformation(description=row.request)),
        ReceiptConfirmed(application_id=application_id, received_on=row.received_on,
                         confirmation="ledger_import", confirmed_by=actor),
    ]
    if row.outcome:
        facts.append(HistoricalOutcomeRecorded(
            application_id=application_id, outcome=row.outcome, replied_on=row.replied_on,
            legal_basis=row.legal_basis or "", fee_yuan=row.fee_yuan, source=source))
    return facts


async def _numbers_in_use(conn: AsyncConnection, numbers: list[str]) -> list[str]:
    rows = await conn.execute(text(
        """SELECT payload->>'case_number' FROM events WHERE type = 'ApplicationSubmitted'
           AND payload->>'case_number' = ANY(:n)"""), {"n": numbers})
    return sorted(rows.scalars())


async def import_ledger(engine: AsyncEngine, clock: Clock, agency_id: str,
                        rows: list[LedgerRow], *, content: bytes, source: str,
                        actor: str) -> Imported:
    content_hash = hashlib.sha256(content).hexdigest()
    now = clock.now()
    async with engine.begin() as conn:
        found = await repository.get_agency(conn, agency_id)
        if found is None:
            raise ImportRefused(f"未找到行政机关“{agency_id}”")
        agency = found[1]
        earlier = (await conn.execute(text(
            "SELECT source, imported_at FROM ledger_imports WHERE content_hash = :h"),
            {"h": content_hash})).first()
        if earlier is not None:
            raise ImportRefused(f"该台账文件已于{earlier.imported_at:%Y-%m-%d %H:%M}导入"
                                f"（{earlier.source}），不能重复导入")
        own = [r.case_number for r in rows if r.case_number]
        if clash := await _numbers_in_use(conn, own):
            raise ImportRefused("以下受理编号已存在：" + "、".join(clash))
        correlation = uuid.uuid4()
        for row in rows:
            application_id = uuid.uuid4()
            year = row.received_on.year
            number = row.case_number or case_number(
                agency, year, await repository.next_case_sequence(conn, agency_id, year))
            facts = _facts(row, application_id, number, now, actor, source)
            events = [new_event(f, stream_id=str(application_id), stream_position=i + 1,
                                agency=agency_id, occurred_at=now, actor=actor,
                                correlation_id=correlation, source="intake")
                      for i, f in enumerate(facts)]
            await eventstore.append(conn, events, APPLICATIONS_TOPIC)
        await conn.execute(text(
            """INSERT INTO ledger_imports (content_hash, agency_id, source, rows, imported_by)
               VALUES (:h, :a, :s, :n, :by)"""),
            {"h": content_hash, "a": agency_id, "s": source, "n": len(rows), "by": actor})
    concluded = sum(1 for r in rows if r.outcome)
    return Imported(len(rows), concluded, len(rows) - concluded)
