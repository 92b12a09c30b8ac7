"""What a replay reads (service_layer/replay.py): reporting's copies of the events it folds —
its inbox and its own table 二 entries — and the snapshot it reads them in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import eventstore
from shared.events import Envelope

# A replay reads only the parts of each stored envelope that the projection uses, and decodes
# the payload straight from its JSON text: half the bytes, one validation instead of two.
_FOLD_QUERY = """SELECT seq, envelope->>'type', (envelope->>'version')::int, envelope->>'agency',
                        (envelope->>'event_id')::uuid, (envelope->'payload')::text
                 FROM inbox WHERE envelope->>'type' = ANY($1) ORDER BY seq"""


@contextlib.asynccontextmanager
async def one_replay_at_a_time(engine: AsyncEngine) -> AsyncIterator[None]:
    """Held for a whole replay, switch included: a second replay (an administrator's while the
    service rebuilds at start, or two instances starting) waits instead of building the same
    version beside it. A session lock, so it is released if this process dies."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")  # not idle in a tx
        await conn.execute(text("SELECT pg_advisory_lock(hashtext('gongkai.reporting.replay'))"))
        try:
            yield
        finally:
            await conn.execute(text(
                "SELECT pg_advisory_unlock(hashtext('gongkai.reporting.replay'))"))


async def snapshot(conn: AsyncConnection) -> str:
    """The transaction's snapshot, to find later what it did not see (`unseen`)."""
    return (await conn.execute(text("SELECT pg_current_snapshot()::text"))).scalar_one()


async def inbox_range(conn: AsyncConnection) -> tuple[int, int]:
    """The inbox's first and last seq (0, 0 when empty): a replay's progress is how far into
    this range it has read, which two index lookups tell where counting the rows would scan
    them all once more."""
    first, last = (await conn.execute(text("SELECT min(seq), max(seq) FROM inbox"))).one()
    return (first or 0, last or 0)


async def inbox_batches(conn: AsyncConnection, types: Iterable[str], size: int,
                        ) -> AsyncIterator[list[tuple]]:
    """The inbox's events of `types` in order, `size` at a time, through a server-side cursor:
    rows of (seq, type, version, agency, event_id, payload as JSON text). The next batch is
    asked for before this one is handed over, so the server reads while the caller folds."""
    raw = (await conn.get_raw_connection()).driver_connection
    # In the primary key's order as the rows are read, not sorted whole before the first one
    # is sent (on disk, past work_mem): about a tenth off a replay (bench.peer).
    # (SET LOCAL: a failed replay's rollback undoes it too.)
    await raw.execute("SET LOCAL enable_sort = off")
    cursor = await raw.cursor(_FOLD_QUERY, list(types))
    pending = asyncio.ensure_future(cursor.fetch(size))
    try:
        while rows := await pending:
            pending = asyncio.ensure_future(cursor.fetch(size))
            await asyncio.sleep(0)  # the request goes out before the caller holds the loop
            yield rows
    finally:
        # A caller that stops early leaves a fetch in flight: it finishes before the connection
        # is used again, and sorting is back on for the rest of the transaction. (Should the
        # transaction have failed, both raise again what the caller is already handling.)
        with contextlib.suppress(Exception):
            await pending
            await raw.execute("SET LOCAL enable_sort = on")


async def own_events(conn: AsyncConnection, after: int = 0) -> list[Envelope]:
    """Reporting's own events (the table 二 entries) after position `after`, in order."""
    return await eventstore.read_after(conn, after, "reporting")


async def unseen(conn: AsyncConnection, snapshot: str, types: Iterable[str],
                 ) -> list[tuple[int, Envelope]]:
    """The inbox's events of `types` that `snapshot` did not see, in order, with their seq."""
    rows = await conn.execute(text(
        """SELECT seq, envelope FROM inbox
           WHERE NOT pg_visible_in_snapshot(tx, CAST(CAST(:snap AS text) AS pg_snapshot))
             AND envelope->>'type' = ANY(:t)
           ORDER BY seq"""), {"snap": snapshot, "t": list(types)})
    return [(seq, Envelope.from_json(body)) for seq, body in rows.all()]


async def use_reporting_schema(conn: AsyncConnection) -> None:
    """Back to the reporting schema alone, where the projection's state is kept."""
    await conn.execute(text("SET LOCAL search_path TO reporting"))


async def rows_only_in(conn: AsyncConnection, left: str, right: str) -> int:
    """How many rows table `left` has that table `right` has not (both schema-qualified)."""
    return (await conn.execute(text(
        f"SELECT count(*) FROM (SELECT * FROM {left} EXCEPT SELECT * FROM {right}) d"
    ))).scalar_one()
