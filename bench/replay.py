"""Replay benchmark: `gongkai replay reporting` over N events (default 1,000,000) on the
embedded PostgreSQL, next to a raw cursor scan of the same inbox. Prints figures; asserts
nothing.  Run: `make bench` or `.venv/bin/python -m bench.replay [N] [--one-event]`.

By default each case is four events, as casework published them before issue 18 (opened,
received, due date, concluded), so that the figures compare with earlier runs; `--one-event`
stores cases as casework publishes them now: the opening received and due at once (one
CaseOpened), then the conclusion. Both print cases/s besides events/s."""

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


def envelopes(cases: int, one_event: bool = False):
    """Four events per case (opened, received, due date, concluded), or with `one_event` two:
    the opening received and due at once, and the conclusion."""
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
        opened = {"application_id": app, "case_number": f"A-{n}", "channel": "online",
                  "applicant_type": types[n % 3], "applicant_name": "某某",
                  "submitted_at": at, "request_summary": "某信息"}
        basis = {"rule": "reply_period", "counted_from": received.isoformat(),
                 "working_days": 20, "provisional": False, "calendar": "official 2004-2026"}
        if one_event:
            first = [("CaseOpened", 3, {**opened, "received_on": received.isoformat(),
                                        "due_on": concluded.isoformat(), "basis": basis})]
        else:
            first = [("CaseOpened", 1, opened),
                     ("CaseReceived", 1, {"application_id": app,
                                          "received_on": received.isoformat()}),
                     # As in the figures of earlier runs: no basis (the new shape carries one).
                     ("DueDateSet", 1, {"application_id": app, "due_on": concluded.isoformat()})]
        payloads = [*first, ("CaseConcluded", 1, {
            "application_id": app, "on": concluded.isoformat(), "outcome": outcomes[n % 4],
            "legal_basis": "第三十六条"})]
        for i, (kind, version, payload) in enumerate(payloads, start=1):
            yield {**base, "event_id": str(uuid.uuid4()), "type": kind, "version": version,
                   "stream_position": i, "payload": payload}


async def main(events: int, one_event: bool = False) -> None:
    home = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    pg = Postgres(home / "pgdata", delete_on_stop=True)
    try:
        await migrate("reporting", pg.url)
        import asyncpg

        conn = await asyncpg.connect(plain_url(pg.url))
        await conn.execute("SET search_path TO reporting")
        cases = events // (2 if one_event else 4)
        started = time.perf_counter()
        records = ((uuid.UUID(e["event_id"]), "gongkai.cases", json.dumps(e, ensure_ascii=False))
                   for e in envelopes(cases, one_event))
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
        print(f"                   {cases / result.seconds:,.0f} cases/s ({cases:,} cases, "
              + ("one event opens and receives each)" if one_event else
                 "opened, received and due in three events)"))
        print(f"peak memory (RSS): {peak:,.0f} MB (before the replay {before:,.0f} MB)")
    finally:
        pg.stop()


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(numbers[0]) if numbers else 1_000_000, "--one-event" in sys.argv))
