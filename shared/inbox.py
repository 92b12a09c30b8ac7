"""Consuming events exactly once in effect (invariant 2, docs/architecture.md#invariants).

Each consumed event is stored in the service's inbox in the same transaction as the change it
causes; an event already in the inbox is skipped, so redelivery, restarts and rebalances change
nothing. The stored copies are also what a replay rebuilds projections from, since the
embedded broker forgets its topics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.contracts.personal import kept_by
from shared.events import Envelope, UnknownEvent
from shared.metrics import DEAD_LETTERS, EVENTS_CONSUMED, HANDLER_SECONDS

log = logging.getLogger(__name__)

Apply = Callable[[AsyncConnection, Envelope], Awaitable[None]]
ApplyMany = Callable[[AsyncConnection, list[Envelope]], Awaitable[None]]


class Unprocessable(Exception):
    """The event can never be applied (it contradicts the rules); set it aside with the reason."""


class NotReady(Exception):
    """The event depends on something not yet received; try the batch again shortly."""


_INSERT = text(
    """INSERT INTO inbox (event_id, topic, envelope)
       SELECT i, :topic, CAST(e AS jsonb) FROM unnest(CAST(:ids AS uuid[]), CAST(:envs AS text[]))
            WITH ORDINALITY AS t(i, e, n)
       ORDER BY n
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id"""
)


def _parse(raw: Any) -> Envelope:
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode()
    return Envelope.from_json(raw)


class Inbox:
    def __init__(self, service: str, engine: AsyncEngine, apply: Apply,
                 apply_many: ApplyMany | None = None) -> None:
        """`apply_many`, when given, applies a batch's new events at once (fewer statements);
        it must do exactly what `apply` does for each, in order."""
        self.service = service
        self.engine = engine
        self.apply = apply
        self.apply_many = apply_many

    async def receive(self, topic: str, messages: Sequence[Any], retry_for: float = 30.0) -> None:
        """Apply a batch; retries transient failures, then raises so the batch is redelivered."""
        envelopes: list[Envelope] = []
        rejected: list[tuple[Any, str]] = []
        for raw in messages:
            try:
                envelopes.append(_parse(raw))
            except (ValidationError, ValueError, TypeError) as exc:
                rejected.append((raw, f"unreadable envelope: {exc}"))
        deadline = time.monotonic() + retry_for
        delay = 0.1
        while True:
            started = time.perf_counter()
            try:
                await self._apply_batch(topic, envelopes, rejected)
                HANDLER_SECONDS.labels(self.service, topic).observe(time.perf_counter() - started)
                return
            except (NotReady, DBAPIError, OSError) as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("%s: batch from %s not applied yet (%s); retrying", self.service,
                            topic, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _apply_batch(
        self, topic: str, envelopes: list[Envelope], rejected: list[tuple[Any, str]]
    ) -> None:
        # Optimistic first: the whole batch in one transaction without a savepoint per event
        # (two round trips each). An event the rules refuse rolls it back, and the batch is
        # applied again event by event, setting aside only the one that fails.
        try:
            outcomes = await self._apply_all(topic, envelopes, rejected, careful=False)
        except (Unprocessable, UnknownEvent, ValidationError):
            outcomes = await self._apply_all(topic, envelopes, rejected, careful=True)
        for event_type, outcome in outcomes:  # counted once the transaction has committed
            EVENTS_CONSUMED.labels(self.service, event_type, outcome).inc()
            if outcome == "dead_letter":
                DEAD_LETTERS.labels(self.service, topic).inc()

    async def _apply_all(
        self, topic: str, envelopes: list[Envelope], rejected: list[tuple[Any, str]], *,
        careful: bool,
    ) -> list[tuple[str, str]]:
        outcomes: list[tuple[str, str]] = []
        async with self.engine.begin() as conn:
            for raw, reason in rejected:
                await self._dead_letter(conn, topic, None, raw, reason)
                outcomes.append(("unknown", "dead_letter"))
            if not envelopes:
                return outcomes
            fresh = set(
                (
                    await conn.execute(
                        _INSERT,
                        {
                            "topic": topic,
                            "ids": [str(e.event_id) for e in envelopes],
                            # Only what this service may keep is stored (docs/privacy.md).
                            "envs": [kept_by(self.service, e).model_dump_json()
                                     for e in envelopes],
                        },
                    )
                ).scalars()
            )
            new: list[Envelope] = []
            for envelope in envelopes:
                if envelope.event_id not in fresh:
                    outcomes.append((envelope.type, "duplicate"))
                    continue
                fresh.discard(envelope.event_id)  # a batch may carry the same event twice
                if not careful:
                    new.append(envelope)
                    outcomes.append((envelope.type, "applied"))
                    continue
                try:
                    async with conn.begin_nested():
                        await self.apply(conn, envelope)
                    outcomes.append((envelope.type, "applied"))
                except (Unprocessable, UnknownEvent, ValidationError) as exc:
                    await self._dead_letter(
                        conn, topic, envelope,
                        kept_by(self.service, envelope).model_dump_json(), str(exc))
                    outcomes.append((envelope.type, "dead_letter"))
            if self.apply_many is not None and new:
                await self.apply_many(conn, new)
            else:
                for envelope in new:
                    await self.apply(conn, envelope)
        return outcomes

    async def _dead_letter(
        self, conn: AsyncConnection, topic: str, envelope: Envelope | None, raw: Any, reason: str
    ) -> None:
        log.error("%s: dead-lettered a message from %s: %s", self.service, topic, reason)
        raw_text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
        await conn.execute(
            text(
                """INSERT INTO dead_letters (topic, event_id, raw, reason)
                   VALUES (:topic, :event_id, :raw, :reason)"""
            ),
            {
                "topic": topic,
                "event_id": envelope.event_id if envelope else None,
                "raw": raw_text,
                "reason": reason[:2000],
            },
        )
