"""Reporting over stores of both shapes (issue 18), on the real PostgreSQL: the same applications
recorded the old way (CaseOpened, then CaseReceived and DueDateSet) and the new way (one
CaseOpened received and due at once) are counted alike live, and a replay of either store
rebuilds exactly its live figures.

Each store is its own database, migrated as reporting migrates itself: a replay works on the
schema named `reporting`, which the session's services use in the shared database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text

from services.casework.domain import commands as c
from services.casework.domain.calendar import default_calendar
from services.casework.domain.case import fold
from services.casework.domain.decide import decide, from_intake
from services.reporting.service_layer import handlers
from services.reporting.service_layer.replay import rebuild
from shared.contracts.agencies import AgencyConfigured, Office
from shared.contracts.applications import (
    Applicant,
    ApplicationSubmitted,
    Receipt,
    ReceiptConfirmed,
    RequestedInformation,
)
from shared.db import make_engine, migrate
from shared.events import new_event
from shared.inbox import Inbox

pytestmark = pytest.mark.e2e

AGENCY = "it-shapes"
NOW = datetime(2026, 1, 20, 2, tzinfo=UTC)
STAFF = c.Context(today=date(2026, 1, 20), calendar=default_calendar(),
                  roles=frozenset({"caseworker", "approver"}), actor="clerk")
# (applicant type, received on, what staff did after): one application of each kind of life.
LIVES = [
    ("natural_person", date(2025, 9, 22), [c.Decide(date(2025, 10, 10), "disclosed")]),
    ("commercial_enterprise", date(2025, 3, 3),
     [c.ApproveExtension(date(2025, 3, 20), 10, "需要调取档案"),
      c.Decide(date(2025, 4, 15), "unable.not_held")]),
    ("natural_person", date(2025, 6, 2), [c.Sweep(), c.Decide(date(2025, 7, 31), "disclosed")]),
    ("legal_service_org", date(2025, 12, 30), []),  # carried forward into 2026
    ("natural_person", None, []),  # not yet confirmed: counted nowhere
]


def submitted(n: int, kind: str, receipt: Receipt | None) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=uuid.UUID(int=n + 1), case_number=f"SH-2025-{n:05d}", channel="online",
        submitted_at=NOW, applicant=Applicant(type=kind, name=f"申请人{n}"),
        request=RequestedInformation(description="某项信息"), receipt=receipt)


def histories(new: bool) -> list[list]:
    """Each application's case facts, recorded the old way or the new."""
    out = []
    for n, (kind, received, acts) in enumerate(LIVES):
        receipt = received and Receipt(received_on=received, confirmation="online_auto")
        if new:
            facts = from_intake(None, submitted(n, kind, receipt), STAFF)
        else:
            facts = from_intake(None, submitted(n, kind, None), STAFF)
            if receipt:
                facts += from_intake(fold(facts), ReceiptConfirmed(
                    application_id=uuid.UUID(int=n + 1), received_on=received,
                    confirmation="online_auto"), STAFF)
        for act in acts:
            today = act.on if hasattr(act, "on") else date(2025, 7, 20)
            ctx = c.Context(today=today, calendar=STAFF.calendar, roles=STAFF.roles,
                            actor="clerk")
            facts += decide(fold(facts), act, ctx)
        out.append(facts)
    return out


def envelopes(new: bool) -> list[str]:
    agency = AgencyConfigured(agency_id=AGENCY, name="测试局", case_prefix="SH",
                              disclosure_body="办公室", address="测试地址", phone="0635-0000000",
                              reconsideration_organ=Office(name="测试市人民政府"),
                              court=Office(name="测试区人民法院"))
    events = [new_event(agency, stream_id=f"agency-{AGENCY}", stream_position=1, agency=AGENCY,
                        occurred_at=NOW, actor="test", correlation_id=uuid.uuid4())]
    for facts in histories(new):
        events += [new_event(f, stream_id=str(f.application_id), stream_position=i + 1,
                             agency=AGENCY, occurred_at=NOW, actor="system",
                             correlation_id=uuid.uuid4()) for i, f in enumerate(facts)]
    return [e.model_dump_json() for e in events]


def with_database(url: str, name: str) -> str:
    """The server's URL naming another database (the rest, a socket directory too, as is)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
async def databases(infra) -> AsyncIterator[dict]:
    """A database per store, reporting migrated into each."""
    admin = make_engine(infra.database_url, "public", pool_size=1)
    names = {shape: f"it_shapes_{shape}_{uuid.uuid4().hex[:8]}" for shape in ("old", "new")}
    engines = {}
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for name in names.values():
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        for shape, name in names.items():
            url = with_database(infra.database_url, name)
            await migrate("reporting", url)
            engines[shape] = make_engine(url, "reporting", pool_size=2)
        yield engines
    finally:
        for engine in engines.values():
            await engine.dispose()
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for name in names.values():
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await admin.dispose()


async def figures(engine, year: int) -> dict:
    doc = await handlers.annual_report(engine, year, AGENCY, NOW)
    return {k: v for k, v in doc.items() if k not in ("generated_at", "as_of_event")}


async def test_both_shapes_give_the_same_figures_live_and_replayed(databases):
    assert sum(len(h) for h in histories(True)) < sum(len(h) for h in histories(False))
    live = {}
    for shape, engine in databases.items():
        await rebuild(engine, compare=False)  # the projection's first version, as at start
        inbox = Inbox("reporting", engine, handlers.on_event, handlers.on_events)
        await inbox.receive("gongkai.agencies", envelopes(shape == "new")[:1])
        await inbox.receive("gongkai.cases", envelopes(shape == "new")[1:])
        live[shape] = {year: await figures(engine, year) for year in (2025, 2026)}
        replayed = await rebuild(engine)
        assert replayed.differences == [], shape  # the rebuilt projection equals the live one
        assert {year: await figures(engine, year) for year in (2025, 2026)} == live[shape]
    assert live["new"] == live["old"]
    table3 = live["new"][2025]["table3"]
    assert table3["new"]["total"] == 4 and table3["carried_forward"]["total"] == 1
    assert table3["disclosed"]["natural_person"] == 2
    handled = live["new"][2025]["handling"]
    assert handled["answered_late"] == 1 and handled["concluded"] == 3


async def test_replays_started_together_run_one_after_the_other(databases):
    """An administrator's replay while an instance rebuilds at start: the second waits for the
    first instead of building the same version beside it; both equal the live figures."""
    engine = databases["new"]
    started = await rebuild(engine, compare=False)
    inbox = Inbox("reporting", engine, handlers.on_event, handlers.on_events)
    await inbox.receive("gongkai.agencies", envelopes(True)[:1])
    await inbox.receive("gongkai.cases", envelopes(True)[1:])
    live = await figures(engine, 2025)
    shares: list[float] = []
    first, second = await asyncio.gather(
        rebuild(engine, progress=lambda _folded, share: shares.append(share)), rebuild(engine))
    assert sorted([first.version, second.version]) == [started.version + 1, started.version + 2]
    assert first.differences == [] and second.differences == []
    assert await figures(engine, 2025) == live
    assert shares == sorted(shares) and shares[-1] == 1.0  # the progress bar only moves on
    assert first.events == second.events == len(envelopes(True))
