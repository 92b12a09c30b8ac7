"""The calendar table: seeded from the `chinese_calendar` package, extended by administrators.

Each process keeps the calendar in memory and reloads it when the table's version moved (one
tiny query per transaction), so every instance computes with the calendar just loaded.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.casework.domain.calendar import DayEntry, WorkingCalendar
from services.casework.domain.notice import PACKAGE_YEARS, Notice, notice_from_package
from shared.db import transaction_memo


async def _version(conn: AsyncConnection) -> int:
    return (await conn.execute(text("SELECT version FROM calendar_version"))).scalar_one()


async def seed(conn: AsyncConnection) -> None:
    """Load the package's years once (an empty table means a new database)."""
    if (await conn.execute(text("SELECT count(*) FROM calendar_years"))).scalar_one():
        return
    await conn.execute(text("LOCK TABLE calendar_years IN EXCLUSIVE MODE"))
    if (await conn.execute(text("SELECT count(*) FROM calendar_years"))).scalar_one():
        return
    for year in PACKAGE_YEARS:
        await store_notice(conn, notice_from_package(year), loaded_by="seed")


async def store_notice(conn: AsyncConnection, notice: Notice, loaded_by: str) -> None:
    """Replace what this year's notice said (loading or correcting a year)."""
    await conn.execute(text("DELETE FROM calendar_days WHERE notice_year = :y"),
                       {"y": notice.year})
    if notice.days:
        await conn.execute(
            text("INSERT INTO calendar_days (notice_year, day, working, name, source) "
                 "VALUES (:y, :d, :w, :n, :s)"),
            [{"y": notice.year, "d": d, "w": e.working, "n": e.name, "s": e.source}
             for d, e in notice.days.items()],
        )
    await conn.execute(
        text("""INSERT INTO calendar_years (year, source, loaded_by) VALUES (:y, :s, :by)
                ON CONFLICT (year) DO UPDATE SET source = :s, loaded_by = :by,
                loaded_at = now()"""),
        {"y": notice.year, "s": notice.title, "by": loaded_by},
    )
    await conn.execute(text("UPDATE calendar_version SET version = version + 1"))


async def read(conn: AsyncConnection) -> WorkingCalendar:
    # Where two notices name the same day (a December day set by the next year's notice), the
    # later notice wins.
    days = await conn.execute(text(
        "SELECT day, working, name, source FROM calendar_days ORDER BY notice_year"))
    years = await conn.execute(text("SELECT year FROM calendar_years"))
    return WorkingCalendar({d: DayEntry(w, n, s) for d, w, n, s in days}, list(years.scalars()))


async def year_sources(conn: AsyncConnection) -> list[dict]:
    rows = await conn.execute(text(
        "SELECT year, source, loaded_by, loaded_at FROM calendar_years ORDER BY year"))
    return [dict(r._mapping) for r in rows]


class CalendarCache:
    def __init__(self) -> None:
        self._version = -1
        self._calendar: WorkingCalendar | None = None

    async def get(self, conn: AsyncConnection) -> WorkingCalendar:
        memo = transaction_memo(conn)
        if "calendar_version" not in memo:
            memo["calendar_version"] = await _version(conn)
        version = memo["calendar_version"]
        if self._calendar is None or version != self._version:
            self._calendar = await read(conn)
            self._version = version
        return self._calendar
