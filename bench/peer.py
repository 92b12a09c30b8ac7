"""Peer benchmark: the same event-sourcing workload through the `eventsourcing` library (its
PostgreSQL application recorder, psycopg 3) and through gongkai's own event store, on the same
embedded PostgreSQL in the same run.

Workload: N cases x M events (CaseOpened, CaseReceived, M-3 x DueDateSet, CaseConcluded),
commands interleaved across cases, each command appending one event in its own transaction
(the aggregate is held in memory, so neither side re-reads its stream: this measures the write
path), one writer. Then a full rebuild of a simple projection (one row per case: agency,
applicant type, received, concluded, outcome — reporting's `cases` table):
  - eventsourcing: read the whole notification log in pages, map each record back to a domain
    event (`app.mapper`), fold in memory, COPY the rows;
  - gongkai: the reporting replay (`services.reporting.service_layer.replay.rebuild`) over
    reporting's inbox, which is first filled with the same events as the Kafka hop would
    (untimed); and the same fold read straight from the event store (`envelope_json`,
    reporting's `apply`, COPY), the exact counterpart of the library's read.
gongkai's append writes the event, its outbox row and a NOTIFY (shared.eventstore.append);
the library's recorder takes an EXCLUSIVE table lock per transaction to number its
notification log gap-free. Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.peer [--cases N] [--events M]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench._common import CpuMeter, machine, server_version
from gongkai.embedded import Postgres
from shared.db import make_engine, migrate, plain_url

TYPES = ["natural_person", "commercial_enterprise", "legal_service_org"]
OUTCOMES = ["disclosed", "partially_disclosed", "unable.not_held", "withheld.process_info"]
START = date(2025, 1, 2)
AT = datetime(2025, 1, 1, tzinfo=UTC)


def plan(cases: int, per_case: int) -> list[tuple[int, int]]:
    """(case, step) in the order commands arrive: interleaved across cases."""
    return [(c, s) for s in range(per_case) for c in range(cases)]


def step_kind(step: int, per_case: int) -> str:
    if step == 0:
        return "opened"
    if step == 1:
        return "received"
    return "concluded" if step == per_case - 1 else "due"


# --- eventsourcing ------------------------------------------------------------------------


def eventsourcing_side(database_url: str, cases: int, per_case: int) -> tuple[float, float]:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
    from eventsourcing.persistence import JSONTranscoder, Transcoding

    class DateAsISO(Transcoding):
        type = date
        name = "date_iso"

        def encode(self, obj: date) -> str:
            return obj.isoformat()

        def decode(self, data: str) -> date:
            return date.fromisoformat(data)

    class Case(Aggregate):
        @event("Opened")
        def __init__(self, agency: str, case_number: str, channel: str, applicant_type: str,
                     applicant_name: str, submitted_at: datetime, request_summary: str) -> None:
            self.agency, self.applicant_type = agency, applicant_type

        @event("Received")
        def receive(self, received_on: date) -> None:
            self.received_on = received_on

        @event("DueDateSet")
        def set_due(self, due_on: date) -> None:
            self.due_on = due_on

        @event("Concluded")
        def conclude(self, on: date, outcome: str, legal_basis: str) -> None:
            self.concluded_on, self.outcome = on, outcome

    class Cases(Application):
        def register_transcodings(self, transcoder: JSONTranscoder) -> None:
            super().register_transcodings(transcoder)
            transcoder.register(DateAsISO())

    url = urlsplit(database_url)
    socket_dir = parse_qs(url.query).get("host", [url.hostname or "localhost"])[0]
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": socket_dir,  # a directory: psycopg connects to the Unix socket there
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_SCHEMA": "es_bench",
    }
    import psycopg

    dsn = f"dbname={env['POSTGRES_DBNAME']} host={socket_dir} user={env['POSTGRES_USER']}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS es_bench")
    app = Cases(env=env)

    aggregates: dict[int, Case] = {}
    started = time.perf_counter()
    for c, s in plan(cases, per_case):
        received = START + timedelta(days=c % 300)
        kind = step_kind(s, per_case)
        if kind == "opened":
            aggregates[c] = agg = Case(
                agency=f"agency-{c % 12}", case_number=f"A-{c}", channel="online",
                applicant_type=TYPES[c % 3], applicant_name="某某", submitted_at=AT,
                request_summary="某信息")
        else:
            agg = aggregates[c]
            if kind == "received":
                agg.receive(received_on=received)
            elif kind == "due":
                agg.set_due(due_on=received + timedelta(days=28 + s))
            else:
                agg.conclude(on=received + timedelta(days=20), outcome=OUTCOMES[c % 4],
                             legal_basis="第三十六条")
        app.save(agg)  # one transaction per command
    append_rate = cases * per_case / (time.perf_counter() - started)

    # Rebuild: read the notification log, map records to domain events, fold, COPY.
    started = time.perf_counter()
    rows: dict[uuid.UUID, list] = {}
    read = 0
    start = 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=10_000)
        if not page:
            break
        for notification in page:
            e = app.mapper.to_domain_event(notification)
            read += 1
            if isinstance(e, Case.Opened):
                rows.setdefault(e.originator_id, [e.originator_id, e.agency, e.applicant_type,
                                                  None, None, None])
            elif isinstance(e, Case.Received) and e.originator_id in rows:
                row = rows[e.originator_id]
                row[3] = row[3] or e.received_on
            elif isinstance(e, Case.Concluded) and e.originator_id in rows:
                row = rows[e.originator_id]
                if row[4] is None:
                    row[4], row[5] = e.on, e.outcome
        start = page[-1].id + 1
    with psycopg.connect(dsn) as conn:
        conn.execute("""DROP TABLE IF EXISTS es_bench.report_cases;
            CREATE TABLE es_bench.report_cases (application_id uuid PRIMARY KEY,
              agency text NOT NULL, applicant_type text NOT NULL, received_on date,
              concluded_on date, outcome text)""")
        with conn.cursor().copy("COPY es_bench.report_cases FROM STDIN") as copy:
            for row in rows.values():
                copy.write_row(row)
    rebuild_rate = read / (time.perf_counter() - started)
    app.close()
    return append_rate, rebuild_rate


# --- gongkai ------------------------------------------------------------------------------


async def gongkai_side(database_url: str, cases: int, per_case: int,
                       ) -> tuple[float, float, float]:
    from sqlalchemy import text

    from services.reporting.adapters import store
    from services.reporting.domain.projection import WorkingSet, apply
    from services.reporting.service_layer.replay import rebuild
    from shared import eventstore
    from shared.contracts import CASES_TOPIC
    from shared.contracts.applications import ApplicantType, Channel
    from shared.contracts.cases import CaseConcluded, CaseOpened, CaseReceived, DueDateSet
    from shared.events import Envelope, new_event

    await migrate("casework", database_url)
    await migrate("reporting", database_url)
    engine = make_engine(database_url, "casework")
    ids = [uuid.uuid4() for _ in range(cases)]
    started = time.perf_counter()
    for c, s in plan(cases, per_case):
        app_id = ids[c]
        received = START + timedelta(days=c % 300)
        kind = step_kind(s, per_case)
        if kind == "opened":
            fact = CaseOpened(application_id=app_id, case_number=f"A-{c}", channel=Channel.online,
                              applicant_type=ApplicantType(TYPES[c % 3]), applicant_name="某某",
                              submitted_at=AT, request_summary="某信息")
        elif kind == "received":
            fact = CaseReceived(application_id=app_id, received_on=received)
        elif kind == "due":
            fact = DueDateSet(application_id=app_id, due_on=received + timedelta(days=28 + s))
        else:
            fact = CaseConcluded(application_id=app_id, on=received + timedelta(days=20),
                                 outcome=OUTCOMES[c % 4], legal_basis="第三十六条")
        envelope = new_event(fact, stream_id=str(app_id), stream_position=s + 1,
                             agency=f"agency-{c % 12}", occurred_at=AT, actor="system",
                             correlation_id=app_id, source="casework")
        async with engine.begin() as conn:  # one transaction per command
            await eventstore.append(conn, [envelope], CASES_TOPIC)
    total = cases * per_case
    append_rate = total / (time.perf_counter() - started)

    # The Kafka hop, untimed: reporting's inbox gets the events as its consumer stores them.
    async with engine.begin() as conn:
        await conn.execute(text(
            """INSERT INTO reporting.inbox (event_id, topic, envelope)
               SELECT event_id, topic, jsonb_build_object(
                 'event_id', event_id, 'type', type, 'version', version,
                 'stream_id', stream_id, 'stream_position', stream_position, 'agency', agency,
                 'occurred_at', occurred_at, 'actor', actor, 'correlation_id', correlation_id,
                 'causation_id', causation_id, 'source', 'casework', 'position', position,
                 'payload', payload)
               FROM casework.events ORDER BY position"""))
    reporting = make_engine(database_url, "reporting")
    async with reporting.connect():  # the library rebuilds through the connection it appended
        pass                         # with: ours is opened (and the dialect set up) untimed too
    result = await rebuild(reporting, compare=False)
    replay_rate = total / result.seconds

    # The library's counterpart: read the event store itself, fold, COPY.
    started = time.perf_counter()
    ws = WorkingSet()
    async with engine.connect() as conn:
        rows = await conn.stream(text(
            f"SELECT {eventstore.envelope_json(repr('casework'))} FROM events AS e "
            "ORDER BY e.position"), execution_options={"yield_per": 10_000})
        async for (raw,) in rows:
            apply(ws, Envelope.model_validate_json(raw))
    async with reporting.begin() as conn:
        await store.create_version(conn, 99)
        await store.bulk_save(conn, ws, 99)
        await store.index_version(conn, 99)
    fold_rate = total / (time.perf_counter() - started)
    async with reporting.begin() as conn:
        await conn.execute(text('DROP SCHEMA "reporting_v99" CASCADE'))
    await reporting.dispose()
    await engine.dispose()
    return append_rate, replay_rate, fold_rate


async def agree(database_url: str) -> str:
    """Both rebuilt projections hold the same figures (ids differ: each side made its own)."""
    import asyncpg

    conn = await asyncpg.connect(plain_url(database_url))
    try:
        version = await conn.fetchval("SELECT version FROM reporting.projection_state")
        query = """SELECT agency, applicant_type, received_on, concluded_on, outcome, count(*)
                   FROM {} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""
        ours = await conn.fetch(query.format(f"reporting_v{version}.cases"))
        theirs = await conn.fetch(query.format("es_bench.report_cases"))
        rows = sum(r["count"] for r in ours)
        return (f"yes ({rows:,} cases, {len(ours):,} distinct rows)" if ours == theirs
                else f"NO ({len(ours)} vs {len(theirs)} groups)")
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--events", type=int, default=4, help="events per case (>= 3)")
    args = parser.parse_args()
    per_case = max(3, args.events)
    total = args.cases * per_case
    print(f"machine: {machine()}")
    home = Path(tempfile.mkdtemp(prefix="gongkai-bench-peer-"))
    pg = Postgres(home / "pgdata", delete_on_stop=True)
    try:
        import eventsourcing

        version = getattr(eventsourcing, "__version__", None)
        if version is None:
            from importlib.metadata import version as dist_version

            version = dist_version("eventsourcing")
        print(f"PostgreSQL {server_version(pg.url)}; eventsourcing {version}; "
              f"{args.cases:,} cases x {per_case} events = {total:,} events, one writer, "
              f"one transaction per event")
        os.environ.setdefault("PGAPPNAME", "bench.peer")
        with CpuMeter(postgres=pg) as es_cpu:
            es_append, es_rebuild = eventsourcing_side(pg.url, args.cases, per_case)
        with CpuMeter(postgres=pg) as gk_cpu:
            gk_append, gk_replay, gk_fold = asyncio.run(
                gongkai_side(pg.url, args.cases, per_case))
        print(f"append  eventsourcing (PostgreSQL recorder):  {es_append:8,.0f} events/s")
        print(f"append  gongkai (eventstore.append + outbox): {gk_append:8,.0f} events/s "
              f"= {gk_append / es_append:.2f}x eventsourcing")
        print(f"rebuild eventsourcing (log -> fold -> COPY):  {es_rebuild:8,.0f} events/s")
        print(f"rebuild gongkai replay.rebuild (inbox):       {gk_replay:8,.0f} events/s "
              f"= {gk_replay / es_rebuild:.2f}x eventsourcing")
        print(f"rebuild gongkai fold of its event store:      {gk_fold:8,.0f} events/s "
              f"= {gk_fold / es_rebuild:.2f}x eventsourcing")
        print(f"(rebuild rates count every event in the store: {total:,}; the replay reads only "
              f"the report-relevant ones, {total - args.cases * (per_case - 3):,})")
        print(f"projections agree: {asyncio.run(agree(pg.url))}")
        print("CPU, eventsourcing phase:")
        print(es_cpu.report())
        print("CPU, gongkai phase:")
        print(gk_cpu.report())
    finally:
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
