"""Reporting's projection tables, kept in a versioned schema (`reporting_v<N>`) beside the live
one: a replay builds version N+1 while N serves, then switches in one transaction."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.domain.projection import CaseRow, ReviewRow, WorkingSet
from shared import report_rules


def schema(version: int) -> str:
    return f"reporting_v{version}"


TABLES = {
    "cases": "application_id uuid PRIMARY KEY, agency text NOT NULL, applicant_type text NOT NULL,"
             " received_on date, concluded_on date, outcome text, channel text, due_on date,"
             " extended boolean NOT NULL, breached boolean NOT NULL,"
             " on_the_spot boolean NOT NULL",
    "reviews": "application_id uuid NOT NULL, review_id text NOT NULL, agency text NOT NULL,"
               " kind text NOT NULL, filed_on date NOT NULL, result text, decided_on date,"
               " PRIMARY KEY (application_id, review_id)",
    "fees": "event_id uuid PRIMARY KEY, agency text NOT NULL, paid_on date NOT NULL,"
            " amount_yuan numeric(14, 2) NOT NULL",
    "agencies": "agency_id text PRIMARY KEY, name text NOT NULL",
    "table2": "agency text NOT NULL, year integer NOT NULL, figures jsonb NOT NULL,"
              " PRIMARY KEY (agency, year)",
}


async def _script(conn: AsyncConnection, statements: list[str]) -> None:
    """Statements without parameters sent as one script: one round trip, not two each."""
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(";\n".join(statements))


async def create_version(conn: AsyncConnection, version: int) -> None:
    name = schema(version)
    await _script(conn, [f'DROP SCHEMA IF EXISTS "{name}" CASCADE', f'CREATE SCHEMA "{name}"',
                         *(f'CREATE TABLE "{name}".{table} ({columns})'
                           for table, columns in TABLES.items())])


async def index_version(conn: AsyncConnection, version: int) -> None:
    """Indexes come after a bulk load (building them once is faster than maintaining them)."""
    name = schema(version)
    await _script(conn, [f'CREATE INDEX ON "{name}".cases (agency, received_on)',
                         f'CREATE INDEX ON "{name}".reviews (agency)'])


async def state(conn: AsyncConnection, *, lock: str = "") -> Any:
    return (await conn.execute(text(f"SELECT * FROM projection_state {lock}"))).one()


async def use_live(conn: AsyncConnection) -> int:
    """Point this transaction at the live projection. The share lock makes a replay's switch
    wait for transactions writing to the old version, so none of their changes is lost."""
    version = (await state(conn, lock="FOR SHARE")).version
    await use(conn, version)
    return version


async def use(conn: AsyncConnection, version: int) -> None:
    await conn.execute(text(f'SET LOCAL search_path TO "{schema(version)}", reporting'))


async def load(conn: AsyncConnection, case_ids: list[uuid.UUID]) -> WorkingSet:
    ws = WorkingSet()
    if not case_ids:
        return ws
    for r in await conn.execute(text("SELECT * FROM cases WHERE application_id = ANY(:ids)"),
                                {"ids": case_ids}):
        ws.cases[r.application_id] = CaseRow(*r)
    for r in await conn.execute(text("SELECT * FROM reviews WHERE application_id = ANY(:ids)"),
                                {"ids": case_ids}):
        ws.reviews[(r.application_id, r.review_id)] = ReviewRow(*r)
    return ws


async def save(conn: AsyncConnection, ws: WorkingSet) -> None:
    """Upsert every row of the working set (the live path: one statement per table)."""
    if ws.cases:
        await conn.execute(text(
            """INSERT INTO cases VALUES (:application_id, :agency, :applicant_type, :received_on,
                   :concluded_on, :outcome, :channel, :due_on, :extended, :breached,
                   :on_the_spot)
               ON CONFLICT (application_id) DO UPDATE SET received_on = :received_on,
                   concluded_on = :concluded_on, outcome = :outcome, channel = :channel,
                   due_on = :due_on, extended = :extended, breached = :breached,
                   on_the_spot = :on_the_spot"""),
            [vars(row) for row in ws.cases.values()])
    if ws.reviews:
        await conn.execute(text(
            """INSERT INTO reviews VALUES (:application_id, :review_id, :agency, :kind,
                   :filed_on, :result, :decided_on)
               ON CONFLICT (application_id, review_id) DO UPDATE SET result = :result,
                   decided_on = :decided_on"""), [vars(row) for row in ws.reviews.values()])
    if ws.fees:
        await conn.execute(text(
            """INSERT INTO fees VALUES (:event_id, :agency, :paid_on, :amount_yuan)
               ON CONFLICT DO NOTHING"""), [vars(row) for row in ws.fees.values()])
    if ws.agencies:
        await conn.execute(text(
            """INSERT INTO agencies VALUES (:a, :n) ON CONFLICT (agency_id)
               DO UPDATE SET name = :n"""),
            [{"a": agency_id, "n": name} for agency_id, name in ws.agencies.items()])
    if ws.table2:
        await conn.execute(text(
            """INSERT INTO table2 VALUES (:a, :y, CAST(:f AS jsonb)) ON CONFLICT (agency, year)
               DO UPDATE SET figures = CAST(:f AS jsonb)"""),
            [{"a": agency, "y": year, "f": json.dumps(figures, ensure_ascii=False)}
             for (agency, year), figures in ws.table2.items()])


async def bulk_save(conn: AsyncConnection, ws: WorkingSet, version: int) -> None:
    """The replay path: COPY every row into the new version's empty tables."""
    raw = (await conn.get_raw_connection()).driver_connection
    name = schema(version)
    batches = {
        "cases": [tuple(vars(r).values()) for r in ws.cases.values()],
        "reviews": [tuple(vars(r).values()) for r in ws.reviews.values()],
        "fees": [tuple(vars(r).values()) for r in ws.fees.values()],
        "agencies": list(ws.agencies.items()),
        "table2": [(a, y, json.dumps(f, ensure_ascii=False)) for (a, y), f in ws.table2.items()],
    }
    for table, records in batches.items():
        if records:
            await raw.copy_records_to_table(table, records=records, schema_name=name)


async def switch(conn: AsyncConnection, version: int, through_seq: int) -> None:
    await conn.execute(text(
        """UPDATE projection_state SET version = :v, needs_rebuild = false, built_at = now(),
               built_through_seq = :s"""), {"v": version, "s": through_seq})


async def drop_versions_before(conn: AsyncConnection, keep_from: int) -> None:
    rows = await conn.execute(text(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'reporting\\_v%'"))
    for (name,) in rows.all():
        if int(name.removeprefix("reporting_v")) < keep_from:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


# --- reading the figures ---------------------------------------------------------------

_CELLS = text(report_rules.cells_sql(
    """SELECT applicant_type, received_on, concluded_on, outcome FROM cases
       WHERE agency = ANY(:agencies)""", materialized=False))

# A review counts in the year it was decided (by its result) or, still open at 31 December,
# as pending (尚未审结) — the same rule as applications carried forward.
_REVIEWS = text(
    """SELECT kind, CASE WHEN decided_on <= :dec31 THEN result ELSE 'pending' END, count(*)
       FROM reviews WHERE agency = ANY(:agencies) AND filed_on <= :dec31
         AND (decided_on IS NULL OR decided_on >= :jan1)
       GROUP BY 1, 2"""
)


def _bounds(agencies: list[str], year: int) -> dict[str, Any]:
    return {"agencies": agencies, "jan1": date(year, 1, 1), "dec31": date(year, 12, 31)}


async def year_cells(conn: AsyncConnection, agencies: list[str], year: int,
                     ) -> dict[str, dict[str, int]]:
    """Table 三's cells, counted by the shared rules (shared/report_rules.py)."""
    return report_rules.cells(await conn.execute(_CELLS, _bounds(agencies, year)))


async def channels(conn: AsyncConnection, agencies: list[str], year: int) -> dict[str, int]:
    """The year's new applications (一) by the channel they came by."""
    rows = await conn.execute(text(
        """SELECT coalesce(channel, 'unknown'), count(*) FROM cases
           WHERE agency = ANY(:agencies) AND received_on BETWEEN :jan1 AND :dec31
           GROUP BY 1"""), _bounds(agencies, year))
    return dict(rows.all())


async def concluded(conn: AsyncConnection, agencies: list[str], year: int) -> list[Any]:
    """The applications concluded in the year ((七)总计) with what their handling needs."""
    rows = await conn.execute(text(
        """SELECT received_on, concluded_on, due_on, extended, breached, on_the_spot FROM cases
           WHERE agency = ANY(:agencies) AND received_on IS NOT NULL
             AND concluded_on BETWEEN :jan1 AND :dec31"""), _bounds(agencies, year))
    return list(rows.all())


async def review_cells(conn: AsyncConnection, agencies: list[str], year: int,
                       ) -> dict[str, dict[str, int]]:
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    for kind, column, n in await conn.execute(_REVIEWS, _bounds(agencies, year)):
        cells[kind][column] = n
    return cells


async def fees_collected(conn: AsyncConnection, agencies: list[str], year: int) -> Decimal:
    return (await conn.execute(text(
        """SELECT coalesce(sum(amount_yuan), 0) FROM fees
           WHERE agency = ANY(:agencies) AND paid_on BETWEEN :jan1 AND :dec31"""),
        _bounds(agencies, year))).scalar_one()


async def table2(conn: AsyncConnection, agencies: list[str], year: int) -> list[dict]:
    rows = await conn.execute(text(
        "SELECT figures FROM table2 WHERE agency = ANY(:agencies) AND year = :y"),
        {"agencies": agencies, "y": year})
    return [f if isinstance(f, dict) else json.loads(f) for (f,) in rows]


async def agencies(conn: AsyncConnection) -> dict[str, str]:
    return dict((await conn.execute(text("SELECT agency_id, name FROM agencies"))).all())


async def first_year(conn: AsyncConnection) -> int | None:
    """The earliest year any application was received in (a report before it is empty)."""
    first = (await conn.execute(text("SELECT min(received_on) FROM cases"))).scalar()
    return first.year if first else None


async def as_of_event(conn: AsyncConnection) -> int:
    return (await conn.execute(text("SELECT coalesce(max(seq), 0) FROM inbox"))).scalar_one()
