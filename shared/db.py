"""PostgreSQL wiring: one schema per service on the configured server (no service reads
another's tables: docs/architecture.md#services), migrations with alembic, and the tables every
service shares in shape."""

from __future__ import annotations

import time
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import concurrency

# Renamed in SQLAlchemy 2.1 (await_only before).
_await = getattr(concurrency, "await_", None) or concurrency.await_only


def async_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql+asyncpg"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def plain_url(url: str) -> str:
    """The URL as asyncpg itself takes it (for LISTEN/NOTIFY and bulk work)."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def make_engine(url: str, schema: str, pool_size: int = 8) -> AsyncEngine:
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=4,
        pool_pre_ping=True,
        connect_args={"server_settings": {"search_path": schema, "timezone": "UTC"},
                      "connection_class": _EngineConnection},
    )
    engine.dialect.do_ping = _ping  # this engine's dialect only
    event.listen(engine.sync_engine.pool, "checkin", _returned)
    return engine


# A connection back in the pool for less than this has just answered: it is handed out again
# without a ping (a consumer takes one per batch, many times a second).
FRESH_SECONDS = 1.0


class _EngineConnection(asyncpg.Connection):
    """Remembers when the pool last had it back (asyncpg's own class has no room for that)."""

    returned_at = -FRESH_SECONDS


def _returned(dbapi_connection, _record) -> None:
    if dbapi_connection is not None:  # None: the connection was invalidated, not returned
        dbapi_connection.driver_connection.returned_at = time.monotonic()


def _ping(dbapi_connection) -> bool:
    """The pool's check of a connection before handing it out, in one round trip (a simple
    query). SQLAlchemy's asyncpg ping wraps it in BEGIN … ROLLBACK for pgbouncer's transaction
    mode, three round trips on every checkout; we connect to PostgreSQL directly. A connection
    that fails it is replaced (after a server restart: the whole pool). One returned within
    the last second whose socket is still open is not pinged: a server that went away closed
    it; if it did so unseen in that second, the statement fails as the ping would have and
    the caller's error handling applies (the inbox's retry, the API's 503 with Retry-After)."""
    driver = dbapi_connection.driver_connection
    if time.monotonic() - driver.returned_at < FRESH_SECONDS and not driver.is_closed():
        return True
    try:
        _await(driver.execute("SELECT 1"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True


class _Connection(asyncpg.Connection):
    """No session state is ever set on pooled connections (search_path comes with the
    connection), so the pool need not send RESET ALL, an extra round trip, on every release."""

    def get_reset_query(self) -> str:
        return ""


async def make_pool(url: str, schema: str, size: int = 8) -> asyncpg.Pool:
    """A plain asyncpg pool for hot paths where SQLAlchemy's per-statement cost and the
    pre-ping's round trips dominate (intake's submission: one statement per application)."""
    return await asyncpg.create_pool(
        plain_url(url),
        min_size=1,
        max_size=size,
        connection_class=_Connection,
        server_settings={"search_path": schema, "timezone": "UTC"},
    )


def standard_ddl() -> list[str]:
    """Tables of the same shape in every service's schema: its event store with outbox, and its
    inbox of consumed events (the idempotency record and the source for replays)."""
    return [
        """CREATE TABLE events (
            position bigserial PRIMARY KEY,
            event_id uuid NOT NULL UNIQUE,
            stream_id text NOT NULL,
            stream_position integer NOT NULL,
            type text NOT NULL,
            version integer NOT NULL,
            agency text NOT NULL,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            correlation_id uuid NOT NULL,
            causation_id uuid,
            topic text,
            payload jsonb NOT NULL,
            UNIQUE (stream_id, stream_position)
        )""",
        # Facts are append-only (invariant 4, docs/architecture.md#invariants): the database
        # refuses edits too.
        """CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'events are append-only'; END $$""",
        """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
           FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
        """CREATE TABLE outbox (
            id bigserial PRIMARY KEY, position bigint NOT NULL, topic text NOT NULL
        )""",
        "CREATE TABLE relay_state (topic text PRIMARY KEY, published bigint NOT NULL DEFAULT 0)",
        """CREATE TABLE inbox (
            seq bigserial PRIMARY KEY,
            event_id uuid NOT NULL UNIQUE,
            topic text NOT NULL,
            envelope jsonb NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE TABLE dead_letters (
            id bigserial PRIMARY KEY,
            topic text NOT NULL,
            event_id uuid,
            raw text NOT NULL,
            reason text NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )""",
    ]


def _alembic_config(service: str, url: str, schema: str) -> Config:
    cfg = Config()
    location = resources.files(f"services.{service}.adapters") / "migrations"
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("sqlalchemy.url", async_url(url))
    cfg.attributes["schema"] = schema
    return cfg


async def migrate(service: str, url: str, schema: str | None = None,
                  revision: str = "head") -> None:
    """Bring the service's schema to the latest migration (idempotent: safe at every start).
    `schema` defaults to the service's name (tests migrate into scratch schemas, and to an
    earlier `revision` to check what a migration does to data stored before it)."""
    schema = schema or service
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            # Serialise concurrent starters: one migrates, the others then find nothing to do.
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('gongkai-migrate'))"))
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            cfg = _alembic_config(service, url, schema)

            def upgrade(sync_conn) -> None:
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, revision)

            await conn.run_sync(upgrade)
    finally:
        await engine.dispose()


def transaction_memo(conn: AsyncConnection) -> dict:
    """A dict that lives as long as the connection's current transaction: reference data read
    once per consumed batch (one transaction) instead of once per event. A consumer's batch
    sees the agency's rules and the calendar as they were when it first looked; a change
    committed meanwhile applies from the next batch, as it would had the batch run earlier."""
    transaction = conn.sync_connection.get_transaction()
    memo = conn.info.get("gongkai.memo")
    if memo is None or memo[0] is not transaction:
        memo = (transaction, {})
        conn.info["gongkai.memo"] = memo
    return memo[1]
