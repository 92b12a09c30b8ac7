"""Consumer lag per partition (`gongkai_consumer_lag`): the broker's high watermark, as the
last fetch reported it, minus the consumer's position."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from shared.metrics import CONSUMER_LAG


async def watch_lag(service: str, consumers: Callable[[], Iterable[tuple[str, Any]]],
                    every: float = 5.0) -> None:
    """`consumers`: the (topic, started consumer) pairs of the service, asked each round (a
    consumer starts late and its partitions move between instances)."""
    exported: set[tuple[str, str]] = set()
    while True:
        current: set[tuple[str, str]] = set()
        for topic, consumer in consumers():
            for tp in consumer.assignment():
                current.add((topic, str(tp.partition)))
                highwater = consumer.highwater(tp)
                with contextlib.suppress(Exception):  # between rebalances
                    position = await consumer.position(tp)
                    if highwater is not None:
                        CONSUMER_LAG.labels(service, topic, str(tp.partition)).set(
                            max(highwater - position, 0))
        for topic, partition in exported - current:  # moved to another instance
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(service, topic, partition)
        exported = current
        await asyncio.sleep(every)
