"""Casework's read model: one row per case, written from the folded case after every change
(so it is always what the events say), for queues, lookups and the sweep."""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.casework.domain.case import Case

_UPSERT = text(
    """INSERT INTO cases (application_id, agency, case_number, status, channel, applicant_type,
           applicant_name, applicant_keys, received_on, due_on, due_provisional, due_basis,
           paused_by, correct_by, fee_pay_by, next_deadline, extended, outcome, concluded_on,
           last_event_at, access_hash)
       VALUES (:id, :agency, :number, :status, :channel, :atype, :aname, :akeys, :received,
           :due, :provisional, CAST(:basis AS jsonb), :paused, :correct_by, :pay_by, :next,
           :extended, :outcome, :concluded, :at, :access)
       ON CONFLICT (application_id) DO UPDATE SET status = :status, received_on = :received,
           due_on = :due, due_provisional = :provisional, due_basis = CAST(:basis AS jsonb),
           paused_by = :paused, correct_by = :correct_by, fee_pay_by = :pay_by,
           next_deadline = :next, extended = :extended, outcome = :outcome,
           concluded_on = :concluded, last_event_at = :at"""
)


def next_deadline(case: Case) -> date | None:
    """The earliest date on which time passing changes something (what the sweep looks at)."""
    dates = [p.answer_by for p in case.open_pauses if p.answer_by]
    if case.fee and not case.fee_paid_on:
        dates.append(case.fee.pay_by)
    if case.status == "awaiting_correction":
        dates.append(case.correct_by)
    elif case.due_on and not case.open_pauses and case.breached_for != case.due_on:
        dates.append(case.due_on)
    return None if case.concluded or not dates else min(dates)


def _params(case: Case, agency: str, applicant_name: str, at: datetime) -> dict[str, Any]:
    paused = [p.key for p in case.open_pauses]
    if case.status == "awaiting_correction":
        paused.append("correction")
    return {
        "id": case.application_id, "agency": agency, "number": case.case_number,
        "status": case.status, "channel": case.channel.value,
        "atype": case.applicant_type.value, "aname": applicant_name,
        "akeys": list(case.applicant_keys),
        "received": case.received_on, "due": case.due_on,
        "provisional": bool(case.due_basis and case.due_basis.provisional),
        "basis": case.due_basis.model_dump_json() if case.due_basis else None,
        "paused": paused, "correct_by": case.correct_by if case.status == "awaiting_correction"
        else None, "pay_by": case.fee.pay_by if case.fee and not case.fee_paid_on else None,
        "next": next_deadline(case), "extended": case.extended, "outcome": case.outcome,
        "concluded": case.concluded_on, "at": at, "access": case.access_code_hash,
    }


async def save(conn: AsyncConnection, case: Case, agency: str, applicant_name: str,
               at: datetime) -> None:
    await conn.execute(_UPSERT, _params(case, agency, applicant_name, at))


async def save_many(conn: AsyncConnection,
                    cases: list[tuple[Case, str, str, datetime]]) -> None:
    """Several cases' rows (a consumed batch's), sent to the server together."""
    if cases:
        await conn.execute(_UPSERT, [_params(*c) for c in cases])


async def row(conn: AsyncConnection, application_id: uuid.UUID) -> dict[str, Any] | None:
    found = (await conn.execute(text("SELECT * FROM cases WHERE application_id = :id"),
                                {"id": application_id})).mappings().first()
    return _public(found) if found else None


# The four queue views (docs/domain.md#the-clock: a paused case's clock stands still, so it is
# neither due soon nor overdue). Filtering happens in SQL so that paging and counts hold at any
# size.
_VIEWS = {
    "open": "received_on IS NOT NULL",
    "paused": "cardinality(paused_by) > 0",
    "due_soon": "cardinality(paused_by) = 0 AND due_on BETWEEN :today AND :horizon",
    "overdue": "cardinality(paused_by) = 0 AND due_on < :today",
}


async def queue(conn: AsyncConnection, agency: str | None, view: str, *, today: date,
                horizon: date, search: str = "", limit: int = 500, offset: int = 0,
                ) -> tuple[list[dict[str, Any]], int]:
    """One page of an agency's (or, with `agency` None, the city's) open cases in a view,
    by due date, and how many there are in all. `search`: part of a case number or name."""
    where = ["status <> 'concluded'", _VIEWS[view]]
    params: dict[str, Any] = {"today": today, "horizon": horizon, "n": limit, "o": offset}
    if agency is not None:
        where.append("agency = :a")
        params["a"] = agency
    if search:
        where.append("(case_number ILIKE :q OR applicant_name ILIKE :q)")
        params["q"] = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
    rows = (await conn.execute(
        text(f"""SELECT *, count(*) OVER () AS total FROM cases WHERE {" AND ".join(where)}
                 ORDER BY due_on NULLS LAST, case_number LIMIT :n OFFSET :o"""),
        params)).mappings().all()
    if not rows and offset:
        total = (await conn.execute(text(
            f"SELECT count(*) FROM cases WHERE {' AND '.join(where)}"), params)).scalar_one()
    else:
        total = rows[0]["total"] if rows else 0
    return [_public(r) for r in rows], total


async def due_for_sweep(conn: AsyncConnection, today: date, limit: int) -> list[uuid.UUID]:
    rows = await conn.execute(
        text("""SELECT application_id FROM cases
                WHERE status <> 'concluded' AND next_deadline < :t
                ORDER BY next_deadline LIMIT :n"""), {"t": today, "n": limit})
    return list(rows.scalars())


async def open_case_ids(conn: AsyncConnection) -> list[uuid.UUID]:
    rows = await conn.execute(text(
        "SELECT application_id FROM cases WHERE status <> 'concluded' AND received_on IS NOT NULL"))
    return list(rows.scalars())


async def open_deadlines(conn: AsyncConnection) -> list[tuple[str, date | None, bool, bool]]:
    """Each received open case's agency, due date, whether its clock stands still and whether
    its due date rests on a provisional calendar (what the operator's gauges count)."""
    return [tuple(r) for r in (await conn.execute(text(
        """SELECT agency, due_on, cardinality(paused_by) > 0 OR status = 'awaiting_correction',
                  due_provisional
           FROM cases WHERE status <> 'concluded' AND received_on IS NOT NULL"""))).all()]


async def nth_this_month(conn: AsyncConnection, agency: str, case: Case) -> int:
    """The per-item fee counts an applicant's applications to this agency in the calendar month
    of this one's receipt, in the order they were received. An applicant without a key (no
    number given, or a case from before keys were made) is recognised in no other case."""
    if not case.applicant_keys:
        return 1
    first = case.received_on.replace(day=1)
    return (await conn.execute(
        text("""SELECT count(*) FROM cases WHERE agency = :a AND applicant_keys && :k
                AND received_on >= :first AND (received_on, case_number) <= (:r, :n)"""),
        {"a": agency, "k": list(case.applicant_keys), "first": first, "r": case.received_on,
         "n": case.case_number})).scalar_one()


def _public(r: Any) -> dict[str, Any]:
    basis = r["due_basis"]
    return {
        "application_id": str(r["application_id"]), "case_number": r["case_number"],
        "agency": r["agency"], "status": r["status"], "channel": r["channel"],
        "applicant_type": r["applicant_type"], "applicant_name": r["applicant_name"],
        "received_on": _iso(r["received_on"]), "due_on": _iso(r["due_on"]),
        "due_provisional": r["due_provisional"],
        "due_basis": json.loads(basis) if isinstance(basis, str) else basis,
        "paused_by": list(r["paused_by"]), "correct_by": _iso(r["correct_by"]),
        "fee_pay_by": _iso(r["fee_pay_by"]), "extended": r["extended"],
        "outcome": r["outcome"], "concluded_on": _iso(r["concluded_on"]),
    }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


async def put_agency(conn: AsyncConnection, agency_id: str, config: dict[str, Any]) -> None:
    await conn.execute(
        text("""INSERT INTO agencies (agency_id, config) VALUES (:a, CAST(:c AS jsonb))
                ON CONFLICT (agency_id) DO UPDATE SET config = CAST(:c AS jsonb)"""),
        {"a": agency_id, "c": json.dumps(config, ensure_ascii=False)})


async def get_agency(conn: AsyncConnection, agency_id: str) -> dict[str, Any] | None:
    raw = (await conn.execute(text("SELECT config FROM agencies WHERE agency_id = :a"),
                              {"a": agency_id})).scalar()
    return None if raw is None else (raw if isinstance(raw, dict) else json.loads(raw))


async def application_of(conn: AsyncConnection, case_number: str) -> uuid.UUID | None:
    return (await conn.execute(text("SELECT application_id FROM cases WHERE case_number = :n"),
                               {"n": case_number})).scalar()


async def public_status(conn: AsyncConnection, application_id: uuid.UUID, code_hash: str,
                        ) -> dict[str, Any] | None:
    """What the applicant may see with the access code: no names, no notes."""
    found = (await conn.execute(
        text("""SELECT case_number, agency, status, received_on, due_on, due_provisional,
                       paused_by, outcome, concluded_on, access_hash
                FROM cases WHERE application_id = :id"""), {"id": application_id})).first()
    if found is None or found.access_hash is None or not hmac.compare_digest(
            found.access_hash, code_hash):
        return None
    return {"case_number": found.case_number, "agency": found.agency, "status": found.status,
            "received_on": _iso(found.received_on), "due_on": _iso(found.due_on),
            "due_provisional": found.due_provisional, "paused": bool(found.paused_by),
            "outcome": found.outcome, "concluded_on": _iso(found.concluded_on)}
