"""What casework erases of an applicant (the name its staff saw, the keys, every personal field
of the case's stored facts), and which cases' retention has run out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.personal import ERASED
from shared.erasure import erase_stored_events

# The longest time after a reply in which the applicant may still seek a remedy: an action
# before the court within six months (行政诉讼法 第四十六条); reconsideration's 60 days end
# sooner. A case is kept whole at least this long, then for the agency's retention period.
REMEDY_MONTHS = 6


async def erase(conn: AsyncConnection, application_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(text(
        """UPDATE cases SET applicant_name = :erased, applicant_keys = '{}'
           WHERE application_id = ANY(:ids)"""), {"ids": list(application_ids), "erased": ERASED})
    await erase_stored_events(conn, application_ids)


async def expired(conn: AsyncConnection, today: date, retention_years: dict[str, int],
                  default_years: int) -> list[uuid.UUID]:
    """Concluded cases whose remedy period and then the agency's retention period have ended,
    with no review still open, and whose personal data is not yet erased."""
    rows = await conn.execute(text(
        """SELECT c.application_id, c.agency, c.concluded_on FROM cases c
           WHERE c.status = 'concluded' AND c.applicant_name <> :erased
             AND c.concluded_on + make_interval(months => :remedy) <= :today
             AND (SELECT count(*) FILTER (WHERE e.type = 'ReviewFiled')
                       - count(*) FILTER (WHERE e.type = 'ReviewDecided')
                  FROM events e WHERE e.stream_id = c.application_id::text) <= 0"""),
        {"erased": ERASED, "remedy": REMEDY_MONTHS, "today": today})
    out = []
    for r in rows:
        years = retention_years.get(r.agency, default_years)
        end = _add_months(r.concluded_on, REMEDY_MONTHS + 12 * years)
        if end <= today:
            out.append(r.application_id)
    return out


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):  # 31 January + 1 month: the last day of February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
