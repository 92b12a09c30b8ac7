"""What every service process runs beside its HTTP API, started and stopped with the app's
lifespan: the database engine (and a pool for a hot path), the outbox relay, the Kafka
subscriptions (`subscriptions.py`, with their offsets and pace), the revoked tokens, the
background loops (`loops.py`) and the health check (`health.py`). `Runtime` composes them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
from fastapi import APIRouter, FastAPI

from shared import kafka
from shared.auth import bearer_dependency, load_secret, staff_dependency
from shared.clock import Clock, clock_from_setting
from shared.contracts import ALL_TOPICS
from shared.db import make_engine, make_pool, plain_url
from shared.inbox import Apply, ApplyMany, Inbox
from shared.oidc import OidcVerifier
from shared.relay import Relay
from shared.revocations import TOKENS_TOPIC, RevocationFeed
from shared.runtime.health import health_router
from shared.runtime.loops import Loops, bounded
from shared.runtime.subscriptions import Offsets, Subscriptions
from shared.settings import Settings

__all__ = ["Offsets", "Runtime"]


class Runtime:
    def __init__(self, service: str, settings: Settings, clock: Clock | None = None) -> None:
        database_url, bootstrap = settings.require_infrastructure()
        self.service = service
        self.settings = settings
        self.bootstrap = bootstrap
        self.clock = clock or clock_from_setting(settings.clock)
        self.engine = make_engine(database_url, service)
        self.dsn = plain_url(database_url)
        self.secret = load_secret(settings.home, settings.jwt_secret)
        # FastAPI dependency: the authenticated staff member of a request (401 otherwise), by
        # the deployment's own tokens or, when configured, an OIDC provider's.
        oidc = OidcVerifier.from_settings(settings)
        self.staff = (bearer_dependency(lambda token: oidc.verify_async(token, self.clock.now()))
                      if oidc else staff_dependency(lambda: self.secret, lambda: self.clock,
                                                    settings.token_max_lifetime))
        self.database_url = database_url
        self.pool: asyncpg.Pool | None = None
        self._pool_size = 0
        self.relay: Relay | None = None
        self.loops = Loops(service)
        self.subscriptions = Subscriptions(service, bootstrap, self.engine, settings)
        self._before_start: list[Callable[[], Awaitable[None]]] = []
        # Every process follows the revoked tokens itself (no consumer group: each needs all).
        self.revocations = RevocationFeed(service, bootstrap,
                                          max_wait_ms=settings.reference_fetch_max_wait_ms,
                                          replication=settings.topic_replication)
        self.loop("revocations", self.revocations.run)

    def pooled(self, size: int = 8) -> None:
        """Open a plain asyncpg pool (`self.pool`) beside the engine, for a hot path."""
        self._pool_size = size

    def publishes(self) -> None:
        self.relay = Relay(self.service, self.engine, self.dsn, self.bootstrap,
                           replication=self.settings.topic_replication)
        self.loop("relay", self.relay.run)

    def consumes(self, topic: str, apply: Apply, apply_many: ApplyMany | None = None, *,
                 reference: bool = False) -> Inbox:
        """See `Subscriptions.add`."""
        return self.subscriptions.add(topic, apply, apply_many, reference=reference)

    def before_start(self, step: Callable[[], Awaitable[None]]) -> None:
        """Work that must be done before consuming (seeding reference data)."""
        self._before_start.append(step)

    def loop(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """A background loop that must run as long as the service does."""
        self.loops.add(name, run)

    async def start(self) -> None:
        replication = self.settings.topic_replication
        await kafka.ensure_topics(self.bootstrap, ALL_TOPICS, self.settings.topic_partitions,
                                  replication)
        await kafka.ensure_topics(self.bootstrap, (TOKENS_TOPIC,), partitions=1,
                                  replication=replication)
        if self._pool_size:
            self.pool = await make_pool(self.database_url, self.service, self._pool_size)
        for step in self._before_start:
            await step()
        await self.subscriptions.start()
        for name, run in self.subscriptions.loops():
            self.loops.add(name, run)
        self.loops.start()
        # No token is accepted before the revoked ones are known (bounded: a broker that is
        # slow to answer must not keep the service down; they apply when they arrive).
        await self.revocations.wait_caught_up(within=15.0)

    async def stop(self) -> None:
        # Every step is bounded: a stopping service must exit within its grace period (45 s in
        # deploy/k8s) even if a client library hangs; whatever it had not committed is delivered
        # again to the instances that go on, and their inboxes skip what was applied.
        await self.loops.stop(within=10.0)
        await self.subscriptions.stop()
        if self.pool is not None:
            await bounded("the connection pool", self.pool.close(), 5.0)
        await bounded("the database engine", self.engine.dispose(), 5.0)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def health_router(self) -> APIRouter:
        return health_router(self.service, self.engine, self.loops)
