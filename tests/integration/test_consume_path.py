"""A consumed batch is applied on the event loop alone, against the real embedded broker:
FastStream resolves a handler's parameters through fast_depends, which runs a synchronous
resolver (such as a `Context(...)` parameter) in a worker thread, and a thread hop for every
batch was a tenth of a consumer's CPU (docs/decisions.md)."""

from __future__ import annotations

import uuid

import anyio.to_thread
import pytest

from shared import kafka
from shared.runtime.loops import Loops
from shared.runtime.subscriptions import Subscriptions
from shared.settings import Settings
from tests.integration.test_idle_pace import _publish, _until, applied_table

pytestmark = pytest.mark.e2e


async def test_a_consumed_batch_never_goes_to_a_worker_thread(infra, engine, monkeypatch):
    hops: list = []
    to_thread = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        hops.append(func)
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    topic = f"it.path.{uuid.uuid4().hex[:8]}"
    await kafka.ensure_topics(infra.bootstrap, (topic,), partitions=2)
    apply, applied = await applied_table(engine)

    subscriptions = Subscriptions("it", infra.bootstrap, engine, Settings(fetch_max_wait_ms=10))
    subscriptions.add(topic, apply)
    loops = Loops("it")
    await subscriptions.start()
    for name, run in subscriptions.loops():
        loops.add(name, run)
    loops.start()
    try:
        for _ in range(3):  # a few batches
            ids = await _publish(infra.bootstrap, topic, 4)
            await _until(lambda ids=ids: applied(ids), within=30)
    finally:
        await loops.stop()
        await subscriptions.stop()
    assert hops == []
