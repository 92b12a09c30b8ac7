"""Replay benchmark: `gongkai replay reporting` over N events (default 1,000,000) on the
embedded PostgreSQL, next to a raw cursor scan of the same inbox. Prints figures; asserts
nothing.  Run: `make bench` or `.venv/bin/python -m bench.replay [N]`."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from gongkai.embedded import Postgres
from services.reporting.service_layer.replay import rebuild
from shared.db import make_engine, migrate, plain_url


def envelopes(cases: int):
    """Four events per case, as casework publishes them: opened, received, due date, concluded."""
    types = ["natural_person", "commercial_enterprise", "legal_service_org"]
    outcomes = ["disclosed", "partially_disclosed", "unable.not_held", "withheld.process_info"]
    start = date(2024, 1, 2)
    at = datetime(2025, 1, 1, tzinfo=UTC).isoformat()
    for n in range(cases):
        app = str(uuid.uuid4())
        received = start + timedelta(days=n % 700)
        concluded = received + timedelta(days=20)
        base = {"stream_id": app, "agency": f"agency-{n % 12}", "occurred_at": at,
                "actor": "system", "correlation_id": app, "causation_id": None,
                "source": "casework", "position": None}
        payloads = [
            ("CaseOpened", {"application_id": app, "case_number": f"A-{n}", "channel": "online",
                            "applicant_type": types[n % 3], "applicant_name": "某某",
                            "submitted_at": at, "request_summary": "某信息"}),
            ("CaseReceived", {"application_id": app, "received_on": received.isoformat()}),
            ("DueDateSet", {"application_id": app, "due_on": concluded.isoformat()}),
            ("CaseConcluded", {"application_id": app, "on": concluded.isoformat(),
                               "outcome": outcomes[n % 4], "legal_basis": "第三十六条"}),
        ]
        for i, (kind, payload) in enumerate(payloads, start=1):
            yield {**base, "event_id": str(uuid.uuid4()), "type": kind, "version": 1,
                   "stream_position": i, "payload": payload}


async def main(events: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    pg = Postgres(home / "pgdata", delete_on_stop=True)
    try:
        await migrate("reporting", pg.url)
        import asyncpg

        conn = await asyncpg.connect(plain_url(pg.url))
        await conn.execute("SET search_path TO reporting")
        started = time.perf_counter()
        records = ((uuid.UUID(e["event_id"]), "gongkai.cases", json.dumps(e, ensure_ascii=False))
                   for e in envelopes(events // 4))
        await conn.copy_records_to_table("inbox", records=records,
                                         columns=["event_id", "topic", "envelope"])
        print(f"loaded {events:,} events into the inbox in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        rows = 0
        async with conn.transaction():
            async for _ in conn.cursor("SELECT seq, envelope::text FROM inbox", prefetch=20_000):
                rows += 1
        raw = rows / (time.perf_counter() - started)
        await conn.close()

        engine = make_engine(pg.url, "reporting")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result = await rebuild(engine, compare=False)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        await engine.dispose()
        print(f"raw cursor scan:   {raw:,.0f} rows/s ({rows:,} rows)")
        print(f"replay reporting:  {result.rate:,.0f} events/s ({result.events:,} relevant of "
              f"{events:,} events, {result.seconds:.1f} s); ratio to raw scan "
              f"{result.rate / raw:.0%}")
        print(f"peak memory (RSS): {peak:,.0f} MB (before the replay {before:,.0f} MB)")
    finally:
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
