"""文号 on real PostgreSQL (issue 16): an agency with a letter prefix numbers its letters
consecutively per year, in the order they are kept; a redelivered event takes no new number;
concurrent batches never share a number nor skip one; an agency without a prefix numbers
nothing (its letters show the case number)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest

from services.notify.adapters import store
from shared.contracts.agencies import AgencyConfigured, Office
from shared.contracts.applications import ApplicantType, Channel
from shared.contracts.cases import CaseOpened, CaseReceived, DueDateBasis, DueDateSet
from shared.events import Envelope, new_event
from tests.integration.test_notify_batch import inbox

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine(notify_engine):
    return notify_engine


def event(payload, stream: str, position: int, agency: str) -> Envelope:
    return new_event(payload, stream_id=stream, stream_position=position, agency=agency,
                     occurred_at=NOW, actor="test", correlation_id=uuid.uuid4())


async def configure(engine, agency_id: str, prefix: str) -> None:
    agency = AgencyConfigured(agency_id=agency_id, name="测试市民政局", case_prefix="ITMZJ",
                              letter_prefix=prefix, disclosure_body="办公室",
                              address="测试地址", phone="0635-0000000",
                              reconsideration_organ=Office(name="测试市人民政府"),
                              court=Office(name="测试区人民法院"))
    await inbox(engine).receive("gongkai.agencies", [
        event(agency, f"agency-{agency_id}", 1, agency_id).model_dump_json()])


def application(agency: str, n: int, received: date = date(2026, 11, 23)) -> list[Envelope]:
    """An application's first three events; the third calls for the acknowledgement letter."""
    app = uuid.uuid4()
    stream = str(app)
    return [
        event(CaseOpened(application_id=app, case_number=f"ITMZJ-2026-{n:05d}",
                         channel=Channel.in_person, applicant_type=ApplicantType.natural_person,
                         applicant_name=f"申请人{n}", submitted_at=NOW,
                         request_summary="某项政策文件"), stream, 1, agency),
        event(CaseReceived(application_id=app, received_on=received), stream, 2, agency),
        event(DueDateSet(application_id=app, due_on=date(2026, 12, 21), basis=DueDateBasis(
            rule="reply_period", counted_from=received, working_days=20, provisional=False,
            calendar="test")), stream, 3, agency),
    ]


async def numbers(engine, agency: str) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        found = []
        for app in await store_apps(conn, agency):
            found += [(x["number"], x["kind"]) for x in await store.letters_for(conn, app)]
        return found


async def store_apps(conn, agency: str) -> list[uuid.UUID]:
    from sqlalchemy import text
    rows = await conn.execute(text("SELECT DISTINCT application_id, min(id) AS first FROM letters "
                                   "WHERE agency = :a GROUP BY application_id ORDER BY first"),
                              {"a": agency})
    return [r.application_id for r in rows]


async def test_letters_are_numbered_per_agency_and_year_once_each(engine) -> None:
    await configure(engine, "it-num", "测民依申")
    await configure(engine, "it-plain", "")
    cases = [application("it-num", n) for n in range(1, 4)]
    await inbox(engine).receive("gongkai.cases",
                                [e.model_dump_json() for case in cases for e in case])
    assert await numbers(engine, "it-num") == [
        (f"测民依申〔2026〕{n}号", "acknowledgement") for n in (1, 2, 3)]
    # The same events again (a redelivery) keep their letters and numbers; nothing is taken.
    again = [e.model_dump_json() for case in cases for e in case]
    await inbox(engine).receive("gongkai.cases", again)
    late = application("it-num", 4)
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in late])
    assert [n for n, _ in await numbers(engine, "it-num")] == [
        f"测民依申〔2026〕{n}号" for n in (1, 2, 3, 4)]
    # A letter dated in the next year starts that year's numbers at 1.
    next_year = application("it-num", 5, received=date(2027, 1, 4))
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in next_year])
    assert (await numbers(engine, "it-num"))[-1] == ("测民依申〔2027〕1号", "acknowledgement")
    # An agency without a prefix takes no number: its letters show the case number.
    plain = application("it-plain", 6)
    await inbox(engine).receive("gongkai.cases", [e.model_dump_json() for e in plain])
    assert await numbers(engine, "it-plain") == [(None, "acknowledgement")]
    async with engine.connect() as conn:
        [row] = [r for r in await store.unrendered(conn, 100) if r.agency == "it-plain"]
        assert row.number is None and row.content["number"] == ""
        numbered = [r for r in await store.unrendered(conn, 100) if r.agency == "it-num"]
        assert {r.content["number"] for r in numbered} == {r.number for r in numbered}


async def test_concurrent_batches_share_no_number_and_skip_none(engine) -> None:
    await configure(engine, "it-race", "竞民依申")
    cases = [application("it-race", n) for n in range(1, 25)]
    batches = [cases[i:i + 3] for i in range(0, len(cases), 3)]

    async def consume(batch) -> None:
        await inbox(engine).receive("gongkai.cases",
                                    [e.model_dump_json() for case in batch for e in case])

    await asyncio.gather(*(consume(b) for b in batches))
    # and one batch delivered twice at once
    await asyncio.gather(consume(batches[0]), consume(batches[0]))
    found = sorted(int(n.split("〕")[1].removesuffix("号"))
                   for n, _ in await numbers(engine, "it-race"))
    assert found == list(range(1, 25))
