"""Intake benchmark: accepted applications/s over HTTP POST /v1/applications (event store +
outbox + NOTIFY in the request's transaction, the relay publishing behind it, and casework,
reporting and notify consuming the flow as in production) at concurrency 1 and 16 with
httpx.AsyncClient (keep-alive), p50/p99 latency; next to, in the same run on the same
embedded PostgreSQL:
  - raw asyncpg single-row committed INSERTs, one connection and eight connections;
  - the floor of an HTTP intake: FastAPI + uvicorn, the same request model, one asyncpg
    INSERT per request (`bench/_floor.py`), driven by the same httpx client;
  - intake again at concurrency 16 with a minimal HTTP client (`RawHttp`), to show what the
    load generator itself costs on a 2-core machine it shares with the stack.
Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.intake [--requests N] [--seconds S] [--no-idempotency-key]
[--intake-only] [--agencies K] [--workers W] [--py-spy FILE]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psutil

from bench._common import (
    AGENCY,
    CpuMeter,
    RawHttp,
    WaitSampler,
    agency_ids,
    application,
    machine,
    percentile,
    raw_inserts,
    running_stack,
    server_version,
)
from gongkai.embedded import free_port
from shared.db import plain_url

TARGET_RATE = 1_000
TARGET_SHARE = 0.25
TARGET_P99_MS = 100
ROOT = Path(__file__).resolve().parents[1]


async def drive(url: str, concurrency: int, requests: int, seconds: float, *, keyed: bool,
                first: int, client: str = "httpx", sampler: WaitSampler | None = None,
                agencies: tuple[str, ...] = (AGENCY,)) -> tuple[int, int, float, list[float]]:
    """`concurrency` workers, each sending its next request when the previous one is answered;
    stop after `requests` or `seconds`. Returns (accepted, failed, elapsed, latencies in s)."""
    latencies: list[float] = []
    failed = 0
    next_n = first
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    host, port = url.removeprefix("http://").split(":")
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        sampling = asyncio.create_task(sampler.run()) if sampler else None
        started = time.perf_counter()
        stop = started + seconds

        async def worker() -> None:
            nonlocal next_n, failed
            raw = RawHttp(host, int(port)) if client == "raw" else None
            try:
                while next_n < first + requests and time.perf_counter() < stop:
                    n, next_n = next_n, next_n + 1
                    headers = {"Idempotency-Key": str(uuid.uuid4())} if keyed else {}
                    form = application(n, agencies[n % len(agencies)])
                    t0 = time.perf_counter()
                    if raw is not None:
                        status, body = await raw.post_json(
                            "/v1/applications", json.dumps(form).encode(), headers)
                    else:
                        response = await http.post("/v1/applications", json=form,
                                                   headers=headers)
                        status, body = response.status_code, response.content
                    if status == 201:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        failed += 1
                        if failed <= 3:
                            print(f"    ! {status}: {body[:200]!r}")
            finally:
                if raw is not None:
                    await raw.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        if sampling:
            sampling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampling
    return len(latencies), failed, elapsed, latencies


def describe(label: str, accepted: int, failed: int, elapsed: float,
             latencies: list[float]) -> tuple[float, float, float]:
    rate = accepted / elapsed
    p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    print(f"{label}: {accepted:,} accepted ({failed} failed) in {elapsed:.1f} s = {rate:,.0f}/s; "
          f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies or [0]) * 1e3:.0f} ms")
    return rate, p50, p99


@contextlib.contextmanager
def floor_app(database_url: str):
    """bench/_floor.py under uvicorn, as a process of its own like the services."""
    port = free_port()
    env = dict(os.environ, BENCH_FLOOR_DSN=plain_url(database_url))
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench._floor:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the floor app did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000,
                        help="at most this many requests per measurement (20,000)")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="at most this long per measurement (15 s)")
    parser.add_argument("--raw-seconds", type=float, default=5.0)
    parser.add_argument("--no-idempotency-key", action="store_true",
                        help="submit without an Idempotency-Key header (2 fewer statements)")
    parser.add_argument("--intake-only", action="store_true",
                        help="start only intake (no consumers competing for the cores)")
    parser.add_argument("--agencies", type=int, default=1,
                        help="spread the applications over this many agencies (1: the brief's "
                             "one agency; each agency numbers its cases under a row lock)")
    parser.add_argument("--workers", type=int, default=1,
                        help="intake worker processes (GONGKAI_INTAKE_WORKERS; 1)")
    parser.add_argument("--py-spy", metavar="FILE",
                        help="record intake with py-spy during the minimal client's "
                             "concurrency-16 run (collapsed stacks; summarise with "
                             "`python -m bench.hotspots FILE`)")
    args = parser.parse_args()
    keyed = not args.no_idempotency_key
    os.environ["GONGKAI_INTAKE_WORKERS"] = str(args.workers)
    services = ("intake",) if args.intake_only else ("intake", "casework", "reporting", "notify")
    print(f"machine: {machine()}")
    agencies = tuple(agency_ids(args.agencies))
    with running_stack(services=services, agencies=args.agencies) as stack:
        print(f"PostgreSQL {server_version(stack.database_url)}; Idempotency-Key "
              f"{'sent' if keyed else 'not sent'}; {len(agencies)} agenc"
              f"{'y' if len(agencies) == 1 else 'ies'}; {args.seconds:.0f} s or "
              f"{args.requests:,} requests per measurement")
        dsn = plain_url(stack.database_url)
        raw1 = asyncio.run(raw_inserts(dsn, 1, args.raw_seconds))
        raw8 = asyncio.run(raw_inserts(dsn, 8, args.raw_seconds))
        print(f"raw asyncpg committed single-row INSERTs: {raw1:,.0f}/s on 1 connection, "
              f"{raw8:,.0f}/s on 8 connections")

        with floor_app(stack.database_url) as (floor, floor_pid):
            asyncio.run(drive(floor, 16, 300, 10, keyed=False, first=0))  # warm-up
            floor16 = describe("floor app (FastAPI + 1 INSERT), httpx, concurrency 16",
                               *asyncio.run(drive(floor, 16, args.requests, args.seconds / 2,
                                                  keyed=False, first=0)))[0]
            floor_cpu = psutil.Process(floor_pid).cpu_times()
            result = asyncio.run(drive(floor, 16, args.requests, args.seconds / 2, keyed=False,
                                       first=0, client="raw"))
            used = psutil.Process(floor_pid).cpu_times()
            floor_raw = describe("floor app (FastAPI + 1 INSERT), minimal client, conc. 16",
                                 *result)[0]
            per_request = (sum(used[:2]) - sum(floor_cpu[:2])) / max(1, result[0])
            print(f"    floor app process: {per_request * 1e3:.1f} ms CPU per request")

        url = stack.url("intake")
        asyncio.run(drive(url, 16, 500, 30, keyed=keyed, first=10**7,
                          agencies=agencies))  # warm-up
        n = 0
        results = {}
        for concurrency, client in ((1, "httpx"), (16, "httpx"), (16, "raw")):
            spy = sampler = None
            if concurrency == 16:
                sampler = WaitSampler(dsn) if client == "httpx" else None
                if args.py_spy and client == "raw":
                    spy = subprocess.Popen(
                        [str(Path(sys.executable).with_name("py-spy")), "record",
                         "--pid", str(stack.processes["intake"].pid),
                         "--format", "raw", "--output", args.py_spy, "--rate", "200",
                         "--nonblocking", "--duration", str(int(args.seconds))],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with CpuMeter(stack) as cpu:
                accepted, failed, elapsed, latencies = asyncio.run(drive(
                    url, concurrency, args.requests, args.seconds, keyed=keyed, first=n,
                    client=client, sampler=sampler, agencies=agencies))
            if spy is not None:
                spy.wait()
            n += accepted + failed
            results[concurrency, client] = describe(
                f"intake, {client}, concurrency {concurrency:>2}", accepted, failed, elapsed,
                latencies)
            print(cpu.report())
            if accepted:
                intake_cpu = cpu.used.get("intake", 0.0)
                print(f"    intake process: {intake_cpu / accepted * 1e3:.1f} ms CPU per "
                      f"accepted application")
            if sampler is not None:
                print(sampler.report())
        rate16, _, p99_16 = results[16, "httpx"]
        rate1, _, p99_1 = results[1, "httpx"]
        raw16, _, raw_p99 = results[16, "raw"]
        print(f"summary (targets: >= {TARGET_RATE:,}/s, >= {TARGET_SHARE:.0%} of raw 8-connection "
              f"inserts, p99 < {TARGET_P99_MS} ms)")
        print(f"  intake, httpx, concurrency 16: {rate16:,.0f}/s = {rate16 / raw8:.1%} of raw "
              f"8-connection inserts ({raw8:,.0f}/s) and {rate16 / TARGET_RATE:.0%} of "
              f"{TARGET_RATE:,}/s; p99 {p99_16:.0f} ms; {rate16 / floor16:.0%} of the floor "
              f"app's {floor16:,.0f}/s")
        print(f"  intake, httpx, concurrency  1: {rate1:,.0f}/s = {rate1 / raw1:.1%} of raw "
              f"1-connection inserts ({raw1:,.0f}/s); p99 {p99_1:.0f} ms")
        print(f"  intake, minimal client, concurrency 16: {raw16:,.0f}/s = {raw16 / raw8:.1%} of "
              f"raw 8-connection inserts; p99 {raw_p99:.0f} ms; {raw16 / floor_raw:.0%} of the "
              f"floor app's {floor_raw:,.0f}/s with the same client")


if __name__ == "__main__":
    main()
