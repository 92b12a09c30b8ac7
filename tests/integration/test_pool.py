"""The services' connection pool on the real server: a connection handed back moments ago is
handed out again without a ping (a consumer takes one per batch, many times a second), and one
the server has closed is never handed out."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from shared.db import FRESH_SECONDS, make_engine, plain_url


async def _last_statement(dsn: str, pid: int) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await conn.close()


async def test_a_connection_just_returned_is_not_pinged_and_one_idle_is(infra):
    engine = make_engine(infra.database_url, "public", pool_size=1)
    dsn = plain_url(infra.database_url)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        last = await _last_statement(dsn, pid)  # the pool's rollback on return
        async with engine.connect():  # handed out again at once: no ping
            pass
        assert await _last_statement(dsn, pid) == last
        await asyncio.sleep(FRESH_SECONDS + 0.2)
        async with engine.connect():  # idle for a while: pinged
            pass
        assert await _last_statement(dsn, pid) == "SELECT 1"
    finally:
        await engine.dispose()


async def test_a_connection_the_server_closed_is_replaced_even_just_returned(infra):
    engine = make_engine(infra.database_url, "public", pool_size=1)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(plain_url(infra.database_url))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        await asyncio.sleep(0.1)  # the client reads the server's goodbye
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()
