"""Rebuild the reporting projection from the events into a new version beside the live one,
then switch in one transaction (Marten's blue/green rebuild).

The events are reporting's own copies (its inbox, and its own table 二 entries), so a replay
works after the embedded broker forgot its topics. It reads in one pass with a server-side
cursor, folds in memory and COPYs the result: no transaction per event.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.reporting.adapters import replay_store, store
from services.reporting.domain.projection import RELEVANT, WorkingSet, apply, apply_fact, case_of
from services.reporting.service_layer.handlers import on_event
from shared.events import decode_payload

Progress = Callable[[int, float], None]  # (events folded, share of the inbox read)

REPLAY_PROGRESS = Gauge("gongkai_replay_progress_ratio",
                        "Share of the inbox read by the running replay (1 when idle)")
REPLAY_EVENTS = Counter("gongkai_replay_events_total", "Events folded by replays")


@dataclass
class Replayed:
    version: int
    events: int
    caught_up: int
    seconds: float
    differences: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


# Small enough that the server reads the next batch while this one is folded (a fifth off the
# fold: bench.peer), large enough that the round trips do not show.
_BATCH = 500


async def _fold_inbox(conn: AsyncConnection, ws: WorkingSet, progress: Progress | None,
                      ) -> tuple[int, int]:
    folded, last_seq = 0, 0
    first, last = await replay_store.inbox_range(conn)
    span = max(last - first + 1, 1)
    # The working set holds a row object per case and nothing in it is cyclic: collecting
    # every few thousand allocations only walks the growing set again and again.
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(200_000, *threshold[1:])
    try:
        async for rows in replay_store.inbox_batches(conn, RELEVANT, _BATCH):
            for _seq, kind, version, agency, event_id, payload in rows:
                apply_fact(ws, decode_payload(kind, version, payload), agency, event_id)
            folded, last_seq = folded + len(rows), rows[-1][0]
            share = (last_seq - first + 1) / span
            REPLAY_PROGRESS.set(share)
            REPLAY_EVENTS.inc(len(rows))
            if progress:
                progress(folded, share)
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
    REPLAY_PROGRESS.set(1.0)
    return folded, last_seq


async def _fold_own(conn: AsyncConnection, ws: WorkingSet, after: int = 0) -> int:
    last = after
    for envelope in await replay_store.own_events(conn, after):
        apply(ws, envelope)
        last = envelope.position
    return last


async def rebuild(engine: AsyncEngine, progress: Progress | None = None,
                  compare: bool = True) -> Replayed:
    async with replay_store.one_replay_at_a_time(engine):
        return await _rebuild(engine, progress, compare)


async def _rebuild(engine: AsyncEngine, progress: Progress | None, compare: bool) -> Replayed:
    started = time.perf_counter()
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            snapshot = await replay_store.snapshot(conn)
            live = (await store.state(conn)).version
            new = live + 1
            # The new version's empty tables are made on a connection of their own while this
            # one reads and folds: DDL costs the server's CPU, the fold the client's. (Left
            # behind by a failed replay, they are dropped by the next one's.)
            created = asyncio.create_task(_create_version(engine, new))
            try:
                ws = WorkingSet()
                folded, through_seq = await _fold_inbox(conn, ws, progress)
                await _fold_own(conn, ws)
            finally:
                await asyncio.wait([created])
            created.result()
            await store.bulk_save(conn, ws, new)
            await store.index_version(conn, new)
    caught_up = await _switch(engine, new, snapshot, through_seq)
    if progress:
        progress(folded, 1.0)
    result = Replayed(new, folded, caught_up, time.perf_counter() - started)
    if compare and live > 0:
        async with engine.connect() as conn:
            result.differences = await differences(conn, live, new)
    async with engine.begin() as conn:
        await store.drop_versions_before(conn, live)  # keep the one just replaced
    return result


async def _create_version(engine: AsyncEngine, version: int) -> None:
    async with engine.begin() as conn:
        await store.create_version(conn, version)


async def _switch(engine: AsyncEngine, new: int, snapshot: str, through_seq: int) -> int:
    """Fold what the rebuild's snapshot did not see, then make the new version live. Locking
    the state row waits for live writers of the old version and holds new ones back."""
    async with engine.begin() as conn:
        await store.state(conn, lock="FOR UPDATE")
        unseen = await replay_store.unseen(conn, snapshot, RELEVANT)
        caught_up, last = 0, through_seq
        await store.use(conn, new)
        for seq, envelope in unseen:
            fact = envelope.body()
            ws = await store.load(conn, [case] if (case := case_of(fact)) else [])
            apply_fact(ws, fact, envelope.agency, envelope.event_id)
            await store.save(conn, ws)
            caught_up, last = caught_up + 1, max(last, seq)
        # Table 二 entries are few: fold them all again (the latest entry wins either way).
        ws = WorkingSet()
        await _fold_own(conn, ws)
        await store.save(conn, ws)
        await replay_store.use_reporting_schema(conn)
        await store.switch(conn, new, last)
    return caught_up


async def differences(conn: AsyncConnection, old: int, new: int) -> list[str]:
    """Rows present in one version and not the other, table by table (empty: equal)."""
    found = []
    for table in store.TABLES:
        a, b = f'"{store.schema(old)}".{table}', f'"{store.schema(new)}".{table}'
        for left, right, label in ((a, b, "only in live"), (b, a, "only in rebuilt")):
            n = await replay_store.rows_only_in(conn, left, right)
            if n:
                found.append(f"{table}: {n} rows {label}")
    return found


async def rebuild_if_needed(engine: AsyncEngine) -> Replayed | None:
    """At start: rebuild when a migration asked for it. Instances starting together wait for
    the first one's replay and then find nothing left to do."""
    async with replay_store.one_replay_at_a_time(engine):
        async with engine.connect() as conn:
            needed = (await store.state(conn)).needs_rebuild
        return await _rebuild(engine, None, compare=False) if needed else None


__all__ = ["Replayed", "differences", "on_event", "rebuild", "rebuild_if_needed"]
