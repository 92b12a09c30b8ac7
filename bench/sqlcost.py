"""What one database round trip costs the Python side, the way the services make them
(SQLAlchemy Core `text()` on asyncpg, `engine.begin()` with the pool's pre-ping, a SAVEPOINT via
`begin_nested()`) next to asyncpg's own prepared statement, on the embedded PostgreSQL.
Used to explain where intake's time goes. Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.sqlcost [--n N]`
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy import text

from bench._common import machine, server_version
from gongkai.embedded import Postgres
from shared.db import make_engine, plain_url


class Cost:
    def __init__(self, label: str, n: int) -> None:
        self.label, self.n = label, n

    def __enter__(self) -> Cost:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = (time.perf_counter() - self.wall) / self.n * 1e6
        cpu = (time.process_time() - self.cpu) / self.n * 1e6
        print(f"  {self.label:<72} {wall:5.0f} us wall, {cpu:6.0f} us CPU (this process)")


async def measure(url: str, n: int) -> None:
    conn = await asyncpg.connect(plain_url(url))
    one = await conn.prepare("SELECT 1")
    for _ in range(200):
        await one.fetchval()
    with Cost("asyncpg prepared SELECT 1 (1 round trip)", n):
        for _ in range(n):
            await one.fetchval()
    await conn.close()

    engine = make_engine(url, "public")
    statement = text("SELECT CAST(:x AS int)")
    async with engine.connect() as c:
        for _ in range(200):
            await c.execute(statement, {"x": 1})
        with Cost("SQLAlchemy conn.execute(text(...)) (1 round trip)", n):
            for _ in range(n):
                await c.execute(statement, {"x": 1})
    await one_per_transaction(engine, statement, n, "with the pool's pre-ping", 6)
    await engine.dispose()
    engine = make_engine(url, "public")
    engine.pool._pre_ping = False  # what the pool costs without its pre-ping (bench only)
    await one_per_transaction(engine, statement, n, "without pre-ping", 3)
    await engine.dispose()


async def one_per_transaction(engine, statement, n: int, label: str, trips: int) -> None:
    for _ in range(200):
        async with engine.begin() as c:
            await c.execute(statement, {"x": 1})
    with Cost(f"engine.begin() + 1 statement, {label} ({trips} round trips)", n):
        for _ in range(n):
            async with engine.begin() as c:
                await c.execute(statement, {"x": 1})
    with Cost(f"  the same inside begin_nested() (+ SAVEPOINT, RELEASE: {trips + 2})", n):
        for _ in range(n):
            async with engine.begin() as c, c.begin_nested():
                await c.execute(statement, {"x": 1})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    home = Path(tempfile.mkdtemp(prefix="gongkai-bench-sql-"))
    pg = Postgres(home / "pgdata", delete_on_stop=True)
    try:
        print(f"PostgreSQL {server_version(pg.url)} over its Unix socket; {args.n:,} each, "
              f"one connection, sequential")
        asyncio.run(measure(pg.url, args.n))
    finally:
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
