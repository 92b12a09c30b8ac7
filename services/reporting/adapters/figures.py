"""Reporting's projection (facts per case) and the yearly aggregates read from it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.agencies import AgencyConfigured
from shared.contracts.cases import CaseConcluded, CaseOpened, CaseReceived


async def project(conn: AsyncConnection, agency: str, fact: object) -> None:
    match fact:
        case CaseOpened():
            await conn.execute(
                text(
                    """INSERT INTO report_cases (application_id, agency, applicant_type)
                       VALUES (:id, :agency, :atype) ON CONFLICT (application_id) DO NOTHING"""
                ),
                {"id": fact.application_id, "agency": agency, "atype": fact.applicant_type.value},
            )
        case CaseReceived():
            # Counted as new in the year of the *original* receipt date: a later receipt (after
            # a correction) does not make it new again.
            await conn.execute(
                text(
                    """UPDATE report_cases SET received_on = coalesce(received_on, :d)
                       WHERE application_id = :id"""
                ),
                {"id": fact.application_id, "d": fact.received_on},
            )
        case CaseConcluded():
            await conn.execute(
                text("""UPDATE report_cases SET concluded_on = :d, outcome = :o
                        WHERE application_id = :id AND concluded_on IS NULL"""),
                {"id": fact.application_id, "d": fact.on, "o": fact.outcome},
            )
        case AgencyConfigured():
            await conn.execute(
                text(
                    """INSERT INTO agencies (agency_id, name) VALUES (:a, :n)
                       ON CONFLICT (agency_id) DO UPDATE SET name = :n"""
                ),
                {"a": fact.agency_id, "n": fact.name},
            )


_CELLS = text(
    """SELECT 'new' AS row, applicant_type, count(*) AS n FROM report_cases
         WHERE agency = ANY(:agencies) AND received_on BETWEEN :jan1 AND :dec31
         GROUP BY applicant_type
       UNION ALL
       SELECT 'carried_over', applicant_type, count(*) FROM report_cases
         WHERE agency = ANY(:agencies) AND received_on < :jan1
           AND (concluded_on IS NULL OR concluded_on >= :jan1)
         GROUP BY applicant_type
       UNION ALL
       SELECT outcome, applicant_type, count(*) FROM report_cases
         WHERE agency = ANY(:agencies) AND received_on IS NOT NULL
           AND concluded_on BETWEEN :jan1 AND :dec31
         GROUP BY outcome, applicant_type
       UNION ALL
       SELECT 'carried_forward', applicant_type, count(*) FROM report_cases
         WHERE agency = ANY(:agencies) AND received_on <= :dec31
           AND (concluded_on IS NULL OR concluded_on > :dec31)
         GROUP BY applicant_type"""
)


async def year_cells(
    conn: AsyncConnection, agencies: list[str], year: int
) -> dict[str, dict[str, int]]:
    """Counts per row and applicant column. Each row is counted independently of the others,
    so the balance checks of the report test the data rather than restate it."""
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    rows = await conn.execute(
        _CELLS, {"agencies": agencies, "jan1": date(year, 1, 1), "dec31": date(year, 12, 31)}
    )
    for row, column, n in rows:
        cells[row][column] = n
    return cells


async def agency_ids(conn: AsyncConnection) -> list[str]:
    return list((await conn.execute(text("SELECT agency_id FROM agencies ORDER BY 1"))).scalars())


async def as_of_event(conn: AsyncConnection) -> int:
    return (await conn.execute(text("SELECT coalesce(max(seq), 0) FROM inbox"))).scalar_one()
