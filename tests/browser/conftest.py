"""Browser tests: Chromium from Debian's packages driven by Playwright, against a stack of its
own (the demo city, five service processes on loopback). Every page a test opens is checked
with axe-core, and the test fails if the browser asked anything of an address outside the
stack. Screenshots go to docs/screenshots/, which the README shows."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("GONGKAI_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# A Monday in December 2026: applications received now are due in January 2027, a year whose
# holiday notice is not out yet (docs/domain.md#provisional-years).
BROWSER_START = "2026-12-14T09:30:00+08:00"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# axe-core impacts that fail a test (WCAG 2.1 AA; GB/T 37668-2019 asks the same).
BLOCKING = ("serious", "critical")


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make test` installs it "
                    "(apt-get install chromium); with CI=true browser tests never skip")
    pytest.skip(f"Chromium is missing at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="package")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """PostgreSQL, broker, the four services and the portal, with the demo city loaded."""
    from gongkai.city import DEMO_CITY
    from gongkai.cli import _load_agencies
    from gongkai.stack import Stack, test_settings
    from shared.settings import SERVICES

    home: Path = tmp_path_factory.mktemp("browser")
    settings = replace(test_settings(home), clock=f"{BROWSER_START}@{time.time():.3f}",
                       sweep_seconds=3600.0)
    stack = Stack(settings, ephemeral=True)
    saved = dict(os.environ)
    os.environ.update(GONGKAI_PUBLIC_RATE="1000")  # journeys submit quickly from one address
    try:
        stack.start_infrastructure()
        asyncio.run(stack.prepare())
        asyncio.run(_load_agencies(stack.database_url, DEMO_CITY, settings.clock))
        for service in (*SERVICES, "portal"):
            stack.start_service(service)
        stack.wait_healthy((*SERVICES, "portal"), timeout=90)
        yield stack
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="package")
def portal(demo_stack: Any) -> str:
    return demo_stack.url("portal")


@pytest.fixture(scope="package")
def browser(demo_stack: Any) -> Iterator[Any]:
    # Playwright's sync API keeps an event loop running in this thread: the stack (which
    # uses asyncio.run) starts first.
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # The flags keep Chromium from calling home (this machine has no network to offer).
        launched = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-default-apps", "--disable-quic"])
        yield launched
        launched.close()


class Visit:
    """One browser context (a person's browser): its page, and every URL it requested."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int]) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, locale="zh-CN",
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.phone = viewport["width"] < 600

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        return response

    def outside(self) -> list[str]:
        """Requests to anything but the stack's own loopback addresses."""
        own = urlsplit(self.base).hostname
        return [u for u in self.requests if not u.startswith(("data:", "blob:", "about:"))
                and urlsplit(u).hostname not in (own, "127.0.0.1", "localhost")]

    def check(self, shot: str | None = None) -> None:
        """axe-core finds no serious or critical violation; save a screenshot."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
        assert not blocking, _describe(self.page.url, blocking)
        if shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            suffix = "phone" if self.phone else "desktop"
            self.page.screenshot(path=str(SHOTS / f"{shot}-{suffix}.png"), full_page=True)

    def sign_in(self, user: str) -> None:
        """Development sign-in as a demo staff member, e.g. `lc-mzj.caseworker`."""
        self.go("/staff/signin")
        self.page.click(f"button[data-user='{user}']")
        self.page.wait_for_url("**/staff/**")


def _describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core violations on {url}:"]
    for v in violations:
        targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
        lines.append(f"  {v['impact']} {v['id']}: {v['help']} at {targets}")
    return "\n".join(lines)


@pytest.fixture
def visit(browser: Any, portal: str) -> Iterator[Any]:
    """Open a browser the way a person would; after the test, nothing left the stack."""
    opened: list[Visit] = []

    def open_(viewport: dict[str, int] = DESKTOP) -> Visit:
        v = Visit(browser, portal, viewport)
        opened.append(v)
        return v

    yield open_
    for v in opened:
        outside = v.outside()
        v.context.close()
        assert not outside, f"the browser requested addresses outside the stack: {outside}"


