"""Configuration from the environment. Unset infrastructure variables mean the embedded default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("intake", "casework", "reporting", "notify")
# The portal (the pages) is a fifth process with no tables and no events of its own.
DEFAULT_PORTS = {"intake": 8081, "casework": 8082, "reporting": 8083, "notify": 8084,
                 "portal": 8080}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    home: Path = Path(".gongkai")
    topic_partitions: int = 4
    fetch_max_wait_ms: int = 10
    # Reference data (the agencies) changes a few times a year: its consumers need not poll
    # the broker every 10 ms, which idle costs the broker and each consumer CPU.
    reference_fetch_max_wait_ms: int = 500
    # A consumer that has seen no events for a while polls at this pace until the next batch
    # (idle, ten polls a second cost the broker and the consumers next to nothing).
    idle_fetch_max_wait_ms: int = 100
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    clock: str | None = None
    log_level: str = "INFO"
    sweep_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            home=Path(os.environ.get("GONGKAI_HOME", ".gongkai")),
            topic_partitions=_int("GONGKAI_TOPIC_PARTITIONS", 4),
            fetch_max_wait_ms=_int("GONGKAI_FETCH_MAX_WAIT_MS", 10),
            reference_fetch_max_wait_ms=_int("GONGKAI_REFERENCE_FETCH_MAX_WAIT_MS", 500),
            idle_fetch_max_wait_ms=_int("GONGKAI_IDLE_FETCH_MAX_WAIT_MS", 100),
            ports={s: _int(f"GONGKAI_{s.upper()}_PORT", p) for s, p in DEFAULT_PORTS.items()},
            clock=os.environ.get("GONGKAI_CLOCK") or None,
            log_level=os.environ.get("GONGKAI_LOG_LEVEL", "INFO"),
            sweep_seconds=float(os.environ.get("GONGKAI_SWEEP_SECONDS", "30")),
        )

    def require_infrastructure(self) -> tuple[str, str]:
        if not self.database_url or not self.kafka_bootstrap_servers:
            raise RuntimeError(
                "DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS must be set for a service process; "
                "`gongkai up` sets them when it starts the embedded stack"
            )
        return self.database_url, self.kafka_bootstrap_servers
