"""Pipeline benchmark: end-to-end lag from intake's commit to (a) the case projected by
casework (`casework.cases`) and (b) the report counting it (reporting's live
`reporting_v<N>.cases` row with `received_on`), at a steady, open-loop 200 applications/s
for 60 s, on the whole stack (four service processes, embedded PostgreSQL and broker).

Method. All three services write to one PostgreSQL server, so its clock is common to every
timestamp. The server runs with `track_commit_timestamp = on`, and each row's `xmin` gives
the commit time of the transaction that last wrote it:
  - intake's commit:     commit time of the `ApplicationSubmitted` row in `intake.events`;
  - (a) case projected:  commit time of the application's `casework.cases` row (its last write;
                         nothing else touches it during the run: no staff, sweep finds nothing);
  - (b) report counts:   commit time of the live `reporting_v<N>.cases` row (written by
                         CaseOpened, then CaseReceived, which sets `received_on`).
That is the moment each change became visible to readers, with no polling error and no load
from pollers. The lag is also given from the client's 201 response (the client's wall clock
is the server's: same machine), and split into hops with the inboxes' `received_at` (the
start of the consuming transaction): relay + broker + fetch, then the handler's transaction.
Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.pipeline [--rate 200] [--seconds 60]`
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import datetime

import asyncpg
import httpx

from bench._common import CpuMeter, application, machine, percentile, running_stack
from shared.db import plain_url

TARGET_P50_MS = 50
TARGET_P99_MS = 250


async def submit_steadily(url: str, rate: float, seconds: float, max_in_flight: int = 256,
                          ) -> tuple[dict[str, float], list[float], int, float]:
    """Open loop: request i is sent at start + i/rate whatever happened to earlier ones (up to
    `max_in_flight` outstanding). Returns ({application_id: wall time of the 201}, latencies,
    failures, achieved rate)."""
    accepted: dict[str, float] = {}
    latencies: list[float] = []
    failed = 0
    in_flight = asyncio.Semaphore(max_in_flight)
    limits = httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def one(n: int) -> None:
            nonlocal failed
            try:
                t0 = time.perf_counter()
                response = await client.post(
                    "/v1/applications", json=application(n),
                    headers={"Idempotency-Key": str(uuid.uuid4())})
                if response.status_code == 201:
                    accepted[response.json()["application_id"]] = time.time()
                    latencies.append(time.perf_counter() - t0)
                else:
                    failed += 1
            finally:
                in_flight.release()

        tasks = []
        total = int(rate * seconds)
        started = time.perf_counter()
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await in_flight.acquire()
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return accepted, latencies, failed, total / elapsed


async def wait_for_reporting(dsn: str, ids: list[str], limit: float) -> tuple[int, float]:
    """Poll (every 0.5 s) until reporting counts every id; returns (counted, seconds waited)."""
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        while True:
            version = await conn.fetchval("SELECT version FROM reporting.projection_state")
            counted = await conn.fetchval(
                f"SELECT count(*) FROM reporting_v{version}.cases "
                "WHERE application_id = ANY($1::uuid[]) AND received_on IS NOT NULL", ids)
            waited = time.perf_counter() - started
            if counted >= len(ids) or waited > limit:
                return counted, waited
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def timestamps(dsn: str, ids: list[str]) -> dict[str, dict[str, datetime]]:
    conn = await asyncpg.connect(dsn)
    try:
        version = await conn.fetchval("SELECT version FROM reporting.projection_state")
        queries = {
            "intake_commit": """SELECT stream_id, pg_xact_commit_timestamp(xmin) FROM intake.events
                WHERE type = 'ApplicationSubmitted' AND stream_id = ANY($1)""",
            "casework_start": """SELECT envelope->>'stream_id', min(received_at)
                FROM casework.inbox WHERE topic = 'gongkai.applications'
                  AND envelope->>'stream_id' = ANY($1) GROUP BY 1""",
            "casework_commit": """SELECT application_id::text, pg_xact_commit_timestamp(xmin)
                FROM casework.cases WHERE application_id = ANY($1::uuid[])
                  AND received_on IS NOT NULL""",
            "reporting_start": """SELECT envelope->>'stream_id', received_at FROM reporting.inbox
                WHERE envelope->>'type' = 'CaseReceived' AND envelope->>'stream_id' = ANY($1)""",
            "reporting_commit": f"""SELECT application_id::text, pg_xact_commit_timestamp(xmin)
                FROM reporting_v{version}.cases WHERE application_id = ANY($1::uuid[])
                  AND received_on IS NOT NULL""",
        }
        found: dict[str, dict[str, datetime]] = {}
        for name, query in queries.items():
            found[name] = {k: v for k, v in await conn.fetch(query, ids) if v is not None}
        return found
    finally:
        await conn.close()


def lags(start: dict[str, float], end: dict[str, float]) -> list[float]:
    """end - start in ms for every id present in both."""
    return [(end[k] - start[k]) * 1e3 for k in start.keys() & end.keys()]


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<44} (no data)"
    return (f"  {label:<44} p50 {percentile(values, 50):7.1f} ms   p99 "
            f"{percentile(values, 99):7.1f} ms   max {max(values):7.1f} ms   (n={len(values):,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="applications/s (200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (60)")
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with running_stack(commit_timestamps=True) as stack:
        dsn = plain_url(stack.database_url)
        url = stack.url("intake")
        # Warm-up: the consumer groups' first assignment takes ~5 s on the embedded broker.
        warm, _, _, _ = asyncio.run(submit_steadily(url, 20, 1))
        counted, waited = asyncio.run(wait_for_reporting(dsn, list(warm), 90))
        print(f"warm-up: {counted}/{len(warm)} applications reached the report in {waited:.1f} s")

        with CpuMeter(stack) as cpu:
            accepted, latencies, failed, achieved = asyncio.run(
                submit_steadily(url, args.rate, args.seconds))
        ids = list(accepted)
        print(f"submitted at {achieved:,.1f}/s for {args.seconds:.0f} s: {len(ids):,} accepted, "
              f"{failed} failed; 201 latency p50 {percentile(latencies, 50) * 1e3:.1f} ms, "
              f"p99 {percentile(latencies, 99) * 1e3:.1f} ms")
        print(cpu.report())
        counted, waited = asyncio.run(wait_for_reporting(dsn, ids, args.drain_timeout))
        print(f"after the last submission: {counted:,}/{len(ids):,} counted by reporting "
              f"{waited:.1f} s later")

        ts = asyncio.run(timestamps(dsn, ids))
        at = {name: {k: v.timestamp() for k, v in rows.items()} for name, rows in ts.items()}
        a = lags(at["intake_commit"], at["casework_commit"])
        b = lags(at["intake_commit"], at["reporting_commit"])
        print("lag from intake's commit (PostgreSQL commit timestamps):")
        print(line("(a) case projected by casework", a))
        print(line("(b) counted in the report", b))
        print("lag from the client's 201 response:")
        print(line("(a) case projected by casework", lags(accepted, at["casework_commit"])))
        print(line("(b) counted in the report", lags(accepted, at["reporting_commit"])))
        print("hops:")
        print(line("intake commit -> casework picks it up", lags(at["intake_commit"],
                                                                 at["casework_start"])))
        print(line("casework transaction (start -> commit)", lags(at["casework_start"],
                                                                  at["casework_commit"])))
        print(line("casework commit -> reporting picks it up", lags(at["casework_commit"],
                                                                    at["reporting_start"])))
        print(line("reporting transaction (start -> commit)", lags(at["reporting_start"],
                                                                   at["reporting_commit"])))
        print(f"summary (targets: p50 < {TARGET_P50_MS} ms, p99 < {TARGET_P99_MS} ms) at "
              f"{achieved:,.0f} applications/s:")
        for label, values in (("(a) casework", a), ("(b) reporting", b)):
            if values:
                p50, p99 = percentile(values, 50), percentile(values, 99)
                print(f"  {label}: p50 {p50:.0f} ms ({p50 / TARGET_P50_MS:.1f}x the target), "
                      f"p99 {p99:.0f} ms ({p99 / TARGET_P99_MS:.1f}x the target)")


if __name__ == "__main__":
    main()
