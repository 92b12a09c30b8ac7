"""Test-session fixtures. The embedded PostgreSQL and broker, and the four service processes,
start once per session (only when a test asks for them), never per test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

# Every end-to-end process runs on a clock that starts at this instant, so receipt and due
# dates are the hand-checked ones of docs/domain.md#working-days (received 2025-09-22 → due
# 2025-10-24).
E2E_START = "2025-09-22T10:00:00+08:00"


def eventually(probe: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.1) -> T:
    """Poll until `probe` returns a truthy value without raising; else raise its last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = probe()
            if result:
                return result
            error: Exception | None = AssertionError(f"still {result!r} after {timeout}s")
        except (AssertionError, LookupError) as exc:
            error = exc
        if time.monotonic() > deadline:
            raise error
        time.sleep(interval)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The embedded PostgreSQL and broker, migrated, with the test agencies loaded."""
    from dataclasses import replace

    from gongkai.stack import Stack, test_settings

    home: Path = tmp_path_factory.mktemp("gongkai")
    # Tests back-date whole histories, so the sweep runs only when a test asks for it.
    # One simulated time for every process of the session, restarted ones included.
    settings = replace(test_settings(home), clock=f"{E2E_START}@{time.time():.3f}",
                       sweep_seconds=3600.0)
    stack = Stack(settings, ephemeral=True)
    try:
        stack.start_infrastructure()
        asyncio.run(stack.prepare())
        asyncio.run(_load_test_city(stack.database_url, settings.clock))
        yield stack
    finally:
        stack.stop()


class Mailbox:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from gongkai.embedded import free_port

        self.messages: list[Any] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="session")
def stack(infra: Any, mailbox: Mailbox) -> Any:
    """The four services running as processes on the infrastructure (mail goes to `mailbox`)."""
    import os

    os.environ.update(GONGKAI_SMTP_HOST="127.0.0.1", GONGKAI_SMTP_PORT=str(mailbox.port),
                      GONGKAI_SMTP_FROM="gongkai@example.gov.cn",
                      GONGKAI_PUBLIC_RATE="100000")  # tests submit hundreds from one address
    for service in ("intake", "casework", "reporting", "notify"):
        if service not in infra.processes:
            infra.start_service(service)
    infra.wait_healthy(timeout=90)
    return infra


TEST_AGENCIES = ("e2e-flow", "e2e-idem", "e2e-restart", "e2e-bad", "e2e-broker", "e2e-clock",
                 "e2e-other", "e2e-report", "e2e-year", "e2e-seed",
                 "e2e-notify", "e2e-scale", "e2e-lane", "e2e-iddoc", "e2e-late", "e2e-privacy")


async def _load_test_city(database_url: str, clock: str | None) -> None:
    from services.intake.service_layer.handlers import configure_agencies
    from shared.clock import clock_from_setting
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    agencies = [
        AgencyConfigured(
            agency_id=a, name=f"测试{i}号民政局", case_prefix=f"T{i}",
            disclosure_body="办公室", address="测试地址", phone="0635-0000000",
            reconsideration_organ=Office(name="测试市人民政府"),
            court=Office(name="测试区人民法院"),
        )
        for i, a in enumerate(TEST_AGENCIES, start=1)
    ]
    engine = make_engine(database_url, "intake")
    try:
        await configure_agencies(engine, clock_from_setting(clock), agencies, actor="test")
    finally:
        await engine.dispose()
