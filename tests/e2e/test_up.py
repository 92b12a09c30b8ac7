"""`gongkai up` (what `make run` calls): a newcomer's first start shows the demo city's cases
and report; a broker that dies stops the stack loudly; the next start loses nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest

from gongkai.embedded import free_port, port_open
from shared.auth import Role, issue_token, load_secret
from tests.conftest import eventually

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "casework", "reporting", "notify", "portal")


class Up:
    def __init__(self, home: Path, ports: dict[str, int], kafka_port: int) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "GONGKAI_CLOCK")}
        env.update(GONGKAI_HOME=str(home), GONGKAI_KAFKA_PORT=str(kafka_port),
                   **{f"GONGKAI_{s.upper()}_PORT": str(p) for s, p in ports.items()})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gongkai", "up"], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def kill(self) -> None:
        """After a failure: `up` and what it started (each service in a session of its own
        would otherwise outlive it and run through the rest of the suite)."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self.process.kill()

    def wait_for(self, text: str, timeout: float = 120) -> None:
        eventually(lambda: text in self.output or self.process.poll() is not None,
                   timeout=timeout, interval=0.2)
        assert text in self.output, self.output


def broker_process(port: int) -> psutil.Process:
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if any("tansu" in part for part in cmd) and any(f":{port}" in p for p in cmd):
            return proc
    raise LookupError("no broker process")


def test_up_shows_the_demo_stops_loudly_without_its_broker_and_restarts_losing_nothing(
    tmp_path,
):
    ports = {s: free_port() for s in SERVICES}
    kafka_port = free_port()
    year = time.localtime().tm_year  # demo applications are received today

    first = Up(tmp_path, ports, kafka_port)
    try:
        first.wait_for("gongkai is up")
        assert first.output.count("Demo application") == 3
        # The pages come first: that is where people start.
        portal = f"http://127.0.0.1:{ports['portal']}/"
        after_up = first.output.split("gongkai is up", 1)[1]
        assert after_up.index(portal) < after_up.index(f":{ports['intake']}")
        home = httpx.get(portal)
        assert home.status_code == 200 and "聊城市民政局" in home.text
        reporting = f"http://127.0.0.1:{ports['reporting']}"
        admin = {"Authorization": "Bearer " + issue_token(
            load_secret(tmp_path), user="admin", agency=None, roles=[Role.CITY_ADMIN],
            now=datetime.now(UTC))}

        def demo_counted():
            doc = httpx.get(f"{reporting}/v1/reports/{year}", params={"agency": "lc-mzj"},
                            headers=admin).json()
            return doc["table3"]["new"]["total"] == 2 and doc

        doc = eventually(demo_counted, timeout=60)
        assert doc["table3"]["new"]["natural_person"] == 1
        assert doc["table3"]["new"]["commercial_enterprise"] == 1

        broker_process(kafka_port).kill()
        assert first.process.wait(30) == 1
        assert "broker stopped unexpectedly" in first.output
    finally:
        first.kill()

    second = Up(tmp_path, ports, kafka_port)
    try:
        second.wait_for("gongkai is up")
        assert "Demo application" not in second.output  # the demo is loaded once
        city = eventually(lambda: (d := httpx.get(f"{reporting}/v1/reports/{year}",
                                                  params={"agency": "city"},
                                                  headers=admin).json())
                          ["table3"]["new"]["total"] == 3 and d, timeout=60)
        assert set(city["agencies"]) == {"lc-mzj", "dcf-mzj", "lq-mzj"}
        time.sleep(2)  # re-published events arrive again: they must not count twice
        again = httpx.get(f"{reporting}/v1/reports/{year}", params={"agency": "city"},
                          headers=admin).json()
        assert again["table3"]["new"]["total"] == 3
        second.process.send_signal(signal.SIGINT)
        assert second.process.wait(60) == 0
        assert "Stopped." in second.output
        # Nothing is left listening: the services and the broker are gone.
        assert not any(port_open(p) for p in [*ports.values(), kafka_port])
    finally:
        second.kill()
