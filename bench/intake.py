"""Intake benchmark: accepted applications/s over HTTP POST /v1/applications (event store +
outbox + NOTIFY in the request's transaction, the relay publishing behind it, and casework,
reporting and notify consuming the flow as they do in production) at concurrency 1 and 16,
with p50/p99 latency; next to raw asyncpg single-row committed INSERTs (one connection, eight
connections) on the same embedded PostgreSQL in the same run. Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.intake [--requests N] [--seconds S] [--no-idempotency-key]
[--intake-only] [--py-spy FILE]`
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from bench._common import (
    CpuMeter,
    application,
    machine,
    percentile,
    raw_inserts,
    running_stack,
    server_version,
)
from shared.db import plain_url

TARGET_RATE = 1_000
TARGET_SHARE = 0.25
TARGET_P99_MS = 100


async def drive(url: str, concurrency: int, requests: int, seconds: float, *,
                idempotency_key: bool, first: int) -> tuple[int, int, float, list[float]]:
    """`concurrency` workers on one keep-alive client; stop after `requests` or `seconds`.
    Returns (accepted, failed, elapsed, latencies in s)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    failed = 0
    next_n = first
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        stop = started + seconds

        async def worker() -> None:
            nonlocal next_n, failed
            while next_n < first + requests and time.perf_counter() < stop:
                n, next_n = next_n, next_n + 1
                headers = {"Idempotency-Key": str(uuid.uuid4())} if idempotency_key else {}
                t0 = time.perf_counter()
                response = await client.post("/v1/applications", json=application(n),
                                             headers=headers)
                if response.status_code == 201:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failed += 1
                    if failed <= 3:
                        print(f"    ! {response.status_code}: {response.text[:200]}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies), failed, elapsed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000,
                        help="requests per concurrency level (default 20,000)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="at most this long per concurrency level (default 20)")
    parser.add_argument("--raw-seconds", type=float, default=5.0)
    parser.add_argument("--no-idempotency-key", action="store_true",
                        help="submit without an Idempotency-Key header (2 fewer statements)")
    parser.add_argument("--intake-only", action="store_true",
                        help="start only intake (no consumers competing for the 2 cores)")
    parser.add_argument("--py-spy", metavar="FILE",
                        help="record intake with py-spy during the concurrency-16 run "
                             "(collapsed stacks written to FILE)")
    args = parser.parse_args()
    keyed = not args.no_idempotency_key
    services = ("intake",) if args.intake_only else ("intake", "casework", "reporting", "notify")
    print(f"machine: {machine()}")
    with running_stack(services=services) as stack:
        print(f"PostgreSQL {server_version(stack.database_url)}; "
              f"Idempotency-Key {'sent' if keyed else 'not sent'}")
        dsn = plain_url(stack.database_url)
        raw1 = asyncio.run(raw_inserts(dsn, 1, args.raw_seconds))
        raw8 = asyncio.run(raw_inserts(dsn, 8, args.raw_seconds))
        print(f"raw asyncpg committed single-row INSERTs: {raw1:,.0f}/s on 1 connection, "
              f"{raw8:,.0f}/s on 8 connections")
        url = stack.url("intake")
        asyncio.run(drive(url, 16, 500, 30, idempotency_key=keyed, first=10**7))  # warm-up
        n = 0
        results = {}
        for concurrency in (1, 16):
            spy = None
            if args.py_spy and concurrency == 16:
                spy = subprocess.Popen(
                    [str(Path(sys.executable).with_name("py-spy")), "record",
                     "--pid", str(stack.processes["intake"].pid),
                     "--format", "raw", "--output", args.py_spy, "--rate", "200",
                     "--nonblocking", "--duration", str(int(args.seconds))],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with CpuMeter(stack) as cpu:
                accepted, failed, elapsed, latencies = asyncio.run(drive(
                    url, concurrency, args.requests, args.seconds, idempotency_key=keyed,
                    first=n))
            if spy is not None:
                spy.wait()
            n += accepted + failed
            rate = accepted / elapsed
            p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
            results[concurrency] = (rate, p50, p99)
            print(f"concurrency {concurrency:>2}: {accepted:,} accepted ({failed} failed) in "
                  f"{elapsed:.1f} s = {rate:,.0f}/s; latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                  f"max {max(latencies) * 1e3:.0f} ms")
            print(cpu.report())
        rate16, _, p99_16 = results[16]
        print("summary (target: >= 1,000/s, >= 25% of raw 8-connection inserts, p99 < 100 ms)")
        print(f"  intake at concurrency 16: {rate16:,.0f}/s = {rate16 / raw8:.0%} of raw "
              f"8-connection inserts ({raw8:,.0f}/s), {rate16 / TARGET_RATE:.0%} of the 1,000/s "
              f"target; p99 {p99_16:.1f} ms")
        rate1, _, p99_1 = results[1]
        print(f"  intake at concurrency  1: {rate1:,.0f}/s = {rate1 / raw1:.0%} of raw "
              f"1-connection inserts ({raw1:,.0f}/s); p99 {p99_1:.1f} ms")


if __name__ == "__main__":
    main()
