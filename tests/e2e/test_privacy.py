"""The data inventory (docs/privacy.md) holds on the running stack: an application with
distinctive personal data goes through every service, and then every table of every schema,
every record of every topic, every log line and every metric is searched for it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.clock import SHANGHAI, clock_from_setting
from tests.conftest import eventually
from tests.e2e.helpers import application, case, report

pytestmark = pytest.mark.e2e

AGENCY = "e2e-privacy"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _checked(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


# Nobody else in the test session is born on this day in this district.
ID_NUMBER = _checked("52010219580314927")
PERSONAL = {"name": "隐私核查人甲乙", "mobile": "13712345679", "email": "yinsi.hecha@example.cn",
            "address": "贵阳市南明区隐私核查路77号", "postal_code": "550077",
            "phone": "0851-87654321"}
# The key the code before docs/privacy.md made (sha256 of the number): reversible by trying.
LEGACY_KEY = hashlib.sha256(ID_NUMBER.encode()).hexdigest()[:32]


def _submit(stack) -> dict:
    body = application(AGENCY)
    body["applicant"].update(PERSONAL, id_document_type="resident_id", id_number=ID_NUMBER)
    body["request"] = {"description": "本人2024年度临时救助审批材料。", "delivery": "post",
                       "medium": "paper"}
    response = httpx.post(f"{stack.url('intake')}/v1/applications", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


async def _tables(url: str) -> dict[str, str]:
    """Every row of every table of every schema, as text, keyed by schema.table."""
    conn = await asyncpg.connect(url)
    try:
        found = await conn.fetch(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_type = 'BASE TABLE'
                 AND table_schema NOT IN ('pg_catalog', 'information_schema')""")
        out = {}
        for t in found:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            rows = await conn.fetch(f"SELECT t::text AS row FROM {name} t")
            out[f'{t["table_schema"]}.{t["table_name"]}'] = "\n".join(r["row"] for r in rows)
        return out
    finally:
        await conn.close()


async def _topics(bootstrap: str) -> dict[str, str]:
    """Every record of every topic on the broker, as text, keyed by topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = sorted(await consumer.topics())
        parts = [TopicPartition(t, p) for t in topics
                 for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        out = dict.fromkeys(topics, "")
        while [p for p in parts if await consumer.position(p) < ends[p]]:
            batch = await consumer.getmany(timeout_ms=500)
            for part, records in batch.items():
                out[part.topic] += "\n".join((r.value or b"").decode(errors="replace")
                                             for r in records) + "\n"
        return out
    finally:
        await consumer.stop()


def _where(places: dict[str, str], needle: str) -> set[str]:
    """Where `needle` stands as itself: a short number like a postcode also occurs inside hex
    ids and hashes, which are not it."""
    found = re.compile(rf"(?<![0-9A-Za-z]){re.escape(needle)}(?![0-9A-Za-z])")
    return {place for place, content in places.items() if found.search(content)}


def test_the_id_number_stays_in_intake_and_each_service_keeps_only_what_it_needs(stack):
    accepted = _submit(stack)
    app_id = accepted["application_id"]
    eventually(lambda: (case(stack, AGENCY, app_id) or {}).get("status") == "open")

    async def notified() -> bool:
        conn = await asyncpg.connect(stack.database_url)
        try:
            return bool(await conn.fetchval(
                "SELECT count(*) FROM notify.messages WHERE application_id = $1", app_id))
        finally:
            await conn.close()
    eventually(lambda: asyncio.run(notified()))  # the acknowledgement is under way

    tables = asyncio.run(_tables(stack.database_url))
    topics = asyncio.run(_topics(stack.bootstrap))
    logs = {p.name: p.read_text(errors="replace") for p in stack.logs.glob("*.log")}
    metrics = {s: httpx.get(f"{stack.url(s)}/metrics", timeout=10).text
               for s in ("intake", "casework", "reporting", "notify")}

    # The search sees what it searches: the application is in each kind of place.
    assert "gongkai.applications" in _where(topics, PERSONAL["name"])
    assert _where(logs, app_id) and all("gongkai_" in m for m in metrics.values())

    # The ID number: in intake's applicants table and nowhere else.
    assert _where(tables, ID_NUMBER) == {"intake.applicants"}
    for places in (topics, logs, metrics):
        assert not _where(places, ID_NUMBER)
    # Nor any unsalted hash of it, anywhere.
    for places in (tables, topics, logs, metrics):
        assert not _where(places, LEGACY_KEY)
    # The postal details and the landline stay in intake too (notify gets no address yet).
    for field in ("address", "postal_code", "phone"):
        assert {t.split(".")[0] for t in _where(tables, PERSONAL[field])} == {"intake"}, field
        assert not _where(topics, PERSONAL[field]), field
    # Name, mobile and e-mail: intake takes them, casework shows the name to its staff and
    # hands all three to notify, which writes to them. Reporting counts and keeps none.
    for field in ("name", "mobile", "email"):
        assert {t.split(".")[0] for t in _where(tables, PERSONAL[field])} <= {
            "intake", "casework", "notify"}, field
        assert not _where(tables, PERSONAL[field]) & {
            t for t in tables if t.startswith("reporting.")}, field
        assert not _where(logs, PERSONAL[field]) and not _where(metrics, PERSONAL[field]), field
    assert _where(tables, PERSONAL["mobile"]) & {"notify.recipients", "notify.messages"}

    # The access code the applicant was shown is nowhere in clear.
    code = accepted["access_code"]
    for places in (tables, topics, logs):
        assert not _where(places, code)

    # Staff see the case's history without the applicant's keys.
    history = case(stack, AGENCY, app_id)["history"]
    assert not any("applicant_keys" in json.dumps(h["facts"]) for h in history)


def _gongkai(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": stack.database_url, "GONGKAI_HOME": str(stack.home),
           "COLUMNS": "200", **({"GONGKAI_CLOCK": stack.settings.clock}
                                if stack.settings.clock else {})}
    return subprocess.run([sys.executable, "-m", "gongkai", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def stack_today(stack) -> str:
    return clock_from_setting(stack.settings.clock).now().astimezone(SHANGHAI).date().isoformat()


def tables_of(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k.startswith("table")}


def test_an_erased_applicant_is_gone_from_every_table_and_the_reports_do_not_change(stack):
    erased_id = _checked("52010219610822413")
    personal = {"name": "删除核查人丙丁", "mobile": "13712340088",
                "email": "shanchu.hecha@example.cn", "address": "贵阳市云岩区删除核查街9号"}
    year = int(stack_today(stack)[:4])
    counted = report(stack, year, AGENCY)["table3"]["new"]["total"]
    body = application(AGENCY)
    body["applicant"].update(personal, id_document_type="resident_id", id_number=erased_id)
    description = "删除核查：本人2023年度住房救助档案。"
    body["request"] = {"description": description}
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications", json=body, timeout=10)
    assert accepted.status_code == 201, accepted.text
    app_id = accepted.json()["application_id"]
    eventually(lambda: (case(stack, AGENCY, app_id) or {}).get("status") == "open")
    assert case(stack, AGENCY, app_id)["received_on"].startswith(str(year))

    async def messages() -> int:
        conn = await asyncpg.connect(stack.database_url)
        try:
            return await conn.fetchval("""SELECT count(*) FROM notify.messages
                                          WHERE application_id = $1""", app_id)
        finally:
            await conn.close()
    eventually(lambda: asyncio.run(messages()) > 0)
    needles = [erased_id, description, *personal.values()]
    before = asyncio.run(_tables(stack.database_url))
    assert all(_where(before, n) for n in (personal["name"], personal["mobile"], erased_id))
    eventually(lambda: report(stack, year, AGENCY)["table3"]["new"]["total"] == counted + 1)
    figures = tables_of(report(stack, year, AGENCY))

    async def unreadable_dead_letter() -> None:  # as a hostile message leaves one
        conn = await asyncpg.connect(stack.database_url)
        try:
            await conn.execute("""INSERT INTO casework.dead_letters (topic, raw, reason)
                                  VALUES ('gongkai.applications', 'not json {', 'unreadable')""")
            # What notify's sender records for a message it gave up on.
            await conn.execute("""INSERT INTO notify.dead_letters (topic, event_id, raw, reason)
                                  VALUES ('messages', gen_random_uuid(), 'message 17', 'x')""")
        finally:
            await conn.close()
    asyncio.run(unreadable_dead_letter())

    refused = _gongkai(stack, "erase", app_id)  # who and why are required: it is audited
    assert refused.returncode != 0
    done = _gongkai(stack, "erase", app_id, "--by", "lc-admin", "--reason", "申请人要求删除")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Erased the personal data of 1 application" in done.stdout

    after = asyncio.run(_tables(stack.database_url))
    for needle in needles:
        assert not _where(after, needle), needle
    assert app_id in after["intake.erasures"] and "lc-admin" in after["intake.erasures"]
    assert case(stack, AGENCY, app_id)["applicant_name"] == "（已删除）"
    # The figures are what they were, live and rebuilt from the stored events.
    assert tables_of(report(stack, year, AGENCY)) == figures
    replayed = _gongkai(stack, "replay")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert tables_of(report(stack, year, AGENCY)) == figures
    # Erasing again changes nothing and says so honestly.
    again = _gongkai(stack, "erase", app_id, "--by", "lc-admin", "--reason", "重复执行")
    assert again.returncode == 0 and asyncio.run(_tables(stack.database_url))[
        "casework.cases"] == after["casework.cases"]
