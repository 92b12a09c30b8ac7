"""Data stored before docs/privacy.md is cleaned by the migrations: an intake event of version
1 loses the identity (kept in `applicants` instead), casework forgets the unsalted applicant
key and the identity its inbox kept, reporting's inbox keeps no name or contact."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlalchemy import text

from shared.db import make_engine, migrate

pytestmark = pytest.mark.e2e

ID = "11010519491231002X"
LEGACY_KEY = hashlib.sha256(ID.encode()).hexdigest()[:32]
APP = str(uuid.uuid4())
SUBMITTED_V1 = {
    "application_id": APP, "case_number": "A-2025-00001", "channel": "online",
    "submitted_at": "2025-09-22T01:00:00Z", "request": {"description": "低保"},
    "applicant": {"type": "natural_person", "name": "张明", "id_document_type": "resident_id",
                  "id_number": ID, "address": "兴华东路1号", "mobile": "13800138000"}}
OPENED_V1 = {
    "application_id": APP, "case_number": "A-2025-00001", "channel": "online",
    "applicant_type": "natural_person", "applicant_name": "张明", "applicant_key": LEGACY_KEY,
    "mobile": "13800138000", "email": None, "submitted_at": "2025-09-22T01:00:00Z",
    "request_summary": "低保", "access_code_hash": "h"}


def envelope(kind: str, payload: dict) -> str:
    return json.dumps({
        "event_id": str(uuid.uuid4()), "type": kind, "version": 1, "stream_id": APP,
        "stream_position": 1, "agency": "a", "occurred_at": "2025-09-22T01:00:00Z",
        "actor": "x", "correlation_id": str(uuid.uuid4()), "payload": payload},
        ensure_ascii=False)


async def at_old_revision(infra, service: str, revision: str, *statements: tuple[str, dict]):
    schema = f"it_{service}_{uuid.uuid4().hex[:8]}"
    await migrate(service, infra.database_url, schema, revision=revision)
    engine = make_engine(infra.database_url, schema, pool_size=1)
    async with engine.begin() as conn:
        for sql, params in statements:
            await conn.execute(text(sql), params)
    await migrate(service, infra.database_url, schema)
    return engine


async def everything(engine) -> str:
    async with engine.connect() as conn:
        tables = (await conn.execute(text(
            """SELECT table_name FROM information_schema.tables
               WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"""))).scalars()
        return "\n".join([
            "\n".join((await conn.execute(text(f'SELECT t::text FROM "{t}" t'))).scalars())
            for t in list(tables)])


EVENT = ("""INSERT INTO events (event_id, stream_id, stream_position, type, version, agency,
                               occurred_at, actor, correlation_id, topic, payload)
            VALUES (:id, :app, 1, :type, 1, 'a', now(), 'x', :id, 't', CAST(:p AS jsonb))""")
DEAD = "INSERT INTO dead_letters (topic, event_id, raw, reason) VALUES ('t', :id, :raw, 'r')"
INBOX = "INSERT INTO inbox (event_id, topic, envelope) VALUES (:id, 't', CAST(:e AS jsonb))"


async def test_intake_moves_the_identity_out_of_its_events(infra):
    engine = await at_old_revision(infra, "intake", "0006", (EVENT, {
        "id": uuid.uuid4(), "app": APP, "type": "ApplicationSubmitted",
        "p": json.dumps(SUBMITTED_V1, ensure_ascii=False)}))
    try:
        async with engine.connect() as conn:
            payload = (await conn.execute(text("SELECT payload FROM events"))).scalar_one()
            kept = (await conn.execute(text(
                "SELECT id_number, address FROM applicants"))).one()
        assert ID not in json.dumps(payload) and "兴华东路" not in json.dumps(payload,
                                                                              ensure_ascii=False)
        assert payload["applicant"] == {"type": "natural_person", "name": "张明",
                                        "mobile": "13800138000"}
        assert tuple(kept) == (ID, "兴华东路1号")
    finally:
        await engine.dispose()


async def test_casework_forgets_the_reversible_key_and_the_identity_it_never_needed(infra):
    engine = await at_old_revision(
        infra, "casework", "0003",
        (EVENT, {"id": uuid.uuid4(), "app": APP, "type": "CaseOpened",
                 "p": json.dumps(OPENED_V1, ensure_ascii=False)}),
        (INBOX, {"id": uuid.uuid4(),
                 "e": envelope("ApplicationSubmitted", SUBMITTED_V1)}),
        (DEAD, {"id": uuid.uuid4(), "raw": envelope("ApplicationSubmitted", SUBMITTED_V1)}),
        (DEAD, {"id": uuid.uuid4(), "raw": "message 17"}))
    try:
        stored = await everything(engine)
        assert ID not in stored and LEGACY_KEY not in stored and "兴华东路" not in stored
        assert "张明" in stored  # casework's staff still see whose case it is
    finally:
        await engine.dispose()


async def test_reporting_keeps_no_name_contact_or_key_of_an_applicant(infra):
    engine = await at_old_revision(
        infra, "reporting", "0002",
        (INBOX, {"id": uuid.uuid4(), "e": envelope("CaseOpened", OPENED_V1)}),
        (DEAD, {"id": uuid.uuid4(), "raw": envelope("CaseOpened", OPENED_V1)}),
        # An unreadable message is kept as it came: not JSON, so no event id.
        (DEAD, {"id": None, "raw": "not json {"}),
        # What notify's sender records for a message it gave up on.
        (DEAD, {"id": uuid.uuid4(), "raw": "message 17"}))
    try:
        stored = await everything(engine)
        for personal in ("张明", "13800138000", LEGACY_KEY, "低保"):
            assert personal not in stored
        assert "natural_person" in stored  # what it counts by stays
    finally:
        await engine.dispose()
