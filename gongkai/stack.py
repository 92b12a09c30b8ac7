"""Bring the whole system up on one machine: infrastructure (embedded unless configured),
migrations, topics, the four service processes; watch them; stop them cleanly."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx

from gongkai.embedded import Broker, Postgres, free_port
from shared import kafka
from shared.contracts import ALL_TOPICS
from shared.db import migrate
from shared.revocations import TOKENS_TOPIC
from shared.settings import SERVICES, Settings

log = logging.getLogger(__name__)


class Stack:
    def __init__(self, settings: Settings, *, kafka_port: int | None = None,
                 ephemeral: bool = False) -> None:
        self.settings = settings
        self.home = settings.home.resolve()
        self.kafka_port = kafka_port
        self.ephemeral = ephemeral  # tests: delete the database when stopping
        self.postgres: Postgres | None = None
        self.broker: Broker | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.instance_ports: dict[str, int] = {}
        self.database_url = settings.database_url or ""
        self.bootstrap = settings.kafka_bootstrap_servers or ""

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def start_infrastructure(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            self.postgres = Postgres(self.home / "pgdata", delete_on_stop=self.ephemeral)
            self.database_url = self.postgres.url
        if not self.bootstrap:
            self.broker = Broker(self.kafka_port, self.logs / "broker.log")
            self.bootstrap = self.broker.bootstrap

    async def prepare(self) -> None:
        for service in SERVICES:
            await migrate(service, self.database_url)
        await kafka.wait_for_broker(self.bootstrap)
        replication = self.settings.topic_replication
        await kafka.ensure_topics(self.bootstrap, ALL_TOPICS, self.settings.topic_partitions,
                                  replication)
        await kafka.ensure_topics(self.bootstrap, (TOKENS_TOPIC,), partitions=1,
                                  replication=replication)

    def env(self, service: str) -> dict[str, str]:
        env = dict(os.environ)  # env-write: the children inherit this process's environment
        env.update(
            DATABASE_URL=self.database_url,
            KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            GONGKAI_HOME=str(self.home),
            GONGKAI_FETCH_MAX_WAIT_MS=str(self.settings.fetch_max_wait_ms),
            GONGKAI_FETCH_MIN_BYTES=str(self.settings.fetch_min_bytes),
            GONGKAI_TOPIC_PARTITIONS=str(self.settings.topic_partitions),
            GONGKAI_LOG_LEVEL=self.settings.log_level,
            GONGKAI_SWEEP_SECONDS=str(self.settings.sweep_seconds),
            **{f"GONGKAI_{s.upper()}_PORT": str(p) for s, p in self.settings.ports.items()},
        )
        if self.settings.clock:
            env["GONGKAI_CLOCK"] = self.settings.clock
        # Client addresses: the services believe X-Forwarded-For only from the portal, which
        # connects from 127.0.0.1 and forwards the browser's address; the portal itself, with
        # nothing in front of it here, believes no one (GONGKAI_PORTAL_PROXIES if there is).
        env.pop("FORWARDED_ALLOW_IPS", None)
        if service != "intake":  # the applicant-key secrets are intake's alone (docs/privacy.md)
            env.pop("GONGKAI_APPLICANT_KEY_SECRETS", None)
        env["GONGKAI_TRUSTED_PROXIES"] = ("127.0.0.1" if service != "portal"
                                          else self.settings.portal_proxies)
        if self.postgres is not None:
            env.setdefault("GONGKAI_DEV_SINKS", "1")  # the embedded stack shows what it "sent"
            # The console's development sign-in (demo staff, no identity provider).
            env.setdefault("GONGKAI_PORTAL_DEV_SIGNIN", "1")
            # /metrics open on the services' own ports, which listen on loopback only here
            # (a local Prometheus and the end-to-end tests read it without a token).
            env.setdefault("GONGKAI_METRICS", "open")
        return env

    def url(self, service: str) -> str:
        port = self.instance_ports.get(service) or self.settings.ports[service]
        return f"http://127.0.0.1:{port}"

    def start_service(self, service: str, instance: str = "", port: int | None = None,
                      extra_env: dict[str, str] | None = None) -> str:
        """Start a service process; a second `instance` (with its own port) joins the same
        consumer groups and shares the partitions. `extra_env` overrides the environment of
        this one process. Returns the process's name."""
        name = f"{service}{instance}"
        env = {**self.env(service), **(extra_env or {})}
        if port is not None:
            env[f"GONGKAI_{service.upper()}_PORT"] = str(port)
            self.instance_ports[name] = port
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return name

    def wait_healthy(self, services: tuple[str, ...] = SERVICES, timeout: float = 60.0) -> None:
        """Wait for the named processes (service names, or service+instance names)."""
        deadline = time.monotonic() + timeout
        for service in services:
            while True:
                process = self.processes[service]
                if process.poll() is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}; "
                                       f"see {self.logs / (service + '.log')}\n"
                                       + self.tail(service))
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{self.url(service)}/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service} not healthy after {timeout:.0f}s\n"
                                       + self.tail(service))
                time.sleep(0.2)

    def tail(self, service: str, lines: int = 30) -> str:
        path = self.logs / f"{service}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_service(self, service: str, *, kill: bool = False, timeout: float = 25.0,
                     ) -> int | None:
        """Stop a process (SIGTERM lets in-flight work finish); returns its exit code."""
        process = self.processes.pop(service, None)
        self.instance_ports.pop(service, None)
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None

    def restart_broker(self) -> None:
        """A new, empty embedded broker on the same port (what a restart of the stack gets)."""
        assert self.broker is not None, "only the embedded broker can be restarted"
        self.broker.kill()
        self.broker = Broker(self.broker.port, self.logs / "broker.log")

    def dead(self) -> list[str]:
        """Parts that stopped on their own: the stack must not carry on without them."""
        gone = [s for s, p in self.processes.items() if p.poll() is not None]
        if self.broker is not None and not self.broker.alive():
            gone.append("broker")
        return gone

    def stop(self) -> None:
        for service in list(self.processes):
            self.stop_service(service)
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def test_settings(home: Path) -> Settings:
    """Settings for a throw-away stack on free ports (tests, benchmarks)."""
    ports = {s: free_port() for s in (*SERVICES, "portal")}
    return replace(Settings.from_env(), home=home, ports=ports)
