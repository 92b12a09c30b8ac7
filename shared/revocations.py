"""Revoked staff tokens reach every process that checks tokens.

`gongkai token revoke` records a `TokenRevoked` event in intake's event store (the writer of
the city's reference data), whose relay publishes it to the `gongkai.tokens` topic and
publishes it again whenever a broker has lost it. Every service process reads that topic
from its beginning, without a consumer group (each process needs every revocation, not a
share of the partitions) and without an inbox (nothing is stored: the list is rebuilt in
memory on every start), into `shared.auth.REVOKED`, which every token check consults.

A revocation matters only while a token it names could still be valid, that is for the
maximum token lifetime (GONGKAI_TOKEN_MAX_LIFETIME) after it: the topic needs no longer
retention than that, and stays small.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel, Field, model_validator

from shared import kafka
from shared.auth import REVOKED, Revocations
from shared.events import event_type

log = logging.getLogger(__name__)

TOKENS_TOPIC = "gongkai.tokens"
STREAM = "token-revocations"


@event_type("TokenRevoked", 1)
class TokenRevoked(BaseModel):
    """One token (`jti`), or every token of `user` issued at or before `issued_until`."""

    jti: str | None = Field(None, min_length=1, max_length=200)
    user: str | None = Field(None, min_length=1, max_length=200)
    issued_until: datetime | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _one_target(self) -> TokenRevoked:
        if (self.jti is None) == (self.user is None):
            raise ValueError("a revocation names either a token (jti) or a user")
        if self.user is not None and self.issued_until is None:
            raise ValueError("a user's revocation says until when tokens were issued")
        return self


def apply(revocations: Revocations, raw: bytes | str | dict[str, Any]) -> bool:
    """Apply one message of the topic; False (and a warning) for one that is not a
    revocation this code can read."""
    try:
        envelope = raw if isinstance(raw, dict) else json.loads(raw)
        if not isinstance(envelope, dict) or envelope.get("type") != "TokenRevoked":
            return False
        revoked = TokenRevoked.model_validate(envelope["payload"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("unreadable message on %s ignored: %s", TOKENS_TOPIC, type(exc).__name__)
        return False
    if revoked.jti is not None:
        revocations.revoke_jti(revoked.jti)
    else:
        assert revoked.user is not None and revoked.issued_until is not None
        revocations.revoke_user(revoked.user, revoked.issued_until.timestamp())
    return True


class RevocationFeed:
    """Reads the whole topic into `revocations`, then follows it. `caught_up` is set once
    everything there was at the start has been read."""

    def __init__(self, service: str, bootstrap: str,
                 revocations: Revocations = REVOKED, max_wait_ms: int = 200,
                 replication: int = 1) -> None:
        self.service, self.bootstrap = service, bootstrap
        self.replication = replication
        self.revocations = revocations
        self.max_wait_ms = max_wait_ms
        self.caught_up = asyncio.Event()

    async def run(self) -> None:
        """Forever; a lost broker or topic is waited for, never the end of the service."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s: revocations feed interrupted (%r); reconnecting",
                            self.service, exc)
                await asyncio.sleep(1.0)

    async def _follow(self) -> None:
        await kafka.ensure_topics(self.bootstrap, (TOKENS_TOPIC,), partitions=1,
                                  replication=self.replication)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            auto_offset_reset="earliest", fetch_max_wait_ms=self.max_wait_ms,
            client_id=f"{self.service}-revocations")
        await consumer.start()
        try:
            partitions = consumer.partitions_for_topic(TOKENS_TOPIC) or set()
            if not partitions:
                partitions = await _partitions(consumer)
            assigned = [TopicPartition(TOKENS_TOPIC, p) for p in sorted(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            ends = await consumer.end_offsets(assigned)
            while True:
                if not self.caught_up.is_set():
                    positions = [await consumer.position(tp) for tp in ends]
                    if all(at >= end for at, end in zip(positions, ends.values(), strict=True)):
                        self.caught_up.set()
                # Returns as soon as a fetch brings records; the timeout only bounds an idle
                # wait (a wake-up of this loop, nothing more: the fetches go on meanwhile).
                batches = await consumer.getmany(timeout_ms=30_000, max_records=1000)
                for records in batches.values():
                    for record in records:
                        if apply(self.revocations, record.value):
                            log.info("%s: token revocation applied (%d known)", self.service,
                                     len(self.revocations))
        finally:
            await consumer.stop()

    async def wait_caught_up(self, within: float) -> bool:
        try:
            await asyncio.wait_for(self.caught_up.wait(), timeout=within)
            return True
        except TimeoutError:
            log.warning("%s: revocations not read within %.0f s; going on (they apply when "
                        "they arrive)", self.service, within)
            return False


async def _partitions(consumer: AIOKafkaConsumer) -> set[int]:
    for _ in range(50):
        await consumer.topics()  # refreshes the metadata
        found = consumer.partitions_for_topic(TOKENS_TOPIC)
        if found:
            return found
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {TOKENS_TOPIC} has no partitions")
