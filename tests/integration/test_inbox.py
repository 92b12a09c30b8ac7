"""Consumers apply each event once in effect, whatever the broker redelivers (invariant 2,
docs/architecture.md#invariants)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from shared.inbox import Inbox, Unprocessable
from tests.integration.test_eventstore import receipt

pytestmark = pytest.mark.e2e


async def _counting_inbox(engine):
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (event_id uuid, n serial)"))

    async def apply(conn, envelope):
        if envelope.actor == "poison":
            raise Unprocessable("the rules refuse this one")
        await conn.execute(text("INSERT INTO applied (event_id) VALUES (:e)"),
                           {"e": envelope.event_id})

    return Inbox("test", engine, apply)


async def test_a_redelivered_batch_changes_nothing(engine):
    inbox = await _counting_inbox(engine)
    stream = uuid.uuid4()
    batch = [receipt(stream, 1).model_dump(mode="json"), receipt(stream, 2).model_dump(mode="json")]
    await inbox.receive("t", batch)
    await inbox.receive("t", batch)  # redelivery after a crash before the offset commit
    await inbox.receive("t", [batch[1], batch[1]])  # the same event twice in one batch
    async with engine.connect() as conn:
        applied = (await conn.execute(text("SELECT count(*) FROM applied"))).scalar_one()
        stored = (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
    assert applied == 2
    assert stored == 2


async def test_unreadable_and_refused_messages_are_set_aside_and_the_rest_applied(engine):
    inbox = await _counting_inbox(engine)
    stream = uuid.uuid4()
    good = receipt(stream, 1).model_dump(mode="json")
    refused = receipt(stream, 2).model_copy(update={"actor": "poison"}).model_dump(mode="json")
    await inbox.receive("t", [b"{not json", {"type": "nonsense"}, refused, good])
    async with engine.connect() as conn:
        applied = (await conn.execute(text("SELECT count(*) FROM applied"))).scalar_one()
        reasons = list((await conn.execute(text("SELECT reason FROM dead_letters ORDER BY id")))
                       .scalars())
    assert applied == 1
    assert len(reasons) == 3
    assert "the rules refuse this one" in reasons[2]


async def test_a_batch_applied_at_once_falls_back_to_one_by_one_when_one_is_refused(engine):
    inbox = await _counting_inbox(engine)
    batches: list[int] = []

    async def apply_many(conn, envelopes):
        batches.append(len(envelopes))
        for envelope in envelopes:
            await inbox.apply(conn, envelope)

    inbox.apply_many = apply_many
    stream = uuid.uuid4()
    await inbox.receive("t", [receipt(stream, i).model_dump(mode="json") for i in (1, 2, 3)])
    refused = receipt(stream, 5).model_copy(update={"actor": "poison"}).model_dump(mode="json")
    await inbox.receive("t", [receipt(stream, 4).model_dump(mode="json"), refused,
                              receipt(stream, 6).model_dump(mode="json")])
    async with engine.connect() as conn:
        applied = (await conn.execute(text("SELECT count(*) FROM applied"))).scalar_one()
        dead = (await conn.execute(text("SELECT count(*) FROM dead_letters"))).scalar_one()
    # The first batch at once; the second tried at once, rolled back, then one by one.
    assert batches == [3, 3]
    assert (applied, dead) == (5, 1)
