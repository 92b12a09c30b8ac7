"""What a replay reads (service_layer/replay.py): reporting's copies of the events it folds —
its inbox and its own table 二 entries — and the snapshot it reads them in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import eventstore
from shared.events import Envelope

# A replay reads only the parts of each stored envelope that the projection uses, and decodes
# the payload straight from its JSON text: half the bytes, one validation instead of two.
_FOLD_QUERY = """SELECT seq, envelope->>'type', (envelope->>'version')::int, envelope->>'agency',
                        (envelope->>'event_id')::uuid, (envelope->'payload')::text
                 FROM inbox WHERE envelope->>'type' = ANY($1) ORDER BY seq"""


async def snapshot(conn: AsyncConnection) -> str:
    """The transaction's snapshot, to find later what it did not see (`unseen`)."""
    return (await conn.execute(text("SELECT pg_current_snapshot()::text"))).scalar_one()


async def count_inbox(conn: AsyncConnection, types: Iterable[str]) -> int:
    return (await conn.execute(text(
        "SELECT count(*) FROM inbox WHERE envelope->>'type' = ANY(:t)"),
        {"t": list(types)})).scalar_one()


async def inbox_batches(conn: AsyncConnection, types: Iterable[str], size: int,
                        ) -> AsyncIterator[list[tuple]]:
    """The inbox's events of `types` in order, `size` at a time, through a server-side cursor:
    rows of (seq, type, version, agency, event_id, payload as JSON text)."""
    raw = (await conn.get_raw_connection()).driver_connection
    # In the primary key's order as the rows are read, not sorted whole before the first one
    # is sent (on disk, past work_mem): about a tenth off a replay (bench.peer).
    # (SET LOCAL: a failed replay's rollback undoes it too.)
    await raw.execute("SET LOCAL enable_sort = off")
    cursor = await raw.cursor(_FOLD_QUERY, list(types))
    while rows := await cursor.fetch(size):
        yield rows
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
