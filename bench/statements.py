"""Statements per application: what the whole stack says to PostgreSQL for one online
application, from submission to the acknowledgement SMS sent, counted by `pg_stat_statements`
(utility statements too: BEGIN, COMMIT, the pool's pre-ping). Every round trip costs a context
switch on both sides, which on 2 cores is most of the pipeline's CPU (bench/RESULTS.md §2), so
this is the inventory to read before cutting. Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.statements [--applications 2000] [--rate 100]`
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from bench._common import machine, running_stack
from bench.pipeline import submit_steadily, wait_for_reporting, wait_for_sms
from shared.db import plain_url


async def reset(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.execute("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def inventory(dsn: str) -> list[tuple[float, float, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """SELECT calls, total_exec_time, query FROM pg_stat_statements
               WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC""")
        return [(r["calls"], r["total_exec_time"], " ".join(r["query"].split())) for r in rows]
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="applications/s (100)")
    parser.add_argument("--top", type=int, default=40, help="statements listed (40)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with running_stack(statements=True) as stack:
        dsn = plain_url(stack.database_url)
        time.sleep(3)  # consumers settle; the idle polling is counted in the figures anyway
        asyncio.run(reset(dsn))
        started = time.perf_counter()
        accepted, _, failed, skipped = asyncio.run(submit_steadily(
            stack.url("intake"), args.rate, args.applications / args.rate))
        counted, _ = asyncio.run(wait_for_reporting(dsn, list(accepted), 60))
        sent = asyncio.run(wait_for_sms(dsn, list(accepted), 60))
        seconds = time.perf_counter() - started
        rows = asyncio.run(inventory(dsn))
    n = len(accepted)
    print(f"{n:,} applications accepted ({failed} failed, {skipped} not sent); "
          f"{counted:,} in the report, {sent:,} SMS sent, in {seconds:.1f} s")
    calls = sum(r[0] for r in rows)
    exec_ms = sum(r[1] for r in rows)
    print(f"statements: {calls:,} = {calls / n:.1f} per application "
          f"(server execution {exec_ms / n:.2f} ms per application)")
    print(f"{'per app':>8} {'exec µs':>8}  statement")
    for count, total, query in rows[:args.top]:
        print(f"{count / n:8.2f} {total / max(count, 1) * 1e3:8.1f}  {query[:150]}")


if __name__ == "__main__":
    main()
