"""Adapters against the real PostgreSQL: each test gets a fresh schema of the standard tables."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine, migrate, standard_ddl


@pytest.fixture
async def engine(infra) -> AsyncIterator[AsyncEngine]:
    schema = f"it_{uuid.uuid4().hex[:10]}"
    admin = make_engine(infra.database_url, "public", pool_size=1)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        for statement in standard_ddl():
            await conn.execute(text(statement))
    engine = make_engine(infra.database_url, schema, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def notify_engine(infra) -> AsyncIterator[AsyncEngine]:
    """notify's own tables, migrated into a fresh schema."""
    schema = f"it_notify_{uuid.uuid4().hex[:8]}"
    await migrate("notify", infra.database_url, schema=schema)
    engine = make_engine(infra.database_url, schema, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()
        admin = make_engine(infra.database_url, "public", pool_size=1)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
