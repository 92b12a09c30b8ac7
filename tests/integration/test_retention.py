"""Which cases `gongkai erase --expired` takes: concluded, past the six months in which the
applicant may still sue, then past the agency's retention period, and with no review open."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from services.casework.adapters.erasure import _add_months, erase, expired
from shared.db import make_engine, migrate

pytestmark = pytest.mark.e2e

TODAY = date(2036, 12, 3)


def test_months_are_added_as_a_calendar_counts_them():
    assert _add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert _add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert _add_months(date(2026, 6, 3), 6 + 120) == date(2036, 12, 3)


async def test_only_cases_whose_remedy_and_retention_periods_ended_are_taken(infra):
    schema = f"it_casework_{uuid.uuid4().hex[:8]}"
    await migrate("casework", infra.database_url, schema)
    engine = make_engine(infra.database_url, schema, pool_size=1)
    cases = {
        "ended": ("a", "concluded", date(2026, 6, 3)),  # 6 months + 10 years: today
        "a_day_short": ("a", "concluded", date(2026, 6, 4)),
        "longer_kept": ("b", "concluded", date(2026, 6, 3)),  # agency b keeps 20 years
        "still_open": ("a", "open", None),
        "under_review": ("a", "concluded", date(2020, 1, 1)),
    }
    ids = {name: uuid.uuid4() for name in cases}
    try:
        async with engine.begin() as conn:
            for name, (agency, status, concluded) in cases.items():
                await conn.execute(text(
                    """INSERT INTO cases (application_id, agency, case_number, status, channel,
                           applicant_type, applicant_name, concluded_on, last_event_at)
                       VALUES (:id, :a, :n, :s, 'online', 'natural_person', '张明', :c, now())"""),
                    {"id": ids[name], "a": agency, "n": name, "s": status, "c": concluded})
            await conn.execute(text(
                """INSERT INTO events (event_id, stream_id, stream_position, type, version,
                       agency, occurred_at, actor, correlation_id, payload)
                   VALUES (:e, :s, 9, 'ReviewFiled', 1, 'a', now(), 'x', :e, '{}')"""),
                {"e": uuid.uuid4(), "s": str(ids["under_review"])})
            found = await expired(conn, TODAY, {"b": 20}, default_years=10)
            assert found == [ids["ended"]]
            await erase(conn, found)
            # Erased cases are not taken again.
            assert await expired(conn, TODAY, {"b": 20}, default_years=10) == []
            names = (await conn.execute(text(
                "SELECT applicant_name FROM cases WHERE application_id = :id"),
                {"id": ids["ended"]})).scalar_one()
            assert names == "（已删除）"
    finally:
        await engine.dispose()
        admin = make_engine(infra.database_url, "public", pool_size=1)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
