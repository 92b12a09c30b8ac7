"""One write path each (issue 17): what each candidate costs, measured on the embedded PostgreSQL,
so the faster one is kept and the other deleted. Prints figures (the median and the spread of
alternating runs); asserts nothing.

- accepting: 1,000 applications one at a time (a lone online submission) through intake's
  functions as migration 0008 left them and as 0009 has them, and through the Python statements
  the ledger import used before 0009 (counter, `eventstore.append`, applicants); then a
  20,000-row ledger both ways.
- an event becoming a row: `eventstore.append` as one JSON statement (now) and as the earlier
  per-row `executemany`, for 1 and 3 events.
- a row becoming an envelope: in SQL (`eventstore.envelope_json`, the relay's) and in Python
  (the columns read one by one, as before), read back as `Envelope` and as message bytes.
- counting table 三 for a city's year (100,000 cases): SQL over reporting's table, Python over
  the rows fetched from it, Python over rows already in memory, SQL over rows sent as JSON.

Run: `.venv/bin/python -m bench.accept [--runs 5] [--n 1000] [--ledger 20000] [--cases 100000]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench._common import application, machine, server_version
from gongkai.embedded import Postgres
from services.intake.adapters import repository
from services.intake.domain.application import (
    SubmissionForm,
    case_number_prefix,
    identity,
    submit_online,
)
from shared import eventstore
from shared.clock import SHANGHAI
from shared.contracts.agencies import AgencyConfigured, Office
from shared.db import make_engine, make_pool, migrate, standard_ddl
from shared.events import Envelope, new_event

AGENCY = AgencyConfigured(
    agency_id="bench-mzj", name="基准测试市民政局", case_prefix="BENCH", disclosure_body="办公室",
    address="测试地址", phone="0635-0000000", reconsideration_organ=Office(name="测试市人民政府"),
    court=Office(name="测试区人民法院"))
NOW = datetime(2025, 9, 22, 10, 0, tzinfo=SHANGHAI)


def facts(n: int) -> tuple[list[Envelope], dict[str, Any]]:
    """One online application's events (placeholder number) and its identity."""
    form = SubmissionForm.model_validate(application(n, AGENCY.agency_id))
    application_id = uuid.uuid4()
    made = submit_online(form, AGENCY, application_id=application_id, number="", now=NOW,
                         keys=["t1:bench"])
    correlation = uuid.uuid4()
    events = [new_event(f, stream_id=str(application_id), stream_position=i + 1,
                        agency=AGENCY.agency_id, occurred_at=NOW, actor="bench",
                        correlation_id=correlation, source="intake")
              for i, f in enumerate(made)]
    return events, {"application_id": str(application_id), **identity(form)}


# --- what the ledger import and eventstore.append did before migration 0009 ------------------

_OLD_RESERVE = text(
    """INSERT INTO case_counters (agency_id, year, last) VALUES (:a, :y, :n)
       ON CONFLICT (agency_id, year) DO UPDATE SET last = case_counters.last + :n
       RETURNING last""")
_OLD_APPEND = text(
    """WITH e AS (
         INSERT INTO events (event_id, stream_id, stream_position, type, version, agency,
                             occurred_at, actor, correlation_id, causation_id, topic, payload)
         VALUES (:event_id, :stream_id, :stream_position, :type, :version, :agency,
                 :occurred_at, :actor, :correlation_id, :causation_id, :topic,
                 CAST(:payload AS jsonb))
         RETURNING position, topic),
       o AS (INSERT INTO outbox (position, topic)
             SELECT position, topic FROM e WHERE topic IS NOT NULL)
       SELECT pg_notify(:channel, current_schema()) WHERE CAST(:topic AS text) IS NOT NULL""")
_OLD_APPLICANTS = text(
    """INSERT INTO applicants (application_id, agency, id_number, credit_code, phone)
       SELECT r.application_id, :a, r.id_number, r.credit_code, r.phone
       FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
           application_id uuid, id_number text, credit_code text, phone text)""")


def _old_row(event: Envelope, topic: str | None) -> dict[str, Any]:
    return {"event_id": event.event_id, "stream_id": event.stream_id,
            "stream_position": event.stream_position, "type": event.type,
            "version": event.version, "agency": event.agency, "occurred_at": event.occurred_at,
            "actor": event.actor, "correlation_id": event.correlation_id,
            "causation_id": event.causation_id, "topic": topic,
            "payload": json.dumps(event.payload, ensure_ascii=False),
            "channel": eventstore.OUTBOX_CHANNEL}


async def old_python_store(conn, events: list[Envelope], identities: list[dict],
                           years: dict[int, int]) -> None:
    for year, n in years.items():
        last = (await conn.execute(_OLD_RESERVE, {"a": AGENCY.agency_id, "y": year, "n": n}
                                   )).scalar_one()
        [f"{case_number_prefix(AGENCY, year)}{s:05d}" for s in range(last - n + 1, last + 1)]
    await conn.execute(_OLD_APPEND, [_old_row(e, "gongkai.applications") for e in events])
    await conn.execute(_OLD_APPLICANTS, {"a": AGENCY.agency_id,
                                         "rows": json.dumps(identities, ensure_ascii=False)})


async def new_store(conn, events: list[Envelope], identities: list[dict],
                    years: dict[int, int]) -> None:
    for year, n in years.items():
        await repository.reserve_case_numbers(conn, AGENCY, year, n)
    await repository.store_applications(conn, AGENCY.agency_id, "gongkai.applications", events,
                                        identities)


# --- measuring ----------------------------------------------------------------------------


async def timed(run: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """Wall time, and CPU time of this process (the database server's is not in it)."""
    start, cpu = time.perf_counter(), time.process_time()
    await run()
    return time.perf_counter() - start, time.process_time() - cpu


def report(label: str, seconds: list[tuple[float, float]], per: int, unit: str) -> None:
    wall = sorted(w / per * 1e6 for w, _ in seconds)
    cpu = statistics.median(c / per * 1e6 for _, c in seconds)
    print(f"  {label:<60} {statistics.median(wall):9.1f} us/{unit} "
          f"(min {wall[0]:.1f}, max {wall[-1]:.1f}; {len(wall)} runs), CPU here {cpu:.1f}")


Run = Callable[[], Awaitable[Any]]


async def alternate(runs: int, candidates: dict[str, Callable[[], Run]], per: int,
                    unit: str) -> None:
    """Each candidate makes its run (fresh data, untimed), then the run is timed."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    for _ in range(runs):
        for name, make in candidates.items():
            times[name].append(await timed(make()))
    for name, seconds in times.items():
        report(name, seconds, per, unit)


async def schema_at(url: str, name: str, revision: str) -> str:
    await migrate("intake", url, name, revision=revision)
    engine = make_engine(url, name, pool_size=1)
    async with engine.begin() as conn:
        await repository.put_agency(conn, AGENCY, 1)
    await engine.dispose()
    return name


async def accepting(url: str, runs: int, n: int, ledger: int) -> None:
    print(f"accepting {n:,} applications one at a time (one transaction each)")
    old = await schema_at(url, "bench_0008", "0008")
    new = await schema_at(url, "bench_0009", "head")
    pools = {s: await make_pool(url, s, size=2) for s in (old, new)}
    engines = {s: make_engine(url, s, pool_size=2) for s in (old, new)}
    def via_function(schema: str) -> Callable[[], Run]:
        def make() -> Run:
            prepared = [facts(i) for i in range(n)]
            return lambda: run(prepared)

        async def run(prepared) -> None:
            for events, who in prepared:
                item = repository.Submission(
                    agency_id=AGENCY.agency_id, agency_version=1, year=2025,
                    number_prefix=case_number_prefix(AGENCY, 2025), idempotency_key=None,
                    request_hash="h", topic="gongkai.applications", events=events,
                    response={}, identity=who).item()
                await pools[schema].fetch("SELECT * FROM accept_applications($1::jsonb)",
                                          json.dumps([item], ensure_ascii=False))
        return make

    def via_python(schema: str, store) -> Callable[[], Run]:
        def make() -> Run:
            prepared = [facts(i) for i in range(n)]
            return lambda: run(prepared)

        async def run(prepared) -> None:
            for events, who in prepared:
                async with engines[schema].begin() as conn:
                    await store(conn, events, [who], {2025: 1})
        return make

    await alternate(runs, {
        "accept_applications, migration 0008 (asyncpg)": via_function(old),
        "accept_applications, migration 0009 (asyncpg)": via_function(new),
        "Python: counter + eventstore.append + applicants (before)": via_python(
            old, old_python_store),
        "SQLAlchemy: reserve_case_numbers + store_applications (0009)": via_python(
            new, new_store),
    }, n, "application")

    print(f"a ledger of {ledger:,} rows in one transaction (numbers for 3 years)")
    years = {2019: ledger // 3, 2020: ledger // 3, 2021: ledger - 2 * (ledger // 3)}

    def bulk(schema: str, store) -> Callable[[], Run]:
        def make() -> Run:
            rows = [facts(i) for i in range(ledger)]
            return lambda: run([e for evs, _ in rows for e in evs], [who for _, who in rows])

        async def run(events, identities) -> None:
            async with engines[schema].begin() as conn:
                await store(conn, events, identities, years)
        return make

    await alternate(runs, {
        "Python: counter + eventstore.append + applicants (before)": bulk(old, old_python_store),
        "reserve_case_numbers + store_applications (0009)": bulk(new, new_store),
    }, ledger, "row")
    for s in (old, new):
        await pools[s].close()
        await engines[s].dispose()


async def appending(url: str, runs: int, n: int) -> None:
    print(f"eventstore.append, {n:,} transactions (SQLAlchemy, as casework appends)")
    engine = make_engine(url, "bench_store", pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text('CREATE SCHEMA IF NOT EXISTS "bench_store"'))
        await conn.execute(text('SET LOCAL search_path TO "bench_store"'))
        for statement in standard_ddl():
            await conn.execute(text(statement))
    for size in (1, 3, 20):
        batches = [[e for _ in range(size) for e in facts(i)[0][:1]] for i in range(n)]
        batches = [[e.model_copy(update={"event_id": uuid.uuid4(), "stream_position": p + 1})
                    for p, e in enumerate(b)] for b in batches]

        def fresh(batches=batches) -> list[list[Envelope]]:
            copies = []
            for b in batches:
                stream = str(uuid.uuid4())
                copies.append([e.model_copy(update={"event_id": uuid.uuid4(),
                                                    "stream_id": stream}) for e in b])
            return copies

        def old() -> Run:
            async def run(copies=fresh()) -> None:
                for b in copies:
                    async with engine.begin() as conn:
                        await conn.execute(_OLD_APPEND, [_old_row(e, "t") for e in b])
            return run

        def new() -> Run:
            async def run(copies=fresh()) -> None:
                for b in copies:
                    async with engine.begin() as conn:
                        await eventstore.append(conn, b, "t")
            return run

        await alternate(runs, {
            f"{size} event(s): executemany, one row each (before)": old,
            f"{size} event(s): one statement, the rows as JSON (now)": new,
        }, n, "append")
    await engine.dispose()


def python_envelope(row: Any, source: str) -> Envelope:
    """A stored row as an envelope built in Python (what every reader did before
    `eventstore.envelope_json`; kept here only as the alternative measured)."""
    return Envelope(
        event_id=row.event_id, type=row.type, version=row.version, stream_id=row.stream_id,
        stream_position=row.stream_position, agency=row.agency, occurred_at=row.occurred_at,
        actor=row.actor, correlation_id=row.correlation_id, causation_id=row.causation_id,
        source=source, position=row.position,
        payload=row.payload if isinstance(row.payload, dict) else json.loads(row.payload))


_ENVELOPE_SQL = (f"SELECT {eventstore.envelope_json(repr('bench'))} AS envelope "
                 "FROM events e ORDER BY e.position")


async def reading(url: str, runs: int) -> None:
    engine = make_engine(url, "bench_store", pool_size=1)
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM events"))).scalar_one()
    print(f"a row becoming an envelope: {count:,} stored events read in one query")

    async def python_envelopes() -> None:
        async with engine.connect() as conn:
            for r in await conn.execute(text("SELECT * FROM events ORDER BY position")):
                python_envelope(r, "bench")

    async def sql_envelope() -> None:
        async with engine.connect() as conn:
            for (raw,) in await conn.execute(text(_ENVELOPE_SQL)):
                Envelope.model_validate_json(raw)

    async def python_message() -> None:
        async with engine.connect() as conn:
            for r in await conn.execute(text("SELECT * FROM events ORDER BY position")):
                python_envelope(r, "bench").to_json()

    async def sql_message() -> None:
        async with engine.connect() as conn:
            for (raw,) in await conn.execute(text(_ENVELOPE_SQL)):
                raw.encode()

    await alternate(runs, {
        "Envelope: built from the row in Python": lambda: python_envelopes,
        "Envelope: json_build_object, model_validate_json": lambda: sql_envelope,
        "message bytes: built in Python, .to_json()": lambda: python_message,
        "message bytes: json_build_object (the relay's)": lambda: sql_message,
    }, count, "event")
    await engine.dispose()


# Table 三 counted as before issue 17: in Python (shared/report_rules.py `year_cells`, now
# deleted) and in reporting's own SQL (`_CELLS`, now `report_rules.cells_sql`).
def python_year_cells(cases: Any, year: int) -> dict[str, dict[str, int]]:
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cases:
        if c.received_on is None or c.received_on > dec31:
            continue
        concluded = c.concluded_on
        if c.received_on >= jan1:
            cells["new"][c.applicant_type] += 1
        elif concluded is None or concluded >= jan1:
            cells["carried_over"][c.applicant_type] += 1
        if concluded is not None and jan1 <= concluded <= dec31:
            cells[c.outcome][c.applicant_type] += 1
        if concluded is None or concluded > dec31:
            cells["carried_forward"][c.applicant_type] += 1
    return {row: dict(columns) for row, columns in cells.items()}


_FOUR_SCANS = text(
    """SELECT 'new' AS row, applicant_type, count(*) AS n FROM cases
         WHERE agency = ANY(:agencies) AND received_on BETWEEN :jan1 AND :dec31
         GROUP BY applicant_type
       UNION ALL
       SELECT 'carried_over', applicant_type, count(*) FROM cases
         WHERE agency = ANY(:agencies) AND received_on < :jan1
           AND (concluded_on IS NULL OR concluded_on >= :jan1)
         GROUP BY applicant_type
       UNION ALL
       SELECT outcome, applicant_type, count(*) FROM cases
         WHERE agency = ANY(:agencies) AND received_on IS NOT NULL
           AND concluded_on BETWEEN :jan1 AND :dec31
         GROUP BY outcome, applicant_type
       UNION ALL
       SELECT 'carried_forward', applicant_type, count(*) FROM cases
         WHERE agency = ANY(:agencies) AND received_on <= :dec31
           AND (concluded_on IS NULL OR concluded_on > :dec31)
         GROUP BY applicant_type""")


async def counting(url: str, runs: int, cases: int) -> None:
    from services.reporting.adapters import store

    print(f"counting table 三 for one year of a city: {cases:,} cases over 3 years, 2024 counted")
    engine = make_engine(url, "bench_reporting", pool_size=1)
    rnd = random.Random(17)
    outcomes = ["granted", "partly_granted", "not_held", "refused_state_secret", "withdrawn"]
    types = ["natural_person", "business", "research", "public_interest", "legal_services"]
    made = []
    for _ in range(cases):
        received = date(2023, 1, 1) + timedelta(days=rnd.randrange(3 * 365))
        concluded = None if rnd.random() < 0.1 else received + timedelta(days=rnd.randrange(40))
        made.append((uuid.uuid4(), "bench-mzj", rnd.choice(types), received, concluded,
                     rnd.choice(outcomes) if concluded else None, "online", None, False, False,
                     False))
    async with engine.begin() as conn:
        await store.create_version(conn, 1)
        await conn.execute(text('SET LOCAL search_path TO "reporting_v1"'))
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table("cases", records=made, schema_name="reporting_v1")
        await store.index_version(conn, 1)
        await conn.execute(text("ANALYZE reporting_v1.cases"))

    class Case:
        __slots__ = ("applicant_type", "received_on", "concluded_on", "outcome")

        def __init__(self, applicant_type, received_on, concluded_on, outcome) -> None:
            self.applicant_type, self.received_on = applicant_type, received_on
            self.concluded_on, self.outcome = concluded_on, outcome

    in_memory = [Case(m[2], m[3], m[4], m[5]) for m in made]
    as_json = json.dumps([{"applicant_type": c.applicant_type,
                           "received_on": c.received_on.isoformat(),
                           "concluded_on": c.concluded_on and c.concluded_on.isoformat(),
                           "outcome": c.outcome} for c in in_memory])
    from services.intake.adapters.ledger_checks import _LEDGER_CELLS as over_json

    async def sql_table() -> None:
        async with engine.begin() as conn:
            await conn.execute(text('SET LOCAL search_path TO "reporting_v1"'))
            await store.year_cells(conn, ["bench-mzj"], 2024)

    async def sql_four_scans() -> None:
        async with engine.begin() as conn:
            await conn.execute(text('SET LOCAL search_path TO "reporting_v1"'))
            await conn.execute(_FOUR_SCANS, {"agencies": ["bench-mzj"], "jan1": date(2024, 1, 1),
                                             "dec31": date(2024, 12, 31)})

    async def python_fetched() -> None:
        async with engine.begin() as conn:
            await conn.execute(text('SET LOCAL search_path TO "reporting_v1"'))
            rows = await conn.execute(text(
                """SELECT applicant_type, received_on, concluded_on, outcome FROM cases
                   WHERE agency = ANY(:a) AND received_on <= :d"""),
                {"a": ["bench-mzj"], "d": date(2024, 12, 31)})
            python_year_cells(list(rows), 2024)

    async def python_memory() -> None:
        python_year_cells(in_memory, 2024)

    async def sql_json() -> None:
        async with engine.connect() as conn:
            await conn.execute(over_json, {"cases": as_json, "jan1": date(2024, 1, 1),
                                           "dec31": date(2024, 12, 31)})

    async def sql_json_with_dump() -> None:
        dumped = json.dumps([{"applicant_type": c.applicant_type,
                              "received_on": c.received_on.isoformat(),
                              "concluded_on": c.concluded_on and c.concluded_on.isoformat(),
                              "outcome": c.outcome} for c in in_memory])
        async with engine.connect() as conn:
            await conn.execute(over_json, {"cases": dumped, "jan1": date(2024, 1, 1),
                                           "dec31": date(2024, 12, 31)})

    for year in (2023, 2024, 2025):
        async with engine.begin() as conn:
            await conn.execute(text('SET LOCAL search_path TO "reporting_v1"'))
            same = await store.year_cells(conn, ["bench-mzj"], year) == python_year_cells(
                in_memory, year)
        print(f"  {year}: the SQL counts {'the same as' if same else 'DIFFERENTLY from'} "
              f"the Python it replaced")
    await alternate(runs, {
        "SQL over reporting's table (report_rules.cells_sql, now)": lambda: sql_table,
        "SQL over reporting's table (reporting's own _CELLS, before)": lambda: sql_four_scans,
        "Python over the rows fetched from that table": lambda: python_fetched,
        "Python over rows in memory (intake's ledger check)": lambda: python_memory,
        "SQL over rows in memory sent as JSON (dumped already)": lambda: sql_json,
        "SQL over rows in memory sent as JSON (dump included)": lambda: sql_json_with_dump,
    }, 1, "year")
    await engine.dispose()


async def measure(url: str, args: argparse.Namespace) -> None:
    if "accept" in args.only:
        await accepting(url, args.runs, args.n, args.ledger)
    if "append" in args.only or "read" in args.only:
        await appending(url, args.runs, args.n)
    if "read" in args.only:
        await reading(url, args.runs)
    if "count" in args.only:
        await counting(url, args.runs, args.cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--ledger", type=int, default=20000)
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--only", nargs="+", default=["accept", "append", "read", "count"],
                        choices=["accept", "append", "read", "count"])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    home = Path(tempfile.mkdtemp(prefix="gongkai-bench-accept-"))
    pg = Postgres(home / "pgdata", delete_on_stop=True)
    try:
        print(f"PostgreSQL {server_version(pg.url)}; alternating runs, one connection")
        asyncio.run(measure(pg.url, args))
    finally:
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
