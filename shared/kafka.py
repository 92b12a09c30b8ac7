"""Kafka client wiring shared by the relay, the consumers and the operator tools."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

__all__ = ["KafkaError", "ensure_topics", "list_topics", "producer", "wait_for_broker"]

log = logging.getLogger(__name__)


def producer(bootstrap: str) -> AIOKafkaProducer:
    # Not idempotent: the embedded broker refuses idempotent producers
    # (docs/architecture.md#embedded-stack), and consumers
    # deduplicate by event id anyway.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        max_batch_size=256 * 1024,
    )


async def ensure_topics(bootstrap: str, topics: tuple[str, ...], partitions: int,
                        replication: int = 1) -> list[str]:
    """Create missing topics (`replication`: Settings.topic_replication, from
    GONGKAI_TOPIC_REPLICATION: 1 on the embedded broker, 3 in production); returns the ones that
    had to be created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(t, num_partitions=partitions, replication_factor=replication)
                 for t in missing]
            )
        return missing
    finally:
        await admin.close()


async def list_topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def wait_for_broker(bootstrap: str, within: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            await admin.start()
            await admin.close()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
