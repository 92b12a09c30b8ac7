"""Intake's acceptance (migration 0009's functions) on the real PostgreSQL: numbering,
idempotency, the agency's version, the events and outbox rows it writes, and group commit."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import uuid
from datetime import datetime

import asyncpg
import pytest
from sqlalchemy import text

from services.intake.adapters import repository
from services.intake.domain.applicant_keys import Secret, seal
from services.intake.domain.application import SubmissionForm
from services.intake.service_layer import handlers
from shared.clock import SHANGHAI, SettableClock
from shared.contracts.agencies import AgencyConfigured, Office
from shared.db import make_engine, make_pool, migrate
from shared.events import Envelope
from shared.refusals import Reason, Refused
from tests.e2e.helpers import application

pytestmark = pytest.mark.e2e

NOW = datetime(2025, 9, 22, 10, 0, tzinfo=SHANGHAI)
RING = Secret("t1", b"a-test-secret-of-at-least-32-bytes!!")


def agency_config(agency_id: str = "acc-1", prefix: str = "AC", **changes) -> AgencyConfigured:
    return AgencyConfigured(
        agency_id=agency_id, name="测试民政局", case_prefix=prefix, disclosure_body="办公室",
        address="测试地址", phone="0635-0000000",
        reconsideration_organ=Office(name="测试市人民政府"), court=Office(name="测试区人民法院"),
        **changes)


@pytest.fixture
async def intake(infra):
    """intake's real migrations in a scratch schema, one agency, a pool and an engine on it."""
    schema = f"it_intake_{uuid.uuid4().hex[:8]}"
    await migrate("intake", infra.database_url, schema)
    engine = make_engine(infra.database_url, schema, pool_size=2)
    async with engine.begin() as conn:
        await repository.put_agency(conn, agency_config(), 1)
    pool = await make_pool(infra.database_url, schema, size=8)
    try:
        yield repository.Store(pool, [RING]), engine
    finally:
        await pool.close()
        await engine.dispose()
        admin = make_engine(infra.database_url, "public", pool_size=1)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def form(n: int = 1, agency: str = "acc-1") -> SubmissionForm:
    return SubmissionForm.model_validate(application(agency, n))


async def submit(directory, n: int = 1, key: str | None = None, agency: str = "acc-1"):
    return await handlers.submit_application(directory, SettableClock(NOW), form(n, agency),
                                             idempotency_key=key)


async def rows(engine, sql: str) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql))).all()


async def test_an_accepted_application_is_numbered_stored_and_queued(intake):
    directory, engine = intake
    accepted = await submit(directory, key="k-1")
    assert not accepted.replayed
    assert accepted.receipt["case_number"] == "AC-2025-00001"
    events = await rows(engine, "SELECT position, type, payload FROM events ORDER BY position")
    # One fact: the submission, with its receipt inside (the agency confirms online ones).
    assert [e.type for e in events] == ["ApplicationSubmitted"]
    assert events[0].payload["receipt"]["received_on"] == accepted.receipt["received_on"]
    # The number drawn inside the statement is the one the event carries.
    assert events[0].payload["case_number"] == "AC-2025-00001"
    assert events[0].payload["application_id"] == accepted.receipt["application_id"]
    outbox = await rows(engine, "SELECT position, topic FROM outbox ORDER BY id")
    assert [(o.position, o.topic) for o in outbox] == [(e.position, "gongkai.applications")
                                                      for e in events]
    stored = await rows(engine, "SELECT status, response FROM idempotency_keys")
    assert stored[0].status == 201
    code = accepted.receipt["access_code"]
    # A retry's answer, the access code sealed: not readable from the database alone.
    assert stored[0].response == json.loads(json.dumps(accepted.receipt)) | {
        "access_code": seal(code, "k-1", RING)}
    assert code not in json.dumps(stored[0].response)
    # The identity stays in intake's applicants table, not in the published event.
    submitted = json.dumps(events[0].payload, ensure_ascii=False)
    who = await rows(engine, "SELECT application_id, id_number FROM applicants")
    assert [(str(w.application_id), w.id_number) for w in who] == [
        (accepted.receipt["application_id"], form().applicant.id_number)]
    assert form().applicant.id_number not in submitted
    assert events[0].payload["applicant_keys"][0].startswith("t1:")


async def test_the_same_key_returns_the_first_answer_and_stores_nothing_more(intake):
    directory, engine = intake
    first = await submit(directory, key="k-2")
    again = await submit(directory, key="k-2")
    assert again.replayed and again.receipt == first.receipt
    with pytest.raises(Refused) as refused:
        await submit(directory, n=2, key="k-2")  # another body under the same key
    assert refused.value.reason is Reason.INVALID and refused.value.field == "Idempotency-Key"
    assert len(await rows(engine, "SELECT 1 FROM events")) == 1  # one application, one event
    assert (await rows(engine, "SELECT last FROM case_counters"))[0].last == 1


async def test_numbers_have_no_gaps_and_no_repeats_under_concurrency(intake):
    directory, engine = intake
    answers = await asyncio.gather(*(submit(directory, n, key=f"c-{n}") for n in range(40)))
    numbers = sorted(a.receipt["case_number"] for a in answers)
    assert numbers == [f"AC-2025-{i:05d}" for i in range(1, 41)]
    assert len(await rows(engine, "SELECT 1 FROM outbox")) == 40  # one event each


async def test_the_number_is_padded_to_five_digits_and_grows_past_them(intake):
    directory, engine = intake
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO case_counters VALUES ('acc-1', 2025, 99998)"))
    numbers = [(await submit(directory, n)).receipt["case_number"] for n in (1, 2)]
    assert numbers == ["AC-2025-99999", "AC-2025-100000"]


async def test_a_ledger_import_and_online_submissions_draw_from_one_counter(intake):
    """The import draws a block of numbers in its transaction (migration 0009's function);
    online submissions before and after continue the same sequence, with no gap and no
    repeat, and a draw that is rolled back gives its numbers back."""
    directory, engine = intake
    agency = agency_config()
    first = await submit(directory, 1)
    async with engine.begin() as conn:
        drawn = await repository.reserve_case_numbers(conn, agency, 2025, 3)
    with contextlib.suppress(RuntimeError):
        async with engine.begin() as conn:
            await repository.reserve_case_numbers(conn, agency, 2025, 5)
            raise RuntimeError("the import fails after drawing")
    after = await submit(directory, 2)
    assert [first.receipt["case_number"], *drawn, after.receipt["case_number"]] == [
        f"AC-2025-{i:05d}" for i in range(1, 6)]
    async with engine.begin() as conn:
        assert await repository.reserve_case_numbers(conn, agency, 2024, 1) == ["AC-2024-00001"]


async def test_a_changed_agency_is_read_again_before_anything_is_stored(intake):
    directory, engine = intake
    await submit(directory, 1)  # the directory now holds version 1
    async with engine.begin() as conn:
        await repository.put_agency(conn, agency_config(prefix="NEW"), 2)
    accepted = await submit(directory, 2)
    assert accepted.receipt["case_number"] == "NEW-2025-00002"
    events = await rows(engine, "SELECT payload FROM events WHERE type = 'ApplicationSubmitted'")
    assert [e.payload["case_number"] for e in events] == ["AC-2025-00001", "NEW-2025-00002"]


async def test_an_unknown_agency_is_refused_by_field_and_uses_no_number(intake):
    directory, engine = intake
    with pytest.raises(Refused) as refused:
        await submit(directory, agency="nowhere")
    assert refused.value.reason is Reason.INVALID and refused.value.field == "agency"
    assert await rows(engine, "SELECT 1 FROM events") == []
    assert await rows(engine, "SELECT 1 FROM case_counters") == []


async def test_a_group_stores_each_submission_and_one_refused_fails_only_itself(intake):
    store, engine = intake
    acceptor = repository.Acceptor(store.agencies.pool, in_flight=1)
    for n in range(3):
        await submit(store, n)
    good = await submit_rows(engine)  # what the handler builds, placeholder numbers and all
    bad_event = dataclasses.replace(good[0], events=[
        good[0].events[0].model_copy(update={"type": None})])  # the database refuses NULL
    results = await asyncio.gather(
        acceptor.accept(dataclasses.replace(good[1], idempotency_key="g-1")),
        acceptor.accept(bad_event),
        acceptor.accept(dataclasses.replace(good[2], idempotency_key="g-2")),
        return_exceptions=True)
    assert [getattr(r, "outcome", None) for r in results] == ["accepted", None, "accepted"]
    assert isinstance(results[1], asyncpg.NotNullViolationError)
    assert [r.case_number for r in (results[0], results[2])] == ["AC-2025-00004",
                                                                "AC-2025-00005"]
    assert len(await rows(engine, "SELECT 1 FROM idempotency_keys WHERE key LIKE 'g-%'")) == 2


async def submit_rows(engine) -> list[repository.Submission]:
    """Submissions rebuilt from stored events, to store again under new ids."""
    stored = await rows(engine, "SELECT * FROM events WHERE stream_position = 1")
    submissions = []
    for row in stored:
        envelope = Envelope(
            event_id=uuid.uuid4(), type=row.type, version=row.version,
            stream_id=str(uuid.uuid4()), stream_position=1, agency=row.agency,
            occurred_at=row.occurred_at, actor=row.actor, correlation_id=uuid.uuid4(),
            payload=row.payload)
        submissions.append(repository.Submission(
            agency_id="acc-1", agency_version=1, year=2025, number_prefix="AC-2025-",
            idempotency_key=None, request_hash="h", topic="gongkai.applications",
            events=[envelope], response={"case_number": None}))
    return submissions


async def test_idempotency_records_are_kept_a_day_and_no_longer(intake):
    directory, engine = intake
    await submit(directory, key="old")
    await submit(directory, key="new")
    async with engine.begin() as conn:
        await conn.execute(text("""UPDATE idempotency_keys SET created_at = now()
                                   - interval '24 hours 1 minute' WHERE key = 'old'"""))
    assert await repository.forget_old_idempotency_records(directory.acceptor.pool) == 1
    assert [r.key for r in await rows(engine, "SELECT key FROM idempotency_keys")] == ["new"]
    again = await submit(directory, key="new")
    assert again.replayed


async def test_a_ledger_import_is_stored_the_way_an_online_application_is(intake):
    """The import goes through the same numbering and storing functions: its rows continue the
    agency's sequence of each year in file order (a row's own number kept), every event is
    queued, the identity is kept in `applicants` and only there, and a second import of the
    file stores nothing."""
    from services.intake.domain.ledger_check import check_ledger
    from services.intake.service_layer.ledger_import import import_ledger

    directory, engine = intake
    await submit(directory, 1)  # AC-2025-00001
    ledger = ("受理编号,收到申请日期,申请方式,申请人类型,申请人,证件号码,申请内容,处理结果,"
              "答复日期\n"
              ",2025-03-01,当面,自然人,甲,370102198001010154,某信息,予以公开,2025-03-05\n"
              "OWN-7,2025-03-02,信函,自然人,乙,,某信息,,\n"
              ",2024-05-01,当面,自然人,丙,,某信息,予以公开,2024-05-06\n"
              ",2025-04-01,当面,自然人,丁,,某信息,,\n").encode()
    read = check_ledger(ledger, "ledger.csv", None, today=NOW.date()).rows
    imported = await import_ledger(engine, SettableClock(NOW), "acc-1", read, content=ledger,
                                   source="ledger.csv", actor="clerk", key_ring=[RING])
    assert (imported.rows, imported.concluded, imported.open) == (4, 2, 2)
    submitted = await rows(engine, """SELECT payload->>'case_number' AS n FROM events
                                         WHERE type = 'ApplicationSubmitted' ORDER BY position""")
    assert [s.n for s in submitted] == ["AC-2025-00001", "AC-2025-00002", "OWN-7",
                                        "AC-2024-00001", "AC-2025-00003"]
    # Each row one fact with its receipt inside, marked as read from the ledger.
    receipts = await rows(engine, """SELECT payload->'receipt'->>'confirmation' AS c,
                                            payload->'receipt'->>'received_on' AS d
                                     FROM events WHERE type = 'ApplicationSubmitted'
                                     ORDER BY position""")
    assert [(r.c, r.d) for r in receipts[1:]] == [
        ("ledger_import", "2025-03-01"), ("ledger_import", "2025-03-02"),
        ("ledger_import", "2024-05-01"), ("ledger_import", "2025-04-01")]
    assert not await rows(engine, "SELECT 1 FROM events WHERE type = 'ReceiptConfirmed'")
    assert (await submit(directory, 2)).receipt["case_number"] == "AC-2025-00004"
    unqueued = await rows(engine, """SELECT count(*) AS n FROM events e WHERE NOT EXISTS
                                        (SELECT 1 FROM outbox o WHERE o.position = e.position)""")
    assert unqueued[0].n == 0
    who = await rows(engine, "SELECT id_number FROM applicants WHERE id_number IS NOT NULL")
    assert len(who) == 3  # the two online applicants' and the one the ledger gives
    stored = await rows(engine, "SELECT payload::text AS p FROM events")
    assert not any("370102198001010154" in s.p for s in stored)
    with pytest.raises(Refused) as refused:
        await import_ledger(engine, SettableClock(NOW), "acc-1", read, content=ledger,
                            source="ledger.csv", actor="clerk", key_ring=[RING])
    assert "不能重复导入" in refused.value.message
    assert len(await rows(engine, "SELECT 1 FROM applicants")) == 6

