"""Historical ledger import: every row becomes the facts a live case produces (submission,
receipt, and the outcome the ledger records), all in one transaction: a file is imported whole
or not at all, and never twice. Imports run one at a time (a transaction-scoped advisory lock),
so two imports of one file at the same moment still store it once. An import of a check the
staff console made (adapters/ledger_checks.py) deletes that check in the same transaction,
so one check is imported at most once."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import ledger_checks, ledger_imports, repository
from services.intake.domain.applicant_keys import Secret, applicant_keys
from services.intake.domain.ledger import LedgerRow
from services.intake.domain.ledger_checks import ABSENT
from shared.clock import SHANGHAI, Clock
from shared.contracts import APPLICATIONS_TOPIC
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import (
    LEDGER_IMPORT,
    Applicant,
    ApplicantType,
    ApplicationSubmitted,
    HistoricalOutcomeRecorded,
    Receipt,
    RequestedInformation,
)
from shared.events import new_event
from shared.refusals import Reason, Refused


@dataclass(frozen=True)
class Imported:
    rows: int
    concluded: int
    open: int


def _facts(row: LedgerRow, application_id: uuid.UUID, number: str, now, actor: str,
           source: str, key_ring: list[Secret]) -> list:
    facts = [
        ApplicationSubmitted(
            application_id=application_id, case_number=number, channel=row.channel,
            submitted_at=now, arrived_on=row.received_on, registered_by=actor,
            applicant=Applicant(type=row.applicant_type, name=row.applicant_name),
            applicant_keys=applicant_keys(row.id_number, key_ring),
            request=RequestedInformation(description=row.request),
            # The receipt in the same fact, as an online application's (one event, not two).
            receipt=Receipt(received_on=row.received_on, confirmation=LEDGER_IMPORT,
                            confirmed_by=actor)),
    ]
    if row.outcome:
        facts.append(HistoricalOutcomeRecorded(
            application_id=application_id, outcome=row.outcome, replied_on=row.replied_on,
            legal_basis=row.legal_basis or "", fee_yuan=row.fee_yuan, source=source))
    return facts


def _identity(row: LedgerRow, application_id: uuid.UUID) -> dict[str, str | None]:
    """What intake alone keeps of a ledger row's applicant (the applicants table)."""
    person = row.applicant_type is ApplicantType.natural_person
    return {"application_id": str(application_id),
            "id_number": row.id_number if person else None,
            "credit_code": None if person else row.id_number, "phone": row.phone}


async def admissible(conn: AsyncConnection, agency_id: str, rows: list[LedgerRow],
                     content_hash: str) -> AgencyConfigured:
    """The agency, if this ledger may be imported into it; else `Refused` saying why (no such
    agency; imported before, or its numbers taken). Reads only: the check before an import
    asks it too."""
    found = await repository.get_agency(conn, agency_id)
    if found is None:
        raise Refused(f"未找到行政机关“{agency_id}”", reason=Reason.NOT_FOUND)
    earlier = await ledger_imports.earlier_import(conn, content_hash)
    if earlier is not None:
        raise Refused(
            f"该台账文件已于{earlier.imported_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}导入"
            f"（{earlier.source}），不能重复导入")
    own = [r.case_number for r in rows if r.case_number]
    if clash := await ledger_imports.numbers_in_use(conn, own):
        raise Refused("以下受理编号已存在：" + "、".join(clash))
    return found[1]


async def import_ledger(engine: AsyncEngine, clock: Clock, agency_id: str,
                        rows: list[LedgerRow], *, content: bytes, source: str,
                        actor: str, key_ring: list[Secret],
                        check_id: uuid.UUID | None = None) -> Imported:
    """Imports `rows` (read from `content`); with `check_id`, only if that check of these bytes
    is still there and unexpired, and deletes it (else `Refused`, not found)."""
    content_hash = hashlib.sha256(content).hexdigest()
    now = clock.now()
    async with engine.begin() as conn:
        await ledger_imports.take_turn(conn)
        if check_id is not None and not await ledger_checks.consume(conn, check_id,
                                                                    content_hash, now):
            raise Refused(ABSENT, reason=Reason.NOT_FOUND, field="check_id")
        agency = await admissible(conn, agency_id, rows, content_hash)
        numbers = await _numbers(conn, agency, rows)
        correlation = uuid.uuid4()
        events, identities = [], []
        for row, number in zip(rows, numbers, strict=True):
            application_id = uuid.uuid4()
            identities.append(_identity(row, application_id))
            facts = _facts(row, application_id, number, now, actor, source, key_ring)
            events += [new_event(f, stream_id=str(application_id), stream_position=i + 1,
                                 agency=agency_id, occurred_at=now, actor=actor,
                                 correlation_id=correlation, source="intake")
                       for i, f in enumerate(facts)]
        # One round trip: the function every accepted application is stored with.
        await repository.store_applications(conn, agency_id, APPLICATIONS_TOPIC, events,
                                            identities)
        await ledger_imports.record(conn, content_hash=content_hash, agency_id=agency_id,
                                    source=source, rows=len(rows), actor=actor, at=now)
    concluded = sum(1 for r in rows if r.outcome)
    return Imported(len(rows), concluded, len(rows) - concluded)


async def _numbers(conn: AsyncConnection, agency: AgencyConfigured,
                   rows: list[LedgerRow]) -> list[str]:
    """Each row's case number: its own, else the agency's next of its year, in file order;
    one draw per year, not per row."""
    wanted = Counter(r.received_on.year for r in rows if not r.case_number)
    drawn = {year: iter(await repository.reserve_case_numbers(conn, agency, year, n))
             for year, n in sorted(wanted.items())}
    return [row.case_number or next(drawn[row.received_on.year]) for row in rows]
