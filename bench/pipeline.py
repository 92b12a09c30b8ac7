"""Pipeline benchmark: end-to-end lag from intake's commit to (a) the case projected by
casework (`casework.cases`) and (b) the report counting it (reporting's live
`reporting_v<N>.cases` row with `received_on`), at a steady, open-loop 200 applications/s
for 60 s, on the whole stack (four service processes, embedded PostgreSQL and broker); first
a lighter phase (20/s for 20 s) shows the lag of a stack that keeps up, and 5 idle seconds
show what the stack burns with no traffic.

Method. All three services write to one PostgreSQL server, so its clock is common to every
timestamp. The server runs with `track_commit_timestamp = on`, and each row's `xmin` gives
the commit time of the transaction that last wrote it:
  - intake's commit:     commit time of the `ApplicationSubmitted` row in `intake.events`;
  - (a) case projected:  commit time of the application's `casework.cases` row (its last write;
                         nothing else touches it during the run: no staff, sweep finds nothing);
  - (b) report counts:   commit time of the live `reporting_v<N>.cases` row (written by
                         the CaseOpened that says the case was received, which sets
                         `received_on`; before issue 18, by CaseOpened, then CaseReceived).
That is the moment each change became visible to readers, with no polling error and no load
from pollers. The lag is also given from the client's 201 response (the client's wall clock
is the server's: same machine), and split into hops with the inboxes' `received_at` (the
start of the consuming transaction): relay + broker + fetch, then the handler's transaction.
Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.pipeline [--rate 200] [--seconds 60] [--probe-rate 20]
[--sweep 50,100,150] [--services intake,casework,reporting]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
import uuid
from datetime import datetime

import asyncpg

from bench._common import CpuMeter, RawHttp, application, machine, percentile, running_stack
from shared.db import plain_url

TARGET_P50_MS = 50
TARGET_P99_MS = 250


async def submit_steadily(url: str, rate: float, seconds: float, max_in_flight: int = 64,
                          ) -> tuple[dict[str, float], list[float], int, int]:
    """Open loop: request i is due at start + i/rate whatever happened to earlier ones, for
    `seconds`. A request due while `max_in_flight` are still unanswered is not sent (the
    system is saturated; a real client would be queueing or timing out). Returns
    ({application_id: wall time of the 201}, latencies, failures, requests not sent)."""
    accepted: dict[str, float] = {}
    latencies: list[float] = []
    failed = skipped = 0
    in_flight = 0
    # The minimal keep-alive client (bench/_common.RawHttp): httpx cost ~5 ms of CPU per
    # request on this machine, a fifth of what the whole pipeline spends on an application.
    host, port = url.removeprefix("http://").split(":")
    idle: list[RawHttp] = []

    async def post(n: int) -> tuple[int, bytes]:
        body = json.dumps(application(n)).encode()
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        while idle:  # a kept-alive connection may have been closed by the server meanwhile
            http = idle.pop()
            try:
                answer = await http.post_json("/v1/applications", body, headers)
                idle.append(http)
                return answer
            except (OSError, asyncio.IncompleteReadError):
                await http.close()  # the same key makes the retry safe
        http = RawHttp(host, int(port))
        answer = await http.post_json("/v1/applications", body, headers)
        idle.append(http)
        return answer

    async def one(n: int) -> None:
        nonlocal failed, in_flight
        try:
            t0 = time.perf_counter()
            status, body = await post(n)
            if status == 201:
                accepted[json.loads(body)["application_id"]] = time.time()
                latencies.append(time.perf_counter() - t0)
            else:
                failed += 1
                if failed <= 3:
                    print(f"    ! {status}: {body[:200]!r}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            failed += 1
            if failed <= 3:
                print(f"    ! {exc!r}")
        finally:
            in_flight -= 1

    tasks = []
    started = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if in_flight >= max_in_flight:
            skipped += 1
            continue
        in_flight += 1
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for http in idle:
        await http.close()
    return accepted, latencies, failed, skipped


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


# The acknowledgement SMS of the applications $1 that notify's development sink received.
ACKNOWLEDGEMENTS_SENT = """FROM notify.dev_sms d JOIN notify.messages m ON m.id = d.message_id
    WHERE m.template = 'acknowledgement_sms' AND m.application_id = ANY($1::uuid[])"""


async def wait_for_sms(dsn: str, ids: list[str], limit: float) -> int:
    """Poll (every 0.5 s) until notify has sent each id's acknowledgement SMS (through its
    development sink), or `limit` s pass; returns how many were sent."""
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        while True:
            sent = await conn.fetchval(f"SELECT count(*) {ACKNOWLEDGEMENTS_SENT}", ids)
            if sent >= len(ids) or time.perf_counter() - started > limit:
                return sent
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
            # The event that set `received_on`: the CaseOpened received at once (a
            # CaseReceived in a stack from before issue 18).
            "reporting_start": """SELECT envelope->>'stream_id', received_at FROM reporting.inbox
                WHERE (envelope->>'type' = 'CaseReceived' OR (envelope->>'type' = 'CaseOpened'
                       AND envelope->'payload'->>'received_on' IS NOT NULL))
                  AND envelope->>'stream_id' = ANY($1)""",
            "reporting_commit": f"""SELECT application_id::text, pg_xact_commit_timestamp(xmin)
                FROM reporting_v{version}.cases WHERE application_id = ANY($1::uuid[])
                  AND received_on IS NOT NULL""",
            "sms_sent": "SELECT m.application_id::text, pg_xact_commit_timestamp(d.xmin) "
                        + ACKNOWLEDGEMENTS_SENT,
        }
        found: dict[str, dict[str, datetime]] = {}
        for name, query in queries.items():
            found[name] = {k: v for k, v in await conn.fetch(query, ids) if v is not None}
        return found
    finally:
        await conn.close()


async def letters(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(*) FILTER (WHERE pdf IS NULL) AS pending "
            "FROM notify.letters")
        return f"{row['n']:,} composed, {row['pending']:,} without a PDF yet"
    finally:
        await conn.close()


def lags(start: dict[str, float], end: dict[str, float]) -> list[float]:
    """end - start in ms for every id of `start`; inf where `end` has none (not reached)."""
    return [(end[k] - start[k]) * 1e3 if k in end else math.inf for k in start]


def ms(value: float) -> str:
    return "  not yet" if math.isinf(value) else f"{value:7.0f} ms" if value >= 1000 \
        else f"{value:7.1f} ms"


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<42} (no data)"
    reached = [v for v in values if not math.isinf(v)]
    missing = len(values) - len(reached)
    return (f"  {label:<42} p50 {ms(percentile(values, 50))}  p99 {ms(percentile(values, 99))}"
            f"  max {ms(max(reached or [math.inf]))}  (n={len(reached):,}"
            + (f"; {missing:,} not reached: counted as infinite)" if missing else ")"))


def phase(stack, rate: float, seconds: float, drain: float) -> tuple[float, float, float, float]:
    """One steady run; returns p50/p99 of (a) and (b) in ms (inf when not reached)."""
    dsn = plain_url(stack.database_url)
    print(f"--- {rate:g} applications/s offered for {seconds:g} s")
    with CpuMeter(stack) as cpu:
        accepted, latencies, failed, skipped = asyncio.run(
            submit_steadily(stack.url("intake"), rate, seconds))
        ids = list(accepted)
        submitted = time.perf_counter()
        counted, _ = asyncio.run(wait_for_reporting(dsn, ids, drain))
        waited = time.perf_counter() - submitted
        sms = asyncio.run(wait_for_sms(dsn, ids, drain)) if "notify" in stack.processes \
            else None
    print(f"accepted {len(ids):,} ({len(ids) / seconds:,.1f}/s), {failed} failed, {skipped:,} not "
          f"sent (64 requests already waiting); 201 latency p50 "
          f"{ms(percentile(latencies, 50) * 1e3).strip()}, "
          f"p99 {ms(percentile(latencies, 99) * 1e3).strip()}")
    print(f"reporting counted {counted:,}/{len(ids):,} within {waited:.1f} s of the last answer"
          + (f"; notify sent {sms:,} acknowledgement SMS within "
             f"{time.perf_counter() - submitted:.1f} s" if sms is not None else ""))
    print(cpu.report())
    if counted == len(ids) and ids:
        per = {k: v / len(ids) * 1e3 for k, v in cpu.used.items()
               if k not in ("(whole machine)", "client (this process)")}
        print("    CPU per application, whole pipeline: " + ", ".join(
            f"{k} {v:.1f} ms" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
              + f"; total {sum(per.values()):.1f} ms")
    ts = asyncio.run(timestamps(dsn, ids))
    at = {name: {k: v.timestamp() for k, v in rows.items()} for name, rows in ts.items()}
    a = lags(at["intake_commit"], at["casework_commit"])
    b = lags(at["intake_commit"], at["reporting_commit"])
    print("lag from intake's commit (PostgreSQL commit timestamps):")
    print(line("(a) case projected by casework", a))
    print(line("(b) counted in the report", b))
    if sms is not None:
        print(line("(c) acknowledgement SMS sent (notify)",
                   lags(at["intake_commit"], at["sms_sent"])))
    print("lag from the client's 201 response:")
    print(line("(a) case projected by casework", lags(accepted, at["casework_commit"])))
    print(line("(b) counted in the report", lags(accepted, at["reporting_commit"])))
    print("hops:")
    for label, start, end in (
            ("intake commit -> casework picks it up", "intake_commit", "casework_start"),
            ("casework transaction (start -> commit)", "casework_start", "casework_commit"),
            ("casework commit -> reporting picks it up", "casework_commit", "reporting_start"),
            ("reporting transaction (start -> commit)", "reporting_start", "reporting_commit")):
        print(line(label, lags(at[start], at[end])))
    return (percentile(a, 50), percentile(a, 99), percentile(b, 50), percentile(b, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="applications/s (200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (60)")
    parser.add_argument("--drain-timeout", type=float, default=30.0,
                        help="how long to wait for the report to catch up afterwards (30 s)")
    parser.add_argument("--probe-rate", type=float, default=20.0,
                        help="a first, lighter phase at this rate (0: none) to show the lag of "
                             "a stack that keeps up (20/s)")
    parser.add_argument("--probe-seconds", type=float, default=20.0)
    parser.add_argument("--sweep", default="",
                        help="also offer these rates (comma-separated, applications/s) for "
                             "--sweep-seconds each, before the main phase: where the targets "
                             "stop being met on this machine")
    parser.add_argument("--sweep-seconds", type=float, default=30.0)
    parser.add_argument("--services", default="intake,casework,reporting,notify",
                        help="service processes to start (leave out notify to see what its "
                             "letters cost the others)")
    args = parser.parse_args()
    services = tuple(s.strip() for s in args.services.split(",") if s.strip())
    print(f"machine: {machine()}")
    with running_stack(commit_timestamps=True, services=services) as stack:
        dsn = plain_url(stack.database_url)
        with CpuMeter(stack) as idle:
            time.sleep(5)
        print("idle stack (no traffic yet) for 5 s:")
        print(idle.report())
        # Warm-up: the consumer groups' first assignment takes ~5 s on the embedded broker.
        warm, _, _, _ = asyncio.run(submit_steadily(stack.url("intake"), 20, 1))
        counted, waited = asyncio.run(wait_for_reporting(dsn, list(warm), 90))
        print(f"warm-up: {counted}/{len(warm)} applications reached the report in {waited:.1f} s")
        results = []
        if args.probe_rate:
            results.append((args.probe_rate, phase(stack, args.probe_rate, args.probe_seconds,
                                                   30)))
        for rate in (float(r) for r in args.sweep.split(",") if r.strip()):
            results.append((rate, phase(stack, rate, args.sweep_seconds, args.drain_timeout)))
        results.append((args.rate, phase(stack, args.rate, args.seconds, args.drain_timeout)))
        print(f"notify's letters: {asyncio.run(letters(dsn))} (a PDF is rendered when it is "
              f"first e-mailed or downloaded)")
        print(f"summary (targets: p50 < {TARGET_P50_MS} ms, p99 < {TARGET_P99_MS} ms)")
        for rate, (a50, a99, b50, b99) in results:
            print(f"  {rate:g}/s offered: (a) casework p50 {ms(a50).strip()} "
                  f"({a50 / TARGET_P50_MS:,.1f}x the target), p99 {ms(a99).strip()} "
                  f"({a99 / TARGET_P99_MS:,.1f}x); (b) report p50 {ms(b50).strip()} "
                  f"({b50 / TARGET_P50_MS:,.1f}x), p99 {ms(b99).strip()} "
                  f"({b99 / TARGET_P99_MS:,.1f}x)")


if __name__ == "__main__":
    main()
