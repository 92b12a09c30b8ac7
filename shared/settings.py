"""Configuration from the environment. Unset infrastructure variables mean the embedded default.

The one place the common environment variables are read (README: Configuration): each process
reads `Settings.from_env()` once at its composition root and passes what a part needs to it.
A service's own variables are read the same way by its own settings module
(services/intake/config.py, services/notify/config.py, services/portal/config.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

SERVICES = ("intake", "casework", "reporting", "notify")
# The portal (the pages) is a fifth process with no tables and no events of its own.
DEFAULT_PORTS = {"intake": 8081, "casework": 8082, "reporting": 8083, "notify": 8084,
                 "portal": 8080}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    home: Path = Path(".gongkai")
    topic_partitions: int = 4
    # A consumer's fetch is answered when it has this many bytes (~60 events) or its wait is
    # over. Every consumed batch costs a dozen round trips whatever its size; answered at the
    # first event, batches at 200 applications/s held 2.6 events and the stack spent 9.4 ms of
    # CPU per application (1.5 cores busy even at 50/s); waiting up to 40 ms for 32 KB: 5.7 ms
    # at the same lag (bench/RESULTS.md, issue 18). A lone event waits the whole 40 ms per hop.
    fetch_max_wait_ms: int = 40
    fetch_min_bytes: int = 32768
    # Reference data (the agencies, the revoked tokens) changes a few times a year: its
    # consumers fetch with a long wait. The embedded broker looks again at W/2, 3W/4, … of a
    # waiting fetch, so a change arrives within 2.5 s; 500 ms cost the idle stack 1.8 CPU-s a
    # minute more (eight consumers, two fetches a second each).
    reference_fetch_max_wait_ms: int = 5000
    # A consumer that has seen no events for 2 s pauses and looks at the broker after 100 ms,
    # then ever less often up to once in this many ms, until the next batch (looks every
    # 100 ms cost the idle stack ~2.5 CPU-s a minute). Equal to the fetch wait: never paused.
    idle_fetch_max_wait_ms: int = 500
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    clock: str | None = None
    log_level: str = "INFO"
    sweep_seconds: float = 30.0
    topic_replication: int = 1
    # Staff identities: our own key (unset: made once in GONGKAI_HOME/jwt.secret) or an OIDC
    # provider's tokens; the longest a token may be valid (raw, e.g. "12h").
    jwt_secret: str | None = None
    token_max_lifetime_raw: str | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_agency_claim: str = "gongkai_agency"
    oidc_roles_claim: str = "gongkai_roles"
    # HTTP edges: /metrics exposure (token, port or open), /docs, public rate, client addresses.
    metrics: str = "token"
    metrics_port: str = ""
    metrics_token: str | None = None
    api_docs: bool = True
    public_rate: float = 2.0
    # GONGKAI_TRUSTED_PROXIES, else uvicorn's FORWARDED_ALLOW_IPS (raw; shared/serve.py checks it).
    trusted_proxies: str = ""
    portal_proxies: str = ""
    host: str = "127.0.0.1"
    workers: dict[str, int] = field(default_factory=dict)
    # Set by shared/serve.py for the worker processes of a service it starts.
    worker_service: str | None = None
    # The CJK font file for letters and report PDFs (unset: the font package's).
    letter_font: Path | None = None

    @property
    def token_max_lifetime(self) -> timedelta:
        from shared.auth import DEFAULT_MAX_LIFETIME, parse_duration

        raw = self.token_max_lifetime_raw
        return parse_duration(raw) if raw else DEFAULT_MAX_LIFETIME

    def workers_of(self, service: str) -> int:
        return self.workers.get(service, 1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        proxies = env.get("GONGKAI_TRUSTED_PROXIES")
        if proxies is None:
            proxies = env.get("FORWARDED_ALLOW_IPS", "")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            home=Path(env.get("GONGKAI_HOME", ".gongkai")),
            topic_partitions=_int(env, "GONGKAI_TOPIC_PARTITIONS", 4),
            fetch_max_wait_ms=_int(env, "GONGKAI_FETCH_MAX_WAIT_MS", 40),
            fetch_min_bytes=_int(env, "GONGKAI_FETCH_MIN_BYTES", 32768),
            reference_fetch_max_wait_ms=_int(env, "GONGKAI_REFERENCE_FETCH_MAX_WAIT_MS", 5000),
            idle_fetch_max_wait_ms=_int(env, "GONGKAI_IDLE_FETCH_MAX_WAIT_MS", 500),
            ports={s: _int(env, f"GONGKAI_{s.upper()}_PORT", p) for s, p in DEFAULT_PORTS.items()},
            clock=env.get("GONGKAI_CLOCK") or None,
            log_level=env.get("GONGKAI_LOG_LEVEL", "INFO"),
            sweep_seconds=float(env.get("GONGKAI_SWEEP_SECONDS", "30")),
            topic_replication=_int(env, "GONGKAI_TOPIC_REPLICATION", 1),
            jwt_secret=env.get("GONGKAI_JWT_SECRET") or None,
            token_max_lifetime_raw=env.get("GONGKAI_TOKEN_MAX_LIFETIME") or None,
            oidc_issuer=env.get("GONGKAI_OIDC_ISSUER") or None,
            oidc_audience=env.get("GONGKAI_OIDC_AUDIENCE") or None,
            oidc_jwks_url=env.get("GONGKAI_OIDC_JWKS_URL") or None,
            oidc_agency_claim=env.get("GONGKAI_OIDC_AGENCY_CLAIM", "gongkai_agency"),
            oidc_roles_claim=env.get("GONGKAI_OIDC_ROLES_CLAIM", "gongkai_roles"),
            metrics=env.get("GONGKAI_METRICS", "token").strip().lower() or "token",
            metrics_port=env.get("GONGKAI_METRICS_PORT", ""),
            metrics_token=env.get("GONGKAI_METRICS_TOKEN") or None,
            api_docs=env.get("GONGKAI_API_DOCS", "1").strip() != "0",
            public_rate=float(env.get("GONGKAI_PUBLIC_RATE", "2")),
            trusted_proxies=proxies,
            portal_proxies=env.get("GONGKAI_PORTAL_PROXIES", ""),
            host=env.get("GONGKAI_HOST", "127.0.0.1"),
            workers={s: _int(env, f"GONGKAI_{s.upper()}_WORKERS", 1) for s in DEFAULT_PORTS},
            worker_service=env.get("GONGKAI_SERVICE") or None,
            letter_font=Path(env["GONGKAI_LETTER_FONT"]) if env.get("GONGKAI_LETTER_FONT")
            else None,
        )

    def require_infrastructure(self) -> tuple[str, str]:
        if not self.database_url or not self.kafka_bootstrap_servers:
            raise RuntimeError(
                "DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS must be set for a service process; "
                "`gongkai up` sets them when it starts the embedded stack"
            )
        return self.database_url, self.kafka_bootstrap_servers
