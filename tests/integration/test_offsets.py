"""Consumers commit their offsets every half second, not after each batch: only what was applied
is committed, against the real broker."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared import kafka
from shared.runtime import Offsets

pytestmark = pytest.mark.e2e


async def test_only_the_offsets_of_applied_batches_are_committed(infra):
    topic = f"it.offsets.{uuid.uuid4().hex[:8]}"
    await kafka.ensure_topics(infra.bootstrap, (topic,), partitions=1)
    producer = kafka.producer(infra.bootstrap)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(topic, key=b"case", value=str(n).encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.bootstrap,
                                group_id=f"it-{uuid.uuid4().hex[:8]}",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        records = []
        while len(records) < 5:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records.extend(batch)
        tp = TopicPartition(topic, 0)
        offsets = Offsets("it", topic, SimpleNamespace(consumer=consumer))
        offsets.done(tuple(records[:3]))  # the first batch is applied; the rest is not yet
        assert await consumer.committed(tp) is None  # nothing until the next commit
        await offsets.commit()
        assert await consumer.committed(tp) == 3
        await offsets.commit()  # nothing new
        assert await consumer.committed(tp) == 3
        offsets.done(tuple(records[3:]))
        await offsets.commit()
        assert await consumer.committed(tp) == 5
    finally:
        await consumer.stop()
