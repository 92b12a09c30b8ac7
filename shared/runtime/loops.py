"""The background loops of a service process (relay, subscriptions' upkeep, sweeps): started
with the process, watched while it runs, stopped within bounds."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class Loops:
    def __init__(self, service: str) -> None:
        self.service = service
        self._loops: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """A loop that must run as long as the service does."""
        self._loops.append((name, run))

    def start(self) -> None:
        for name, run in self._loops:
            task = asyncio.create_task(run(), name=f"{self.service}-{name}")
            task.add_done_callback(self._ended)
            self._tasks.append(task)

    def states(self) -> dict[str, str]:
        """Each started loop, by its task's name: running or stopped (for the health check)."""
        return {task.get_name(): "running" if not task.done() else "stopped"
                for task in self._tasks}

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        # A service whose relay or sweep has died must not look alive: stop the process so the
        # supervisor (or Kubernetes) sees it and restarts it.
        log.critical("%s: background loop %s stopped: %r; shutting down", self.service,
                     task.get_name(), task.exception())
        os.kill(os.getpid(), signal.SIGTERM)

    async def stop(self, within: float = 10.0) -> None:
        for task in self._tasks:
            task.cancel()
        if not self._tasks:
            return
        ended, hung = await asyncio.wait(self._tasks, timeout=within)
        for task in ended:
            if not task.cancelled() and task.exception() is not None:
                log.warning("shutdown: background loop %s had stopped with %r",
                            task.get_name(), task.exception())
        for task in hung:
            log.error("shutdown: background loop %s did not stop within %.0f s; going on",
                      task.get_name(), within)


async def bounded(what: str, step: Awaitable[Any], seconds: float) -> None:
    """Wait for one shutdown step at most `seconds`, then go on (saying which step hung).
    `asyncio.wait` rather than `wait_for`: the latter waits for a cancelled step to finish."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        log.error("shutdown: %s did not stop within %.0f s; going on without it", what, seconds)
        return
    if not task.cancelled() and task.exception() is not None:
        log.warning("shutdown: %s stopped with %r", what, task.exception())
